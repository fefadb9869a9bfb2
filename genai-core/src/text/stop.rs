//! [`StopScanner`]: stop sequences applied on the client side.

/// Applies stop sequences on the client side, delta by delta.
///
/// Text is released as soon as it cannot be the start of a stop sequence; when a sequence
/// appears, the text before it is released and the scanner reports the stop.
///
/// ```
/// use genai_core::text::StopScanner;
/// let mut s = StopScanner::new(vec!["END".into()]);
/// let mut out = String::new();
/// assert!(!s.push("one two E", &mut out));
/// assert_eq!(out, "one two"); // " E" may start "END": held back
/// assert!(s.push("ND three", &mut out));
/// assert_eq!(out, "one two ");
/// ```
#[derive(Debug, Clone)]
pub struct StopScanner {
    stops: Vec<String>,
    longest: usize,
    held: String,
    stopped: bool,
}

impl StopScanner {
    /// A scanner for these sequences (empty sequences are ignored).
    pub fn new(stops: Vec<String>) -> Self {
        let stops: Vec<String> = stops.into_iter().filter(|s| !s.is_empty()).collect();
        let longest = stops.iter().map(String::len).max().unwrap_or(0);
        StopScanner {
            stops,
            longest,
            held: String::new(),
            stopped: false,
        }
    }

    /// Whether there is anything to scan for.
    pub fn is_active(&self) -> bool {
        !self.stops.is_empty()
    }

    /// Whether a stop sequence was found.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// Feeds one delta and appends the released text to `out`. Returns `true` when a stop
    /// sequence was found (nothing after it is released, then or later).
    pub fn push(&mut self, delta: &str, out: &mut String) -> bool {
        if self.stopped {
            return true;
        }
        if self.stops.is_empty() {
            out.push_str(delta);
            return false;
        }
        self.held.push_str(delta);
        if let Some(idx) = self
            .stops
            .iter()
            .filter_map(|s| self.held.find(s.as_str()))
            .min()
        {
            out.push_str(&self.held[..idx]);
            self.held.clear();
            self.stopped = true;
            return true;
        }
        let mut cut = self.held.len().saturating_sub(self.longest - 1);
        while !self.held.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&self.held[..cut]);
        self.held.drain(..cut);
        false
    }

    /// Releases the held-back text at the end of the reply.
    pub fn finish(&mut self, out: &mut String) {
        if !self.stopped {
            out.push_str(&self.held);
        }
        self.held.clear();
    }

    /// Applies the sequences to a whole text: the text before the first match, and whether
    /// one matched.
    pub fn cut<'a>(stops: &[String], text: &'a str) -> (&'a str, bool) {
        match stops
            .iter()
            .filter(|s| !s.is_empty())
            .filter_map(|s| text.find(s.as_str()))
            .min()
        {
            Some(idx) => (&text[..idx], true),
            None => (text, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_all(stops: &[&str], deltas: &[&str]) -> (String, bool) {
        let mut s = StopScanner::new(stops.iter().map(|s| s.to_string()).collect());
        let mut out = String::new();
        let mut hit = false;
        for d in deltas {
            if s.push(d, &mut out) {
                hit = true;
                break;
            }
        }
        s.finish(&mut out);
        (out, hit)
    }

    #[test]
    fn stop_scanner_matches_whole_text_cut() {
        let texts = [
            "one two three",
            "é€😀 stop here",
            "abcabd",
            "no match at all",
        ];
        let stops = ["two", "😀", "abd", "zz", "e"];
        for text in texts {
            for stop in stops {
                let (expected, hit) = StopScanner::cut(&[stop.to_string()], text);
                for i in 0..=text.len() {
                    if !text.is_char_boundary(i) {
                        continue;
                    }
                    let got = scan_all(&[stop], &[&text[..i], &text[i..]]);
                    assert_eq!(got, (expected.to_string(), hit), "{text:?} {stop:?} at {i}");
                }
            }
        }
    }

    #[test]
    fn earliest_of_several_stops_wins() {
        assert_eq!(scan_all(&["c", "b"], &["abc"]), ("a".into(), true));
        assert_eq!(
            StopScanner::cut(&["c".into(), "b".into()], "abc"),
            ("a", true)
        );
    }
}

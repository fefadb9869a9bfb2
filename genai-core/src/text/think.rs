//! [`ThinkSplitter`]: reasoning inside `<think>` tags, split from the answer.

const OPEN: &str = "<think>";
const CLOSE: &str = "</think>";

/// Splits `<think>…</think>` reasoning from the answer, delta by delta.
///
/// A leading `<think>` opens the reasoning; everything up to `</think>` is reasoning and the
/// rest is the answer. Reasoning models' chat templates often swallow the opening tag, so a
/// reply that does not start with `<think>` is held until `</think>` shows it was reasoning;
/// if the tag never comes, the reply is the answer, unless it was cut at the token limit
/// ([`finish_cut`](Self::finish_cut)): a cut reply is all reasoning, as is a reply cut after
/// an explicit `<think>`. Whitespace around both parts is trimmed. Tags split across deltas
/// are handled.
///
/// ```
/// use genai_core::text::ThinkSplitter;
/// let mut s = ThinkSplitter::new();
/// let (mut reasoning, mut text) = (String::new(), String::new());
/// for delta in ["<thi", "nk>\nHmm.", "\n</th", "ink>\n\nHello"] {
///     s.push(delta, &mut reasoning, &mut text);
/// }
/// s.finish(&mut reasoning, &mut text);
/// assert_eq!((reasoning.as_str(), text.as_str()), ("Hmm.", "Hello"));
/// ```
#[derive(Debug, Clone)]
pub struct ThinkSplitter {
    state: ThinkState,
    buf: String,
    /// Some reasoning text was released (leading whitespace is dropped until then).
    reasoning_started: bool,
    /// Bytes of `buf` already searched for `</think>` while no opening tag was seen.
    searched: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ThinkState {
    /// Nothing but whitespace seen: an opening tag may still come.
    Start,
    /// No opening tag: held until `</think>` or the end decides what it was.
    Unopened,
    Reasoning,
    /// After `</think>`: leading whitespace of the answer is dropped.
    AnswerStart,
    Answer,
}

impl Default for ThinkSplitter {
    fn default() -> Self {
        ThinkSplitter::new()
    }
}

impl ThinkSplitter {
    /// A splitter at the start of a reply.
    pub fn new() -> Self {
        ThinkSplitter {
            state: ThinkState::Start,
            buf: String::new(),
            reasoning_started: false,
            searched: 0,
        }
    }

    /// Feeds one delta; appends what is settled to `reasoning` and `text`.
    pub fn push(&mut self, delta: &str, reasoning: &mut String, text: &mut String) {
        if self.state == ThinkState::Answer {
            text.push_str(delta);
            return;
        }
        self.buf.push_str(delta);
        self.drain(reasoning, text, false);
    }

    /// Ends a reply that ended on its own: flushes what was held back.
    pub fn finish(&mut self, reasoning: &mut String, text: &mut String) {
        self.finish_cut(false, reasoning, text);
    }

    /// Ends the reply; `cut` tells whether it stopped at the token limit, which makes text
    /// held without any tag reasoning rather than answer.
    pub fn finish_cut(&mut self, cut: bool, reasoning: &mut String, text: &mut String) {
        if self.state == ThinkState::Unopened {
            self.state = if cut {
                ThinkState::Reasoning
            } else {
                ThinkState::AnswerStart
            };
        }
        self.drain(reasoning, text, true);
        self.buf.clear();
    }

    fn drain(&mut self, reasoning: &mut String, text: &mut String, at_end: bool) {
        loop {
            match self.state {
                ThinkState::Start => {
                    let trimmed = self.buf.trim_start();
                    if trimmed.is_empty() && !at_end {
                        return;
                    }
                    if let Some(rest) = trimmed.strip_prefix(OPEN) {
                        self.buf = rest.to_owned();
                        self.state = ThinkState::Reasoning;
                    } else if OPEN.starts_with(trimmed) && !at_end {
                        return; // maybe the start of `<think>`
                    } else {
                        self.buf = trimmed.to_owned();
                        self.state = ThinkState::Unopened;
                        if at_end {
                            // `finish_cut` decided before: no tag at all is an answer.
                            self.state = ThinkState::AnswerStart;
                        }
                    }
                }
                ThinkState::Unopened => {
                    // Only the new bytes (and a tag's length before them) are searched again,
                    // so a long reply without tags costs linear time.
                    let mut from = self.searched.saturating_sub(CLOSE.len() - 1);
                    while !self.buf.is_char_boundary(from) {
                        from -= 1;
                    }
                    if let Some(idx) = self.buf[from..].find(CLOSE).map(|i| i + from) {
                        reasoning.push_str(self.buf[..idx].trim());
                        self.buf.drain(..idx + CLOSE.len());
                        self.searched = 0;
                        self.state = ThinkState::AnswerStart;
                        continue;
                    }
                    self.searched = self.buf.len();
                    return;
                }
                ThinkState::Reasoning => {
                    if !self.reasoning_started {
                        // Leading whitespace of the reasoning is dropped.
                        let t = self.buf.trim_start().len();
                        self.buf.drain(..self.buf.len() - t);
                    }
                    if let Some(idx) = self.buf.find(CLOSE) {
                        reasoning.push_str(self.buf[..idx].trim_end());
                        self.buf.drain(..idx + CLOSE.len());
                        self.state = ThinkState::AnswerStart;
                        continue;
                    }
                    let keep = if at_end {
                        self.buf.len() - self.buf.trim_end().len()
                    } else {
                        held_suffix(&self.buf, CLOSE)
                    };
                    let cut = self.buf.len() - keep;
                    if cut > 0 {
                        reasoning.push_str(&self.buf[..cut]);
                        self.buf.drain(..cut);
                        self.reasoning_started = true;
                    }
                    return;
                }
                ThinkState::AnswerStart => {
                    let t = self.buf.trim_start();
                    if t.is_empty() {
                        self.buf.clear();
                        return;
                    }
                    text.push_str(t);
                    self.buf.clear();
                    self.state = ThinkState::Answer;
                    return;
                }
                ThinkState::Answer => {
                    text.push_str(&self.buf);
                    self.buf.clear();
                    return;
                }
            }
        }
    }
}

/// How many trailing bytes of `buf` must be held back: trailing whitespace (it may precede the
/// tag and be trimmed) plus a trailing partial `tag`.
fn held_suffix(buf: &str, tag: &str) -> usize {
    let mut keep = 0;
    for k in (1..tag.len()).rev() {
        if buf.len() >= k && buf.is_char_boundary(buf.len() - k) && buf.ends_with(&tag[..k]) {
            keep = k;
            break;
        }
    }
    let before = &buf[..buf.len() - keep];
    keep + (before.len() - before.trim_end().len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_all(deltas: &[&str]) -> (String, String) {
        let mut s = ThinkSplitter::new();
        let (mut r, mut t) = (String::new(), String::new());
        for d in deltas {
            s.push(d, &mut r, &mut t);
        }
        s.finish(&mut r, &mut t);
        (r, t)
    }

    /// Every way of cutting `text` in two gives the same split as the whole text.
    fn split_is_cut_independent(text: &str) -> (String, String) {
        let whole = split_all(&[text]);
        for i in 0..=text.len() {
            if text.is_char_boundary(i) {
                assert_eq!(split_all(&[&text[..i], &text[i..]]), whole, "cut at {i}");
            }
        }
        let chars: Vec<String> = text.chars().map(String::from).collect();
        let refs: Vec<&str> = chars.iter().map(String::as_str).collect();
        assert_eq!(split_all(&refs), whole, "char by char");
        whole
    }

    #[test]
    fn think_cases() {
        let cases = [
            ("<think>\nHmm.\n</think>\n\nHello", "Hmm.", "Hello"),
            ("Hmm.\n</think>\n\nHello", "Hmm.", "Hello"),
            (
                "<think>\nHmm, cut before the end",
                "Hmm, cut before the end",
                "",
            ),
            ("  <think>a</think>b", "a", "b"),
            ("<think></think>answer", "", "answer"),
            ("<think>\n\n</think>\n\n{\"a\": 1}", "", "{\"a\": 1}"),
            ("<thin", "", "<thin"),
            ("A plain answer.", "", "A plain answer."),
            ("{\"is_fruit\": true}", "", "{\"is_fruit\": true}"),
            ("x < y </think> ok", "x < y", "ok"),
            ("é</think>ü", "é", "ü"),
            ("a</think>b</think>c", "a", "b</think>c"),
        ];
        for (input, reasoning, text) in cases {
            let (r, t) = split_is_cut_independent(input);
            assert_eq!(
                (r.as_str(), t.as_str()),
                (reasoning, text),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn a_cut_reply_without_tags_is_reasoning() {
        for deltas in [
            &["Thinking and thi", "nking"][..],
            &["Thinking and thinking"][..],
        ] {
            let mut s = ThinkSplitter::new();
            let (mut r, mut t) = (String::new(), String::new());
            for d in deltas {
                s.push(d, &mut r, &mut t);
            }
            s.finish_cut(true, &mut r, &mut t);
            assert_eq!((r.as_str(), t.as_str()), ("Thinking and thinking", ""));
        }
        let mut s = ThinkSplitter::new();
        let (mut r, mut t) = (String::new(), String::new());
        s.push("<think>cut inside", &mut r, &mut t);
        s.finish_cut(false, &mut r, &mut t);
        assert_eq!((r.as_str(), t.as_str()), ("cut inside", ""));
    }
}

//! Text helpers that several backends need: reasoning split and client-side stop sequences.
//!
//! Both work incrementally on stream deltas and give the same result on a whole reply, so a
//! backend's sync and stream paths agree by construction.

mod stop;
mod think;

pub use stop::StopScanner;
pub use think::ThinkSplitter;

/// The text inside a Markdown code fence (```` ```json … ``` ````), trimmed; the trimmed text
/// itself when it is not fenced. Models often wrap JSON that way.
///
/// ```
/// use genai_core::text::strip_code_fence;
/// assert_eq!(strip_code_fence("```json\n{\"a\":1}\n```"), "{\"a\":1}");
/// assert_eq!(strip_code_fence(" {\"a\":1} "), "{\"a\":1}");
/// assert_eq!(strip_code_fence("```{\"a\":1}```"), "{\"a\":1}");
/// ```
pub fn strip_code_fence(text: &str) -> &str {
    let t = text.trim();
    let Some(body) = t.strip_prefix("```").and_then(|r| r.strip_suffix("```")) else {
        return t;
    };
    // Drop the info string (`json`) on the opening line.
    match body.find('\n') {
        Some(nl) => body[nl + 1..].trim(),
        None => body.trim(),
    }
}

/// The first `max_chars` characters of `text`, with `…` when cut. For error messages.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((idx, _)) => format!("{}…", &text[..idx]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_on_chars() {
        assert_eq!(excerpt("héllo", 2), "hé…");
        assert_eq!(excerpt("hi", 5), "hi");
    }
}

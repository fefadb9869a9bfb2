//! The stream chunk reader: one pass over the bytes of a chunk of either wire family.
//!
//! A stream is mostly chunks that each carry a few bytes of text, so how a chunk is read is
//! most of a stream's cost. [`read`] reads any chunk the service sends in one pass, without a
//! general JSON parse: native chunks (`response`, `tool_calls`, `usage`, the `p` padding) and
//! OpenAI-shaped ones (`choices[0].delta` with `content`, `reasoning_content` or `reasoning`,
//! tool-call deltas, `finish_reason`, `stop_reason`, `usage` on any chunk). Keys come in any
//! order, with any JSON spacing; strings may have escapes; keys it does not know are skipped
//! (their value checked as JSON), as the general decoder skips them.
//!
//! It reads exactly what [`WireResult`](crate::chat::wire::WireResult) reads, and hands it to
//! the same shaper. Anything a chunk says that it does not reproduce exactly (an error, log
//! probabilities, a JSON `response`, content parts, the Responses form, a lone surrogate, a
//! duplicate key, a number that is not a plain integer where a count goes...) makes it answer
//! `None`, and the chunk goes through the general decoder instead. So the two paths cannot
//! disagree (a property test feeds both the same streams), and a chunk shape nobody foresaw
//! costs speed, never correctness.
//!
//! A field added to the wire types (`WireResult`, `WireChoice`, `WireChatMessage`,
//! `WireToolCall`, `WireFunction`, `WireUsage`) must be added here too, read or refused: a
//! key this reader does not know is skipped.

use std::borrow::Cow;

use serde_json::Value;

use crate::chat::wire::{WireFunction, WireToolCall, WireUsage};

/// What a stream chunk says, in the terms the shaper applies (see `Shaper::apply_chunk`).
#[derive(Debug, Default)]
pub(crate) struct Chunk<'a> {
    /// The native `response` text (`null` or absent: `None`).
    pub(crate) response: Option<Cow<'a, str>>,
    /// Native tool calls or fragments of them (`tool_calls` beside `response`).
    pub(crate) tool_calls: Vec<WireToolCall>,
    /// The token counts, when the chunk has a `usage` object.
    pub(crate) usage: Option<WireUsage>,
    /// The first (and only) choice of an OpenAI-shaped chunk.
    pub(crate) choice: Option<Choice<'a>>,
}

/// `choices[0]` of an OpenAI-shaped chunk, with its `delta` flattened in.
#[derive(Debug, Default)]
pub(crate) struct Choice<'a> {
    pub(crate) finish_reason: Option<Cow<'a, str>>,
    /// `stop_reason` when it is a string (the matched stop sequence); a token id reads as
    /// `None`, as it does in the general decoder's use of it.
    pub(crate) stop_reason: Option<Cow<'a, str>>,
    pub(crate) content: Option<Cow<'a, str>>,
    pub(crate) reasoning_content: Option<Cow<'a, str>>,
    pub(crate) reasoning: Option<Cow<'a, str>>,
    pub(crate) tool_calls: Vec<WireToolCall>,
}

/// Reads one chunk (the data of one SSE event), or `None` when the general decoder must.
pub(crate) fn read(data: &[u8]) -> Option<Chunk<'_>> {
    let mut r = Reader { s: data, i: 0 };
    let chunk = r.chunk()?;
    r.ws();
    (r.i == data.len()).then_some(chunk)
}

/// How deep a skipped value may nest (serde_json refuses beyond 128 levels in all).
const MAX_SKIP_DEPTH: u32 = 64;

/// A cursor over a chunk: each method consumes one value (after optional whitespace) or
/// answers `None`.
struct Reader<'a> {
    s: &'a [u8],
    i: usize,
}

/// Marks `bit` as seen in `seen`; `None` when it was already (a duplicate field, which makes
/// serde fail).
fn once(seen: &mut u16, bit: u16) -> Option<()> {
    (*seen & bit == 0).then(|| *seen |= bit)
}

impl<'a> Reader<'a> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.i += 1)
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.ws();
        let rest = self.s.get(self.i..)?.strip_prefix(word)?;
        self.i = self.s.len() - rest.len();
        Some(())
    }

    /// `null` as `None`, anything else read by `f`.
    fn opt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Some(None);
        }
        f(self).map(Some)
    }

    /// The members of an object: `f` reads the value of each key.
    fn members(&mut self, mut f: impl FnMut(&mut Self, &'a [u8]) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            let key = self.key()?;
            self.eat(b':')?;
            f(self, key)?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// The elements of an array, each read by `f`.
    fn elements(&mut self, mut f: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            f(self)?;
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A key: an ASCII string without escapes (anything else is left to the general decoder).
    fn key(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.i;
        let (end, non_ascii) = find_special(&self.s[start..]);
        let end = start + end;
        (!non_ascii && self.s.get(end) == Some(&b'"')).then_some(())?;
        self.i = end + 1;
        Some(&self.s[start..end])
    }

    /// A string's text: borrowed when it has no escape, unescaped otherwise.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.eat(b'"')?;
        let start = self.i;
        let (len, _) = find_special(&self.s[start..]);
        let end = start + len;
        match *self.s.get(end)? {
            b'"' => {
                self.i = end + 1;
                std::str::from_utf8(&self.s[start..end])
                    .ok()
                    .map(Cow::Borrowed)
            }
            b'\\' => {
                let mut out = String::with_capacity(len + 16);
                out.push_str(std::str::from_utf8(&self.s[start..end]).ok()?);
                self.i = end;
                self.unescape_rest(&mut out)?;
                Some(Cow::Owned(out))
            }
            _ => None,
        }
    }

    /// The rest of a string from an escape on, appended to `out`, through the closing quote.
    fn unescape_rest(&mut self, out: &mut String) -> Option<()> {
        loop {
            match *self.s.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return Some(());
                }
                b'\\' => {
                    let c = match *self.s.get(self.i + 1)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let unit = hex4(self.s.get(self.i + 2..self.i + 6)?)?;
                            let (c, used) = match unit {
                                0xD800..=0xDBFF => {
                                    // A surrogate pair, or the general decoder's error.
                                    let low = self.s.get(self.i + 6..self.i + 12)?;
                                    let low = low.strip_prefix(b"\\u").and_then(hex4)?;
                                    (0xDC00..=0xDFFF).contains(&low).then_some(())?;
                                    let c = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                                    (char::from_u32(c)?, 12)
                                }
                                0xDC00..=0xDFFF => return None,
                                _ => (char::from_u32(unit)?, 6),
                            };
                            out.push(c);
                            self.i += used;
                            continue;
                        }
                        _ => return None,
                    };
                    out.push(c);
                    self.i += 2;
                }
                _ => {
                    let start = self.i;
                    let (len, _) = find_special(&self.s[start..]);
                    let end = start + len;
                    if end == start {
                        return None; // a control character
                    }
                    out.push_str(std::str::from_utf8(&self.s[start..end]).ok()?);
                    self.i = end;
                }
            }
        }
    }

    /// A string skipped: its escapes and its UTF-8 checked.
    fn skip_string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        loop {
            let start = self.i;
            let (len, non_ascii) = find_special(&self.s[start..]);
            let end = start + len;
            if non_ascii {
                std::str::from_utf8(&self.s[start..end]).ok()?;
            }
            match *self.s.get(end)? {
                b'"' => {
                    self.i = end + 1;
                    return Some(());
                }
                b'\\' => {
                    match *self.s.get(end + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i = end + 2,
                        b'u' => {
                            hex4(self.s.get(end + 2..end + 6)?)?;
                            self.i = end + 6;
                        }
                        _ => return None,
                    };
                }
                _ => return None,
            }
        }
    }

    /// A non-negative integer that fits a `u64` (no sign, fraction, exponent or leading zero).
    fn uint(&mut self) -> Option<u64> {
        self.ws();
        let start = self.i;
        let mut n: u64 = 0;
        while let Some(d) = self.s.get(self.i).filter(|b| b.is_ascii_digit()) {
            n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
            self.i += 1;
        }
        let digits = self.i - start;
        let leading_zero = digits > 1 && self.s[start] == b'0';
        let float = matches!(self.s.get(self.i), Some(b'.' | b'e' | b'E'));
        (digits > 0 && !leading_zero && !float).then_some(n)
    }

    /// Any JSON value, checked and skipped.
    fn skip_value(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_SKIP_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' => self.members(|r, _| r.skip_value(depth + 1)),
            b'[' => self.elements(|r| r.skip_value(depth + 1)),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.skip_number(),
            _ => None,
        }
    }

    /// A JSON number: `-`, then `0` or digits not starting with `0`, then an optional
    /// fraction and exponent.
    fn skip_number(&mut self) -> Option<()> {
        if self.s.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.s.get(self.i)? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            self.digits1()?;
        }
        if let Some(b'e' | b'E') = self.s.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.s.get(self.i) {
                self.i += 1;
            }
            self.digits1()?;
        }
        Some(())
    }

    fn digits(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
    }

    /// At least one digit.
    fn digits1(&mut self) -> Option<()> {
        let start = self.i;
        self.digits();
        (self.i > start).then_some(())
    }

    /// The whole chunk: `WireResult`'s keys, either family.
    fn chunk(&mut self) -> Option<Chunk<'a>> {
        let mut c = Chunk::default();
        let mut seen = 0u16;
        self.members(|r, key| {
            let bit = match key {
                b"response" => 1,
                b"tool_calls" => 1 << 1,
                b"usage" => 1 << 2,
                b"choices" => 1 << 3,
                b"success" => 1 << 4,
                b"errors" => 1 << 5,
                b"error" => 1 << 6,
                b"output" => 1 << 7,
                b"object" => 1 << 8,
                b"status" => 1 << 9,
                b"incomplete_details" => 1 << 10,
                _ => return r.skip_value(0),
            };
            once(&mut seen, bit)?;
            match key {
                b"response" => c.response = r.opt(Self::string)?,
                b"tool_calls" => c.tool_calls = r.opt(Self::tool_calls)?.unwrap_or_default(),
                b"usage" => c.usage = r.opt(Self::usage)?,
                b"choices" => c.choice = r.opt(Self::choices)?.flatten(),
                // `success: false` and any error are the general decoder's to report.
                b"success" => {
                    r.opt(|r| r.literal(b"true"))?;
                }
                b"errors" => r.elements(|_| None)?,
                // The Responses form and an error: the general decoder's.
                b"error" | b"output" | b"incomplete_details" => r.literal(b"null")?,
                b"object" => {
                    let object = r.opt(Self::string)?;
                    (object.as_deref() != Some("response")).then_some(())?;
                }
                _ => {
                    let status = r.opt(Self::string)?;
                    (status.as_deref() != Some("incomplete")).then_some(())?;
                }
            }
            Some(())
        })?;
        Some(c)
    }

    /// `choices`: none, or one (only the first is read, and a chunk carries one).
    fn choices(&mut self) -> Option<Option<Choice<'a>>> {
        let mut choice = None;
        self.elements(|r| {
            choice.is_none().then_some(())?;
            choice = Some(r.choice()?);
            Some(())
        })?;
        Some(choice)
    }

    fn choice(&mut self) -> Option<Choice<'a>> {
        let mut c = Choice::default();
        let mut seen = 0u16;
        self.members(|r, key| {
            let bit = match key {
                b"delta" => 1,
                b"finish_reason" => 1 << 1,
                b"stop_reason" => 1 << 2,
                b"message" => 1 << 3,
                b"text" => 1 << 4,
                b"logprobs" => 1 << 5,
                _ => return r.skip_value(0),
            };
            once(&mut seen, bit)?;
            match key {
                b"delta" => {
                    r.opt(|r| r.delta(&mut c))?;
                }
                b"finish_reason" => c.finish_reason = r.opt(Self::string)?,
                b"stop_reason" => {
                    c.stop_reason = match r.peek()? {
                        b'"' => Some(r.string()?),
                        b'n' => r.literal(b"null").map(|_| None)?,
                        // A token id.
                        _ => r.uint().map(|_| None)?,
                    }
                }
                // A whole message, a completion's text, log-probabilities: the general
                // decoder's.
                _ => r.literal(b"null")?,
            }
            Some(())
        })?;
        Some(c)
    }

    /// `delta`'s members, into `c`.
    fn delta(&mut self, c: &mut Choice<'a>) -> Option<()> {
        let mut seen = 0u16;
        self.members(|r, key| {
            let bit = match key {
                b"content" => 1,
                b"reasoning_content" => 1 << 1,
                b"reasoning" => 1 << 2,
                b"tool_calls" => 1 << 3,
                _ => return r.skip_value(0),
            };
            once(&mut seen, bit)?;
            match key {
                // Content parts (an array) are the general decoder's.
                b"content" => c.content = r.opt(Self::string)?,
                b"reasoning_content" => c.reasoning_content = r.opt(Self::string)?,
                b"reasoning" => c.reasoning = r.opt(Self::string)?,
                _ => c.tool_calls = r.opt(Self::tool_calls)?.unwrap_or_default(),
            }
            Some(())
        })
    }

    fn tool_calls(&mut self) -> Option<Vec<WireToolCall>> {
        let mut calls = Vec::new();
        self.elements(|r| {
            calls.push(r.tool_call()?);
            Some(())
        })?;
        Some(calls)
    }

    /// One call or fragment: `{index, id, type, function: {name, arguments}}` or the flat
    /// `{name, arguments}`, with string arguments (JSON-object arguments are the general
    /// decoder's).
    fn tool_call(&mut self) -> Option<WireToolCall> {
        let mut call = WireToolCall::default();
        let mut seen = 0u16;
        self.members(|r, key| {
            let bit = match key {
                b"index" => 1,
                b"id" => 1 << 1,
                b"name" => 1 << 2,
                b"arguments" => 1 << 3,
                b"function" => 1 << 4,
                _ => return r.skip_value(0),
            };
            once(&mut seen, bit)?;
            match key {
                b"index" => call.index = r.opt(|r| r.uint().and_then(|n| u32::try_from(n).ok()))?,
                b"id" => call.id = r.opt(Self::owned_string)?,
                b"name" => call.name = r.opt(Self::owned_string)?,
                b"arguments" => call.arguments = r.opt(Self::string_value)?,
                _ => call.function = r.opt(Self::function)?,
            }
            Some(())
        })?;
        Some(call)
    }

    fn function(&mut self) -> Option<WireFunction> {
        let mut f = WireFunction::default();
        let mut seen = 0u16;
        self.members(|r, key| {
            let bit = match key {
                b"name" => 1,
                b"arguments" => 1 << 1,
                _ => return r.skip_value(0),
            };
            once(&mut seen, bit)?;
            match key {
                b"name" => f.name = r.opt(Self::owned_string)?,
                _ => f.arguments = r.opt(Self::string_value)?,
            }
            Some(())
        })?;
        Some(f)
    }

    fn owned_string(&mut self) -> Option<String> {
        self.string().map(Cow::into_owned)
    }

    fn string_value(&mut self) -> Option<Value> {
        self.owned_string().map(Value::String)
    }

    /// `usage`: the counts (`input_tokens`/`output_tokens` are the same fields), other keys
    /// (`prompt_tokens_details`...) skipped.
    fn usage(&mut self) -> Option<WireUsage> {
        let mut u = WireUsage::default();
        let mut seen = 0u16;
        self.members(|r, key| {
            let bit = match key {
                b"prompt_tokens" | b"input_tokens" => 1,
                b"completion_tokens" | b"output_tokens" => 1 << 1,
                b"total_tokens" => 1 << 2,
                _ => return r.skip_value(0),
            };
            once(&mut seen, bit)?;
            let n = r.opt(Self::uint)?;
            match bit {
                1 => u.prompt_tokens = n,
                2 => u.completion_tokens = n,
                _ => u.total_tokens = n,
            }
            Some(())
        })?;
        Some(u)
    }
}

/// Four hex digits.
fn hex4(h: &[u8]) -> Option<u32> {
    if h.len() != 4 {
        return None;
    }
    h.iter().try_fold(0u32, |n, &b| {
        let d = (b as char).to_digit(16)?;
        Some(n << 4 | d)
    })
}

/// The index of the first `"`, `\` or control character in `s` (or its length), and whether a
/// non-ASCII byte comes before it. Eight bytes at a time, as serde_json scans strings.
fn find_special(s: &[u8]) -> (usize, bool) {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES << 7;
    let mut high = 0u64;
    let mut i = 0;
    while let Some(word) = s.get(i..i + 8) {
        let Ok(word) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let v = u64::from_le_bytes(word);
        let ctrl = v.wrapping_sub(ONES * 0x20) & !v;
        let q = v ^ (ONES * u64::from(b'"'));
        let q = q.wrapping_sub(ONES) & !q;
        let b = v ^ (ONES * u64::from(b'\\'));
        let b = b.wrapping_sub(ONES) & !b;
        let found = (ctrl | q | b) & HIGH;
        if found != 0 {
            // The lowest flagged byte is a real one (false positives only sit above it).
            let at = (found.trailing_zeros() / 8) as usize;
            let before = s[i..i + at].iter().any(|&b| b >= 0x80);
            return (i + at, high & HIGH != 0 || before);
        }
        high |= v;
        i += 8;
    }
    let mut non_ascii = high & HIGH != 0;
    while let Some(&b) = s.get(i) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        non_ascii |= b >= 0x80;
        i += 1;
    }
    (i, non_ascii)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(c: &Chunk<'_>) -> Option<String> {
        let choice = c.choice.as_ref()?;
        choice.content.as_deref().map(str::to_owned)
    }

    #[test]
    fn finds_the_first_special_byte_at_any_position() {
        for len in 0..40 {
            for special in [b'"', b'\\', b'\n', 0x1f] {
                for at in 0..=len {
                    let mut s = vec![b'a'; len];
                    if at < len {
                        s[at] = special;
                    }
                    assert_eq!(find_special(&s), (at, false), "{len} {at} {special}");
                }
            }
        }
        assert_eq!(find_special("caf\u{e9}\"".as_bytes()), (5, true));
        assert_eq!(find_special(b"0123456789\"\xc3\xa9"), (10, false));
        assert_eq!(find_special(b"0123456\xc3\xa9\"x"), (9, true));
        assert_eq!(find_special(b"\x7f\x7f\x20\x21\""), (4, false));
    }

    #[test]
    fn reads_native_chunks() {
        let c = read(br#"{"response":"hi","tool_calls":[],"p":"abc"}"#).unwrap();
        assert_eq!(c.response.as_deref(), Some("hi"));
        assert!(matches!(c.response, Some(Cow::Borrowed(_))));
        let c = read(br#"{ "p" : "x", "response" : "a\"b\u00e9\ud83c\udf0a" }"#).unwrap();
        assert_eq!(c.response.as_deref(), Some("a\"b\u{e9}\u{1F30A}"));
        let c = read(br#"{"response":"","usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9,"prompt_tokens_details":{"cached_tokens":1}},"p":"x"}"#).unwrap();
        let u = c.usage.unwrap();
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.total_tokens),
            (Some(7), Some(2), Some(9))
        );
        let c = read(br#"{"response":"","tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"f","arguments":"{\"n\": 1"}}]}"#).unwrap();
        assert_eq!(c.tool_calls.len(), 1);
        let call = &c.tool_calls[0];
        assert_eq!((call.index, call.id.as_deref()), (Some(0), Some("c1")));
        let f = call.function.as_ref().unwrap();
        assert_eq!(f.name.as_deref(), Some("f"));
        assert_eq!(f.arguments, Some(Value::String("{\"n\": 1".into())));
        for empty in [&b"{}"[..], b" {}\r\n", b"{ }"] {
            let c = read(empty).unwrap();
            assert!(c.response.is_none() && c.tool_calls.is_empty());
            assert!(c.usage.is_none() && c.choice.is_none());
        }
    }

    #[test]
    fn reads_openai_chunks_with_any_extra_key() {
        let head = r#""id":"chatcmpl-1","object":"chat.completion.chunk","created":1764460000,"model":"@cf/zai-org/glm-4.7-flash""#;
        let chunks = [
            (format!(r#"{{{head},"choices":[{{"index":0,"delta":{{"content":"Hi"}},"logprobs":null,"finish_reason":null}}]}}"#), "Hi"),
            (format!(r#"{{{head},"choices":[{{"index":0,"delta":{{"role":"assistant","content":"Hi","refusal":null}},"finish_reason":null}}],"usage":{{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}},"p":"abcdef"}}"#), "Hi"),
            (format!("{{\t{head},\n\"choices\" : [ {{ \"delta\" : {{ \"content\" : \"Hi\" }} , \"index\" : 0, \"x\": [1, -2.5e+3, true, false, {{\"k\": \"\\u00e9\"}}] }} ] }}"), "Hi"),
        ];
        for (chunk, expected) in &chunks {
            let c = read(chunk.as_bytes()).unwrap_or_else(|| panic!("{chunk}"));
            assert_eq!(text(&c).as_deref(), Some(*expected), "{chunk}");
        }
        let chunk = format!(
            r#"{{{head},"choices":[{{"index":0,"delta":{{"reasoning":"think","reasoning_content":null}},"finish_reason":"stop","stop_reason":151645}}]}}"#
        );
        let c = read(chunk.as_bytes()).unwrap();
        let choice = c.choice.unwrap();
        assert_eq!(choice.reasoning.as_deref(), Some("think"));
        assert_eq!(choice.reasoning_content, None);
        assert_eq!(choice.finish_reason.as_deref(), Some("stop"));
        assert_eq!(choice.stop_reason, None);
        let chunk = format!(
            r#"{{{head},"choices":[],"usage":{{"prompt_tokens":3,"completion_tokens":1}}}}"#
        );
        let c = read(chunk.as_bytes()).unwrap();
        assert!(c.choice.is_none() && c.usage.is_some());
    }

    #[test]
    fn leaves_what_it_cannot_reproduce_to_the_general_decoder() {
        let refused: &[&[u8]] = &[
            br#"{"response":"a","response":"b"}"#,
            br#"{"response":true}"#,
            br#"{"response":{"a":1}}"#,
            br#"{"response":"\ud800"}"#,
            br#"{"response":"\udc00x"}"#,
            br#"{"response":"\ud800\u0041"}"#,
            br#"{"response":"\x"}"#,
            b"{\"response\":\"a\tb\"}",
            b"{\"response\":\"\xff\"}",
            b"{\"p\":\"\xff\"}",
            br#"{"p":"\q"}"#,
            br#"{"usage":{"prompt_tokens":-1}}"#,
            br#"{"usage":{"prompt_tokens":1.0}}"#,
            br#"{"usage":{"prompt_tokens":01}}"#,
            br#"{"usage":{"prompt_tokens":18446744073709551616}}"#,
            br#"{"usage":{"prompt_tokens":1,"input_tokens":2}}"#,
            br#"{"usage":[]}"#,
            br#"{"errors":[{"code":1}]}"#,
            br#"{"errors":null}"#,
            br#"{"success":false}"#,
            br#"{"error":"boom"}"#,
            br#"{"object":"response","output":null}"#,
            br#"{"status":"incomplete"}"#,
            br#"{"choices":[{"delta":{"content":"a"}},{"delta":{"content":"b"}}]}"#,
            br#"{"choices":[{"delta":{"content":[{"type":"text","text":"a"}]}}]}"#,
            br#"{"choices":[{"logprobs":{"content":[]}}]}"#,
            br#"{"choices":[{"message":{"content":"a"}}]}"#,
            br#"{"choices":[{"delta":{"tool_calls":[{"index":4294967296}]}}]}"#,
            br#"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":{"a":1}}}]}}]}"#,
            br#"{"tool_calls":[{"name":"f","arguments":{"a":1}}]}"#,
            br#"{"respon\u0073e":"a"}"#,
            br#"{"a":1,}"#,
            br#"{"a":01}"#,
            br#"{"a":-}"#,
            br#"{"a":1.}"#,
            br#"{"a":1e}"#,
            br#"{"a":tru}"#,
            br#"{"response":"a"} x"#,
            br#"{"response":"a""#,
            br#"["a"]"#,
            b"null",
        ];
        for chunk in refused {
            assert!(read(chunk).is_none(), "{}", String::from_utf8_lossy(chunk));
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(70), "]".repeat(70));
        assert!(read(deep.as_bytes()).is_none());
        let fine = format!("{{\"a\":{}{}}}", "[".repeat(40), "]".repeat(40));
        assert!(read(fine.as_bytes()).is_some());
    }
}

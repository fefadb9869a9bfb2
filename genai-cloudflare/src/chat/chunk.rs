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

use crate::chat::wire::{WireFunction, WireToolCall};
use crate::transport::WireUsage;

/// What a stream chunk says, in the terms the shaper applies (see `Shaper::apply_chunk`):
/// the native keys and `choices[0]` of an OpenAI-shaped chunk with its `delta` flattened in.
/// Filled in place by [`read`], so nothing large moves per chunk.
#[derive(Debug, Default)]
pub(crate) struct Chunk<'a> {
    /// The native `response` text (`null` or absent: `None`).
    pub(crate) response: Option<Cow<'a, str>>,
    /// Native tool calls or fragments of them (`tool_calls` beside `response`).
    pub(crate) tool_calls: Vec<WireToolCall>,
    /// The token counts, when the chunk has a `usage` object.
    pub(crate) usage: Option<WireUsage>,
    /// `choices[0].finish_reason`.
    pub(crate) finish_reason: Option<Cow<'a, str>>,
    /// `choices[0].stop_reason` when it is a string (the matched stop sequence); a token id
    /// reads as `None`, as it does in the general decoder's use of it.
    pub(crate) stop_reason: Option<Cow<'a, str>>,
    /// `choices[0].delta.content`.
    pub(crate) content: Option<Cow<'a, str>>,
    /// `choices[0].delta.reasoning_content`.
    pub(crate) reasoning_content: Option<Cow<'a, str>>,
    /// `choices[0].delta.reasoning`.
    pub(crate) reasoning: Option<Cow<'a, str>>,
    /// `choices[0].delta.tool_calls`.
    pub(crate) delta_tool_calls: Vec<WireToolCall>,
}

/// Reads one chunk (the data of one SSE event) into `chunk` (which starts empty); `None` when
/// the general decoder must read it instead (what `chunk` then holds means nothing).
pub(crate) fn read<'a>(data: &'a [u8], chunk: &mut Chunk<'a>) -> Option<()> {
    let mut r = Reader { s: data, i: 0 };
    r.chunk(chunk)?;
    r.ws();
    (r.i == data.len()).then_some(())
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
#[inline]
fn once(seen: &mut u16, bit: u16) -> Option<()> {
    (*seen & bit == 0).then(|| *seen |= bit)
}

impl<'a> Reader<'a> {
    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    #[inline]
    fn peek(&mut self) -> Option<u8> {
        let b = *self.s.get(self.i)?;
        if b > b' ' {
            return Some(b);
        }
        self.ws();
        self.s.get(self.i).copied()
    }

    #[inline]
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
    #[inline(always)]
    fn opt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            return Some(None);
        }
        f(self).map(Some)
    }

    /// The members of an object: `f` reads the value of each key.
    #[inline]
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
    #[inline]
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
    #[inline]
    fn key(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.i;
        let end = start + find_stop(self.s.get(start..)?);
        (*self.s.get(end)? == b'"').then_some(())?;
        self.i = end + 1;
        self.s.get(start..end)
    }

    /// The raw bytes of a string up to its closing quote (consumed), and whether it has an
    /// escape (then the bytes are still escaped) or a non-ASCII byte; `None` at a control
    /// character or an unfinished escape.
    #[inline(always)]
    fn raw_string(&mut self) -> Option<(&'a [u8], bool, bool)> {
        self.eat(b'"')?;
        let start = self.i;
        let (mut escaped, mut non_ascii) = (false, false);
        let mut at = start;
        loop {
            at += find_stop(self.s.get(at..)?);
            match *self.s.get(at)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    at += match *self.s.get(at + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => 2,
                        b'u' => {
                            hex4(self.s.get(at + 2..at + 6)?)?;
                            6
                        }
                        _ => return None,
                    };
                }
                b if b >= 0x80 => {
                    non_ascii = true;
                    at += 1;
                }
                _ => return None, // a control character
            }
        }
        self.i = at + 1;
        Some((&self.s[start..at], escaped, non_ascii))
    }

    /// A string's text: borrowed when it has no escape, unescaped otherwise.
    #[inline(always)]
    fn string(&mut self) -> Option<Cow<'a, str>> {
        let (raw, escaped, _) = self.raw_string()?;
        if !escaped {
            return std::str::from_utf8(raw).ok().map(Cow::Borrowed);
        }
        unescape(raw).map(Cow::Owned)
    }

    /// A string skipped: its escapes and its UTF-8 checked.
    #[inline(always)]
    fn skip_string(&mut self) -> Option<()> {
        let (raw, _, non_ascii) = self.raw_string()?;
        if non_ascii {
            std::str::from_utf8(raw).ok()?;
        }
        Some(())
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

    /// Any JSON value, checked and skipped (a string, the usual unknown value, inline).
    #[inline(always)]
    fn skip_value(&mut self, depth: u32) -> Option<()> {
        match self.peek()? {
            b'"' => self.skip_string(),
            _ => self.skip_other(depth),
        }
    }

    /// Any JSON value but a string, checked and skipped.
    fn skip_other(&mut self, depth: u32) -> Option<()> {
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
    fn chunk(&mut self, c: &mut Chunk<'a>) -> Option<()> {
        let mut seen = 0u16;
        self.members(|r, key| {
            match key {
                b"response" => {
                    once(&mut seen, 1)?;
                    c.response = r.opt(Self::string)?;
                }
                b"tool_calls" => {
                    once(&mut seen, 1 << 1)?;
                    r.opt(|r| r.tool_calls(&mut c.tool_calls))?;
                }
                b"usage" => {
                    once(&mut seen, 1 << 2)?;
                    c.usage = r.opt(Self::usage)?;
                }
                b"choices" => {
                    once(&mut seen, 1 << 3)?;
                    r.opt(|r| r.choices(c))?;
                }
                // `success: false` and any error are the general decoder's to report.
                b"success" => {
                    once(&mut seen, 1 << 4)?;
                    r.opt(|r| r.literal(b"true"))?;
                }
                b"errors" => {
                    once(&mut seen, 1 << 5)?;
                    r.elements(|_| None)?;
                }
                // An error, the Responses form: the general decoder's.
                b"error" | b"output" | b"incomplete_details" => {
                    let bit = match key {
                        b"error" => 1 << 8,
                        b"output" => 1 << 9,
                        _ => 1 << 10,
                    };
                    once(&mut seen, bit)?;
                    r.literal(b"null")?;
                }
                b"object" => {
                    once(&mut seen, 1 << 6)?;
                    let object = r.opt(Self::string)?;
                    (object.as_deref() != Some("response")).then_some(())?;
                }
                b"status" => {
                    once(&mut seen, 1 << 7)?;
                    let status = r.opt(Self::string)?;
                    (status.as_deref() != Some("incomplete")).then_some(())?;
                }
                _ => r.skip_value(0)?,
            }
            Some(())
        })
    }

    /// `choices`: none, or one (only the first is read, and a chunk carries one).
    fn choices(&mut self, c: &mut Chunk<'a>) -> Option<()> {
        let mut n = 0;
        self.elements(|r| {
            n += 1;
            (n == 1).then_some(())?;
            r.choice(c)
        })
    }

    fn choice(&mut self, c: &mut Chunk<'a>) -> Option<()> {
        let mut seen = 0u16;
        self.members(|r, key| {
            match key {
                b"delta" => {
                    once(&mut seen, 1)?;
                    r.opt(|r| r.delta(c))?;
                }
                b"finish_reason" => {
                    once(&mut seen, 1 << 1)?;
                    c.finish_reason = r.opt(Self::string)?;
                }
                b"stop_reason" => {
                    once(&mut seen, 1 << 2)?;
                    c.stop_reason = match r.peek()? {
                        b'"' => Some(r.string()?),
                        b'n' => r.literal(b"null").map(|_| None)?,
                        // A token id.
                        _ => r.uint().map(|_| None)?,
                    }
                }
                // A whole message, a completion's text, log-probabilities: the general
                // decoder's.
                b"message" | b"text" | b"logprobs" => {
                    let bit = match key {
                        b"message" => 1 << 3,
                        b"text" => 1 << 4,
                        _ => 1 << 5,
                    };
                    once(&mut seen, bit)?;
                    r.literal(b"null")?;
                }
                _ => r.skip_value(0)?,
            }
            Some(())
        })
    }

    /// `delta`'s members, into `c`.
    fn delta(&mut self, c: &mut Chunk<'a>) -> Option<()> {
        let mut seen = 0u16;
        self.members(|r, key| {
            match key {
                // Content parts (an array) are the general decoder's.
                b"content" => {
                    once(&mut seen, 1)?;
                    c.content = r.opt(Self::string)?;
                }
                b"reasoning_content" => {
                    once(&mut seen, 1 << 1)?;
                    c.reasoning_content = r.opt(Self::string)?;
                }
                b"reasoning" => {
                    once(&mut seen, 1 << 2)?;
                    c.reasoning = r.opt(Self::string)?;
                }
                b"tool_calls" => {
                    once(&mut seen, 1 << 3)?;
                    r.opt(|r| r.tool_calls(&mut c.delta_tool_calls))?;
                }
                _ => r.skip_value(0)?,
            }
            Some(())
        })
    }

    fn tool_calls(&mut self, calls: &mut Vec<WireToolCall>) -> Option<()> {
        self.elements(|r| {
            calls.push(r.tool_call()?);
            Some(())
        })
    }

    /// One call or fragment: `{index, id, type, function: {name, arguments}}` or the flat
    /// `{name, arguments}`, with string arguments (JSON-object arguments are the general
    /// decoder's).
    fn tool_call(&mut self) -> Option<WireToolCall> {
        let mut call = WireToolCall::default();
        let mut seen = 0u16;
        self.members(|r, key| {
            match key {
                b"index" => {
                    once(&mut seen, 1)?;
                    call.index = r.opt(|r| r.uint().and_then(|n| u32::try_from(n).ok()))?;
                }
                b"id" => {
                    once(&mut seen, 1 << 1)?;
                    call.id = r.opt(Self::owned_string)?;
                }
                b"name" => {
                    once(&mut seen, 1 << 2)?;
                    call.name = r.opt(Self::owned_string)?;
                }
                b"arguments" => {
                    once(&mut seen, 1 << 3)?;
                    call.arguments = r.opt(Self::string_value)?;
                }
                b"function" => {
                    once(&mut seen, 1 << 4)?;
                    call.function = r.opt(Self::function)?;
                }
                _ => r.skip_value(0)?,
            }
            Some(())
        })?;
        Some(call)
    }

    fn function(&mut self) -> Option<WireFunction> {
        let mut f = WireFunction::default();
        let mut seen = 0u16;
        self.members(|r, key| {
            match key {
                b"name" => {
                    once(&mut seen, 1)?;
                    f.name = r.opt(Self::owned_string)?;
                }
                b"arguments" => {
                    once(&mut seen, 1 << 1)?;
                    f.arguments = r.opt(Self::string_value)?;
                }
                _ => r.skip_value(0)?,
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
            let (bit, field) = match key {
                b"prompt_tokens" | b"input_tokens" => (1, &mut u.prompt_tokens),
                b"completion_tokens" | b"output_tokens" => (1 << 1, &mut u.completion_tokens),
                b"total_tokens" => (1 << 2, &mut u.total_tokens),
                _ => return r.skip_value(0),
            };
            once(&mut seen, bit)?;
            *field = r.opt(Self::uint)?;
            Some(())
        })?;
        Some(u)
    }
}

/// The text of an escaped string's raw bytes (already checked by `raw_string`); `None` at a
/// lone surrogate (which the general decoder refuses) or bytes that are not UTF-8.
fn unescape(raw: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let plain = memchr::memchr(b'\\', &raw[i..]).unwrap_or(raw.len() - i);
        out.push_str(std::str::from_utf8(&raw[i..i + plain]).ok()?);
        i += plain;
        if i == raw.len() {
            break;
        }
        let c = match *raw.get(i + 1)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = hex4(raw.get(i + 2..i + 6)?)?;
                let (c, used) = match unit {
                    0xD800..=0xDBFF => {
                        // A surrogate pair, or the general decoder's error.
                        let low = raw.get(i + 6..i + 12)?;
                        let low = low.strip_prefix(b"\\u").and_then(hex4)?;
                        (0xDC00..=0xDFFF).contains(&low).then_some(())?;
                        let c = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                        (char::from_u32(c)?, 12)
                    }
                    0xDC00..=0xDFFF => return None,
                    _ => (char::from_u32(unit)?, 6),
                };
                out.push(c);
                i += used;
                continue;
            }
            _ => return None,
        };
        out.push(c);
        i += 2;
    }
    Some(out)
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

/// The bytes a string scan stops at: `"`, `\`, control characters and non-ASCII bytes.
const STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = b < 0x20 || b >= 0x80 || b == b'"' as usize || b == b'\\' as usize;
        b += 1;
    }
    t
};

/// The index of the first `"`, `\`, control character or non-ASCII byte in `s` (or its
/// length). Eight bytes at a time, as serde_json scans strings.
#[inline]
fn find_stop(s: &[u8]) -> usize {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES << 7;
    let mut i = 0;
    while let Some(word) = s.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let v = u64::from_le_bytes(w);
        let ctrl = v.wrapping_sub(ONES * 0x20);
        let q = v ^ (ONES * u64::from(b'"'));
        let q = q.wrapping_sub(ONES) & !q;
        let b = v ^ (ONES * u64::from(b'\\'));
        let b = b.wrapping_sub(ONES) & !b;
        // A byte's high bit: set by itself (non-ASCII), or by a borrow below 0x20, a quote or
        // a backslash. False positives only sit above the first real one.
        let found = (ctrl | q | b | v) & HIGH;
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while s.get(i).is_some_and(|&b| !STOP[usize::from(b)]) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chunk `data` reads as, or `None`.
    fn chunk(data: &[u8]) -> Option<Chunk<'_>> {
        let mut c = Chunk::default();
        read(data, &mut c).map(|_| c)
    }

    #[test]
    fn finds_the_first_stop_byte_at_any_position() {
        for len in 0..40 {
            for stop in [b'"', b'\\', b'\n', 0x1f, 0x80, 0xff] {
                for at in 0..=len {
                    let mut s = vec![b'a'; len];
                    if at < len {
                        s[at] = stop;
                    }
                    assert_eq!(find_stop(&s), at, "{len} {at} {stop}");
                }
            }
        }
        assert_eq!(find_stop(b"\x7f\x7f\x20\x21\""), 4);
        assert_eq!(find_stop(b"\x1f\x20\x20\x20\x20\x20\x20\x20\x20"), 0);
    }

    #[test]
    fn reads_native_chunks() {
        let c = chunk(br#"{"response":"hi","tool_calls":[],"p":"abc"}"#).unwrap();
        assert_eq!(c.response.as_deref(), Some("hi"));
        assert!(matches!(c.response, Some(Cow::Borrowed(_))));
        let c = chunk(br#"{ "p" : "x", "response" : "a\"b\u00e9\ud83c\udf0a" }"#).unwrap();
        assert_eq!(c.response.as_deref(), Some("a\"b\u{e9}\u{1F30A}"));
        let c =
            chunk("{\"response\":\"caf\u{e9} \u{1F30A}\",\"p\":\"\u{e9}\"}".as_bytes()).unwrap();
        assert_eq!(c.response.as_deref(), Some("caf\u{e9} \u{1F30A}"));
        let c = chunk(br#"{"response":"","usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9,"prompt_tokens_details":{"cached_tokens":1}},"p":"x"}"#).unwrap();
        let u = c.usage.unwrap();
        assert_eq!(
            (u.prompt_tokens, u.completion_tokens, u.total_tokens),
            (Some(7), Some(2), Some(9))
        );
        let c = chunk(br#"{"response":"","tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"f","arguments":"{\"n\": 1"}}]}"#).unwrap();
        assert_eq!(c.tool_calls.len(), 1);
        let call = &c.tool_calls[0];
        assert_eq!((call.index, call.id.as_deref()), (Some(0), Some("c1")));
        let f = call.function.as_ref().unwrap();
        assert_eq!(f.name.as_deref(), Some("f"));
        assert_eq!(f.arguments, Some(Value::String("{\"n\": 1".into())));
        for empty in [&b"{}"[..], b" {}\r\n", b"{ }"] {
            let c = chunk(empty).unwrap();
            assert!(c.response.is_none() && c.tool_calls.is_empty());
            assert!(c.usage.is_none() && c.content.is_none());
        }
    }

    #[test]
    fn reads_openai_chunks_with_any_extra_key() {
        let head = r#""id":"chatcmpl-1","object":"chat.completion.chunk","created":1764460000,"model":"@cf/zai-org/glm-4.7-flash""#;
        let chunks = [
            format!(r#"{{{head},"choices":[{{"index":0,"delta":{{"content":"Hi"}},"logprobs":null,"finish_reason":null}}]}}"#),
            format!(r#"{{{head},"choices":[{{"index":0,"delta":{{"role":"assistant","content":"Hi","refusal":null}},"finish_reason":null}}],"usage":{{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}},"p":"abcdef"}}"#),
            format!("{{\t{head},\n\"choices\" : [ {{ \"delta\" : {{ \"content\" : \"Hi\" }} , \"index\" : 0, \"x\": [1, -2.5e+3, true, false, {{\"k\": \"\\u00e9\"}}] }} ] }}"),
        ];
        for text in &chunks {
            let c = chunk(text.as_bytes()).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(c.content.as_deref(), Some("Hi"), "{text}");
        }
        let text = format!(
            r#"{{{head},"choices":[{{"index":0,"delta":{{"reasoning":"think","reasoning_content":null}},"finish_reason":"stop","stop_reason":151645}}]}}"#
        );
        let c = chunk(text.as_bytes()).unwrap();
        assert_eq!(c.reasoning.as_deref(), Some("think"));
        assert_eq!(c.reasoning_content, None);
        assert_eq!(c.finish_reason.as_deref(), Some("stop"));
        assert_eq!(c.stop_reason, None);
        let text = format!(
            r#"{{{head},"choices":[],"usage":{{"prompt_tokens":3,"completion_tokens":1}}}}"#
        );
        let c = chunk(text.as_bytes()).unwrap();
        assert!(c.finish_reason.is_none() && c.usage.is_some());
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
            "{\"r\u{e9}sponse\":\"a\"}".as_bytes(),
            br#"{"error":null,"error":null}"#,
            br#"{"choices":[{"logprobs":null,"logprobs":null}]}"#,
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
        for text in refused {
            assert!(chunk(text).is_none(), "{}", String::from_utf8_lossy(text));
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(70), "]".repeat(70));
        assert!(chunk(deep.as_bytes()).is_none());
        let fine = format!("{{\"a\":{}{}}}", "[".repeat(40), "]".repeat(40));
        assert!(chunk(fine.as_bytes()).is_some());
    }
}

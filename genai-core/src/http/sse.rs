//! Server-sent events framing, incremental and allocation-light.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::{Error, Result};

/// One server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, when present.
    pub event: Option<String>,
    /// The `data:` lines joined by `\n`. A single data line is a zero-copy slice of the input.
    pub data: Bytes,
}

impl SseEvent {
    /// The data as text (events are UTF-8 once complete, even if the network split a character).
    pub fn text(&self) -> Result<&str> {
        std::str::from_utf8(&self.data)
            .map_err(|_| Error::protocol("an SSE event is not valid UTF-8"))
    }
}

/// Splits a byte stream into server-sent events.
///
/// Reads may be split anywhere (inside a line, a `\r\n`, or a UTF-8 character). Lines end with
/// `\n`, `\r\n` or `\r`; comments and `id:`/`retry:` fields are skipped; an event is dispatched
/// at a blank line. A line longer than the configured limit is a protocol error, so a hostile
/// peer cannot make the buffer grow without bound.
///
/// [`next_data`](Self::next_data) lends each event's data straight from the input buffer (no
/// copy, no allocation, no reference count); [`next_event`](Self::next_event) returns an owned
/// [`SseEvent`] instead.
///
/// ```
/// use genai_core::http::SseDecoder;
/// let mut d = SseDecoder::new(1 << 20);
/// d.feed(b"data: {\"a\"");
/// assert!(d.next_data().unwrap().is_none());
/// d.feed(b":1}\n\ndata: [DONE]\n\n");
/// assert_eq!(d.next_data().unwrap(), Some(&b"{\"a\":1}"[..]));
/// assert_eq!(&d.next_event().unwrap().unwrap().data[..], b"[DONE]");
/// d.end();
/// assert!(d.next_data().unwrap().is_none());
/// ```
#[derive(Debug)]
pub struct SseDecoder {
    /// Unconsumed input. Bytes before `line_start` were processed; they are dropped only when
    /// no complete line is left, so the data lent out by `next_data` stays valid until then.
    buf: BytesMut,
    /// Where the line being read starts in `buf`.
    line_start: usize,
    /// Bytes from `line_start` already searched for a line end.
    scanned: usize,
    max_line: usize,
    /// The open event's only data line so far, as a range of `buf`.
    data: Option<(usize, usize)>,
    /// The open event's data when it has several lines (or outlived its line in `buf`).
    joined: Option<Vec<u8>>,
    event: Option<String>,
    /// The data of the last multi-line event handed out (lent by `next_data`).
    out: Vec<u8>,
    /// The `event:` field of the last event handed out.
    last_event: Option<String>,
    /// The previous line ended with `\r`: a `\n` at the start of the next line belongs to it.
    skip_lf: bool,
    /// No more input will come.
    ended: bool,
}

/// Where the data of an event just dispatched is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ready {
    Buf(usize, usize),
    Out,
}

impl SseDecoder {
    /// A decoder that refuses lines longer than `max_line` bytes.
    pub fn new(max_line: usize) -> Self {
        SseDecoder {
            buf: BytesMut::new(),
            line_start: 0,
            scanned: 0,
            max_line,
            data: None,
            joined: None,
            event: None,
            out: Vec::new(),
            last_event: None,
            skip_lf: false,
            ended: false,
        }
    }

    /// Adds bytes read from the network.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    /// Ends the input. The events still buffered come out of the next calls, then a last event
    /// whose lines were complete but lacked the closing blank line; a partial line is then a
    /// protocol error (the stream was cut mid-event).
    pub fn end(&mut self) {
        self.ended = true;
    }

    /// Whether [`end`](Self::end) was called: once `next_data` returns `None`, nothing is left.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// The data of the next complete event (`data:` lines joined by `\n`), borrowed from the
    /// decoder until its next call; `None` until more bytes arrive (or, after
    /// [`end`](Self::end), when every event was handed out).
    pub fn next_data(&mut self) -> Result<Option<&[u8]>> {
        Ok(self.step()?.map(|r| self.ready(r)))
    }

    /// The next complete event, owned, or `None` until more bytes arrive.
    pub fn next_event(&mut self) -> Result<Option<SseEvent>> {
        let Some(r) = self.step()? else {
            return Ok(None);
        };
        Ok(Some(SseEvent {
            event: self.last_event.take(),
            data: Bytes::copy_from_slice(self.ready(r)),
        }))
    }

    /// Ends the input and returns what is left: a last event whose lines were complete but
    /// lacked the closing blank line; a partial line is a protocol error.
    pub fn finish(&mut self) -> Result<Option<SseEvent>> {
        self.end();
        self.next_event()
    }

    pub(crate) fn ready(&self, r: Ready) -> &[u8] {
        match r {
            Ready::Buf(s, e) => &self.buf[s..e],
            Ready::Out => &self.out,
        }
    }

    /// Reads lines up to the next dispatched event.
    pub(crate) fn step(&mut self) -> Result<Option<Ready>> {
        loop {
            if self.skip_lf && self.line_start < self.buf.len() {
                if self.buf[self.line_start] == b'\n' {
                    self.line_start += 1;
                }
                self.skip_lf = false;
            }
            let from = self.line_start + self.scanned;
            let Some(rel) = memchr::memchr2(b'\n', b'\r', &self.buf[from..]) else {
                self.scanned = self.buf.len() - self.line_start;
                if self.scanned > self.max_line {
                    return Err(self.too_long());
                }
                self.compact();
                if !self.ended {
                    return Ok(None);
                }
                if self.scanned > 0 {
                    return Err(Error::protocol(format!(
                        "the stream ended in the middle of an event ({} bytes of an unfinished line)",
                        self.scanned
                    )));
                }
                return Ok(self.dispatch());
            };
            let end = from + rel;
            if end - self.line_start > self.max_line {
                // The same verdict as for a line still arriving: how the network split the
                // bytes must not decide whether a line is refused.
                return Err(self.too_long());
            }
            let start = self.line_start;
            self.line_start = end + 1;
            self.scanned = 0;
            if self.buf[end] == b'\r' {
                self.skip_lf = true;
            }
            if start == end {
                if let Some(r) = self.dispatch() {
                    return Ok(Some(r));
                }
            } else {
                self.take_line(start, end);
            }
        }
    }

    fn too_long(&self) -> Error {
        Error::protocol(format!(
            "an SSE line is longer than the {} byte limit",
            self.max_line
        ))
    }

    /// Drops processed bytes no open event needs, so the buffer holds at most the unfinished
    /// line (plus, while an event is open, its data line and at most `max_line` bytes after it).
    fn compact(&mut self) {
        let mut cut = self.line_start;
        if let Some((s, e)) = self.data {
            if self.line_start - s <= self.max_line {
                cut = s;
                self.data = Some((0, e - s));
            } else {
                // Many lines after the data line: keep a copy of the data rather than the lines.
                self.joined = Some(self.buf[s..e].to_vec());
                self.data = None;
            }
        }
        self.buf.advance(cut);
        self.line_start -= cut;
    }

    /// Processes the non-blank line `buf[start..end]`.
    fn take_line(&mut self, start: usize, end: usize) {
        let line = &self.buf[start..end];
        if line[0] == b':' {
            return;
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(i) => {
                let v = if line.get(i + 1) == Some(&b' ') {
                    i + 2
                } else {
                    i + 1
                };
                (&line[..i], (start + v, end))
            }
            None => (line, (end, end)),
        };
        match field {
            b"data" => match (self.data, &mut self.joined) {
                (None, None) => self.data = Some(value),
                (Some((s, e)), None) => {
                    let value = &self.buf[value.0..value.1];
                    let mut v = Vec::with_capacity(e - s + 1 + value.len());
                    v.extend_from_slice(&self.buf[s..e]);
                    v.push(b'\n');
                    v.extend_from_slice(value);
                    self.data = None;
                    self.joined = Some(v);
                }
                (_, Some(v)) => {
                    v.push(b'\n');
                    v.extend_from_slice(&self.buf[value.0..value.1]);
                }
            },
            b"event" => {
                let value = &self.buf[value.0..value.1];
                self.event = Some(String::from_utf8_lossy(value).into_owned());
            }
            _ => {}
        }
    }

    fn dispatch(&mut self) -> Option<Ready> {
        let ready = match (self.data.take(), self.joined.take()) {
            (Some((s, e)), _) => Ready::Buf(s, e),
            (None, Some(v)) => {
                self.out = v;
                Ready::Out
            }
            (None, None) => {
                self.event = None;
                return None;
            }
        };
        self.last_event = self.event.take();
        Some(ready)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(input: &[u8], piece: usize) -> Result<Vec<(Option<String>, Vec<u8>)>> {
        decode_with_limit(input, piece, 1 << 16)
    }

    fn decode_with_limit(
        input: &[u8],
        piece: usize,
        max_line: usize,
    ) -> Result<Vec<(Option<String>, Vec<u8>)>> {
        let mut d = SseDecoder::new(max_line);
        let mut out = Vec::new();
        for chunk in input.chunks(piece.max(1)) {
            d.feed(chunk);
            while let Some(e) = d.next_event()? {
                out.push((e.event, e.data.to_vec()));
            }
        }
        if let Some(e) = d.finish()? {
            out.push((e.event, e.data.to_vec()));
        }
        Ok(out)
    }

    #[test]
    fn splits_anywhere_give_the_same_events() {
        let input = "data: {\"response\":\"h\u{e9}llo \u{1F600}\"}\n\n: comment\r\n\r\nevent: x\rdata: a\rdata: b\r\rid: 7\ndata:no-space\n\ndata: [DONE]\n\n";
        let expected = vec![
            (
                None,
                "{\"response\":\"h\u{e9}llo \u{1F600}\"}"
                    .as_bytes()
                    .to_vec(),
            ),
            (Some("x".into()), b"a\nb".to_vec()),
            (None, b"no-space".to_vec()),
            (None, b"[DONE]".to_vec()),
        ];
        for piece in 1..input.len() {
            assert_eq!(
                decode_in_pieces(input.as_bytes(), piece).unwrap(),
                expected,
                "piece {piece}"
            );
        }
    }

    #[test]
    fn borrowed_data_matches_owned_events_however_split() {
        let input =
            b"data: one\n\n: c\ndata: a\ndata: b\n\nevent: e\r\ndata: two\r\n\r\ndata: last\n";
        for piece in 1..input.len() {
            let mut d = SseDecoder::new(64);
            let mut got = Vec::new();
            for chunk in input.chunks(piece) {
                d.feed(chunk);
                while let Some(data) = d.next_data().unwrap() {
                    got.push(data.to_vec());
                }
            }
            d.end();
            while let Some(data) = d.next_data().unwrap() {
                got.push(data.to_vec());
            }
            let owned: Vec<Vec<u8>> = decode_in_pieces(input, piece)
                .unwrap()
                .into_iter()
                .map(|(_, data)| data)
                .collect();
            assert_eq!(got, owned, "piece {piece}");
            assert_eq!(owned.len(), 4);
        }
    }

    #[test]
    fn cut_mid_line_is_a_protocol_error() {
        let err = decode_in_pieces(b"data: {\"response\":\"a\"}\n\ndata: {\"resp", 7).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Protocol);
    }

    #[test]
    fn complete_lines_without_blank_line_are_kept_at_the_end() {
        assert_eq!(
            decode_in_pieces(b"data: [DONE]\n", 3).unwrap(),
            vec![(None, b"[DONE]".to_vec())]
        );
    }

    #[test]
    fn overlong_lines_are_refused() {
        let mut d = SseDecoder::new(8);
        d.feed(b"data: 0123456789");
        assert!(d.next_event().is_err());
    }

    #[test]
    fn overlong_lines_are_refused_however_they_arrive() {
        // Whole, with its line end in the same read: refused like a line still arriving.
        let mut d = SseDecoder::new(8);
        d.feed(b"data: 0123456789\n\n");
        assert!(d.next_event().is_err());
        for piece in 1..18 {
            assert!(
                decode_with_limit(b"data: 0123456789\n\ndata: ok\n\n", piece, 8).is_err(),
                "piece {piece}"
            );
        }
        // At the limit exactly: accepted.
        assert_eq!(
            decode_with_limit(b"data: 12\n\n", 3, 8).unwrap(),
            vec![(None, b"12".to_vec())]
        );
    }

    #[test]
    fn lines_after_a_data_line_do_not_pile_up() {
        let mut d = SseDecoder::new(64);
        d.feed(b"data: kept\n");
        for _ in 0..1000 {
            d.feed(b": a comment line that the decoder must not keep around\n");
            assert!(d.next_event().unwrap().is_none());
            assert!(d.buf.len() < 256, "buffer grew to {}", d.buf.len());
        }
        d.feed(b"\n");
        assert_eq!(&d.next_event().unwrap().unwrap().data[..], b"kept");
    }

    #[test]
    fn crlf_split_between_reads_is_one_line_end() {
        let mut d = SseDecoder::new(64);
        d.feed(b"data: a\r");
        assert!(d.next_event().unwrap().is_none());
        d.feed(b"\n\r\n");
        assert_eq!(&d.next_event().unwrap().unwrap().data[..], b"a");
        assert!(d.finish().unwrap().is_none());
    }
}

//! Server-sent events framing, incremental and allocation-light.

use bytes::{Bytes, BytesMut};

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

/// Splits a byte stream into [`SseEvent`]s.
///
/// Reads may be split anywhere (inside a line, a `\r\n`, or a UTF-8 character). Lines end with
/// `\n`, `\r\n` or `\r`; comments and `id:`/`retry:` fields are skipped; an event is dispatched
/// at a blank line. A line longer than the configured limit is a protocol error, so a hostile
/// peer cannot make the buffer grow without bound.
///
/// ```
/// use genai_core::http::SseDecoder;
/// let mut d = SseDecoder::new(1 << 20);
/// d.feed(b"data: {\"a\"");
/// assert!(d.next_event().unwrap().is_none());
/// d.feed(b":1}\n\ndata: [DONE]\n\n");
/// assert_eq!(&d.next_event().unwrap().unwrap().data[..], b"{\"a\":1}");
/// assert_eq!(&d.next_event().unwrap().unwrap().data[..], b"[DONE]");
/// assert!(d.finish().unwrap().is_none());
/// ```
#[derive(Debug)]
pub struct SseDecoder {
    /// Unconsumed input. Bytes before `line_start` were processed but may still back `data`.
    buf: BytesMut,
    /// Where the line being read starts in `buf`.
    line_start: usize,
    /// Bytes from `line_start` already searched for a line end.
    scanned: usize,
    max_line: usize,
    /// The event's only data line so far, as a range of `buf` (sliced out without a copy when
    /// the event is dispatched).
    data: Option<(usize, usize)>,
    joined: Option<Vec<u8>>,
    event: Option<String>,
    /// The previous line ended with `\r`: a `\n` at the start of the next line belongs to it.
    skip_lf: bool,
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
            skip_lf: false,
        }
    }

    /// Adds bytes read from the network.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    /// The next complete event, or `None` until more bytes arrive.
    pub fn next_event(&mut self) -> Result<Option<SseEvent>> {
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
                return Ok(None);
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
            if let Some(event) = self.take_line(start, end) {
                return Ok(Some(event));
            }
        }
    }

    fn too_long(&self) -> Error {
        Error::protocol(format!(
            "an SSE line is longer than the {} byte limit",
            self.max_line
        ))
    }

    /// Drops processed bytes no pending data line needs, so the buffer holds at most the
    /// unfinished line (plus, while an event is open, its data line and the lines after it).
    fn compact(&mut self) {
        if let Some((s, e)) = self.data {
            if self.line_start <= self.max_line {
                return;
            }
            // Many lines after the data line: keep a copy of the data rather than the lines.
            self.joined = Some(self.buf[s..e].to_vec());
            self.data = None;
        }
        let _ = self.buf.split_to(self.line_start);
        self.line_start = 0;
    }

    /// Processes the line `buf[start..end]`; returns an event when the line is blank and one
    /// is pending.
    fn take_line(&mut self, start: usize, end: usize) -> Option<SseEvent> {
        if start == end {
            return self.dispatch();
        }
        let line = &self.buf[start..end];
        if line[0] == b':' {
            return None;
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
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let data = match (self.data.take(), self.joined.take()) {
            (Some((s, e)), _) => {
                // One split per event: the event's bytes leave the buffer, the data is a
                // zero-copy slice of them.
                let consumed = self.buf.split_to(self.line_start).freeze();
                self.line_start = 0;
                consumed.slice(s..e)
            }
            (None, Some(v)) => Bytes::from(v),
            (None, None) => {
                self.event = None;
                return None;
            }
        };
        Some(SseEvent {
            event: self.event.take(),
            data,
        })
    }

    /// Ends the input. A last event whose lines were complete but lacked the closing blank
    /// line is returned; a partial line is a protocol error (the stream was cut mid-event).
    pub fn finish(&mut self) -> Result<Option<SseEvent>> {
        if let Some(event) = self.next_event()? {
            return Ok(Some(event));
        }
        let unfinished = self.buf.len() - self.line_start;
        if unfinished > 0 {
            return Err(Error::protocol(format!(
                "the stream ended in the middle of an event ({unfinished} bytes of an unfinished line)"
            )));
        }
        Ok(self.dispatch())
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

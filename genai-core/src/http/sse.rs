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
    buf: BytesMut,
    /// Bytes of `buf` already searched for a line end.
    scanned: usize,
    max_line: usize,
    data: Option<Bytes>,
    joined: Option<Vec<u8>>,
    event: Option<String>,
    /// The previous line ended with `\r`: a `\n` at the start of the buffer belongs to it.
    skip_lf: bool,
}

impl SseDecoder {
    /// A decoder that refuses lines longer than `max_line` bytes.
    pub fn new(max_line: usize) -> Self {
        SseDecoder {
            buf: BytesMut::new(),
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
            if self.skip_lf && !self.buf.is_empty() {
                if self.buf[0] == b'\n' {
                    let _ = self.buf.split_to(1);
                }
                self.skip_lf = false;
            }
            let Some(rel) = memchr::memchr2(b'\n', b'\r', &self.buf[self.scanned..]) else {
                self.scanned = self.buf.len();
                if self.buf.len() > self.max_line {
                    return Err(self.too_long());
                }
                return Ok(None);
            };
            let end = self.scanned + rel;
            if end > self.max_line {
                // The same verdict as for a line still arriving: how the network split the
                // bytes must not decide whether a line is refused.
                return Err(self.too_long());
            }
            self.scanned = 0;
            let term = self.buf[end];
            let line = self.buf.split_to(end + 1).freeze().slice(..end);
            if term == b'\r' {
                self.skip_lf = true;
            }
            if let Some(event) = self.take_line(line) {
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

    /// Processes one line; returns an event when the line is blank and one is pending.
    fn take_line(&mut self, line: Bytes) -> Option<SseEvent> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line[0] == b':' {
            return None;
        }
        let (field, value) = match memchr::memchr(b':', &line) {
            Some(i) => {
                let v = if line.get(i + 1) == Some(&b' ') {
                    i + 2
                } else {
                    i + 1
                };
                (line.slice(..i), line.slice(v..))
            }
            None => (line.clone(), Bytes::new()),
        };
        match &field[..] {
            b"data" => match (&mut self.data, &mut self.joined) {
                (None, None) => self.data = Some(value),
                (Some(first), None) => {
                    let mut v = Vec::with_capacity(first.len() + 1 + value.len());
                    v.extend_from_slice(first);
                    v.push(b'\n');
                    v.extend_from_slice(&value);
                    self.data = None;
                    self.joined = Some(v);
                }
                (_, Some(v)) => {
                    v.push(b'\n');
                    v.extend_from_slice(&value);
                }
            },
            b"event" => self.event = Some(String::from_utf8_lossy(&value).into_owned()),
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let data = match (self.data.take(), self.joined.take()) {
            (Some(d), _) => d,
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
        if !self.buf.is_empty() {
            return Err(Error::protocol(format!(
                "the stream ended in the middle of an event ({} bytes of an unfinished line)",
                self.buf.len()
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
    fn crlf_split_between_reads_is_one_line_end() {
        let mut d = SseDecoder::new(64);
        d.feed(b"data: a\r");
        assert!(d.next_event().unwrap().is_none());
        d.feed(b"\n\r\n");
        assert_eq!(&d.next_event().unwrap().unwrap().data[..], b"a");
        assert!(d.finish().unwrap().is_none());
    }
}

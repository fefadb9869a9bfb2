//! The one WAV (RIFF/WAVE) reader: the chunks of a file, its `fmt ` header and its `data`.
//!
//! Backends read a WAV's header to estimate the seconds a call is billed for and to unpack
//! samples; test harnesses read it to check the audio a model returned. No sample is decoded
//! here: [`Wav`] gives the header fields and the bytes of the `data` chunk.

use std::fmt;

/// The format tag of integer PCM samples.
pub const WAV_FORMAT_PCM: u16 = 1;
/// The format tag of IEEE float samples.
pub const WAV_FORMAT_FLOAT: u16 = 3;

/// Why bytes are not a readable WAV file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WavError {
    /// The bytes do not start with a RIFF/WAVE header.
    NotWav,
    /// A `data` chunk comes before any `fmt ` chunk (or the file has no `fmt ` chunk).
    NoFormat,
    /// The file has no `data` chunk.
    NoData,
}

impl fmt::Display for WavError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WavError::NotWav => "the audio is not a WAV file",
            WavError::NoFormat => "no `fmt ` chunk before `data`",
            WavError::NoData => "no `data` chunk",
        })
    }
}

impl std::error::Error for WavError {}

/// One chunk of a RIFF/WAVE file, as [`wav_chunks`] walks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavChunk<'a> {
    /// The four-byte chunk id (`fmt `, `data`, `LIST`...).
    pub id: [u8; 4],
    /// Where the chunk's 8-byte header starts in the file.
    pub offset: usize,
    /// The length its header declares.
    pub declared_len: usize,
    /// Its bytes, cut at the end of the file.
    pub data: &'a [u8],
}

impl<'a> WavChunk<'a> {
    /// Whether the chunk runs past the end of the file (its data is shorter than declared).
    pub fn is_truncated(&self) -> bool {
        self.data.len() < self.declared_len
    }

    /// The chunks inside a `LIST` chunk, after its four-byte list type (`INFO`...); their
    /// offsets count from the start of this chunk's data.
    pub fn sub_chunks(&self) -> WavChunks<'a> {
        WavChunks {
            bytes: self.data,
            at: self.data.len().min(4),
        }
    }
}

/// The iterator of [`wav_chunks`].
#[derive(Debug, Clone)]
pub struct WavChunks<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Iterator for WavChunks<'a> {
    type Item = WavChunk<'a>;

    fn next(&mut self) -> Option<WavChunk<'a>> {
        let at = self.at;
        let header = self.bytes.get(at..at.checked_add(8)?)?;
        let id = [header[0], header[1], header[2], header[3]];
        let declared_len =
            u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let start = at + 8;
        let end = self.bytes.len().min(start.saturating_add(declared_len));
        let data = &self.bytes[start..end];
        // Chunks are padded to an even length.
        self.at = start
            .saturating_add(declared_len)
            .saturating_add(declared_len & 1);
        Some(WavChunk {
            id,
            offset: at,
            declared_len,
            data,
        })
    }
}

/// The chunks of a RIFF/WAVE file after its 12-byte header, in file order (`None` when `bytes`
/// is not RIFF/WAVE). A chunk that runs past the end is the last one, cut at the end.
pub fn wav_chunks(bytes: &[u8]) -> Option<WavChunks<'_>> {
    is_wav(bytes).then_some(WavChunks { bytes, at: 12 })
}

fn is_wav(bytes: &[u8]) -> bool {
    bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WAVE"
}

/// A WAV file's `fmt ` header and its `data` samples (not decoded).
///
/// ```
/// use genai_core::Wav;
///
/// // 16-bit mono at 16 kHz: a canonical 44-byte header, then 4 samples.
/// let mut file = b"RIFF".to_vec();
/// file.extend_from_slice(&44u32.to_le_bytes());
/// file.extend_from_slice(b"WAVEfmt ");
/// file.extend_from_slice(&16u32.to_le_bytes());
/// for v in [1u16, 1] {
///     file.extend_from_slice(&v.to_le_bytes()); // PCM, one channel
/// }
/// file.extend_from_slice(&16_000u32.to_le_bytes()); // sample rate
/// file.extend_from_slice(&32_000u32.to_le_bytes()); // byte rate
/// file.extend_from_slice(&2u16.to_le_bytes()); // block align
/// file.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
/// file.extend_from_slice(b"data");
/// file.extend_from_slice(&8u32.to_le_bytes());
/// file.extend_from_slice(&[0; 8]);
///
/// let wav = Wav::parse(&file)?;
/// assert_eq!((wav.channels, wav.sample_rate, wav.bits_per_sample), (1, 16_000, 16));
/// assert_eq!(wav.frames(), 4);
/// assert_eq!(wav.seconds(), Some(8.0 / 32_000.0));
/// # Ok::<(), genai_core::WavError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Wav<'a> {
    /// The format tag: [`WAV_FORMAT_PCM`], [`WAV_FORMAT_FLOAT`], 6 (A-law), 7 (µ-law)...
    pub format: u16,
    /// Interleaved channels per frame.
    pub channels: u16,
    /// Frames per second.
    pub sample_rate: u32,
    /// Bytes per second, as the header declares it.
    pub byte_rate: u32,
    /// Bytes per frame (all channels).
    pub block_align: u16,
    /// Bits per sample of one channel.
    pub bits_per_sample: u16,
    /// The size the RIFF header declares for the whole file (its first 8 bytes included).
    pub declared_size: u64,
    /// The bytes of the first `data` chunk, cut at the end of the file.
    pub data: &'a [u8],
}

impl<'a> Wav<'a> {
    /// Reads the header of a WAV file: the last `fmt ` chunk before the first `data` chunk
    /// (one of at least 16 bytes), and that `data` chunk.
    pub fn parse(bytes: &'a [u8]) -> Result<Wav<'a>, WavError> {
        let chunks = wav_chunks(bytes).ok_or(WavError::NotWav)?;
        let declared_size =
            u64::from(u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]])) + 8;
        let mut fmt: Option<&[u8]> = None;
        for chunk in chunks {
            match &chunk.id {
                b"fmt " if chunk.data.len() >= 16 => fmt = Some(chunk.data),
                b"data" => {
                    let f = fmt.ok_or(WavError::NoFormat)?;
                    let u16_at = |i: usize| u16::from_le_bytes([f[i], f[i + 1]]);
                    let u32_at =
                        |i: usize| u32::from_le_bytes([f[i], f[i + 1], f[i + 2], f[i + 3]]);
                    return Ok(Wav {
                        format: u16_at(0),
                        channels: u16_at(2),
                        sample_rate: u32_at(4),
                        byte_rate: u32_at(8),
                        block_align: u16_at(12),
                        bits_per_sample: u16_at(14),
                        declared_size,
                        data: chunk.data,
                    });
                }
                _ => {}
            }
        }
        Err(WavError::NoData)
    }

    /// Whole frames in `data` (0 when the header declares no block size).
    pub fn frames(&self) -> usize {
        match usize::from(self.block_align) {
            0 => 0,
            block => self.data.len() / block,
        }
    }

    /// The length in seconds: the `data` bytes over the declared byte rate (`None` when the
    /// byte rate is 0).
    pub fn seconds(&self) -> Option<f64> {
        (self.byte_rate > 0).then(|| self.data.len() as f64 / f64::from(self.byte_rate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(id: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = id.to_vec();
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        if data.len() % 2 == 1 {
            out.push(0);
        }
        out
    }

    fn fmt16(channels: u16, rate: u32) -> Vec<u8> {
        let mut f = Vec::new();
        f.extend_from_slice(&WAV_FORMAT_PCM.to_le_bytes());
        f.extend_from_slice(&channels.to_le_bytes());
        f.extend_from_slice(&rate.to_le_bytes());
        f.extend_from_slice(&(rate * 2 * u32::from(channels)).to_le_bytes());
        f.extend_from_slice(&(2 * channels).to_le_bytes());
        f.extend_from_slice(&16u16.to_le_bytes());
        chunk(b"fmt ", &f)
    }

    fn riff(body: &[u8]) -> Vec<u8> {
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&(body.len() as u32 + 4).to_le_bytes());
        out.extend_from_slice(b"WAVE");
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn reads_the_header_past_other_chunks() {
        let mut body = chunk(b"LIST", b"INFOodd");
        body.extend(fmt16(2, 8_000));
        body.extend(chunk(b"data", &[0; 12]));
        let file = riff(&body);
        let wav = Wav::parse(&file).unwrap();
        assert_eq!(wav.channels, 2);
        assert_eq!(wav.sample_rate, 8_000);
        assert_eq!(wav.frames(), 3);
        assert_eq!(wav.seconds(), Some(12.0 / 32_000.0));
        assert_eq!(wav.declared_size, file.len() as u64);
        let ids: Vec<[u8; 4]> = wav_chunks(&file).unwrap().map(|c| c.id).collect();
        assert_eq!(ids, [*b"LIST", *b"fmt ", *b"data"]);
        let list = wav_chunks(&file).unwrap().next().unwrap();
        assert_eq!(list.sub_chunks().count(), 0);
        let mut info = b"INFO".to_vec();
        info.extend(chunk(b"ICMT", b"said: hi"));
        let file = riff(&chunk(b"LIST", &info));
        let list = wav_chunks(&file).unwrap().next().unwrap();
        let comment = list.sub_chunks().next().unwrap();
        assert_eq!((&comment.id, comment.data), (b"ICMT", &b"said: hi"[..]));
    }

    #[test]
    fn a_cut_data_chunk_is_read_to_the_end() {
        let mut body = fmt16(1, 16_000);
        body.extend_from_slice(b"data");
        body.extend_from_slice(&u32::MAX.to_le_bytes());
        body.extend_from_slice(&[0; 6]);
        let file = riff(&body);
        let wav = Wav::parse(&file).unwrap();
        assert_eq!(wav.data.len(), 6);
        let last = wav_chunks(&file).unwrap().last().unwrap();
        assert!(last.is_truncated());
    }

    #[test]
    fn refusals_are_typed() {
        assert_eq!(Wav::parse(b"ID3 not a wav"), Err(WavError::NotWav));
        assert_eq!(Wav::parse(b""), Err(WavError::NotWav));
        assert_eq!(
            Wav::parse(&riff(&chunk(b"data", &[0; 4]))),
            Err(WavError::NoFormat)
        );
        assert_eq!(Wav::parse(&riff(&fmt16(1, 8_000))), Err(WavError::NoData));
        // A header whose lengths overflow ends the walk instead of panicking.
        let mut hostile = riff(&[]);
        hostile.extend_from_slice(b"junk");
        hostile.extend_from_slice(&u32::MAX.to_le_bytes());
        hostile.extend_from_slice(b"data");
        assert_eq!(Wav::parse(&hostile), Err(WavError::NoData));
    }
}

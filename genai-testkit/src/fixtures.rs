//! Media made and read for tests, written out here so no test needs fixture files or an image
//! or audio library: PNG (written, and read back to its pixels), JPEG (written), WAV and MP3
//! (speech that carries its transcript, tones; read back and checked), and PDFs with a text
//! layer. The conformance scenarios, the emulator and the tests all use this one copy.
//!
//! ```
//! use genai_testkit::fixtures;
//!
//! let png = fixtures::solid_png(4, 2, [200, 30, 30]);
//! let pixels = fixtures::decode_png(&png).unwrap();
//! assert_eq!((pixels.width, pixels.height), (4, 2));
//! assert_eq!(pixels.mean_rgb(), Some([200, 30, 30]));
//!
//! let wav = fixtures::speech_wav("Hello there.", 16_000, fixtures::WavEncoding::Pcm16);
//! assert_eq!(fixtures::read_speech(&wav).text.as_deref(), Some("Hello there."));
//! assert!(fixtures::check_wav(&wav).is_ok());
//!
//! let pdf = fixtures::pdf_with_text(&["The code word is Quackiland."]);
//! assert!(pdf.starts_with(b"%PDF-"));
//! ```

// ---------------------------------------------------------------------------------------------
// PNG

/// A PNG (8-bit RGB, not interlaced) of `rgb`: `width * height` pixels of three bytes, row by
/// row (missing bytes are black, extra ones ignored).
pub fn png(width: u32, height: u32, rgb: &[u8]) -> Vec<u8> {
    let stride = width as usize * 3;
    let mut raw = Vec::with_capacity((stride + 1) * height as usize);
    for y in 0..height as usize {
        raw.push(0);
        let row = rgb.get(y * stride..).unwrap_or_default();
        let row = &row[..row.len().min(stride)];
        raw.extend_from_slice(row);
        raw.resize(raw.len() + stride - row.len(), 0);
    }
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &miniz_oxide::deflate::compress_to_vec_zlib(&raw, 6),
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A PNG of one colour.
pub fn solid_png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    let pixels: Vec<u8> = (0..width as usize * height as usize)
        .flat_map(|_| rgb)
        .collect();
    png(width, height, &pixels)
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

fn crc32(bytes: &[u8]) -> u32 {
    let table: Vec<u32> = (0..256u32)
        .map(|n| {
            (0..8).fold(n, |c, _| {
                if c & 1 == 1 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                }
            })
        })
        .collect();
    !bytes.iter().fold(!0u32, |c, b| {
        table[((c ^ u32::from(*b)) & 0xff) as usize] ^ (c >> 8)
    })
}

/// The pixels of a decoded PNG.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pixels {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bytes per pixel: 1 (grey), 2 (grey and alpha), 3 (RGB) or 4 (RGBA).
    pub channels: usize,
    /// The unfiltered pixels, row by row, `channels` bytes each.
    pub data: Vec<u8>,
}

impl Pixels {
    /// The mean colour (alpha ignored, grey as three equal values); `None` for an empty image.
    pub fn mean_rgb(&self) -> Option<[u8; 3]> {
        if self.width == 0 || self.height == 0 || self.channels == 0 {
            return None;
        }
        let mut sum = [0u64; 3];
        for px in self.data.chunks(self.channels) {
            let rgb = if self.channels >= 3 {
                [px[0], px[1], px[2]]
            } else {
                [px[0]; 3]
            };
            for i in 0..3 {
                sum[i] += u64::from(rgb[i]);
            }
        }
        let n = u64::from(self.width) * u64::from(self.height);
        Some(sum.map(|s| (s / n) as u8))
    }
}

/// The pixels of an 8-bit, non-interlaced PNG (grey, RGB, grey and alpha, or RGBA). `None`
/// when the bytes are not one, are cut short, or do not inflate to exactly their pixels (at
/// most 64 MiB).
pub fn decode_png(bytes: &[u8]) -> Option<Pixels> {
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return None;
    }
    let mut at = 8;
    let mut header = None;
    let mut idat = Vec::new();
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().ok()?) as usize;
        let kind = &bytes[at + 4..at + 8];
        let data = bytes.get(at + 8..at + 8 + len)?;
        match kind {
            b"IHDR" if len == 13 => header = Some(data.to_vec()),
            b"IDAT" => idat.extend_from_slice(data),
            b"IEND" => break,
            _ => {}
        }
        at += 12 + len;
    }
    let header = header?;
    let w = u32::from_be_bytes(header[0..4].try_into().ok()?);
    let h = u32::from_be_bytes(header[4..8].try_into().ok()?);
    let channels = match (header[8], header[9], header[12]) {
        (8, 0, 0) => 1,
        (8, 2, 0) => 3,
        (8, 4, 0) => 2,
        (8, 6, 0) => 4,
        _ => return None,
    };
    let stride = w as usize * channels;
    let limit = (stride + 1).checked_mul(h as usize)?;
    if limit > 64 * 1024 * 1024 {
        return None;
    }
    let raw = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&idat, limit).ok()?;
    if raw.len() != limit {
        return None;
    }
    let mut out = vec![0u8; stride * h as usize];
    for y in 0..h as usize {
        let filter = raw[y * (stride + 1)];
        let line = &raw[y * (stride + 1) + 1..(y + 1) * (stride + 1)];
        let (done, rest) = out.split_at_mut(y * stride);
        let prev = if y == 0 {
            None
        } else {
            Some(&done[(y - 1) * stride..])
        };
        let cur = &mut rest[..stride];
        for x in 0..stride {
            let a = if x >= channels { cur[x - channels] } else { 0 };
            let b = prev.map_or(0, |p| p[x]);
            let c = if x >= channels {
                prev.map_or(0, |p| p[x - channels])
            } else {
                0
            };
            let predicted = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                4 => paeth(a, b, c),
                _ => return None,
            };
            cur[x] = line[x].wrapping_add(predicted);
        }
    }
    Some(Pixels {
        width: w,
        height: h,
        channels,
        data: out,
    })
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

// ---------------------------------------------------------------------------------------------
// JPEG

/// A baseline JPEG (quality 85) of `rgb`, `width * height` pixels of three bytes; an error when
/// a side is over 65,535 pixels or the bytes do not fit the size.
pub fn jpeg(width: u32, height: u32, rgb: &[u8]) -> Result<Vec<u8>, String> {
    let (w16, h16) = (
        u16::try_from(width).map_err(|_| "too wide for JPEG")?,
        u16::try_from(height).map_err(|_| "too tall for JPEG")?,
    );
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 85)
        .encode(rgb, w16, h16, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| format!("JPEG encoding failed: {e}"))?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Speech: WAV and MP3 that carry their transcript

/// The tag that marks a transcript inside a file: a WAV's `LIST`/`INFO` `ICMT` chunk holds
/// `genai-transcript: TEXT`, an MP3's ID3v2 `TXXX` frame has it as its description.
const TAG: &str = "genai-transcript";

/// Seconds per spoken word in [`speech_wav`] and [`speech_mp3`]: a 0.3 s tone then 0.1 s of
/// silence.
pub const WORD_SECONDS: f64 = 0.4;

/// The sample encoding of a WAV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WavEncoding {
    /// 16-bit linear PCM.
    Pcm16,
    /// 8-bit G.711 mu-law.
    MuLaw,
    /// 8-bit G.711 A-law.
    ALaw,
}

/// The samples of `text` spoken: one 0.3 s tone per word (its pitch from the word), then
/// 0.1 s of silence, plus 0.2 s of silence at the end.
fn spoken_samples(text: &str, rate: u32) -> Vec<i16> {
    let rate_f = f64::from(rate);
    let mut out = Vec::new();
    for word in text.split_whitespace() {
        let pitch = 180.0 + (word.bytes().map(u32::from).sum::<u32>() % 200) as f64;
        let tone = (rate_f * 0.3) as usize;
        for i in 0..tone {
            let t = i as f64 / rate_f;
            let fade = (i.min(tone - i) as f64 / (rate_f * 0.01)).min(1.0);
            out.push((8_000.0 * fade * (std::f64::consts::TAU * pitch * t).sin()) as i16);
        }
        out.extend(std::iter::repeat_n(0, (rate_f * 0.1) as usize));
    }
    out.extend(std::iter::repeat_n(0, (rate_f * 0.2) as usize));
    out
}

/// A mono WAV of `text` spoken at `sample_rate` Hz (one tone per word, [`WORD_SECONDS`] each,
/// then 0.2 s of silence), the text in its `ICMT` chunk, where [`read_speech`] finds it and
/// players ignore it.
pub fn speech_wav(text: &str, sample_rate: u32, encoding: WavEncoding) -> Vec<u8> {
    let pcm = spoken_samples(text, sample_rate);
    let (tag, bits, data): (u16, u16, Vec<u8>) = match encoding {
        WavEncoding::Pcm16 => (1, 16, pcm.iter().flat_map(|s| s.to_le_bytes()).collect()),
        WavEncoding::MuLaw => (7, 8, pcm.iter().map(|s| mulaw(*s)).collect()),
        WavEncoding::ALaw => (6, 8, pcm.iter().map(|s| alaw(*s)).collect()),
    };
    let mut comment = format!("{TAG}: {text}").into_bytes();
    comment.push(0);
    let mut info = b"INFO".to_vec();
    riff_chunk(&mut info, b"ICMT", &comment);
    wav_file(tag, bits, sample_rate, Some(&info), &data)
}

/// A mono 16-bit WAV at 16 kHz: `tone` seconds of a 220 Hz tone, then `silence` seconds.
pub fn tone_wav(tone: f64, silence: f64) -> Vec<u8> {
    let rate = 16_000u32;
    let n_tone = (tone * f64::from(rate)) as usize;
    let n_silence = (silence * f64::from(rate)) as usize;
    let mut data = Vec::with_capacity((n_tone + n_silence) * 2);
    for i in 0..n_tone {
        let t = i as f64 / f64::from(rate);
        let s = (6_000.0 * (std::f64::consts::TAU * 220.0 * t).sin()) as i16;
        data.extend_from_slice(&s.to_le_bytes());
    }
    data.resize(data.len() + n_silence * 2, 0);
    wav_file(1, 16, rate, None, &data)
}

/// A mono RIFF/WAVE file: `fmt `, an optional `LIST` chunk, then `data`.
fn wav_file(format_tag: u16, bits: u16, rate: u32, list: Option<&[u8]>, data: &[u8]) -> Vec<u8> {
    let block = bits / 8;
    let mut fmt = Vec::with_capacity(16);
    fmt.extend_from_slice(&format_tag.to_le_bytes());
    fmt.extend_from_slice(&1u16.to_le_bytes());
    fmt.extend_from_slice(&rate.to_le_bytes());
    fmt.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    fmt.extend_from_slice(&block.to_le_bytes());
    fmt.extend_from_slice(&bits.to_le_bytes());
    let mut body = b"WAVE".to_vec();
    riff_chunk(&mut body, b"fmt ", &fmt);
    if let Some(list) = list {
        riff_chunk(&mut body, b"LIST", list);
    }
    riff_chunk(&mut body, b"data", data);
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

fn riff_chunk(out: &mut Vec<u8>, id: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(id);
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
}

/// G.711 mu-law.
fn mulaw(sample: i16) -> u8 {
    const BIAS: i32 = 0x84;
    let mut s = i32::from(sample);
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    s = (s + BIAS).min(32_635 + BIAS);
    let exponent = (7 - (s >> 7).leading_zeros().saturating_sub(24).min(7)) as i32;
    let exponent = exponent.clamp(0, 7);
    let mantissa = (s >> (exponent + 3)) & 0x0f;
    !(sign | (exponent << 4) as u8 | mantissa as u8)
}

/// G.711 A-law.
fn alaw(sample: i16) -> u8 {
    let mut s = i32::from(sample) >> 3;
    let sign = if s >= 0 {
        0x80
    } else {
        s = -s - 1;
        0
    };
    let mut segment = 0;
    while segment < 8 && s > (0x20 << segment) - 1 {
        segment += 1;
    }
    let value = if segment >= 8 {
        0x7f
    } else if segment < 2 {
        ((s >> 1) & 0x0f) as u8
    } else {
        ((segment << 4) as u8) | ((s >> segment) & 0x0f) as u8
    };
    (sign | value) ^ 0x55
}

/// MPEG-1 layer III, 32 kb/s, 32 kHz, mono: 144-byte frames of 1152 samples (36 ms).
const MP3_HEADER: [u8; 4] = [0xff, 0xfb, 0x18, 0xc4];
const MP3_FRAME: usize = 144;
const MP3_FRAME_SECONDS: f64 = 1152.0 / 32_000.0;

/// An MP3 of `text`: an ID3v2.4 tag with the text in a `TXXX` frame (where [`read_speech`]
/// finds it), then silent MPEG-1 layer III frames (all side information zero: silence when
/// decoded) as long as [`speech_wav`]'s speech.
pub fn speech_mp3(text: &str) -> Vec<u8> {
    let seconds = text.split_whitespace().count() as f64 * WORD_SECONDS + 0.2;
    let frames = (seconds / MP3_FRAME_SECONDS).ceil() as usize;
    let mut frame = vec![0u8; MP3_FRAME];
    frame[..4].copy_from_slice(&MP3_HEADER);
    let mut txxx = vec![3u8]; // UTF-8
    txxx.extend_from_slice(TAG.as_bytes());
    txxx.push(0);
    txxx.extend_from_slice(text.as_bytes());
    let mut tag_body = b"TXXX".to_vec();
    tag_body.extend_from_slice(&synchsafe(txxx.len()));
    tag_body.extend_from_slice(&[0, 0]);
    tag_body.extend_from_slice(&txxx);
    let mut out = b"ID3\x04\x00\x00".to_vec();
    out.extend_from_slice(&synchsafe(tag_body.len()));
    out.extend_from_slice(&tag_body);
    for _ in 0..frames {
        out.extend_from_slice(&frame);
    }
    out
}

fn synchsafe(n: usize) -> [u8; 4] {
    [
        ((n >> 21) & 0x7f) as u8,
        ((n >> 14) & 0x7f) as u8,
        ((n >> 7) & 0x7f) as u8,
        (n & 0x7f) as u8,
    ]
}

/// What [`read_speech`] hears in a file.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Speech {
    /// The transcript the file carries ([`speech_wav`], [`speech_mp3`]), if any.
    pub text: Option<String>,
    /// The length in seconds, when the format tells it (WAV: `data` over the byte rate; MP3:
    /// the frames counted).
    pub seconds: Option<f64>,
}

/// The transcript and length of a WAV or MP3 file (nothing for other bytes).
pub fn read_speech(bytes: &[u8]) -> Speech {
    if bytes.starts_with(b"RIFF") {
        read_wav(bytes)
    } else if genai_core::sniff_media_type(bytes) == Some("audio/mpeg") {
        read_mp3(bytes)
    } else {
        Speech::default()
    }
}

/// The transcript in a WAV's `LIST`/`INFO` `ICMT` entry and the length from its header
/// (genai-core's one WAV reader).
fn read_wav(b: &[u8]) -> Speech {
    let prefix = format!("{TAG}: ");
    let text = genai_core::wav_chunks(b)
        .into_iter()
        .flatten()
        .filter(|c| &c.id == b"LIST" && c.data.starts_with(b"INFO"))
        .flat_map(|list| list.sub_chunks())
        .filter(|entry| &entry.id == b"ICMT")
        .filter_map(|entry| {
            let value = String::from_utf8_lossy(entry.data);
            let t = value.trim_end_matches('\0').strip_prefix(&prefix)?;
            Some(t.to_owned())
        })
        .last();
    Speech {
        text,
        seconds: genai_core::Wav::parse(b).ok().and_then(|w| w.seconds()),
    }
}

/// The transcript in an ID3v2 `TXXX` frame and the length from counting MPEG frames.
fn read_mp3(b: &[u8]) -> Speech {
    let mut speech = Speech::default();
    let at = id3_end(b);
    if at > 0 {
        let size = |s: &[u8]| {
            s.iter()
                .fold(0usize, |acc, x| (acc << 7) | usize::from(*x & 0x7f))
        };
        let mut i = 10;
        while i + 10 <= at {
            let id = &b[i..i + 4];
            let n = size(&b[i + 4..i + 8]);
            let value = &b[i + 10..at.min(i + 10 + n)];
            if id == b"TXXX" && value.len() > 1 {
                let mut parts = value[1..].splitn(2, |c| *c == 0);
                if parts.next() == Some(TAG.as_bytes()) {
                    speech.text = parts
                        .next()
                        .map(|t| String::from_utf8_lossy(t).into_owned());
                }
            }
            if n == 0 {
                break;
            }
            i += 10 + n;
        }
    }
    let (mut at, mut seconds, mut frames) = (at, 0.0, 0);
    while let Some(frame) = b.get(at..at + 4).and_then(mp3_frame) {
        seconds += frame.seconds;
        frames += 1;
        at += frame.len;
    }
    speech.seconds = (frames > 0).then_some(seconds);
    speech
}

/// Where the audio of an MP3 starts: after its ID3v2 tag (0 when it has none); at most the
/// file's length.
fn id3_end(b: &[u8]) -> usize {
    if !(b.starts_with(b"ID3") && b.len() >= 10) {
        return 0;
    }
    let size = b[6..10]
        .iter()
        .fold(0usize, |acc, x| (acc << 7) | usize::from(*x & 0x7f));
    b.len().min(10 + size)
}

/// One MPEG audio frame, as its header tells it.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Mp3Frame {
    /// The frame's length in bytes, header included.
    pub len: usize,
    /// How long it plays.
    pub seconds: f64,
}

/// The frame a layer III header starts (MPEG 1, 2 or 2.5); `None` when `header` (its first 4
/// bytes) is not one.
pub fn mp3_frame(header: &[u8]) -> Option<Mp3Frame> {
    let h = header.get(..4)?;
    if h[0] != 0xff || h[1] & 0xe0 != 0xe0 || (h[1] >> 1) & 3 != 1 {
        return None;
    }
    let version = (h[1] >> 3) & 3; // 3 = MPEG 1, 2 = MPEG 2, 0 = MPEG 2.5
    let index = usize::from(h[2] >> 4);
    let v1: [u32; 15] = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ];
    let v2: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    let kbps = *if version == 3 { &v1 } else { &v2 }.get(index)?;
    let base = [44_100u32, 48_000, 32_000].get(usize::from((h[2] >> 2) & 3))?;
    let rate = match version {
        3 => *base,
        2 => base / 2,
        0 => base / 4,
        _ => return None,
    };
    if kbps == 0 {
        return None;
    }
    let (per, samples) = if version == 3 { (144, 1152) } else { (72, 576) };
    Some(Mp3Frame {
        len: (per * kbps * 1000 / rate) as usize + usize::from((h[2] >> 1) & 1),
        seconds: f64::from(samples) / f64::from(rate),
    })
}

/// Checks that `bytes` are a whole WAV file: a RIFF/WAVE file whose size is the file's,
/// whose chunks stay inside it, and whose `fmt ` and non-empty `data` agree (whole frames).
/// Returns what was seen.
pub fn check_wav(b: &[u8]) -> Result<String, String> {
    let mut chunks = genai_core::wav_chunks(b).ok_or("not a RIFF/WAVE file")?;
    let riff = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
    if riff + 8 != b.len() {
        return Err(format!(
            "the RIFF size says {} bytes, the file has {}",
            riff + 8,
            b.len()
        ));
    }
    if let Some(cut) = chunks.find(genai_core::WavChunk::is_truncated) {
        return Err(format!("a chunk runs past the end at byte {}", cut.offset));
    }
    let empty = || "no `fmt ` and non-empty `data` chunk".to_owned();
    let wav = genai_core::Wav::parse(b).map_err(|_| empty())?;
    let block = usize::from(wav.block_align);
    if block > 0 && wav.data.len() % block != 0 {
        return Err("the data is not a whole number of frames".into());
    }
    match wav.frames() {
        n if n > 0 && wav.sample_rate > 0 => Ok(format!(
            "WAV, {n} frames at {} Hz ({:.2} s)",
            wav.sample_rate,
            n as f64 / f64::from(wav.sample_rate)
        )),
        _ => Err(empty()),
    }
}

/// Checks that `bytes` are a whole MP3: an optional ID3v2 tag, then a chain of valid MPEG
/// layer III frames to the very end. Returns what was seen.
pub fn check_mp3(b: &[u8]) -> Result<String, String> {
    let mut at = if b.starts_with(b"ID3") && b.len() >= 10 {
        10 + b[6..10]
            .iter()
            .fold(0usize, |acc, x| (acc << 7) | usize::from(*x & 0x7f))
    } else {
        0
    };
    let mut frames = 0;
    while at + 4 <= b.len() {
        let Some(frame) = mp3_frame(&b[at..at + 4]) else {
            return Err(format!("no valid MPEG frame header at byte {at}"));
        };
        at += frame.len;
        frames += 1;
    }
    if frames == 0 || at != b.len() {
        return Err(format!("{frames} frames, ending at {at} of {}", b.len()));
    }
    Ok(format!("MP3, {frames} frames"))
}

// ---------------------------------------------------------------------------------------------
// PDF

/// A one-page PDF whose text layer is `lines`, one text line each, in a Flate-compressed
/// content stream.
pub fn pdf_with_text(lines: &[&str]) -> Vec<u8> {
    let mut content = String::from("BT /F1 12 Tf 72 720 Td\n");
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            content.push_str("0 -16 Td\n");
        }
        let escaped = line
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        content.push_str(&format!("({escaped}) Tj\n"));
    }
    content.push_str("ET\n");
    pdf_with_content(content.as_bytes(), true)
}

/// A one-page PDF (catalog, page tree, page, Helvetica, cross-reference table) whose page is
/// drawn by the content stream `content`, Flate-compressed when `compress` is true.
pub fn pdf_with_content(content: &[u8], compress: bool) -> Vec<u8> {
    let (stream, filter) = if compress {
        (
            miniz_oxide::deflate::compress_to_vec_zlib(content, 6),
            "/Filter/FlateDecode",
        )
    } else {
        (content.to_vec(), "")
    };
    let mut contents = format!("<</Length {}{filter}>>stream\n", stream.len()).into_bytes();
    contents.extend_from_slice(&stream);
    contents.extend_from_slice(b"\nendstream");
    let objects: [Vec<u8>; 5] = [
        b"<</Type/Catalog/Pages 2 0 R>>".to_vec(),
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>".to_vec(),
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>".to_vec(),
        contents,
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>".to_vec(),
    ];
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<</Size {}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_round_trips_and_a_cut_one_does_not_decode() {
        let pixels: Vec<u8> = (0..6 * 4 * 3).map(|i| (i * 7 % 256) as u8).collect();
        let bytes = png(6, 4, &pixels);
        let back = decode_png(&bytes).unwrap();
        assert_eq!((back.width, back.height, back.channels), (6, 4, 3));
        assert_eq!(back.data, pixels);
        assert_eq!(decode_png(&bytes[..bytes.len() - 20]), None);
        assert_eq!(decode_png(b"not a png"), None);
        assert_eq!(
            decode_png(&png(0, 3, &[])).map(|p| p.mean_rgb()),
            Some(None)
        );
    }

    #[test]
    fn a_jpeg_is_one() {
        let bytes = jpeg(8, 4, &[90; 8 * 4 * 3]).unwrap();
        assert_eq!(genai_core::sniff_media_type(&bytes), Some("image/jpeg"));
        assert_eq!(genai_core::image_size(&bytes), Some((8, 4)));
        assert!(jpeg(70_000, 1, &[]).is_err());
    }

    #[test]
    fn speech_carries_its_text_and_length() {
        let text = "Hello there. This is a test.";
        for encoding in [WavEncoding::Pcm16, WavEncoding::MuLaw, WavEncoding::ALaw] {
            let w = speech_wav(text, 16_000, encoding);
            assert_eq!(genai_core::sniff_media_type(&w), Some("audio/wav"));
            assert!(check_wav(&w).is_ok(), "{encoding:?}");
            let heard = read_speech(&w);
            assert_eq!(heard.text.as_deref(), Some(text));
            assert!((heard.seconds.unwrap() - (6.0 * 0.4 + 0.2)).abs() < 0.01);
        }
        let m = speech_mp3(text);
        assert_eq!(genai_core::sniff_media_type(&m), Some("audio/mpeg"));
        assert!(check_mp3(&m).is_ok());
        let heard = read_speech(&m);
        assert_eq!(heard.text.as_deref(), Some(text));
        assert!((heard.seconds.unwrap() - 2.6).abs() < 0.04);
        assert_eq!(read_speech(b"not audio"), Speech::default());
    }

    #[test]
    fn audio_checks_catch_broken_files() {
        assert!(check_wav(&tone_wav(0.1, 0.1)).is_ok());
        let mut cut = tone_wav(0.1, 0.1);
        cut.truncate(cut.len() - 10);
        assert!(check_wav(&cut).is_err());
        let mut mp3 = vec![0u8; 144 * 3];
        for f in 0..3 {
            mp3[f * 144..f * 144 + 4].copy_from_slice(&MP3_HEADER);
        }
        assert!(check_mp3(&mp3).is_ok());
        mp3.truncate(300);
        assert!(check_mp3(&mp3).is_err());
        assert!(check_wav(&[1u8]).is_err());
        assert_eq!(mp3_frame(&[0xff]), None);
    }

    #[test]
    fn g711_encoders_match_known_values() {
        assert_eq!(mulaw(0), 0xff);
        assert_eq!(mulaw(-1), 0x7f);
        assert_eq!(mulaw(i16::MAX), 0x80);
        assert_eq!(alaw(0), 0xd5);
        assert_eq!(alaw(i16::MAX), 0xaa);
    }

    #[test]
    fn a_pdf_has_its_objects_where_its_table_says() {
        let pdf = pdf_with_text(&["A (b) c"]);
        assert!(pdf.starts_with(b"%PDF-1.7") && pdf.ends_with(b"%%EOF\n"));
        let table_at = pdf.windows(5).rposition(|w| w == b"xref\n").unwrap();
        let table = String::from_utf8_lossy(&pdf[table_at..]).into_owned();
        for (i, line) in table.lines().skip(3).take(5).enumerate() {
            let at: usize = line[..10].parse().unwrap();
            assert!(
                pdf[at..].starts_with(format!("{} 0 obj", i + 1).as_bytes()),
                "{line}"
            );
        }
    }
}

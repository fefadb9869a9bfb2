//! Whole-image checks shared by the media scenarios and the emulator: a plain PNG encoder and
//! a decoder of the PNGs the checks need to read (8-bit, non-interlaced), written out here so
//! neither needs an image library.

/// A PNG (8-bit RGB) of `rgb`.
pub(crate) fn png(w: u32, h: u32, rgb: &[u8]) -> Vec<u8> {
    let mut raw = Vec::with_capacity(rgb.len() + h as usize);
    for row in rgb.chunks(w as usize * 3) {
        raw.push(0);
        raw.extend_from_slice(row);
    }
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
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

/// The pixels of an 8-bit, non-interlaced PNG (grey, RGB, grey+alpha or RGBA): width, height,
/// unfiltered bytes, channels. `None` when the file is not one, is cut short, or does not
/// inflate to exactly its pixels.
pub(crate) fn decode_png(bytes: &[u8]) -> Option<(u32, u32, Vec<u8>, usize)> {
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
    Some((w, h, out, channels))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_round_trips_and_a_cut_one_does_not_decode() {
        let pixels: Vec<u8> = (0..6 * 4 * 3).map(|i| (i * 7 % 256) as u8).collect();
        let bytes = png(6, 4, &pixels);
        assert_eq!(decode_png(&bytes), Some((6, 4, pixels, 3)));
        assert_eq!(decode_png(&bytes[..bytes.len() - 20]), None);
        assert_eq!(decode_png(b"not a png"), None);
    }
}

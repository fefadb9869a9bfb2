//! Media bytes (images, audio) carried in requests and results, with their media type.

use std::fmt;

use base64::Engine as _;
use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// Bytes of an image or a sound, with their media type (`image/png`, `audio/wav`...).
///
/// [`Media::from_bytes`] reads the type from the bytes themselves, never from a file name:
/// a file that is no known image or audio format is refused. `Debug` prints the type and the
/// size, not the bytes. The serde form is `{"media_type": "...", "data": "<base64>"}`.
///
/// ```
/// use genai_core::Media;
/// let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
/// let media = Media::from_bytes(png).unwrap();
/// assert_eq!(media.media_type(), "image/png");
/// assert!(media.is_image());
/// assert!(Media::from_bytes(b"hello".to_vec()).is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Media {
    media_type: String,
    data: Bytes,
}

impl Media {
    /// Media whose type is sniffed from the bytes.
    ///
    /// Fails with [`InvalidRequest`](crate::ErrorKind::InvalidRequest) when the bytes are
    /// empty or not a known image or audio format.
    pub fn from_bytes(data: impl Into<Bytes>) -> Result<Media> {
        let data = data.into();
        if data.is_empty() {
            return Err(Error::invalid_request("the media is empty (0 bytes)"));
        }
        let media_type = sniff(&data).ok_or_else(|| {
            Error::invalid_request(format!(
                "the data ({} bytes) is not a known image or audio format (PNG, JPEG, GIF, \
                 WebP, BMP, TIFF, WAV, MP3, FLAC, OGG, WebM, MP4/M4A, AAC)",
                data.len()
            ))
        })?;
        Ok(Media {
            media_type: media_type.to_owned(),
            data,
        })
    }

    /// Media of a stated type, trusted as given (for bytes whose type the caller knows).
    pub fn with_type(media_type: impl Into<String>, data: impl Into<Bytes>) -> Media {
        Media {
            media_type: media_type.into(),
            data: data.into(),
        }
    }

    /// The media type, e.g. `image/png`.
    pub fn media_type(&self) -> &str {
        &self.media_type
    }

    /// The bytes.
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// The bytes, taken.
    pub fn into_data(self) -> Bytes {
        self.data
    }

    /// The size in bytes.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Whether this is an image.
    pub fn is_image(&self) -> bool {
        self.media_type.starts_with("image/")
    }

    /// Whether this is audio.
    pub fn is_audio(&self) -> bool {
        self.media_type.starts_with("audio/")
    }

    /// The bytes in standard base64.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.data)
    }

    /// A `data:` URI of the bytes.
    ///
    /// ```
    /// let m = genai_core::Media::with_type("image/png", vec![1u8, 2, 3]);
    /// assert_eq!(m.to_data_uri(), "data:image/png;base64,AQID");
    /// ```
    pub fn to_data_uri(&self) -> String {
        format!("data:{};base64,{}", self.media_type, self.to_base64())
    }
}

impl fmt::Debug for Media {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Media({}, {} bytes)", self.media_type, self.data.len())
    }
}

/// Decodes standard base64 (padding optional, line breaks and a `data:...;base64,` prefix
/// tolerated), as services send media.
///
/// ```
/// assert_eq!(genai_core::decode_base64("AQID").unwrap(), vec![1u8, 2, 3]);
/// assert_eq!(genai_core::decode_base64("data:image/png;base64,AQID").unwrap(), vec![1u8, 2, 3]);
/// assert!(genai_core::decode_base64("***").is_err());
/// ```
pub fn decode_base64(text: &str) -> Result<Vec<u8>> {
    let text = text
        .strip_prefix("data:")
        .and_then(|rest| rest.split_once(";base64,").map(|(_, b64)| b64))
        .unwrap_or(text);
    let cleaned: String;
    let text = if text.bytes().any(|b| b.is_ascii_whitespace()) {
        cleaned = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        cleaned.as_str()
    } else {
        text
    };
    let engine = base64::engine::general_purpose::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine
        .decode(text)
        .map_err(|e| Error::protocol(format!("invalid base64 data: {e}")))
}

/// The media type of `bytes`, read from their first bytes, if they are a known image or audio
/// format.
///
/// ```
/// assert_eq!(genai_core::sniff_media_type(b"\xff\xd8\xff\xe0"), Some("image/jpeg"));
/// assert_eq!(genai_core::sniff_media_type(b"RIFF\0\0\0\0WAVEfmt "), Some("audio/wav"));
/// assert_eq!(genai_core::sniff_media_type(b"ID3\x04"), Some("audio/mpeg"));
/// assert_eq!(genai_core::sniff_media_type(b"plain text"), None);
/// ```
pub fn sniff_media_type(bytes: &[u8]) -> Option<&'static str> {
    sniff(bytes)
}

fn sniff(b: &[u8]) -> Option<&'static str> {
    let starts = |p: &[u8]| b.starts_with(p);
    let at = |i: usize, p: &[u8]| b.len() >= i + p.len() && &b[i..i + p.len()] == p;
    if starts(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if starts(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("image/gif")
    } else if starts(b"RIFF") && at(8, b"WEBP") {
        Some("image/webp")
    } else if starts(b"RIFF") && at(8, b"WAVE") {
        Some("audio/wav")
    } else if starts(b"BM") && b.len() >= 26 && at(6, b"\0\0\0\0") {
        Some("image/bmp")
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        Some("image/tiff")
    } else if starts(b"ID3") || (b.len() >= 2 && b[0] == 0xff && (b[1] & 0xe6) == 0xe2) {
        // An ID3 tag, or an MPEG audio layer III frame sync (not an AAC ADTS header).
        Some("audio/mpeg")
    } else if b.len() >= 2 && b[0] == 0xff && (b[1] & 0xf6) == 0xf0 {
        Some("audio/aac")
    } else if starts(b"fLaC") {
        Some("audio/flac")
    } else if starts(b"OggS") {
        Some("audio/ogg")
    } else if starts(b"\x1a\x45\xdf\xa3") {
        Some("audio/webm")
    } else if at(4, b"ftyp") {
        if at(8, b"M4A ") || at(8, b"M4B ") {
            Some("audio/mp4")
        } else if at(8, b"avif") {
            Some("image/avif")
        } else {
            Some("video/mp4")
        }
    } else {
        None
    }
}

impl Serialize for Media {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Media", 2)?;
        st.serialize_field("media_type", &self.media_type)?;
        st.serialize_field("data", &self.to_base64())?;
        st.end()
    }
}

impl<'de> Deserialize<'de> for Media {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Wire {
            media_type: Option<String>,
            data: String,
        }
        let w = Wire::deserialize(d)?;
        let bytes = decode_base64(&w.data).map_err(serde::de::Error::custom)?;
        match w.media_type {
            Some(t) => Ok(Media::with_type(t, bytes)),
            None => Media::from_bytes(bytes).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_common_formats() {
        let cases: [(&[u8], Option<&str>); 10] = [
            (b"\x89PNG\r\n\x1a\n....", Some("image/png")),
            (b"GIF89a..", Some("image/gif")),
            (b"RIFF\x10\0\0\0WEBPVP8 ", Some("image/webp")),
            (b"fLaC\0\0\0\"", Some("audio/flac")),
            (b"OggS\0\x02", Some("audio/ogg")),
            (b"\xff\xfb\x90\x64", Some("audio/mpeg")),
            (b"\xff\xf1\x50\x80", Some("audio/aac")),
            (b"\0\0\0\x20ftypM4A \0\0", Some("audio/mp4")),
            (b"%PDF-1.7", None),
            (b"", None),
        ];
        for (bytes, want) in cases {
            assert_eq!(sniff(bytes), want, "{bytes:?}");
        }
    }

    #[test]
    fn serde_round_trip_and_debug_hides_bytes() {
        let m = Media::with_type("audio/wav", vec![0u8; 40]);
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains("\"media_type\":\"audio/wav\""));
        let back: Media = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        assert_eq!(format!("{m:?}"), "Media(audio/wav, 40 bytes)");
        assert!(Media::from_bytes(Vec::new()).is_err());
    }
}

//! Media on disk, sent by streaming from the file rather than read whole into memory.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use bytes::{Bytes, BytesMut};
use futures_util::stream::{self, Stream};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncReadExt;

use crate::error::{Error, Result};
use crate::media::{sniff_media_type, Media};

/// How many bytes one read from the file takes (a multiple of 3, so each read's base64 is
/// whole).
const READ_CHUNK: usize = 48 * 1024;

/// A media file on disk, with its type read from its first bytes and its size, to be sent by
/// streaming it (so a large recording never sits whole in memory).
///
/// [`MediaFile::open`] refuses a missing or empty file and one that is no known image or audio
/// format, whatever its name. The file is read again each time it is sent; one that changed
/// size since it was opened makes that send fail rather than send other bytes.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use genai_core::MediaFile;
/// let path = std::env::temp_dir().join(format!("doc-media-file-{}.wav", std::process::id()));
/// std::fs::write(&path, b"RIFF\x24\0\0\0WAVEfmt ").unwrap();
/// let file = MediaFile::open(&path).await.unwrap();
/// assert_eq!(file.media_type(), "audio/wav");
/// assert_eq!(file.len(), 16);
/// assert_eq!(file.read().await.unwrap().data().len(), 16);
/// std::fs::write(&path, b"just some text").unwrap();
/// assert!(MediaFile::open(&path).await.is_err());
/// # std::fs::remove_file(&path).unwrap();
/// # });
/// ```
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct MediaFile {
    path: PathBuf,
    media_type: String,
    len: u64,
}

impl MediaFile {
    /// Opens `path`: reads its size and its first bytes, which give its media type.
    ///
    /// Fails with [`InvalidRequest`](crate::ErrorKind::InvalidRequest) when the file cannot be
    /// read, is empty, or is no known image or audio format.
    pub async fn open(path: impl AsRef<Path>) -> Result<MediaFile> {
        MediaFile::open_checked(path.as_ref(), None).await
    }

    /// Opens `path` as media of a type the caller knows (a document, whose type its name
    /// gives): reads its size, trusts `media_type`.
    ///
    /// Fails with [`InvalidRequest`](crate::ErrorKind::InvalidRequest) when the file cannot be
    /// read or is empty.
    pub async fn open_as(path: impl AsRef<Path>, media_type: &str) -> Result<MediaFile> {
        MediaFile::open_checked(path.as_ref(), Some(media_type)).await
    }

    async fn open_checked(path: &Path, known_type: Option<&str>) -> Result<MediaFile> {
        let cannot = |e: io::Error| {
            Error::invalid_request(format!("cannot read {}: {e}", path.display())).with_source(e)
        };
        let mut file = tokio::fs::File::open(path).await.map_err(cannot)?;
        let meta = file.metadata().await.map_err(cannot)?;
        if !meta.is_file() {
            return Err(Error::invalid_request(format!(
                "{} is not a file",
                path.display()
            )));
        }
        if meta.len() == 0 {
            return Err(Error::invalid_request(format!(
                "{} is empty (0 bytes)",
                path.display()
            )));
        }
        if let Some(media_type) = known_type {
            return Ok(MediaFile {
                path: path.to_owned(),
                media_type: media_type.to_owned(),
                len: meta.len(),
            });
        }
        let mut head = [0u8; 64];
        let mut filled = 0;
        while filled < head.len() {
            let n = file.read(&mut head[filled..]).await.map_err(cannot)?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        let media_type = sniff_media_type(&head[..filled]).ok_or_else(|| {
            Error::invalid_request(format!(
                "{} is not a known image or audio format (its bytes say so, whatever its name)",
                path.display()
            ))
        })?;
        Ok(MediaFile {
            path: path.to_owned(),
            media_type: media_type.to_owned(),
            len: meta.len(),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The media type read from the file's first bytes, e.g. `audio/wav`.
    pub fn media_type(&self) -> &str {
        &self.media_type
    }

    /// The size in bytes, as it was when the file was opened.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file had no bytes (never true of an opened file).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Reads the whole file into memory.
    pub async fn read(&self) -> Result<Media> {
        let data = tokio::fs::read(&self.path).await.map_err(|e| {
            Error::invalid_request(format!("cannot read {}: {e}", self.path.display()))
                .with_source(e)
        })?;
        if data.len() as u64 != self.len {
            return Err(self.changed(data.len() as u64));
        }
        Ok(Media::with_type(self.media_type.clone(), data))
    }

    /// The file's bytes as a stream of chunks, read as they are sent.
    ///
    /// The stream fails if the file holds more or fewer bytes than when it was opened.
    pub fn chunks(&self) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
        self.reader(|chunk| chunk)
    }

    /// The file's bytes in standard base64, as a stream of text chunks, encoded as they are
    /// read. Together they are [`base64_len`](Self::base64_len) bytes long.
    pub fn base64_chunks(&self) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
        self.reader(|chunk| {
            Bytes::from(base64::engine::general_purpose::STANDARD.encode(&chunk[..]))
        })
    }

    /// The length of the file's base64 text (with padding).
    pub fn base64_len(&self) -> u64 {
        self.len.div_ceil(3) * 4
    }

    /// Fails with [`InvalidRequest`](crate::ErrorKind::InvalidRequest) if the file is gone
    /// or no longer holds as many bytes as when it was opened (a sender checks this before
    /// sending, and again to explain a send that broke).
    pub async fn check_unchanged(&self) -> Result<()> {
        match tokio::fs::metadata(&self.path).await {
            Ok(meta) if meta.len() == self.len => Ok(()),
            Ok(meta) => Err(self.changed(meta.len())),
            Err(e) => Err(Error::invalid_request(format!(
                "cannot read {}: {e}",
                self.path.display()
            ))
            .with_source(e)),
        }
    }

    fn changed(&self, now: u64) -> Error {
        Error::invalid_request(format!(
            "{} changed while it was being sent: it held {} bytes, now {now}",
            self.path.display(),
            self.len
        ))
    }

    /// Reads the file in chunks of `READ_CHUNK` (the last one shorter), each mapped by `map`.
    fn reader(
        &self,
        map: fn(Bytes) -> Bytes,
    ) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
        struct State {
            file: Option<tokio::fs::File>,
            path: PathBuf,
            expected: u64,
            read: u64,
            done: bool,
        }
        let state = State {
            file: None,
            path: self.path.clone(),
            expected: self.len,
            read: 0,
            done: false,
        };
        stream::try_unfold(state, move |mut s| async move {
            if s.done {
                return Ok(None);
            }
            let file = match s.file.as_mut() {
                Some(f) => f,
                None => s.file.insert(tokio::fs::File::open(&s.path).await?),
            };
            let mut buf = BytesMut::zeroed(READ_CHUNK);
            let mut filled = 0;
            while filled < READ_CHUNK {
                let n = file.read(&mut buf[filled..]).await?;
                if n == 0 {
                    break;
                }
                filled += n;
            }
            buf.truncate(filled);
            s.read += filled as u64;
            let mut grown = false;
            if s.read == s.expected {
                // The expected end: a file that grew since it was opened has more.
                let mut probe = [0u8; 1];
                grown = file.read(&mut probe).await? > 0;
            }
            if grown || s.read > s.expected || (filled < READ_CHUNK && s.read != s.expected) {
                return Err(io::Error::other(format!(
                    "{} changed while it was being sent: it held {} bytes, now at least {}",
                    s.path.display(),
                    s.expected,
                    s.read
                )));
            }
            if s.read == s.expected {
                s.done = true;
                if filled == 0 {
                    return Ok(None);
                }
            }
            Ok(Some((map(buf.freeze()), s)))
        })
    }
}

impl fmt::Debug for MediaFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MediaFile({}, {}, {} bytes)",
            self.path.display(),
            self.media_type,
            self.len
        )
    }
}

/// Media to send: bytes in memory, or a file streamed from disk as it is sent.
///
/// Requests that may carry large media (a recording to transcribe) take either; a
/// [`Media`] converts with `into()`. The serde form of a file is its path, type and size; only
/// media in memory deserialises (a request read from JSON never names a local file to send).
///
/// ```
/// use genai_core::{Media, MediaSource};
/// let source: MediaSource = Media::with_type("audio/wav", vec![1u8; 10]).into();
/// assert_eq!(source.media_type(), "audio/wav");
/// assert_eq!(source.len(), 10);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum MediaSource {
    /// Bytes in memory.
    Memory(Media),
    /// A file, read as it is sent.
    File(MediaFile),
}

impl MediaSource {
    /// The media type.
    pub fn media_type(&self) -> &str {
        match self {
            MediaSource::Memory(m) => m.media_type(),
            MediaSource::File(f) => f.media_type(),
        }
    }

    /// The size in bytes.
    pub fn len(&self) -> u64 {
        match self {
            MediaSource::Memory(m) => m.len() as u64,
            MediaSource::File(f) => f.len(),
        }
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether this is audio.
    pub fn is_audio(&self) -> bool {
        self.media_type().starts_with("audio/")
    }

    /// Whether this is an image.
    pub fn is_image(&self) -> bool {
        self.media_type().starts_with("image/")
    }

    /// The bytes in memory, reading the file when the media is on disk.
    pub async fn load(&self) -> Result<Media> {
        match self {
            MediaSource::Memory(m) => Ok(m.clone()),
            MediaSource::File(f) => f.read().await,
        }
    }
}

impl<'de> Deserialize<'de> for MediaSource {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Media::deserialize(d).map(MediaSource::Memory)
    }
}

impl From<Media> for MediaSource {
    fn from(media: Media) -> Self {
        MediaSource::Memory(media)
    }
}

impl From<MediaFile> for MediaSource {
    fn from(file: MediaFile) -> Self {
        MediaSource::File(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::TryStreamExt;

    fn temp(name: &str, bytes: &[u8]) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("genai-media-file-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn wav(len: usize) -> Vec<u8> {
        let mut v = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        v.extend((0..len.saturating_sub(16)).map(|i| (i * 7 % 251) as u8));
        v
    }

    #[tokio::test]
    async fn streams_the_bytes_and_their_base64_across_chunk_edges() {
        for len in [
            16,
            READ_CHUNK - 1,
            READ_CHUNK,
            READ_CHUNK + 1,
            3 * READ_CHUNK + 2,
        ] {
            let bytes = wav(len);
            let path = temp(&format!("edges-{len}"), &bytes);
            let file = MediaFile::open(&path).await.unwrap();
            let raw: Vec<Bytes> = file.chunks().try_collect().await.unwrap();
            assert_eq!(raw.concat(), bytes, "{len}");
            let text: Vec<Bytes> = file.base64_chunks().try_collect().await.unwrap();
            let text = text.concat();
            assert_eq!(text.len() as u64, file.base64_len(), "{len}");
            assert_eq!(
                text,
                base64::engine::general_purpose::STANDARD
                    .encode(&bytes)
                    .into_bytes()
            );
            std::fs::remove_file(&path).unwrap();
        }
    }

    #[test]
    fn only_media_in_memory_deserialises() {
        let memory = MediaSource::from(Media::with_type("audio/wav", vec![1u8, 2, 3]));
        let text = serde_json::to_string(&memory).unwrap();
        assert_eq!(serde_json::from_str::<MediaSource>(&text).unwrap(), memory);
        let file = r#"{"path":"/etc/passwd","media_type":"audio/wav","len":3}"#;
        assert!(serde_json::from_str::<MediaSource>(file).is_err());
    }

    #[tokio::test]
    async fn refuses_empty_unknown_and_changed_files() {
        let empty = temp("empty", b"");
        assert!(MediaFile::open(&empty)
            .await
            .unwrap_err()
            .to_string()
            .contains("empty"));
        let text = temp("text.wav", b"hello, this is text");
        assert!(MediaFile::open(&text).await.is_err());
        assert!(MediaFile::open("/nonexistent/genai.wav").await.is_err());

        let path = temp("changed", &wav(100));
        let file = MediaFile::open(&path).await.unwrap();
        std::fs::write(&path, wav(90)).unwrap();
        assert!(file.chunks().try_collect::<Vec<_>>().await.is_err());
        assert!(file.read().await.is_err());
        std::fs::write(&path, wav(READ_CHUNK * 2)).unwrap();
        assert!(file.chunks().try_collect::<Vec<_>>().await.is_err());
        let exact = temp("exact", &wav(READ_CHUNK));
        let file = MediaFile::open(&exact).await.unwrap();
        std::fs::write(&exact, wav(READ_CHUNK + 1)).unwrap();
        assert!(file.chunks().try_collect::<Vec<_>>().await.is_err());
        for p in [empty, text, path, exact] {
            std::fs::remove_file(p).unwrap();
        }
    }
}

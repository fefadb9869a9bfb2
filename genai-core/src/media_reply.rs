//! A media reply (an image, a sound) as it arrives: streamed to a file or collected.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::cost::Cost;
use crate::error::{Error, ErrorKind, Result};
use crate::http::BinaryBody;
use crate::media::{sniff_media_type, Media};

/// How many leading bytes are enough to recognise a format.
const SNIFF_BYTES: usize = 16;

/// A media reply as it arrives: its bytes in chunks, written to a file or a writer without
/// holding them whole, or collected into a [`Media`].
///
/// The media type reported is read from the bytes themselves (a service may state another:
/// its statement is only the fallback for formats this library does not recognise).
///
/// ```
/// use genai_core::{Media, MediaReply};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let png = Media::with_type("image/png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec());
/// let media = MediaReply::from_media(png).collect().await?;
/// assert_eq!(media.media_type(), "image/png");
/// # Ok::<(), genai_core::Error>(()) }).unwrap();
/// ```
pub struct MediaReply {
    stated: Option<String>,
    head: BytesMut,
    head_done: bool,
    source: Source,
    cost: Option<Cost>,
    expected: Option<Expected>,
}

/// What a reply must be, when the caller knows (see [`MediaReply::expect`]).
#[derive(Debug, Clone, Copy)]
struct Expected {
    class: MediaClass,
    headerless: Option<&'static str>,
}

/// The class of media a reply must be: its bytes must show a format of that class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaClass {
    /// An image (`image/...`).
    Image,
    /// A sound (`audio/...`).
    Audio,
}

impl MediaClass {
    fn prefix(self) -> &'static str {
        match self {
            MediaClass::Image => "image/",
            MediaClass::Audio => "audio/",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            MediaClass::Image => "an image",
            MediaClass::Audio => "audio",
        }
    }
}

/// How many leading bytes an error quotes when a reply is not the media it should be.
const QUOTE_BYTES: usize = 200;

enum Source {
    Whole(Option<Bytes>),
    Body(Box<BinaryBody>),
}

impl fmt::Debug for MediaReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaReply")
            .field("stated", &self.stated)
            .finish_non_exhaustive()
    }
}

/// What was written: the media type (from the bytes) and the size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MediaSummary {
    /// The media type, read from the bytes.
    pub media_type: String,
    /// How many bytes were written.
    pub bytes: u64,
}

impl MediaReply {
    /// A reply already in memory (a service that wrapped the bytes in JSON).
    pub fn from_media(media: Media) -> Self {
        MediaReply {
            stated: Some(media.media_type().to_owned()),
            head: BytesMut::new(),
            head_done: false,
            source: Source::Whole(Some(media.into_data())),
            cost: None,
            expected: None,
        }
    }

    /// A binary reply body, read as it arrives; `stated` is the type the service declared.
    pub fn from_body(body: BinaryBody) -> Self {
        let stated = body
            .content_type()
            .map(|t| t.split(';').next().unwrap_or(t).trim().to_owned());
        MediaReply {
            stated,
            head: BytesMut::new(),
            head_done: false,
            source: Source::Body(Box::new(body)),
            cost: None,
            expected: None,
        }
    }

    /// The same reply with what the call cost.
    pub fn with_cost(mut self, cost: Option<Cost>) -> Self {
        self.cost = cost;
        self
    }

    /// What the call cost, when known (reported by the service or estimated from the
    /// model's price and the request).
    pub fn cost(&self) -> Option<Cost> {
        self.cost
    }

    async fn raw_chunk(&mut self) -> Result<Option<Bytes>> {
        match &mut self.source {
            Source::Whole(bytes) => Ok(bytes.take()),
            Source::Body(body) => body.next_chunk().await,
        }
    }

    /// Requires the reply to be of `class`, read from its bytes whatever the service states:
    /// [`media_type`](Self::media_type) (and so `save`, `write_to` and `collect`) then fail
    /// with [`Protocol`](ErrorKind::Protocol), quoting the start of the reply, when the bytes
    /// are another class or no known format (an HTML page, a JSON error sent as
    /// `application/octet-stream`, a gzip body, text labelled `image/png`). `headerless` is
    /// the type of the raw samples the request asked for (PCM without a container), which no
    /// sniffing can recognise: bytes of no known format are then taken as that type unless
    /// they look like text or a compressed body.
    ///
    /// ```
    /// use genai_core::{ErrorKind, Media, MediaClass, MediaReply};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let page = Media::with_type("image/png", b"<html><body>Sign in</body></html>".to_vec());
    /// let err = MediaReply::from_media(page)
    ///     .expect(MediaClass::Image, None)
    ///     .collect()
    ///     .await
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Protocol);
    /// assert!(err.message().contains("<html><body>Sign in"));
    /// # });
    /// ```
    pub fn expect(mut self, class: MediaClass, headerless: Option<&'static str>) -> Self {
        self.expected = Some(Expected { class, headerless });
        self
    }

    /// Reads until the leading bytes are known, and returns the media type they show.
    ///
    /// Fails with [`Protocol`](ErrorKind::Protocol) when the reply is empty, or when it is
    /// not of the class given to [`expect`](Self::expect).
    pub async fn media_type(&mut self) -> Result<String> {
        self.fill_head(SNIFF_BYTES).await?;
        if self.head.is_empty() && !self.head_done {
            return Err(Error::protocol("the service sent an empty media reply"));
        }
        let sniffed = sniff_media_type(&self.head);
        let Some(expected) = self.expected else {
            return Ok(sniffed
                .map(str::to_owned)
                .or_else(|| self.stated.clone())
                .unwrap_or_else(|| "application/octet-stream".to_owned()));
        };
        match (sniffed, expected.headerless) {
            (Some(t), _) if t.starts_with(expected.class.prefix()) => return Ok(t.to_owned()),
            (None, Some(raw)) if !looks_like_text_or_archive(&self.head) => {
                return Ok(raw.to_owned())
            }
            _ => {}
        }
        // Read a little more, to quote what the service sent instead.
        self.fill_head(QUOTE_BYTES).await?;
        let shown = match sniffed {
            Some(t) => t.to_owned(),
            None => "no known image or audio format".to_owned(),
        };
        let stated = self
            .stated
            .as_deref()
            .map(|s| format!(" (labelled {s})"))
            .unwrap_or_default();
        let end = self.head.len().min(QUOTE_BYTES);
        Err(Error::protocol(format!(
            "the reply is not {}: {shown}{stated}, starting {:?}",
            expected.class.noun(),
            crate::text::excerpt(&String::from_utf8_lossy(&self.head[..end]), QUOTE_BYTES),
        )))
    }

    /// Reads chunks into the head until it holds `n` bytes or the reply ends.
    async fn fill_head(&mut self, n: usize) -> Result<()> {
        while !self.head_done && self.head.len() < n {
            match self.raw_chunk().await? {
                Some(chunk) => self.head.extend_from_slice(&chunk),
                None => break,
            }
        }
        Ok(())
    }

    /// The next chunk of bytes, `None` at the end of a complete reply.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>> {
        if !self.head_done {
            self.head_done = true;
            if !self.head.is_empty() {
                return Ok(Some(std::mem::take(&mut self.head).freeze()));
            }
        }
        self.raw_chunk().await
    }

    /// Collects the whole reply into memory.
    pub async fn collect(mut self) -> Result<Media> {
        let media_type = self.media_type().await?;
        let mut all = BytesMut::new();
        while let Some(chunk) = self.next_chunk().await? {
            all.extend_from_slice(&chunk);
        }
        Ok(Media::with_type(media_type, all.freeze()))
    }

    /// Writes the reply to `out` as it arrives; returns the media type and the size.
    pub async fn write_to(
        mut self,
        out: &mut (dyn AsyncWrite + Unpin + Send),
    ) -> Result<MediaSummary> {
        let media_type = self.media_type().await?;
        let mut bytes = 0u64;
        while let Some(chunk) = self.next_chunk().await? {
            out.write_all(&chunk).await.map_err(write_error)?;
            bytes += chunk.len() as u64;
        }
        out.flush().await.map_err(write_error)?;
        Ok(MediaSummary { media_type, bytes })
    }

    /// Writes the reply to the file `path` as it arrives, through a temporary file beside it
    /// that is renamed only once the reply is complete: a failed or cut reply leaves no file
    /// that looks complete (and an existing `path` untouched).
    ///
    ///
    /// Each chunk goes to the file as it came, before the next one is read, and is then
    /// dropped: no copy into a write buffer, and the connection never reads ahead of the disk,
    /// so memory stays within about one read buffer whatever the size of the reply. Those
    /// writes land in the page cache and are made directly from the task (a chunk is at most
    /// the connection's read buffer, a few hundred KiB); opening, `fsync` and the rename run on
    /// tokio's blocking pool.
    pub async fn save(mut self, path: &Path) -> Result<MediaSummary> {
        let media_type = self.media_type().await?;
        // Removes the temporary file unless the rename happened: on an error, and when the
        // caller drops the future half way.
        let (tmp, mut file) = create_temp_beside(path, "part").map_err(write_error)?;
        let mut partial = Partial(Some(tmp.clone()));
        let mut bytes = 0u64;
        while let Some(chunk) = self.next_chunk().await? {
            bytes += chunk.len() as u64;
            file.write_all(&chunk).map_err(write_error)?;
        }
        blocking(move || file.sync_all()).await?;
        let to = path.to_owned();
        blocking(move || std::fs::rename(tmp, to)).await?;
        partial.0 = None;
        Ok(MediaSummary { media_type, bytes })
    }
}

/// Whether `head` starts like text (markup, JSON, words) or a compressed archive rather than
/// raw samples.
fn looks_like_text_or_archive(head: &[u8]) -> bool {
    const ARCHIVES: [&[u8]; 4] = [b"\x1f\x8b", b"PK\x03\x04", b"BZh", b"\x28\xb5\x2f\xfd"];
    if ARCHIVES.iter().any(|m| head.starts_with(m)) {
        return true;
    }
    let probe = &head[..head.len().min(64)];
    !probe.is_empty()
        && probe
            .iter()
            .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
}

/// A temporary file removed when dropped, unless taken.
struct Partial(Option<PathBuf>);

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Runs a file operation on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    op: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(op)
        .await
        .map_err(|e| Error::new(ErrorKind::Io, format!("the file writer stopped: {e}")))?
        .map_err(write_error)
}

/// Creates a new temporary file beside `path`, `.{name}.{random}.{ext}`: a name no one can
/// predict, created with `O_EXCL` (`create_new`), so a file or symlink planted in advance is
/// never opened, let alone followed.
pub(crate) fn create_temp_beside(
    path: &Path,
    ext: &str,
) -> std::io::Result<(PathBuf, std::fs::File)> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "media".to_owned());
    let mut last = None;
    for _ in 0..16 {
        let suffix: String = std::iter::repeat_with(fastrand::alphanumeric)
            .take(12)
            .collect();
        let tmp = path.with_file_name(format!(".{name}.{suffix}.{ext}"));
        let mut open = std::fs::OpenOptions::new();
        open.write(true).create_new(true);
        match open.open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary name")))
}

fn write_error(e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("could not write the media: {e}")).with_source(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn saves_atomically_and_reads_the_type_from_the_bytes() {
        let dir = std::env::temp_dir().join(format!("genai-media-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.bin");
        // The service states PNG; the bytes are JPEG: the bytes win.
        let reply = MediaReply::from_media(Media::with_type(
            "image/png",
            b"\xff\xd8\xff\xe0 jpeg".to_vec(),
        ));
        let summary = reply.save(&path).await.unwrap();
        assert_eq!(summary.media_type, "image/jpeg");
        assert_eq!(summary.bytes, 9);
        assert_eq!(std::fs::read(&path).unwrap().len(), 9);
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
            .collect();
        assert!(leftovers.is_empty());
        let empty = MediaReply::from_media(Media::with_type("image/png", Vec::new()));
        assert_eq!(
            empty.collect().await.unwrap_err().kind(),
            ErrorKind::Protocol
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

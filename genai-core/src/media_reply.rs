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
}

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

    /// Reads until the leading bytes are known, and returns the media type they show.
    ///
    /// Fails with [`Protocol`](ErrorKind::Protocol) when the reply is empty.
    pub async fn media_type(&mut self) -> Result<String> {
        while !self.head_done && self.head.len() < SNIFF_BYTES {
            match self.raw_chunk().await? {
                Some(chunk) => self.head.extend_from_slice(&chunk),
                None => break,
            }
        }
        if self.head.is_empty() && !self.head_done {
            return Err(Error::protocol("the service sent an empty media reply"));
        }
        Ok(sniff_media_type(&self.head)
            .map(str::to_owned)
            .or_else(|| self.stated.clone())
            .unwrap_or_else(|| "application/octet-stream".to_owned()))
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
        let tmp = temp_path(path);
        let mut partial = Partial(Some(tmp.clone()));
        let create = tmp.clone();
        let mut file = blocking(move || std::fs::File::create(create)).await?;
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
        .map_err(|e| {
            Error::new(
                ErrorKind::InvalidRequest,
                format!("the file writer stopped: {e}"),
            )
        })?
        .map_err(write_error)
}

/// `.{name}.{pid}.{n}.part` beside `path`: unique to this save, even when several saves to
/// one path run at once in one process.
fn temp_path(path: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "media".to_owned());
    path.with_file_name(format!(".{name}.{}.{n}.part", std::process::id()))
}

fn write_error(e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::InvalidRequest,
        format!("could not write the media: {e}"),
    )
    .with_source(e)
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

//! Cassettes: recorded HTTP exchanges in the `genai-cassette/1` JSON format.
//!
//! A [`Cassette`] holds the exchanges of one test case, in order. It is loaded with
//! [`Cassette::load`], written with [`Cassette::save`], served by
//! [`ReplayServer`](crate::replay::ReplayServer) and produced by
//! [`RecordingProxy`](crate::replay::RecordingProxy).
//!
//! Secrets never appear in a cassette: the account id becomes the literal [`ACCOUNT_ID`]
//! ([`redact_account`]), `authorization` and every header carrying a secret are dropped
//! ([`redact_headers`]), and [`Cassette::contains_secret`] lets tests check it.
//!
//! ```
//! use genai_testkit::cassette::{Cassette, Interaction, RecordedRequest, RecordedResponse};
//!
//! let mut cassette = Cassette::new("written by hand");
//! cassette.interactions.push(Interaction {
//!     request: RecordedRequest {
//!         method: "GET".into(),
//!         url: "https://api.example.invalid/client/v4/accounts/ACCOUNT_ID/ai/models/search".into(),
//!         headers: Default::default(),
//!         body: String::new(),
//!         body_base64: None,
//!     },
//!     response: RecordedResponse {
//!         status: 200,
//!         headers: [("content-type".to_string(), "application/json".to_string())].into(),
//!         body: r#"{"success":true,"result":[]}"#.into(),
//!         body_base64: None,
//!     },
//! });
//! let dir = std::env::temp_dir().join(format!("cassette-doc-{}", std::process::id()));
//! let path = dir.join("nested/listing.json");
//! cassette.save(&path)?;
//! assert_eq!(Cassette::load(&path)?, cassette);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), genai_testkit::cassette::CassetteError>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The value of [`Cassette::format`] this crate reads and writes.
pub const FORMAT: &str = "genai-cassette/1";

/// The literal that replaces the account id in recorded URLs and bodies.
pub const ACCOUNT_ID: &str = "ACCOUNT_ID";

/// The literal that replaces a secret token wherever it was echoed.
pub const REDACTED: &str = "REDACTED";

/// Request headers never stored, whatever their value (lower-case names).
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-auth-key",
    "x-auth-email",
    "cf-aig-authorization",
];

/// One cassette file: the HTTP exchanges of one test case, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cassette {
    /// Always [`FORMAT`] (`genai-cassette/1`).
    pub format: String,
    /// Free text: where the exchanges come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The exchanges, in the order they happened.
    #[serde(default)]
    pub interactions: Vec<Interaction>,
}

/// One request and the reply it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    /// What the client sent.
    pub request: RecordedRequest,
    /// What the server answered.
    pub response: RecordedResponse,
}

/// A recorded HTTP request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// HTTP method, upper-case (`GET`, `POST`).
    pub method: String,
    /// Full URL on the real service, with the account id replaced by [`ACCOUNT_ID`].
    pub url: String,
    /// Lower-case header names; repeated headers joined with `", "`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The body exactly as sent (empty for none), when it is UTF-8 text.
    #[serde(default)]
    pub body: String,
    /// The body's exact bytes when it is not UTF-8 text (an image, a sound); then `body` is
    /// empty. Stored as `"body_base64"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<Base64Bytes>,
}

impl RecordedRequest {
    /// The body's bytes, whichever way they are stored.
    pub fn body_bytes(&self) -> Vec<u8> {
        body_bytes(&self.body, self.body_base64.as_ref())
    }
}

/// A recorded HTTP response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedResponse {
    /// HTTP status code.
    pub status: u16,
    /// Lower-case header names; repeated headers joined with `", "`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The body exactly as received (an SSE body keeps its framing), when it is UTF-8 text.
    #[serde(default)]
    pub body: String,
    /// The body's exact bytes when it is not UTF-8 text (an image, a sound); then `body` is
    /// empty. Stored as `"body_base64"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_base64: Option<Base64Bytes>,
}

impl RecordedResponse {
    /// The body's bytes, whichever way they are stored.
    pub fn body_bytes(&self) -> Vec<u8> {
        body_bytes(&self.body, self.body_base64.as_ref())
    }
}

/// Bytes stored in a cassette as standard base64 with padding (a binary body).
#[derive(Clone, PartialEq, Eq)]
pub struct Base64Bytes(pub Vec<u8>);

impl fmt::Debug for Base64Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Base64Bytes({} bytes)", self.0.len())
    }
}

impl Serialize for Base64Bytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use base64::Engine as _;
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Base64Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use base64::Engine as _;
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map(Base64Bytes)
            .map_err(|e| serde::de::Error::custom(format!("body_base64 is not base64: {e}")))
    }
}

/// A body as cassettes store it: UTF-8 text as `body`, anything else as `body_base64`.
///
/// ```
/// use genai_testkit::cassette::body_fields;
/// assert_eq!(body_fields(b"hello"), ("hello".to_owned(), None));
/// let (text, binary) = body_fields(b"\x89PNG\r\n\x1a\n\xff");
/// assert!(text.is_empty() && binary.unwrap().0.len() == 9);
/// ```
pub fn body_fields(bytes: &[u8]) -> (String, Option<Base64Bytes>) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), None),
        Err(_) => (String::new(), Some(Base64Bytes(bytes.to_vec()))),
    }
}

fn body_bytes(body: &str, binary: Option<&Base64Bytes>) -> Vec<u8> {
    binary.map_or_else(|| body.as_bytes().to_vec(), |b| b.0.clone())
}

/// Why a cassette could not be read or written. Every variant names the file.
#[derive(Debug)]
#[non_exhaustive]
pub enum CassetteError {
    /// The file could not be read, written, or its directory created.
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not valid cassette JSON.
    Parse {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: serde_json::Error,
    },
    /// The file's `format` is not [`FORMAT`].
    WrongFormat {
        /// The file concerned.
        path: PathBuf,
        /// The `format` value found.
        found: String,
    },
}

impl fmt::Display for CassetteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => write!(f, "cassette {}: {source}", path.display()),
            Self::Parse { path, source } => {
                write!(f, "cassette {}: invalid JSON: {source}", path.display())
            }
            Self::WrongFormat { path, found } => write!(
                f,
                "cassette {}: format is {found:?}, expected {FORMAT:?}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for CassetteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Parse { source, .. } => Some(source),
            Self::WrongFormat { .. } => None,
        }
    }
}

impl Cassette {
    /// An empty cassette of the current [`FORMAT`] with the given `source` note.
    pub fn new(source: impl Into<String>) -> Self {
        Self {
            format: FORMAT.to_string(),
            source: Some(source.into()),
            interactions: Vec::new(),
        }
    }

    /// Reads a cassette file; rejects a `format` other than [`FORMAT`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self, CassetteError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| CassetteError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let cassette: Self =
            serde_json::from_str(&text).map_err(|source| CassetteError::Parse {
                path: path.to_path_buf(),
                source,
            })?;
        if cassette.format != FORMAT {
            return Err(CassetteError::WrongFormat {
                path: path.to_path_buf(),
                found: cassette.format,
            });
        }
        Ok(cassette)
    }

    /// Writes the cassette as pretty JSON (stable key order, trailing newline), creating the
    /// parent directories.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CassetteError> {
        let path = path.as_ref();
        let io_error = |source| CassetteError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io_error)?;
        }
        let mut text =
            serde_json::to_string_pretty(self).map_err(|source| CassetteError::Parse {
                path: path.to_path_buf(),
                source,
            })?;
        text.push('\n');
        std::fs::write(path, text).map_err(io_error)
    }

    /// True when `secret` appears anywhere in the cassette: source, URLs, header names or
    /// values, bodies. An empty `secret` is never "contained".
    pub fn contains_secret(&self, secret: &str) -> bool {
        if secret.is_empty() {
            return false;
        }
        let in_headers = |headers: &BTreeMap<String, String>| {
            headers
                .iter()
                .any(|(name, value)| name.contains(secret) || value.contains(secret))
        };
        self.source.as_deref().is_some_and(|s| s.contains(secret))
            || self.interactions.iter().any(|i| {
                i.request.method.contains(secret)
                    || i.request.url.contains(secret)
                    || i.request.body.contains(secret)
                    || in_headers(&i.request.headers)
                    || i.response.body.contains(secret)
                    || in_headers(&i.response.headers)
            })
    }
}

/// Every `.json` file under `dir`, recursively, sorted. A missing or unreadable directory
/// yields what could be read (possibly nothing); symbolic links to directories are not followed.
pub fn find_cassettes(dir: impl AsRef<Path>) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.as_ref().to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "json") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Replaces the account id in `url` with [`ACCOUNT_ID`]: the path segment that follows an
/// `accounts` segment, whatever it holds, and any other occurrence of `account_id`
/// (e.g. the AI Gateway form `/v1/{account_id}/...`).
///
/// ```
/// use genai_testkit::cassette::redact_account;
/// assert_eq!(
///     redact_account("https://h.invalid/client/v4/accounts/0123abc/ai/run/@cf/x?page=1", "0123abc"),
///     "https://h.invalid/client/v4/accounts/ACCOUNT_ID/ai/run/@cf/x?page=1",
/// );
/// ```
pub fn redact_account(url: &str, account_id: &str) -> String {
    let (before_query, query) = match url.find(['?', '#']) {
        Some(at) => url.split_at(at),
        None => (url, ""),
    };
    let mut segments: Vec<String> = before_query.split('/').map(str::to_string).collect();
    for at in 1..segments.len() {
        if segments[at - 1] == "accounts" && !segments[at].is_empty() {
            segments[at] = ACCOUNT_ID.to_string();
        }
    }
    let joined = format!("{}{query}", segments.join("/"));
    scrub(&joined, account_id, ACCOUNT_ID)
}

/// Records headers the cassette way: names lower-cased, repeated headers joined with `", "`,
/// and dropped when the header is a credential (`authorization`, `cookie`, `x-auth-key`...) or
/// its value contains one of `secrets` (empty secrets are ignored).
///
/// ```
/// use genai_testkit::cassette::redact_headers;
/// let headers = redact_headers(
///     [("Content-Type", "application/json"), ("Authorization", "Bearer tok"),
///      ("Vary", "Accept"), ("vary", "Origin"), ("X-Echo", "tok")],
///     &["tok"],
/// );
/// assert_eq!(headers.len(), 2);
/// assert_eq!(headers["vary"], "Accept, Origin");
/// ```
pub fn redact_headers<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    secrets: &[&str],
) -> BTreeMap<String, String> {
    let mut recorded: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        let carries_secret = secrets
            .iter()
            .any(|s| !s.is_empty() && (value.contains(s) || name.contains(s)));
        if carries_secret || SECRET_HEADERS.contains(&name.as_str()) {
            continue;
        }
        recorded
            .entry(name)
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(value);
            })
            .or_insert_with(|| value.to_string());
    }
    recorded
}

/// Replaces every occurrence of `secret` in `text` with `replacement`; an empty `secret`
/// leaves `text` unchanged.
pub(crate) fn scrub(text: &str, secret: &str, replacement: &str) -> String {
    if secret.is_empty() {
        text.to_string()
    } else {
        text.replace(secret, replacement)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Cassette {
        let mut cassette = Cassette::new("unit test");
        cassette.interactions.push(Interaction {
            request: RecordedRequest {
                method: "POST".into(),
                url: "https://example.invalid/client/v4/accounts/ACCOUNT_ID/ai/run/@cf/test/model"
                    .into(),
                headers: [("content-type".to_string(), "application/json".to_string())].into(),
                body: r#"{"messages":[{"role":"user","content":"Name a colour."}]}"#.into(),
                body_base64: None,
            },
            response: RecordedResponse {
                status: 200,
                headers: BTreeMap::new(),
                body: "data: {\"response\":\"teal\"}\n\ndata: [DONE]\n\n".into(),
                body_base64: None,
            },
        });
        cassette
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("genai-cassette-unit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn save_then_load_round_trips_and_creates_dirs() {
        let dir = temp_dir("roundtrip");
        let path = dir.join("a/b/case.json");
        let cassette = sample();
        cassette.save(&path).unwrap();
        assert_eq!(Cassette::load(&path).unwrap(), cassette);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("{\n  \"format\": \"genai-cassette/1\""));
        assert!(text.ends_with("}\n"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn load_rejects_wrong_format_and_names_the_file() {
        let dir = temp_dir("format");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("old.json");
        std::fs::write(&path, r#"{"format":"genai-cassette/0","interactions":[]}"#).unwrap();
        let err = Cassette::load(&path).unwrap_err();
        assert!(
            matches!(err, CassetteError::WrongFormat { ref found, .. } if found == "genai-cassette/0")
        );
        assert!(err.to_string().contains("old.json"), "{err}");

        let bad = dir.join("bad.json");
        std::fs::write(&bad, "not json").unwrap();
        let err = Cassette::load(&bad).unwrap_err();
        assert!(matches!(err, CassetteError::Parse { .. }));
        assert!(err.to_string().contains("bad.json"));

        let err = Cassette::load(dir.join("missing.json")).unwrap_err();
        assert!(matches!(err, CassetteError::Io { .. }));
        assert!(err.to_string().contains("missing.json"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn find_cassettes_is_recursive_sorted_and_json_only() {
        let dir = temp_dir("find");
        for file in ["b/z.json", "a.json", "b/c/y.json", "b/notes.txt"] {
            let path = dir.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "{}").unwrap();
        }
        let found: Vec<_> = find_cassettes(&dir)
            .into_iter()
            .map(|p| {
                p.strip_prefix(&dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/")
            })
            .collect();
        assert_eq!(found, ["a.json", "b/c/y.json", "b/z.json"]);
        assert!(find_cassettes(dir.join("nope")).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn redact_account_replaces_the_segment_and_other_occurrences() {
        assert_eq!(
            redact_account(
                "http://h/client/v4/accounts/abc123/ai/models/search?x=abc123",
                "abc123"
            ),
            "http://h/client/v4/accounts/ACCOUNT_ID/ai/models/search?x=ACCOUNT_ID"
        );
        assert_eq!(
            redact_account("https://gw.invalid/v1/abc123/gw/workers-ai/m", "abc123"),
            "https://gw.invalid/v1/ACCOUNT_ID/gw/workers-ai/m"
        );
        // Any id in the accounts segment, even one we were not told about.
        assert_eq!(
            redact_account("http://h/accounts/other/ai", ""),
            "http://h/accounts/ACCOUNT_ID/ai"
        );
    }

    #[test]
    fn redact_headers_drops_credentials_and_joins_repeats() {
        let headers = redact_headers(
            [
                ("Authorization", "Bearer s3cret"),
                ("X-Debug", "token=s3cret"),
                ("Content-Type", "application/json"),
                ("Set-Cookie", "__cf=1"),
                ("Accept", "a"),
                ("accept", "b"),
            ],
            &["s3cret", ""],
        );
        assert_eq!(
            headers,
            BTreeMap::from([
                ("accept".to_string(), "a, b".to_string()),
                ("content-type".to_string(), "application/json".to_string()),
            ])
        );
    }

    #[test]
    fn contains_secret_looks_everywhere() {
        let mut cassette = sample();
        assert!(!cassette.contains_secret("s3cret"));
        assert!(!cassette.contains_secret(""));
        assert!(cassette.contains_secret("teal"));
        cassette.interactions[0]
            .response
            .headers
            .insert("x-echo".into(), "s3cret".into());
        assert!(cassette.contains_secret("s3cret"));
    }
}

//! Loopback HTTP servers for cassettes: [`ReplayServer`] serves recorded exchanges to a client,
//! [`RecordingProxy`] records a client's exchanges with a real service.
//!
//! Both bind `127.0.0.1:0`, expose a `base_url()` to configure the client with, and shut down
//! when dropped. They need a Tokio runtime.
//!
//! ```
//! use genai_testkit::cassette::{Cassette, Interaction, RecordedRequest, RecordedResponse};
//! use genai_testkit::replay::{MatchMode, ReplayServer};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut cassette = Cassette::new("doc example");
//! cassette.interactions.push(Interaction {
//!     request: RecordedRequest {
//!         method: "POST".into(),
//!         url: "https://api.cloudflare.com/client/v4/accounts/ACCOUNT_ID/ai/run/@cf/demo/model".into(),
//!         headers: Default::default(),
//!         body: r#"{"messages":[{"role":"user","content":"Name a fruit."}]}"#.into(),
//!         body_base64: None,
//!     },
//!     response: RecordedResponse {
//!         status: 200,
//!         headers: [("content-type".to_string(), "application/json".to_string())].into(),
//!         body: r#"{"result":{"response":"A pear."},"success":true,"errors":[],"messages":[]}"#.into(),
//!         body_base64: None,
//!     },
//! });
//! let server = ReplayServer::builder()
//!     .cassette(cassette)
//!     .match_mode(MatchMode::Strict)
//!     .start()
//!     .await?;
//! // A client configured with this base URL may use any account id.
//! let url = format!("{}/accounts/0123456789abcdef/ai/run/@cf/demo/model", server.base_url());
//! let reply = reqwest::Client::new()
//!     .post(url)
//!     .body(r#"{ "messages": [ { "content": "Name a fruit.", "role": "user" } ] }"#)
//!     .send()
//!     .await?;
//! assert_eq!(reply.status(), 200);
//! assert!(reply.text().await?.contains("A pear."));
//! assert!(server.unused().is_empty() && server.unmatched().is_empty());
//! # Ok(())
//! # }
//! ```

mod proxy;
mod server;

use std::fmt;

pub use proxy::RecordingProxy;
pub use server::{MatchMode, ReceivedRequest, ReplayServer, ReplayServerBuilder};

/// Largest request body the servers read (bytes).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// Headers that describe one connection, not the message: never replayed nor forwarded.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-length",
];

/// Why a replay server or recording proxy could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReplayError {
    /// Binding the loopback listener failed.
    Bind(std::io::Error),
    /// `chunk_size(Some(0))`: pieces must hold at least one byte.
    InvalidChunkSize,
    /// The upstream base URL given to [`RecordingProxy::start`] is not an `http(s)` URL.
    InvalidUpstream {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client for the upstream could not be built.
    Client(reqwest::Error),
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bind(err) => write!(f, "cannot bind a loopback listener: {err}"),
            Self::InvalidChunkSize => write!(f, "chunk size must be at least one byte"),
            Self::InvalidUpstream { url, reason } => {
                write!(f, "invalid upstream base URL {url:?}: {reason}")
            }
            Self::Client(err) => write!(f, "cannot build the upstream HTTP client: {err}"),
        }
    }
}

impl std::error::Error for ReplayError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Bind(err) => Some(err),
            Self::Client(err) => Some(err),
            Self::InvalidChunkSize | Self::InvalidUpstream { .. } => None,
        }
    }
}

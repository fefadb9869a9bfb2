//! What every loopback server of the crate shares: the one bootstrap (the emulator, the replay
//! server, the recording proxy and the scripted server all start through [`serve`]) and the
//! decoding of URL paths and query strings.

use std::net::{Ipv4Addr, SocketAddr};

use axum::serve::ListenerExt;
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Serves `router` on `listener` until the future is dropped or the listener fails.
///
/// Every accepted connection gets `TCP_NODELAY`, so small pieces (SSE events, a stream cut
/// after one chunk) leave at once instead of waiting for the previous one's ACK. Dropping the
/// future stops accepting and lets the open connections end gracefully.
pub(crate) async fn serve(listener: TcpListener, router: Router) -> std::io::Result<()> {
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router).await
}

/// A [`serve`] task spawned on the current Tokio runtime; stops when dropped.
#[derive(Debug)]
pub(crate) struct LoopbackServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl LoopbackServer {
    /// Binds `127.0.0.1:0` and serves `router` there.
    pub(crate) async fn bind(router: Router) -> std::io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        Self::spawn(listener, router)
    }

    /// Serves `router` on a listener bound by the caller.
    pub(crate) fn spawn(listener: TcpListener, router: Router) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = serve(listener, router).await;
        });
        Ok(Self { addr, task })
    }

    /// The bound address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Decodes `%XX` escapes (invalid escapes stay as they are; invalid UTF-8 is replaced).
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).and_then(|b| hex(*b)),
            bytes.get(i + 2).and_then(|b| hex(*b)),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes a query-string key or value: `+` is a space, then `%XX` escapes.
pub(crate) fn decode_query(text: &str) -> String {
    percent_decode(&text.replace('+', " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("bad%20model"), "bad model");
        assert_eq!(percent_decode("%40cf%2Fmeta"), "@cf/meta");
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn decodes_query_components() {
        assert_eq!(decode_query("a+b%2Bc"), "a b+c");
        assert_eq!(decode_query("%zz%4"), "%zz%4");
    }
}

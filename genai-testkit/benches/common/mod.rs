//! Shared by the media benches: a minimal keep-alive HTTP/1.1 loopback server, the process's
//! memory figures, and filler bytes.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

/// A current-thread runtime, as a small client process would use.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A Workers AI provider talking to the bench's loopback server at `base`.
pub fn provider(base: &str) -> genai_cloudflare::WorkersAi {
    genai_cloudflare::CloudflareChat::builder()
        .account_id("0123456789abcdef0123456789abcdef")
        .api_token("bench-token")
        .base_url(base)
        .build_provider()
        .expect("provider")
}

/// A request's head: its body length and whether the body is JSON.
pub struct Head {
    pub length: usize,
    pub json: bool,
}

/// Serves on a loopback port, one thread per connection, each running `handle` over the
/// connection's reader and writer; returns the address.
pub fn serve(
    handle: impl Fn(&mut BufReader<TcpStream>, &mut TcpStream) + Clone + Send + 'static,
) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let handle = handle.clone();
            std::thread::spawn(move || {
                let Ok(read_half) = stream.try_clone() else {
                    return;
                };
                let mut reader = BufReader::new(read_half);
                let mut writer = stream;
                handle(&mut reader, &mut writer);
            });
        }
    });
    addr
}

/// Reads a request's head; `None` when the connection ended.
pub fn read_head(reader: &mut BufReader<TcpStream>) -> Option<Head> {
    let mut head = Head {
        length: 0,
        json: false,
    };
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        if line == "\r\n" {
            return Some(head);
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            head.length = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("content-type:") && lower.contains("json") {
            head.json = true;
        }
    }
}

/// Writes a 200 reply with its `Content-Length`; `false` when the connection broke.
pub fn reply(writer: &mut TcpStream, content_type: &str, body: &[u8]) -> bool {
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    writer.write_all(head.as_bytes()).is_ok() && writer.write_all(body).is_ok()
}

/// A `/proc/self/status` figure (`VmRSS:`, `VmHWM:`) in KiB; 0 when unknown.
pub fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// Forgets the process's peak so far (`VmHWM` restarts from the current resident size).
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Appends pseudo-random bytes (a fixed seed) until `out` holds `len` bytes.
pub fn fill_noise(out: &mut Vec<u8>, len: usize) {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
}

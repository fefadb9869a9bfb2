//! Chat: the [`CloudflareChat`] client and everything that turns a `ChatRequest` into a request
//! body and a reply (sync or streamed) into a `ChatResponse`, per model family. It sits on the
//! shared [`Transport`](crate::transport::Transport) beside the task models and depends on none
//! of them.

pub(crate) mod chunk;
pub(crate) mod client;
pub(crate) mod family;
pub(crate) mod reply;
pub(crate) mod stream;
pub(crate) mod text_calls;
pub(crate) mod vision;
pub(crate) mod wire;

pub use client::CloudflareChat;
pub use family::Family;

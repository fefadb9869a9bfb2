//! The decoders without I/O (`genai_cloudflare::decode`) under arbitrary and mutated input:
//! nothing from the network panics the library, and what they accept keeps the client's
//! promises.

/// Chat: the SSE framing and both reply decoders, property tests.
mod chat;
/// Every other kind: a short run of each task decoder's fuzz target.
mod tasks;

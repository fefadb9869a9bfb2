//! Chat: each family's reply shapes and the answers to the conformance prompts. It uses the
//! image descriptions for vision requests and nothing of the routes, the catalog or the queue.

pub(crate) mod families;
pub(crate) mod responder;

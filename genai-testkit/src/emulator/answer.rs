//! What a model of any kind answers: a JSON `result`, raw media, or a refusal in the error
//! envelope. Every responder returns these; the server writes them on the wire.

use serde_json::Value;

/// A successful answer of a model.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Answer {
    /// The `result` of a JSON envelope.
    Json(Value),
    /// Raw media bytes with their `Content-Type`.
    Media {
        content_type: &'static str,
        bytes: Vec<u8>,
    },
}

/// A refusal: the HTTP status, the service's error code and its message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Refusal {
    pub(crate) status: u16,
    pub(crate) code: u32,
    pub(crate) message: String,
}

impl Refusal {
    pub(crate) fn new(status: u16, code: u32, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 with code 5006 and the message `AiError: Bad input: {message}`, as the service
    /// refuses input its schema does not take.
    pub(crate) fn bad_input(message: impl std::fmt::Display) -> Refusal {
        Refusal::new(400, 5006, format!("AiError: Bad input: {message}"))
    }
}

//! Images in chat: vision models (image parts in their messages, or Llama 3.2 Vision's
//! top-level `image` field) and image-to-text models (LLaVA, UForm) answered as chat text.

use genai_core::http::Deadline;
use genai_core::{
    Capabilities, ChatRequest, ChatResponse, Error, ErrorKind, Media, Message, Result, Support,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::errors::PROVIDER;
use crate::facts::{self, ChatImages, Wire};
use crate::transport::{Body, Transport};

/// Whether `model` is Moondream (its own image-to-text schema).
fn is_moondream(model: &str) -> bool {
    model.to_ascii_lowercase().starts_with("@cf/moondream/")
}

/// The largest image attached to a chat turn. Workers AI publishes no limit; this keeps the
/// base64 form well within the request sizes it is known to take.
pub(crate) const MAX_CHAT_IMAGE_BYTES: usize = crate::transport::MAX_INPUT_IMAGE_BYTES;

/// How `model` takes images in chat, per the facts table.
fn chat_images(model: &str) -> ChatImages {
    facts::lookup(model).map_or(ChatImages::None, |f| f.chat_images)
}

/// Whether `model` reads images in a chat request: the facts table's image parts or image
/// field, the OpenAI-shaped chat models the catalog marks `vision` (image parts in their
/// messages), and the image-to-text models.
pub(crate) fn reads_images(model: &str) -> bool {
    openai_vision(model) || chat_images(model) != ChatImages::None || is_describer(model)
}

/// An OpenAI-shaped chat model the catalog marks `vision`.
fn openai_vision(model: &str) -> bool {
    facts::lookup(model).is_some_and(|f| f.vision == Some(true) && f.wire == Wire::OpenAiChat)
}

/// Whether `model` is an image-to-text model (the facts table's kind) served through chat.
pub(crate) fn is_describer(model: &str) -> bool {
    facts::lookup(model).is_some_and(|f| f.kind == genai_core::ModelKind::ImageToText)
}

/// What an image-to-text model can do through chat: an image and a prompt, sampling; no
/// tools, no JSON modes, no stop sequences, no usage.
pub(crate) fn describer_capabilities(mut caps: Capabilities) -> Capabilities {
    caps.tools = Support::Unsupported;
    caps.tool_choice_forced = Support::Unsupported;
    caps.json = Support::Unsupported;
    caps.json_schema = Support::Unsupported;
    caps.stop = Support::Unsupported;
    caps.usage = Support::Unsupported;
    caps.finish_reason = Support::Unsupported;
    caps.input.image = true;
    caps
}

/// Refuses an attached file that is not an image, or one over the size sent.
fn check_images(media: &[Media]) -> Result<()> {
    for m in media {
        if !m.is_image() {
            return Err(Error::unsupported(format!(
                "this model reads images, not {}",
                m.media_type()
            )));
        }
        if m.len() > MAX_CHAT_IMAGE_BYTES {
            return Err(Error::invalid_request(format!(
                "an attached image is {} bytes; at most {MAX_CHAT_IMAGE_BYTES} are sent",
                m.len()
            )));
        }
    }
    Ok(())
}

/// Puts the images of `req`'s user turns into the encoded chat body `body` the way `model`
/// reads them: `image_url` content parts, or Llama 3.2 Vision's single top-level `image`
/// (base64, the compact form its schema allows).
pub(crate) fn attach_images(model: &str, req: &ChatRequest, body: &mut Value) -> Result<()> {
    let users: Vec<&Message> = req
        .messages
        .iter()
        .filter(|m| matches!(m, Message::User { .. }))
        .collect();
    let all: Vec<&Media> = users.iter().flat_map(|m| m.media()).collect();
    if all.is_empty() {
        return Ok(());
    }
    check_images(&all.iter().map(|m| (*m).clone()).collect::<Vec<_>>())?;
    if chat_images(model) == ChatImages::Field {
        if all.len() > 1 {
            return Err(Error::unsupported(format!(
                "{model} reads one image per request, not {}",
                all.len()
            )));
        }
        body["image"] = Value::from(all[0].to_base64());
        return Ok(());
    }
    let Some(wire) = body.get_mut("messages").and_then(Value::as_array_mut) else {
        return Err(Error::protocol(
            "the chat body has no messages to attach images to",
        ));
    };
    let mut user_turns = wire
        .iter_mut()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("user"));
    for turn in users {
        let Some(wire_turn) = user_turns.next() else {
            break;
        };
        if turn.media().is_empty() {
            continue;
        }
        let mut parts = Vec::new();
        if !turn.content().is_empty() {
            parts.push(json!({"type": "text", "text": turn.content()}));
        }
        for m in turn.media() {
            parts.push(json!({"type": "image_url", "image_url": {"url": m.to_data_uri()}}));
        }
        wire_turn["content"] = Value::Array(parts);
    }
    Ok(())
}

#[derive(Deserialize)]
struct Described {
    description: String,
}

/// Asks an image-to-text model about the image of the last user turn: a JSON body with the
/// image as base64 (the schema's string form, not the 4x int array) and the turn's text as the
/// prompt, or the raw image as the whole body when there is no text. The reply's
/// `description` is the answer.
pub(crate) async fn describe(
    transport: &Transport,
    model: &str,
    req: &ChatRequest,
    deadline: &Deadline,
) -> Result<ChatResponse> {
    let last = req
        .messages
        .iter()
        .rev()
        .find(|m| matches!(m, Message::User { .. }))
        .ok_or_else(|| Error::invalid_request("the request needs a user turn with an image"))?;
    let images = last.media();
    check_images(images)?;
    let image = match images {
        [one] => one,
        [] => {
            return Err(Error::invalid_request(format!(
                "{model} describes an image: attach one to the last user turn"
            )))
        }
        more => {
            return Err(Error::unsupported(format!(
                "{model} reads one image per request, not {}",
                more.len()
            )))
        }
    };
    let prompt = last.content().trim();
    if is_moondream(model) {
        return moondream(transport, model, req, image, prompt, deadline).await;
    }
    let body = if prompt.is_empty() {
        Body::raw(image.data().clone(), image.media_type())?
    } else {
        let mut body = json!({"image": image.to_base64(), "prompt": prompt});
        if let Some(n) = req.max_tokens {
            body["max_tokens"] = n.into();
        }
        for (key, value) in [("temperature", req.temperature), ("top_p", req.top_p)] {
            if let Some(v) = value {
                body[key] = v.into();
            }
        }
        if let Some(k) = req.top_k {
            body["top_k"] = k.into();
        }
        if let Some(s) = req.seed {
            body["seed"] = s.into();
        }
        Body::json(&body)?
    };
    let (out, meta): (Described, _) = transport.run_json(model, &body, deadline).await?;
    let mut reply = ChatResponse::new(out.description.trim().to_owned());
    // An image-to-text reply has no usage: its cost is the one the service reports, if any.
    reply.cost = meta.cost(
        transport
            .metering
            .estimate(model, &genai_core::Metered::requests(1)),
    );
    reply.rate_limit = meta.rate_limit;
    Ok(reply)
}

#[derive(Deserialize)]
struct MoondreamOut {
    #[serde(default)]
    answer: Option<String>,
    #[serde(default)]
    caption: Option<String>,
}

/// Moondream: the image as a `data:` URI; with a prompt the `query` task answers it, without
/// one the `caption` task describes the image. Asked not to stream (its default is to).
async fn moondream(
    transport: &Transport,
    model: &str,
    req: &ChatRequest,
    image: &Media,
    prompt: &str,
    deadline: &Deadline,
) -> Result<ChatResponse> {
    let mut body = if prompt.is_empty() {
        json!({"task": "caption", "image": image.to_data_uri(), "stream": false})
    } else {
        json!({"task": "query", "image": image.to_data_uri(), "question": prompt, "stream": false})
    };
    if let Some(n) = req.max_tokens {
        body["max_tokens"] = n.into();
    }
    for (key, value) in [("temperature", req.temperature), ("top_p", req.top_p)] {
        if let Some(v) = value {
            body[key] = v.into();
        }
    }
    let (out, meta): (MoondreamOut, _) = transport
        .run_json(model, &Body::json(&body)?, deadline)
        .await?;
    let text = out.answer.or(out.caption).ok_or_else(|| {
        Error::protocol(format!(
            "{model} answered with neither `answer` nor `caption`"
        ))
        .with_provider(PROVIDER)
    })?;
    let mut reply = ChatResponse::new(text.trim().to_owned());
    reply.cost = meta.cost(
        transport
            .metering
            .estimate(model, &genai_core::Metered::requests(1)),
    );
    reply.rate_limit = meta.rate_limit;
    Ok(reply)
}

/// Turns the service's "accept the licence first" refusal (code 5016) into an error that says
/// how to accept it.
pub(crate) fn explain_license(model: &str, e: Error) -> Error {
    if e.code() != Some(5016) {
        return e;
    }
    let mut out = Error::new(
        ErrorKind::PermissionDenied,
        format!(
            "{model} needs its licence accepted once per account ({}). Accept it with \
             `CloudflareChat::agree_to_license()` or `genai chat --model {model} --agree`",
            e.message()
        ),
    )
    .with_provider(PROVIDER)
    .with_code(5016);
    if let Some(status) = e.status() {
        out = out.with_status(status);
    }
    out
}

/// Sends the single prompt `agree` that accepts a model's licence for the account.
pub(crate) async fn agree(transport: &Transport, model: &str, deadline: &Deadline) -> Result<()> {
    let body = Body::json(&json!({"prompt": "agree"}))?;
    let _: (Value, _) = transport.run_json(model, &body, deadline).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png() -> Media {
        Media::with_type("image/png", b"\x89PNG\r\n\x1a\n".to_vec())
    }

    #[test]
    fn parts_for_part_models_and_a_field_for_llama_vision() {
        let req = ChatRequest::new()
            .system("be brief")
            .message(Message::user_with_media("What is this?", vec![png()]));
        let mut body = json!({"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"What is this?"}]});
        attach_images("@cf/google/gemma-3-12b-it", &req, &mut body).unwrap();
        let parts = &body["messages"][1]["content"];
        assert_eq!(parts[0], json!({"type":"text","text":"What is this?"}));
        assert!(parts[1]["image_url"]["url"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,"));
        let mut body = json!({"messages":[{"role":"user","content":"What is this?"}]});
        attach_images("@cf/meta/llama-3.2-11b-vision-instruct", &req, &mut body).unwrap();
        assert_eq!(body["image"], "iVBORw0KGgo=");
        assert_eq!(body["messages"][0]["content"], "What is this?");
    }

    #[test]
    fn licence_refusal_says_how_to_agree() {
        let e = Error::new(ErrorKind::InvalidRequest, "Model Agreement").with_code(5016);
        let e = explain_license("@cf/meta/llama-3.2-11b-vision-instruct", e);
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        assert!(e.message().contains("--agree"));
        assert!(reads_images("@cf/llava-hf/llava-1.5-7b-hf"));
        assert!(!reads_images("@cf/meta/llama-3.2-1b-instruct"));
    }
}

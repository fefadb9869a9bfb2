//! The JSONL lines of a batch file: one request per input line in the shape of the matching
//! command's options, and one output line per input line, `{"index","id","result"}` or
//! `{"index","id","error"}`, in input order.

use std::future::Future;
use std::io::BufRead;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;

use super::BatchItem;
use crate::cost::{Cost, CostTotal};
use crate::error::{Error, Result};
use crate::kind::ModelKind;
use crate::media::Media;
use crate::request::{ChatRequest, Message};
use crate::tasks::{EmbedRequest, Pooling, SpeechRequest, TranslateRequest, TurnRequest};

/// One input line of a batch file, read: the caller's `id` and the request it asks for, or
/// why it is not a request (that line's own error; the other lines are not affected).
///
/// The line's shape depends on the model's kind:
///
/// | kind | fields |
/// |------|--------|
/// | chat | `prompt` or `messages`, `system`, `max_tokens`, `temperature`, `top_p`, `top_k`, `seed`, `stop` (one or many), `json` |
/// | embedding | `text` (one or many), `pooling` |
/// | translation | `text`, `to`, `from` |
/// | text to speech | `text`, `out` (where its audio goes), `voice`, `lang` |
/// | turn detection | `audio` (a WAV file) |
///
/// Each may carry an `id` (any JSON value), sent as the item's external reference and
/// repeated on its output line. Unknown fields are refused.
///
/// ```
/// use genai_core::{BatchLine, Error, Media, ModelKind};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// // Only turn detection lines name a file: refuse them here.
/// let no_audio = |_| async { Err::<Media, _>(Error::invalid_request("no audio here")) };
/// let line = r#"{"id":1,"text":"Hello","to":"fr"}"#;
/// let line = BatchLine::parse(ModelKind::Translation, line, no_audio).await;
/// assert_eq!(line.item.unwrap().external_reference.as_deref(), Some("1"));
///
/// let mut out = String::new();
/// BatchLine::write_result(&mut out, 0, &line.id, r#"{"text":"Bonjour"}"#);
/// assert_eq!(out, "{\"index\":0,\"id\":1,\"result\":{\"text\":\"Bonjour\"}}\n");
/// # });
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct BatchLine {
    /// The line's `id` (`null` when it has none or is not JSON).
    pub id: Value,
    /// The request, with the `id` as its external reference, or the line's error.
    pub item: Result<BatchItem>,
    /// Where a text-to-speech line's audio goes (its `out`), as written on the line.
    pub out: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChatLine {
    #[serde(default)]
    #[allow(dead_code)] // read apart, whatever the line's shape
    id: Value,
    prompt: Option<String>,
    system: Option<String>,
    messages: Option<Vec<Message>>,
    max_tokens: Option<u32>,
    temperature: Option<f64>,
    top_p: Option<f64>,
    top_k: Option<u32>,
    seed: Option<u64>,
    #[serde(default)]
    stop: Stops,
    #[serde(default)]
    json: bool,
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum Stops {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Texts {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmbedLine {
    #[serde(default)]
    #[allow(dead_code)] // read apart, whatever the line's shape
    id: Value,
    text: Texts,
    pooling: Option<Pooling>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TranslateLine {
    #[serde(default)]
    #[allow(dead_code)] // read apart, whatever the line's shape
    id: Value,
    text: String,
    to: String,
    from: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpeakLine {
    #[serde(default)]
    #[allow(dead_code)] // read apart, whatever the line's shape
    id: Value,
    text: String,
    out: PathBuf,
    voice: Option<String>,
    lang: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TurnLine {
    #[serde(default)]
    #[allow(dead_code)] // read apart, whatever the line's shape
    id: Value,
    /// The WAV file to judge.
    audio: PathBuf,
}

/// The caller's id as the queue's `external_reference` (a string).
fn reference(id: &Value) -> Option<String> {
    match id {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn chat_item(l: ChatLine) -> Result<BatchItem> {
    // Refused here as a chat command refuses them, not sent to be paid for.
    match (&l.prompt, &l.messages) {
        (Some(p), _) if p.trim().is_empty() => {
            return Err(Error::invalid_request("the prompt is empty"))
        }
        (None, None) => {
            return Err(Error::invalid_request(
                "nothing to send: give \"prompt\" or \"messages\"",
            ))
        }
        _ => {}
    }
    let mut req = ChatRequest::new();
    if let Some(s) = l.system {
        req = req.system(s);
    }
    req.messages.extend(l.messages.unwrap_or_default());
    if let Some(p) = l.prompt {
        req = req.user(p);
    }
    if l.json {
        req = req.json();
    }
    req.max_tokens = l.max_tokens;
    req.temperature = l.temperature;
    req.top_p = l.top_p;
    req.top_k = l.top_k;
    req.seed = l.seed;
    req.stop = match l.stop {
        Stops::None => Vec::new(),
        Stops::One(s) => vec![s],
        Stops::Many(v) => v,
    };
    Ok(BatchItem::chat(req))
}

impl BatchLine {
    /// Reads one line for a model of `kind`. A turn detection line names an audio file:
    /// `read_audio` reads it (with whatever checks the caller wants: size, type), so a
    /// missing or unreadable file is that line's error.
    pub async fn parse<F, Fut>(kind: ModelKind, line: &str, read_audio: F) -> BatchLine
    where
        F: FnOnce(PathBuf) -> Fut,
        Fut: Future<Output = Result<Media>>,
    {
        let id = serde_json::from_str::<Value>(line)
            .ok()
            .and_then(|v| v.get("id").cloned())
            .unwrap_or(Value::Null);
        let bad =
            |e: serde_json::Error| Error::invalid_request(format!("not a valid request: {e}"));
        let mut out = None;
        let item = match kind {
            ModelKind::Chat => serde_json::from_str::<ChatLine>(line)
                .map_err(bad)
                .and_then(chat_item),
            ModelKind::Embedding => serde_json::from_str::<EmbedLine>(line)
                .map_err(bad)
                .map(|l| {
                    let texts = match l.text {
                        Texts::One(t) => vec![t],
                        Texts::Many(v) => v,
                    };
                    let mut req = EmbedRequest::new(texts);
                    req.pooling = l.pooling;
                    BatchItem::embed(req)
                }),
            ModelKind::Translation => serde_json::from_str::<TranslateLine>(line)
                .map_err(bad)
                .map(|l| {
                    let mut req = TranslateRequest::new(l.text, l.to);
                    req.source_lang = l.from;
                    BatchItem::translate(req)
                }),
            ModelKind::TextToSpeech => {
                serde_json::from_str::<SpeakLine>(line)
                    .map_err(bad)
                    .map(|l| {
                        let mut req = SpeechRequest::new(l.text);
                        req.voice = l.voice;
                        req.language = l.lang;
                        out = Some(l.out);
                        BatchItem::speak(req)
                    })
            }
            ModelKind::TurnDetection => match serde_json::from_str::<TurnLine>(line) {
                Ok(l) => read_audio(l.audio)
                    .await
                    .map(|audio| BatchItem::detect_turn(TurnRequest::new(audio))),
                Err(e) => Err(bad(e)),
            },
            other => Err(Error::unsupported(format!(
                "batches of {} models are not supported",
                other.as_str()
            ))),
        };
        let item = item.map(|item| match reference(&id) {
            Some(r) => item.reference(r),
            None => item,
        });
        BatchLine { id, item, out }
    }

    /// A line that is no request, for `error` (e.g. bytes that are not text).
    pub fn invalid(error: Error) -> BatchLine {
        BatchLine {
            id: Value::Null,
            item: Err(error),
            out: None,
        }
    }

    /// Appends the output line of input line `index` (0-based) with its `result`, a JSON
    /// object's text: `{"index":…,"id":…,"result":…}` and a newline.
    pub fn write_result(out: &mut String, index: usize, id: &Value, result: &str) {
        out.push_str(&format!(
            r#"{{"index":{index},"id":{id},"result":{result}}}"#
        ));
        out.push('\n');
    }

    /// Appends the output line of input line `index` (0-based) that failed:
    /// `{"index":…,"id":…,"error":{"kind","status","code","message"}}` and a newline.
    pub fn write_error(out: &mut String, index: usize, id: &Value, error: &Error) {
        let error = serde_json::json!({
            "kind": error.kind().as_str(),
            "status": error.status(),
            "code": error.code(),
            "message": error.message(),
        });
        out.push_str(&format!(r#"{{"index":{index},"id":{id},"error":{error}}}"#));
        out.push('\n');
    }
}

/// What an output file holds: its error lines and the total cost of its results (read back
/// from the file, so a resumed run counts the lines written before it too).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct BatchTally {
    /// Lines with an `error`.
    pub errors: usize,
    /// The costs of the lines with a `result`, added up.
    pub cost: CostTotal,
}

impl BatchTally {
    /// Reads output lines; a line that is not JSON is skipped.
    pub fn read(lines: impl BufRead) -> std::io::Result<BatchTally> {
        let mut tally = BatchTally::default();
        for line in lines.lines() {
            let line = line?;
            let Ok(v) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if v.get("error").is_some() {
                tally.errors += 1;
            } else if let Some(result) = v.get("result") {
                let c = result
                    .get("cost")
                    .and_then(|c| serde_json::from_value::<Cost>(c.clone()).ok());
                tally.cost.add(c);
            }
        }
        Ok(tally)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::error::ErrorKind;

    async fn parse(kind: ModelKind, line: &str) -> BatchLine {
        BatchLine::parse(kind, line, |path: PathBuf| async move {
            if path == Path::new("turn.wav") {
                Ok(Media::with_type("audio/wav", b"RIFF".to_vec()))
            } else {
                Err(Error::invalid_request(format!("no {}", path.display())))
            }
        })
        .await
    }

    #[tokio::test]
    async fn lines_become_items_of_the_model_kind() {
        let e = parse(
            ModelKind::Chat,
            r#"{"id":"q1","prompt":"hi","max_tokens":5}"#,
        )
        .await;
        let item = e.item.unwrap();
        assert_eq!(e.id, Value::from("q1"));
        assert_eq!(item.external_reference.as_deref(), Some("q1"));
        let e = parse(ModelKind::Embedding, r#"{"id":7,"text":"a cat"}"#).await;
        assert_eq!(e.item.unwrap().external_reference.as_deref(), Some("7"));
        let e = parse(
            ModelKind::Embedding,
            r#"{"text":["a","b"],"pooling":"cls"}"#,
        )
        .await;
        assert_eq!(e.item.unwrap().request.kind(), ModelKind::Embedding);
        let e = parse(ModelKind::Translation, r#"{"text":"Hello","to":"fr"}"#).await;
        assert!(e.item.is_ok());
        let e = parse(ModelKind::Chat, r#"{"promt":"typo"}"#).await;
        assert_eq!(e.item.unwrap_err().kind(), ErrorKind::InvalidRequest);
        let e = parse(ModelKind::Chat, r#"{"prompt":"  "}"#).await;
        assert_eq!(e.item.unwrap_err().message(), "the prompt is empty");
        let e = parse(ModelKind::Chat, r#"{"id":2}"#).await;
        assert_eq!(e.id, Value::from(2));
        assert!(e.item.is_err());
        let e = parse(ModelKind::Chat, "not json").await;
        assert!(e.item.is_err());
        assert!(e.id.is_null());
        let e = parse(
            ModelKind::TextToSpeech,
            r#"{"text":"Hi","voice":"luna","out":"hi.mp3"}"#,
        )
        .await;
        assert_eq!(e.out.as_deref(), Some(Path::new("hi.mp3")));
        assert!(e.item.is_ok());
        let e = parse(ModelKind::TextToSpeech, r#"{"text":"Hi"}"#).await;
        assert!(e.item.is_err(), "`out` is required");
        let e = parse(ModelKind::TurnDetection, r#"{"audio":"turn.wav"}"#).await;
        assert_eq!(e.item.unwrap().request.kind(), ModelKind::TurnDetection);
        let e = parse(ModelKind::TurnDetection, r#"{"audio":"/nonexistent.wav"}"#).await;
        assert_eq!(e.item.unwrap_err().kind(), ErrorKind::InvalidRequest);
        let e = parse(ModelKind::Reranking, r#"{"text":"x"}"#).await;
        assert_eq!(e.item.unwrap_err().kind(), ErrorKind::Unsupported);
    }

    #[test]
    fn output_lines_are_read_back_into_a_tally() {
        let mut s = String::new();
        BatchLine::write_result(&mut s, 0, &Value::from("a"), r#"{"text":"x","cost":null}"#);
        let cost =
            serde_json::to_string(&Cost::from_neurons(2.0, crate::cost::CostSource::Estimated))
                .unwrap();
        BatchLine::write_result(&mut s, 1, &Value::Null, &format!(r#"{{"cost":{cost}}}"#));
        BatchLine::write_error(
            &mut s,
            2,
            &Value::from(3),
            &Error::invalid_request("bad").with_status(400),
        );
        let lines: Vec<Value> = s
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["index"], 0);
        assert_eq!(lines[0]["id"], "a");
        assert_eq!(lines[2]["error"]["kind"], "invalid_request");
        assert_eq!(lines[2]["error"]["status"], 400);
        assert!(lines[2]["error"]["code"].is_null());
        let tally = BatchTally::read(format!("{s}not json\n").as_bytes()).unwrap();
        assert_eq!(tally.errors, 1);
        assert_eq!(tally.cost.unknown, 1);
        assert_eq!(tally.cost.known.map(|c| c.neurons), Some(2.0));
    }
}

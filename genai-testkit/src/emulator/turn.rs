//! Turn detection (smart-turn v2): base64 samples of a dtype in, whether the speaker is done
//! out, judged by how much quieter the last 0.3 s are than the rest.

use serde_json::{json, Value};

use genai_core::decode_base64;

use super::answer::{Answer, Refusal};
use super::input::{object, opt_str, MAX_AUDIO};

/// Answers `model` (its full id) if it is a turn detection model the emulator runs.
pub(crate) fn run(model: &str, body: &[u8]) -> Option<Result<Answer, Refusal>> {
    let name = model.rsplit('/').next().unwrap_or(model);
    (name == "smart-turn-v2").then(|| smart_turn(body))
}

fn smart_turn(body: &[u8]) -> Result<Answer, Refusal> {
    let map = object(body)?;
    let b64 = match map.get("audio") {
        Some(Value::String(s)) => s,
        Some(_) => return Err(Refusal::bad_input("'/audio' must be base64 audio data")),
        None => return Err(Refusal::bad_input("required properties at '/' are 'audio'")),
    };
    let dtype =
        opt_str(&map, "dtype", Some(&["uint8", "float32", "float64"]))?.unwrap_or("float32");
    let raw = decode_base64(b64).map_err(|_| Refusal::bad_input("'/audio' is not valid base64"))?;
    if raw.is_empty() || raw.len() > MAX_AUDIO {
        return Err(Refusal::bad_input("'/audio' is empty or too large"));
    }
    let samples: Vec<f64> = match dtype {
        "uint8" => raw
            .iter()
            .map(|b| (f64::from(*b) - 128.0) / 128.0)
            .collect(),
        "float64" if raw.len() % 8 == 0 => raw
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect(),
        "float32" if raw.len() % 4 == 0 => raw
            .chunks_exact(4)
            .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
            .collect(),
        _ => {
            return Err(Refusal::bad_input(format!(
                "the audio is not a whole number of {dtype} samples"
            )))
        }
    };
    if samples.iter().any(|s| !s.is_finite()) {
        return Err(Refusal::bad_input(
            "the audio has samples that are not numbers",
        ));
    }
    // A turn looks over when the last 0.3 s (at 16 kHz) are much quieter than the rest.
    let tail = samples.len().min(4_800);
    let rms = |s: &[f64]| (s.iter().map(|x| x * x).sum::<f64>() / s.len().max(1) as f64).sqrt();
    let whole = rms(&samples);
    let end = rms(&samples[samples.len() - tail..]);
    let probability = if whole <= 1e-9 {
        0.5
    } else {
        (1.0 - end / whole).clamp(0.0, 1.0)
    };
    let probability = (probability * 1000.0).round() / 1000.0;
    Ok(Answer::Json(
        json!({"is_complete": probability > 0.5, "probability": probability}),
    ))
}

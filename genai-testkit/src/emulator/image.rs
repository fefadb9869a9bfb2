//! Image models: text to image (real PNG and JPEG pictures of the asked size, in each model's
//! wire form) and image to text (a description of the picture by its size and main colour),
//! plus the description vision chat models give of the images in their messages.

use genai_core::{decode_base64, image_size, sniff_media_type};
use serde_json::{json, Map, Value};

use super::answer::{Answer, Refusal};
use super::lexicon::fnv;
use super::models::Task;
use crate::fixtures::{decode_png, jpeg, png};

/// How a text-to-image model answers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wire {
    /// `{"image": base64}` of JPEG bytes.
    JsonJpeg,
    /// `{"image": base64}` of PNG bytes.
    JsonPng,
    /// Raw `image/jpeg`.
    RawJpeg,
    /// Raw `image/png`.
    RawPng,
}

/// One text-to-image model's input schema, as far as the emulator checks it.
struct Spec {
    wire: Wire,
    /// Every field the schema names; `strict` refuses others (`additionalProperties: false`).
    fields: &'static [&'static str],
    strict: bool,
    default_size: u32,
    size: (u64, u64),
    max_steps: u64,
    steps_key: &'static str,
    needs_image: bool,
    needs_mask: bool,
}

const SD_FIELDS: &[&str] = &[
    "prompt",
    "negative_prompt",
    "height",
    "width",
    "image",
    "image_b64",
    "mask",
    "num_steps",
    "strength",
    "guidance",
    "seed",
];

fn spec(model: &str) -> Option<Spec> {
    let name = model.rsplit('/').next().unwrap_or(model);
    let sd = |default_size, needs_image, needs_mask| Spec {
        wire: Wire::RawPng,
        fields: SD_FIELDS,
        strict: false,
        default_size,
        size: (256, 2048),
        max_steps: 20,
        steps_key: "num_steps",
        needs_image,
        needs_mask,
    };
    Some(match name {
        "flux-1-schnell" => Spec {
            wire: Wire::JsonJpeg,
            fields: &["prompt", "steps"],
            strict: true,
            default_size: 1024,
            size: (0, 0),
            max_steps: 8,
            steps_key: "steps",
            needs_image: false,
            needs_mask: false,
        },
        "lucid-origin" => Spec {
            wire: Wire::JsonPng,
            fields: &[
                "prompt",
                "guidance",
                "seed",
                "height",
                "width",
                "num_steps",
                "steps",
            ],
            strict: false,
            default_size: 1120,
            size: (0, 2500),
            max_steps: 40,
            steps_key: "num_steps",
            needs_image: false,
            needs_mask: false,
        },
        "phoenix-1.0" => Spec {
            wire: Wire::RawJpeg,
            fields: &[
                "prompt",
                "guidance",
                "seed",
                "height",
                "width",
                "num_steps",
                "negative_prompt",
            ],
            strict: false,
            default_size: 1024,
            size: (0, 2048),
            max_steps: 50,
            steps_key: "num_steps",
            needs_image: false,
            needs_mask: false,
        },
        // FLUX.2: a multipart form (read into these fields first), `{image}` out.
        "flux-2-dev" | "flux-2-klein-4b" | "flux-2-klein-9b" => Spec {
            wire: Wire::JsonPng,
            fields: &[
                "prompt",
                "width",
                "height",
                "steps",
                "guidance",
                "seed",
                "image_b64",
            ],
            strict: true,
            default_size: 1024,
            size: (64, 2048),
            max_steps: 50,
            steps_key: "steps",
            needs_image: false,
            needs_mask: false,
        },
        "stable-diffusion-xl-base-1.0" | "stable-diffusion-xl-lightning" => sd(1024, false, false),
        "dreamshaper-8-lcm" => sd(512, false, false),
        "stable-diffusion-v1-5-img2img" => sd(512, true, false),
        "stable-diffusion-v1-5-inpainting" => sd(512, true, true),
        _ => return None,
    })
}

/// Answers `model` if it is an image model the emulator runs.
pub(crate) fn run(
    model: &str,
    task: Task,
    content_type: &str,
    body: &[u8],
) -> Option<Result<Answer, Refusal>> {
    match task {
        Task::TextToImage if is_multipart_model(model) => {
            Some(match (spec(model), multipart_fields(content_type, body)) {
                (Some(s), Ok(input)) => draw_checked(&s, &input).or_else(bad_input),
                (_, Err(message)) => bad_input(message),
                (None, _) => bad_input(format!("the emulator does not run {model}")),
            })
        }
        Task::TextToImage => Some(spec(model).map_or_else(
            || bad_input(format!("the emulator does not run {model}")),
            |s| draw(&s, body),
        )),
        Task::ImageToText if model.starts_with("@cf/moondream/") => Some(moondream(body)),
        Task::ImageToText => Some(describe_request(content_type, body)),
        _ => None,
    }
}

/// Whether the model's schema takes a multipart form.
fn is_multipart_model(model: &str) -> bool {
    genai_cloudflare::facts::lookup(model).is_some_and(|f| f.multipart)
}

/// The fields of a `multipart/form-data` body: text parts as JSON values (numbers where they
/// parse), the first image part (`input_image_0`) as `image_b64`.
fn multipart_fields(content_type: &str, body: &[u8]) -> Result<Map<String, Value>, String> {
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))
        .filter(|_| content_type.trim_start().starts_with("multipart/form-data"))
        .ok_or("this model takes a multipart form (multipart/form-data with a boundary)")?;
    let boundary = boundary.trim_matches('"');
    let delimiter = format!("--{boundary}");
    let find = |hay: &[u8], needle: &[u8], from: usize| -> Option<usize> {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| i + from)
    };
    let mut fields = Map::new();
    let mut at = find(body, delimiter.as_bytes(), 0).ok_or("the form has no part")?;
    loop {
        at += delimiter.len();
        if body.get(at..at + 2) == Some(b"--") {
            break;
        }
        let head_end = find(body, b"\r\n\r\n", at).ok_or("a form part has no header end")?;
        let head = String::from_utf8_lossy(&body[at..head_end]).into_owned();
        let start = head_end + 4;
        let next = find(body, format!("\r\n{delimiter}").as_bytes(), start)
            .ok_or("a form part is not closed")?;
        let data = &body[start..next];
        let name = head
            .split(';')
            .map(str::trim)
            .find_map(|p| p.strip_prefix("name="))
            .map(|n| {
                n.split(['\r', '\n'])
                    .next()
                    .unwrap_or(n)
                    .trim_matches('"')
                    .to_owned()
            })
            .ok_or("a form part has no name")?;
        if name.starts_with("input_image_") {
            if name == "input_image_0" {
                fields.insert("image_b64".into(), Value::from(b64(data)));
            }
        } else {
            let text = String::from_utf8_lossy(data).into_owned();
            let numeric = ["width", "height", "steps", "guidance", "seed"].contains(&name.as_str());
            let value = match (numeric, text.parse::<u64>(), text.parse::<f64>()) {
                (true, Ok(n), _) => Value::from(n),
                (true, _, Ok(x)) => Value::from(x),
                _ => Value::String(text),
            };
            fields.insert(name, value);
        }
        at = next + 2;
    }
    Ok(fields)
}

fn bad_input(message: String) -> Result<Answer, Refusal> {
    Err(Refusal::bad_input(message))
}

fn draw(spec: &Spec, body: &[u8]) -> Result<Answer, Refusal> {
    let Ok(Value::Object(input)) = serde_json::from_slice::<Value>(body) else {
        return bad_input("the body is not a JSON object".to_owned());
    };
    match draw_checked(spec, &input) {
        Ok(answer) => Ok(answer),
        Err(message) => bad_input(message),
    }
}

fn draw_checked(spec: &Spec, input: &Map<String, Value>) -> Result<Answer, String> {
    if spec.strict {
        if let Some(extra) = input.keys().find(|k| !spec.fields.contains(&k.as_str())) {
            return Err(format!(
                "Error: Input must not have additional property '{extra}'"
            ));
        }
    }
    let prompt = match input.get("prompt") {
        Some(Value::String(p)) if !p.is_empty() => p.as_str(),
        Some(Value::String(_)) => return Err("'prompt' must not be empty".to_owned()),
        _ => return Err("missing required property 'prompt'".to_owned()),
    };
    if spec.strict && prompt.chars().count() > 2048 {
        return Err("'prompt' must be at most 2048 characters".to_owned());
    }
    let int = |key: &str| -> Result<Option<u64>, String> {
        match input.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| format!("'{key}' must be a non-negative integer")),
        }
    };
    if let Some(steps) = int(spec.steps_key)? {
        if steps > spec.max_steps {
            return Err(format!(
                "'{}' must be at most {}",
                spec.steps_key, spec.max_steps
            ));
        }
    }
    let mut size = [None, None];
    for (i, key) in ["width", "height"].iter().enumerate() {
        if let Some(v) = int(key)? {
            if v < spec.size.0 || v > spec.size.1 {
                return Err(format!(
                    "'{key}' must be between {} and {}",
                    spec.size.0, spec.size.1
                ));
            }
            size[i] = Some(v as u32);
        }
    }
    let seed = int("seed")?.unwrap_or(0);
    let strength = match input.get("strength") {
        None => 1.0,
        Some(v) => v
            .as_f64()
            .filter(|s| (0.0..=1.0).contains(s))
            .ok_or("'strength' must be a number between 0 and 1")?,
    };
    let image = match (input.get("image_b64"), input.get("image")) {
        (Some(Value::String(b64)), _) => {
            Some(decode_base64(b64).map_err(|_| "'image_b64' is not valid base64".to_owned())?)
        }
        (_, Some(v)) => Some(int_array(v, "image")?),
        _ => None,
    };
    let mask = match input.get("mask") {
        Some(v) => Some(int_array(v, "mask")?),
        None => None,
    };
    if spec.needs_image && image.is_none() {
        return Err("this model needs an input 'image' or 'image_b64'".to_owned());
    }
    if spec.needs_mask && mask.is_none() {
        return Err("this model needs a 'mask'".to_owned());
    }
    let input_size = match &image {
        Some(bytes) => Some(image_size(bytes).ok_or("the input image is not a PNG or JPEG image")?),
        None => None,
    };
    if let Some(mask) = &mask {
        let m = image_size(mask).ok_or("the mask is not a PNG or JPEG image")?;
        if Some(m) != input_size {
            return Err("the mask must be the size of the input image".to_owned());
        }
    }
    let (mut w, mut h) = input_size.unwrap_or((spec.default_size, spec.default_size));
    if spec.steps_key == "num_steps" && spec.size.0 == 256 {
        // Stable Diffusion works in blocks of 8 pixels.
        w = size[0].unwrap_or(w) / 8 * 8;
        h = size[1].unwrap_or(h) / 8 * 8;
    } else {
        w = size[0].unwrap_or(w);
        h = size[1].unwrap_or(h);
    }
    if w == 0 || h == 0 || w > 4096 || h > 4096 {
        return Err(format!("cannot make an image of {w}x{h} pixels"));
    }
    let base = prompt_colour(prompt, seed);
    let colour = match image.as_deref().and_then(average_colour) {
        Some(from) => mix(from, base, strength),
        None => base,
    };
    let pixels = paint(w, h, colour, seed);
    Ok(match spec.wire {
        Wire::JsonJpeg => Answer::Json(json!({"image": b64(&jpeg(w, h, &pixels)?)})),
        Wire::JsonPng => Answer::Json(json!({"image": b64(&png(w, h, &pixels))})),
        Wire::RawJpeg => Answer::Media {
            content_type: "image/jpeg",
            bytes: jpeg(w, h, &pixels)?,
        },
        Wire::RawPng => Answer::Media {
            content_type: "image/png",
            bytes: png(w, h, &pixels),
        },
    })
}

fn b64(bytes: &[u8]) -> String {
    genai_core::Media::with_type("application/octet-stream", bytes.to_vec()).to_base64()
}

fn int_array(value: &Value, key: &str) -> Result<Vec<u8>, String> {
    let Value::Array(items) = value else {
        return Err(format!("'{key}' must be an array of integers 0..255"));
    };
    items
        .iter()
        .map(|v| {
            v.as_u64()
                .and_then(|n| u8::try_from(n).ok())
                .ok_or_else(|| format!("'{key}' must hold integers 0..255"))
        })
        .collect()
}

/// Image to text: the raw image as the body, or JSON with `image` (int array or base64).
fn describe_request(content_type: &str, body: &[u8]) -> Result<Answer, Refusal> {
    let (image, prompt) = if content_type.contains("json") {
        let Ok(Value::Object(input)) = serde_json::from_slice::<Value>(body) else {
            return bad_input("the body is not a JSON object".to_owned());
        };
        let image = match input.get("image") {
            Some(Value::String(b64)) => match decode_base64(b64) {
                Ok(bytes) => bytes,
                Err(_) => return bad_input("'image' is not valid base64".to_owned()),
            },
            Some(v) => match int_array(v, "image") {
                Ok(bytes) => bytes,
                Err(e) => return bad_input(e),
            },
            None => return bad_input("missing required property 'image'".to_owned()),
        };
        let prompt = input
            .get("prompt")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        (image, prompt)
    } else {
        (body.to_vec(), String::new())
    };
    match describe(&image) {
        Some(text) => {
            let text = if prompt.is_empty() {
                format!(" {text}")
            } else {
                format!(" Looking at the picture: {text}")
            };
            Ok(Answer::Json(json!({"description": text})))
        }
        None => bad_input("the image could not be read".to_owned()),
    }
}

/// Moondream: `{task, image (data: URI or https URL), question, ...}`; `query` answers in
/// `answer`, `caption` in `caption`, with the `metrics` the schema requires. A streaming
/// request (`stream` defaults to true) is refused: the emulator answers in one piece.
fn moondream(body: &[u8]) -> Result<Answer, Refusal> {
    let Ok(Value::Object(input)) = serde_json::from_slice::<Value>(body) else {
        return bad_input("the body is not a JSON object".to_owned());
    };
    if input.get("stream").and_then(Value::as_bool) != Some(false) {
        return bad_input("the emulator answers Moondream with stream: false only".to_owned());
    }
    let task = input.get("task").and_then(Value::as_str).unwrap_or("query");
    let Some(uri) = input.get("image").and_then(Value::as_str) else {
        return bad_input("'image' is required for this task".to_owned());
    };
    let Some(text) = describe_encoded(uri) else {
        return bad_input(
            "'image' is not a data: URI of a PNG, JPEG, GIF or WebP image".to_owned(),
        );
    };
    let tokens = text.split_whitespace().count();
    let metrics = json!({"input_tokens": 729, "output_tokens": tokens, "prefill_time_ms": 40.0,
        "decode_time_ms": 12.5, "ttft_ms": 45.0});
    match task {
        "caption" => Ok(Answer::Json(
            json!({"caption": text, "finish_reason": "stop", "metrics": metrics}),
        )),
        "query" => {
            let question = input.get("question").and_then(Value::as_str).unwrap_or("");
            if question.trim().is_empty() {
                return bad_input("'question' is required for the query task".to_owned());
            }
            Ok(Answer::Json(
                json!({"answer": format!("It is {}", text.trim_start_matches("a ")), "finish_reason": "stop", "metrics": metrics}),
            ))
        }
        other => bad_input(format!("the emulator does not run the `{other}` task")),
    }
}

/// A sentence about a picture: its format, size and main colour.
pub(crate) fn describe(bytes: &[u8]) -> Option<String> {
    let kind = match sniff_media_type(bytes)? {
        "image/png" => "PNG",
        "image/jpeg" => "JPEG",
        "image/gif" => "GIF",
        "image/webp" => "WebP",
        _ => return None,
    };
    let (w, h) = image_size(bytes)?;
    Some(match average_colour(bytes) {
        Some(c) => format!(
            "a mostly {} {kind} picture, {w} by {h} pixels.",
            colour_name(c)
        ),
        None => format!("a {kind} picture, {w} by {h} pixels."),
    })
}

/// Describes a `data:` URI or base64 image, if it is one.
pub(crate) fn describe_encoded(text: &str) -> Option<String> {
    describe(&decode_base64(text).ok()?)
}

// ---------------------------------------------------------------------------------------------
// Pictures

type Rgb = [u8; 3];

const COLOURS: &[(&str, Rgb)] = &[
    ("red", [200, 30, 30]),
    ("orange", [230, 120, 20]),
    ("yellow", [230, 210, 40]),
    ("green", [40, 160, 60]),
    ("blue", [30, 70, 200]),
    ("purple", [120, 50, 160]),
    ("pink", [230, 130, 170]),
    ("brown", [120, 80, 40]),
    ("white", [245, 245, 245]),
    ("grey", [128, 128, 128]),
    ("black", [15, 15, 15]),
];

fn colour_name(c: Rgb) -> &'static str {
    let dist = |p: Rgb| -> i32 {
        (0..3)
            .map(|i| (i32::from(c[i]) - i32::from(p[i])).pow(2))
            .sum()
    };
    COLOURS
        .iter()
        .min_by_key(|(_, p)| dist(*p))
        .map_or("grey", |(n, _)| n)
}

/// The colour a prompt names first (snow is white, the sea blue...), else one from its hash.
fn prompt_colour(prompt: &str, seed: u64) -> Rgb {
    let lower = prompt.to_lowercase();
    let named = COLOURS
        .iter()
        .filter_map(|(n, c)| lower.find(n).map(|at| (at, *c)))
        .min_by_key(|(at, _)| *at);
    if let Some((_, c)) = named {
        return c;
    }
    let h = fnv(seed, lower.as_bytes());
    [(h >> 8) as u8, (h >> 24) as u8, (h >> 40) as u8]
}

fn mix(from: Rgb, to: Rgb, strength: f64) -> Rgb {
    let s = strength.clamp(0.0, 1.0);
    let m = |a: u8, b: u8| (f64::from(a) * (1.0 - s) + f64::from(b) * s).round() as u8;
    [m(from[0], to[0]), m(from[1], to[1]), m(from[2], to[2])]
}

/// A picture of mostly `colour`: a gentle vertical shade and a few seeded stripes.
fn paint(w: u32, h: u32, colour: Rgb, seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(w as usize * h as usize * 3);
    let stripe = 16 + (seed % 16) as u32;
    for y in 0..h {
        let shade = (y * 24 / h.max(1)) as i16 - 12;
        let band = if (y / stripe) % 5 == 0 { 8 } else { 0 };
        let row: Rgb = [0, 1, 2].map(|i| (i16::from(colour[i]) + shade + band).clamp(0, 255) as u8);
        for _ in 0..w {
            out.extend_from_slice(&row);
        }
    }
    out
}

/// The mean colour of an 8-bit, non-interlaced PNG (grey, RGB, grey+alpha or RGBA).
fn average_colour(bytes: &[u8]) -> Option<Rgb> {
    decode_png(bytes)?.mean_rgb()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pngs_round_trip_and_are_described_by_colour() {
        let pixels = paint(40, 30, [200, 30, 30], 3);
        let bytes = png(40, 30, &pixels);
        let back = decode_png(&bytes).unwrap();
        assert_eq!((back.width, back.height, back.channels), (40, 30, 3));
        assert_eq!(back.data, pixels);
        let text = describe(&bytes).unwrap();
        assert!(text.contains("red") && text.contains("40 by 30"), "{text}");
    }

    #[test]
    fn flux_refuses_unknown_fields_and_answers_base64_jpeg() {
        let flux = spec("@cf/black-forest-labs/flux-1-schnell").unwrap();
        let Err(Refusal {
            status: 400,
            code: 5006,
            message: m,
        }) = draw(&flux, br#"{"prompt":"a fox","width":512}"#)
        else {
            panic!("flux took a width");
        };
        assert!(m.contains("width"), "{m}");
        let Ok(Answer::Json(v)) = draw(&flux, br#"{"prompt":"a red fox","steps":4}"#) else {
            panic!("no JSON");
        };
        let bytes = decode_base64(v["image"].as_str().unwrap()).unwrap();
        assert_eq!(sniff_media_type(&bytes), Some("image/jpeg"));
        assert_eq!(image_size(&bytes), Some((1024, 1024)));
    }

    #[test]
    fn stable_diffusion_draws_the_asked_size_and_checks_masks() {
        let sd = spec("@cf/stabilityai/stable-diffusion-xl-base-1.0").unwrap();
        let Ok(Answer::Media {
            content_type: "image/png",
            bytes,
        }) = draw(&sd, br#"{"prompt":"a fox","width":512,"height":384}"#)
        else {
            panic!("no PNG");
        };
        assert_eq!(image_size(&bytes), Some((512, 384)));
        let inpaint = spec("@cf/runwayml/stable-diffusion-v1-5-inpainting").unwrap();
        let src = png(64, 64, &paint(64, 64, [0, 0, 255], 0));
        let small = png(32, 64, &paint(32, 64, [255, 255, 255], 0));
        let body = json!({"prompt":"x","image_b64": b64(&src), "mask": small});
        assert!(matches!(
            draw(&inpaint, body.to_string().as_bytes()),
            Err(Refusal { status: 400, .. })
        ));
        let mask = png(64, 64, &paint(64, 64, [255, 255, 255], 0));
        let body = json!({"prompt":"x","image_b64": b64(&src), "mask": mask});
        let Ok(Answer::Media { bytes, .. }) = draw(&inpaint, body.to_string().as_bytes()) else {
            panic!("inpainting failed");
        };
        assert_eq!(image_size(&bytes), Some((64, 64)));
    }
}

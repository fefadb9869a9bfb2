//! No input from the network can make the library panic, and the framing does not depend on how
//! the network split the bytes. Property tests over the SSE framing and both reply decoders, with
//! arbitrary bytes and with mutated valid bodies; small case counts so they run in seconds (the
//! cargo-fuzz targets in `fuzz/` explore the same functions for longer). The stream's one-pass
//! chunk reader reads every chunk, of every shape, as the general decoder does.

use genai_cloudflare::decode::{decode_stream, decode_stream_general, decode_sync};
use genai_core::http::SseDecoder;
use genai_core::{ChatRequest, ErrorKind, StreamEvent, ToolDef};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// One model of each wire family.
const MODELS: &[&str] = genai_cloudflare::decode::FAMILY_SAMPLES;

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// The requests whose settings change how replies are shaped: plain, tools, JSON, stop.
fn requests() -> Vec<ChatRequest> {
    let tool = ToolDef::new(
        "square_root",
        "Computes the square root of a number",
        serde_json::json!({"type":"object","properties":{"number":{"type":"number"}},"required":["number"]}),
    );
    vec![
        ChatRequest::new().user("Say something."),
        ChatRequest::new().user("Use the tool.").tool(tool),
        ChatRequest::new().user("Answer in JSON.").json(),
        {
            let mut r = ChatRequest::new().user("Count.");
            r.stop = vec!["five".into()];
            r
        },
    ]
}

/// Valid bodies of our own, one per shape the decoders know.
const SYNC_BODIES: &[&str] = &[
    r#"{"result":{"response":"Hello there.","tool_calls":[],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}},"success":true,"errors":[],"messages":[]}"#,
    r#"{"result":{"response":null,"tool_calls":[{"name":"square_root","arguments":{"number":"144"}}],"usage":{"prompt_tokens":20,"completion_tokens":9,"total_tokens":29}},"success":true,"errors":[],"messages":[]}"#,
    r#"{"result":{"tool_calls":[{"id":"call-ours-1","type":"function","function":{"name":"square_root","arguments":"{\"number\": 144}"}}]},"success":true,"errors":[],"messages":[]}"#,
    r#"{"result":{"response":{"is_fruit":true}},"success":true,"errors":[],"messages":[]}"#,
    r#"{"result":{"response":"<think>\nSeventeen threes.\n</think>\n\n51"},"success":true,"errors":[],"messages":[]}"#,
    r#"{"result":{"response":"<tool_call>\n{'arguments': {'number': 144}, 'name': 'square_root'}\n</tool_call>"},"success":true,"errors":[],"messages":[]}"#,
    r#"{"result":{"id":"chatcmpl-ours","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hi.","reasoning_content":"Greet back."},"finish_reason":"stop"}],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}},"success":true,"errors":[],"messages":[]}"#,
    r#"{"result":null,"success":false,"errors":[{"code":3040,"message":"Capacity temporarily exceeded, please try again."}],"messages":[]}"#,
];

const STREAM_BODIES: &[&str] = &[
    "data: {\"response\":\"Hel\",\"p\":\"abc\"}\n\ndata: {\"response\":\"lo\"}\n\ndata: {\"response\":\"\",\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\ndata: [DONE]\n\n",
    "data: {\"response\":\"<think>\\nhm\"}\r\n\r\ndata: {\"response\":\"</think>\\n\\n51\"}\r\n\r\ndata: {}\r\n\r\ndata: [DONE]\r\n\r\n",
    "data: {\"response\":\"\",\"tool_calls\":[{\"index\":0,\"id\":\"call-ours-2\",\"type\":\"function\",\"function\":{\"name\":\"square_root\"}}]}\n\ndata: {\"response\":\"\",\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"number\\\": 1\"}}]}\n\ndata: {\"response\":\"\",\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"44}\"}}]}\n\ndata: {\"response\":\"\",\"tool_calls\":[]}\n\ndata: [DONE]\n\n",
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"}}]}\n\ndata: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" there\"},\"finish_reason\":\"stop\"}]}\n\ndata: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":2,\"total_tokens\":4}}\n\ndata: [DONE]\n\n",
    "data: {\"response\":\"one two three four fi\"}\n\ndata: {\"response\":\"ve six\"}\n\ndata: [DONE]\n\n",
    "data: {\"response\":true}\n\ndata: [DONE]\n\n",
];

/// Fragments worth splicing into valid bodies: JSON edge values and the markers the decoders
/// look for.
#[rustfmt::skip]
const FRAGMENTS: &[&str] = &[
    "null",
    "{}",
    "[]",
    "\"\"",
    "true",
    "-0",
    "1e999",
    "18446744073709551616",
    "-1",
    "\"\\ud800\"",
    "{\"response\":",
    "\"tool_calls\":[{",
    "\"usage\":{\"prompt_tokens\":-5}",
    "<think>",
    "</think>",
    "<tool_call>",
    "</tool_call>",
    "\"choices\":[{\"delta\":",
    "\n\n",
    "\r",
    "data: ",
    "[DONE]",
    "\u{1F600}",
    "\\",
    "\"",
    "{\"index\":4294967296,",
];

/// A mutation applied to a valid body.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, usize),
    Remove(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::Flip(p, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 0..FRAGMENTS.len()).prop_map(|(p, f)| Mutation::Insert(p, f)),
        (any::<usize>(), 1usize..16).prop_map(|(p, n)| Mutation::Remove(p, n)),
    ]
}

fn mutate(base: &str, mutations: &[Mutation]) -> Vec<u8> {
    let mut b = base.as_bytes().to_vec();
    for m in mutations {
        let len = b.len();
        match *m {
            Mutation::Flip(p, byte) if len > 0 => b[p % len] = byte,
            Mutation::Truncate(p) => b.truncate(p % (len + 1)),
            Mutation::Insert(p, f) => {
                let at = p % (len + 1);
                b.splice(at..at, FRAGMENTS[f].bytes());
            }
            Mutation::Remove(p, n) if len > 0 => {
                let at = p % len;
                b.drain(at..(at + n).min(len));
            }
            _ => {}
        }
    }
    b
}

/// Cuts `input` at the given points (taken modulo its length, sorted).
fn split<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    points.sort_unstable();
    let mut pieces = Vec::new();
    let mut start = 0;
    for p in points {
        pieces.push(&input[start..p]);
        start = p;
    }
    pieces.push(&input[start..]);
    pieces
}

/// An event's name and data.
type Framed = (Option<String>, Vec<u8>);

/// Frames `pieces` with an [`SseDecoder`]: the events, or the error's kind and message.
fn frame(pieces: &[&[u8]], max_line: usize) -> Result<Vec<Framed>, String> {
    let mut d = SseDecoder::new(max_line);
    let mut out = Vec::new();
    for piece in pieces {
        d.feed(piece);
        loop {
            match d.next_event() {
                Ok(Some(e)) => out.push((e.event, e.data.to_vec())),
                Ok(None) => break,
                Err(e) => return Err(format!("{}: {}", e.kind(), e.message())),
            }
        }
    }
    match d.finish() {
        Ok(Some(e)) => out.push((e.event, e.data.to_vec())),
        Ok(None) => {}
        Err(e) => return Err(format!("{}: {}", e.kind(), e.message())),
    }
    Ok(out)
}

/// The result of a stream decode, comparable across splits.
fn stream_outcome(model: &str, req: &ChatRequest, pieces: &[&[u8]]) -> String {
    let mut events: Vec<StreamEvent> = Vec::new();
    let r = decode_stream(model, req, pieces.iter().copied(), |e| {
        events.push(e.clone())
    });
    format!("{r:?} / {events:?}")
}

/// [`stream_outcome`] with every chunk read by the general decoder.
fn general_outcome(model: &str, req: &ChatRequest, body: &[u8]) -> String {
    let mut events: Vec<StreamEvent> = Vec::new();
    let r = decode_stream_general(model, req, [body], |e| events.push(e.clone()));
    format!("{r:?} / {events:?}")
}

// ---------------------------------------------------------------------------------------------
// Chunks of every shape the service sends, and of shapes nobody foresaw: keys in any order,
// keys we do not know (with any JSON value), any spacing, escapes, usage on any chunk,
// reasoning under each of its names, tool-call deltas, finish reasons, errors.

/// JSON whitespace between tokens: mostly none.
fn ws() -> impl Strategy<Value = &'static str> {
    prop_oneof![6 => Just(""), 1 => Just(" "), 1 => Just("\t"), 1 => Just("\r\n "), 1 => Just("  ")]
}

/// A valid JSON string literal (quotes included), from pieces that exercise the readers: plain
/// words, every escape, surrogate pairs, raw non-ASCII.
fn json_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => prop::sample::select(vec![" the", " tide", "Hi", "", " 42", ",", "caf\u{e9}", " \u{1F30A}", "five"]),
        1 => prop::sample::select(vec!["\\\"", "\\\\", "\\/", "\\n", "\\t", "\\b", "\\f", "\\r", "\\u00e9", "\\u0000", "\\ud83c\\udf0a", "\\u20AC"]),
    ];
    prop::collection::vec(piece, 0..4).prop_map(|p| format!("\"{}\"", p.concat()))
}

/// A string literal that is sometimes not valid JSON (a lone surrogate, a bad escape, a raw
/// control character).
fn any_string() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => json_string(),
        1 => (json_string(), prop::sample::select(vec!["\\ud800", "\\udc00", "\\ud800\\u0041", "\\x", "\\u12", "\t", "\u{1}"]))
            .prop_map(|(s, bad)| format!("\"{bad}{}", &s[1..])),
    ]
}

/// A JSON value (for keys the client does not know), nested a little; sometimes an odd or
/// invalid number.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        2 => Just("null".to_owned()),
        1 => Just("true".to_owned()),
        1 => Just("false".to_owned()),
        2 => prop::sample::select(vec!["0", "-0", "12", "-3.5", "1e9", "2.5E-3", "0.25", "1e999"]).prop_map(str::to_owned),
        1 => prop::sample::select(vec!["18446744073709551616", "01", "1.", "-", "1e", "tru"]).prop_map(str::to_owned),
        3 => any_string(),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(("[a-z_]{1,6}", inner), 0..3).prop_map(|m| {
                let members: Vec<String> = m.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

/// A token count as the service might write it: mostly a plain integer.
fn count() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => (0u64..100_000).prop_map(|n| n.to_string()),
        1 => prop::sample::select(vec!["null", "0", "-1", "1.0", "18446744073709551616", "\"5\"", "01"]).prop_map(str::to_owned),
    ]
}

fn usage() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "input_tokens",
        "output_tokens",
        "prompt_tokens_details",
    ]);
    prop_oneof![
        12 => prop::collection::vec((key, count(), json_value()), 0..4).prop_map(|m| {
            let members: Vec<String> = m
                .iter()
                .map(|(k, n, v)| {
                    if *k == "prompt_tokens_details" {
                        format!("\"{k}\":{v}")
                    } else {
                        format!("\"{k}\":{n}")
                    }
                })
                .collect();
            format!("{{{}}}", members.join(","))
        }),
        1 => Just("null".to_owned()),
        1 => json_value(),
    ]
}

/// A tool call or fragment, in either family's shape.
fn tool_call() -> impl Strategy<Value = String> {
    let member = prop_oneof![
        6 => prop::sample::select(vec!["0", "1", "2", "null"]).prop_map(|i| format!("\"index\":{i}")),
        1 => prop::sample::select(vec!["4294967296", "-1", "1.5"]).prop_map(|i| format!("\"index\":{i}")),
        3 => any_string().prop_map(|s| format!("\"id\":{s}")),
        2 => Just("\"type\":\"function\"".to_owned()),
        1 => any_string().prop_map(|s| format!("\"name\":{s}")),
        1 => prop_oneof![4 => any_string(), 1 => json_value()].prop_map(|v| format!("\"arguments\":{v}")),
        8 => (prop::option::of(any_string()), prop::option::of(prop_oneof![8 => any_string(), 1 => json_value()])).prop_map(|(n, a)| {
            let mut f = Vec::new();
            if let Some(n) = n { f.push(format!("\"name\":{n}")); }
            if let Some(a) = a { f.push(format!("\"arguments\":{a}")); }
            format!("\"function\":{{{}}}", f.join(","))
        }),
        1 => json_value().prop_map(|v| format!("\"extra\":{v}")),
    ];
    (
        prop::collection::vec(member, 0..5),
        prop::collection::vec(ws(), 1..4),
        any::<u64>(),
        prop::bool::weighted(0.03),
    )
        .prop_map(|(m, s, o, d)| object(m, s, o, d))
}

fn tool_calls() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::collection::vec(tool_call(), 0..3).prop_map(|c| format!("[{}]", c.join(","))),
        1 => Just("null".to_owned()),
    ]
}

/// `key:value` members in a shuffled order, with whitespace, and sometimes a duplicate.
fn object(members: Vec<String>, spaces: Vec<&'static str>, order: u64, dup: bool) -> String {
    let mut members = members;
    let mut keys = std::collections::HashSet::new();
    members.retain(|m| keys.insert(m.split("\":").next().unwrap_or_default().to_owned()));
    let n = members.len();
    if n > 1 {
        members.rotate_left((order % n as u64) as usize);
        if order % 3 == 0 {
            members.swap(0, n - 1);
        }
    }
    if dup && n > 0 {
        let again = members[0].clone();
        members.push(again);
    }
    let mut out = String::from("{");
    for (i, m) in members.iter().enumerate() {
        let s = spaces.get(i % spaces.len().max(1)).copied().unwrap_or("");
        if i > 0 {
            out.push(',');
        }
        out.push_str(s);
        out.push_str(&m.replacen("\":", &format!("\"{s}:{s}"), 1));
    }
    out.push_str(spaces.first().copied().unwrap_or(""));
    out.push('}');
    out
}

/// An OpenAI-shaped delta.
fn delta() -> impl Strategy<Value = String> {
    let member = prop_oneof![
        6 => any_string().prop_map(|s| format!("\"content\":{s}")),
        1 => Just("\"content\":null".to_owned()),
        1 => json_value().prop_map(|v| format!("\"content\":{v}")),
        4 => any_string().prop_map(|s| format!("\"reasoning_content\":{s}")),
        4 => any_string().prop_map(|s| format!("\"reasoning\":{s}")),
        1 => Just("\"reasoning_content\":null".to_owned()),
        4 => tool_calls().prop_map(|c| format!("\"tool_calls\":{c}")),
        2 => Just("\"role\":\"assistant\"".to_owned()),
        1 => json_value().prop_map(|v| format!("\"refusal\":{v}")),
    ];
    (
        prop::collection::vec(member, 0..4),
        prop::collection::vec(ws(), 1..4),
        any::<u64>(),
        prop::bool::weighted(0.03),
    )
        .prop_map(|(m, s, o, d)| object(m, s, o, d))
}

fn choice() -> impl Strategy<Value = String> {
    let finish = prop::sample::select(vec![
        "null",
        "\"stop\"",
        "\"length\"",
        "\"tool_calls\"",
        "\"eos\"",
        "\"other\"",
        "\"st\\u006fp\"",
        "3",
    ]);
    let stop = prop::sample::select(vec![
        "null", "\"five\"", "\"END\"", "151645", "-1", "1.5", "{}",
    ]);
    let member = prop_oneof![
        4 => Just("\"index\":0".to_owned()),
        12 => delta().prop_map(|d| format!("\"delta\":{d}")),
        1 => Just("\"delta\":null".to_owned()),
        4 => finish.prop_map(|f| format!("\"finish_reason\":{f}")),
        2 => stop.prop_map(|f| format!("\"stop_reason\":{f}")),
        3 => prop_oneof![8 => Just("null".to_owned()), 1 => Just("{\"content\":[{\"token\":\"a\",\"logprob\":-0.5,\"top_logprobs\":[]}]}".to_owned())].prop_map(|l| format!("\"logprobs\":{l}")),
        1 => prop_oneof![Just("null".to_owned()), json_string()].prop_map(|t| format!("\"text\":{t}")),
        1 => prop_oneof![Just("null".to_owned()), Just("{\"content\":\"whole\"}".to_owned())].prop_map(|m| format!("\"message\":{m}")),
        1 => json_value().prop_map(|v| format!("\"matched_stop\":{v}")),
    ];
    (
        prop::collection::vec(member, 0..5),
        prop::collection::vec(ws(), 1..4),
        any::<u64>(),
        prop::bool::weighted(0.03),
    )
        .prop_map(|(m, s, o, d)| object(m, s, o, d))
}

/// One chunk of either family, or a mix of both.
fn chunk() -> impl Strategy<Value = String> {
    let member = prop_oneof![
        // Native.
        8 => prop_oneof![12 => any_string(), 1 => Just("null".to_owned()), 1 => json_value()].prop_map(|r| format!("\"response\":{r}")),
        4 => tool_calls().prop_map(|c| format!("\"tool_calls\":{c}")),
        4 => "[a-zA-Z0-9]{0,12}".prop_map(|p| format!("\"p\":\"{p}\"")),
        // OpenAI-shaped.
        3 => Just("\"id\":\"chatcmpl-1\"".to_owned()),
        3 => prop::sample::select(vec!["\"chat.completion.chunk\"", "\"chat.completion.chunk\"", "\"response\"", "null", "\"other\"", "1"]).prop_map(|o| format!("\"object\":{o}")),
        1 => Just("\"created\":1764460000".to_owned()),
        1 => Just("\"model\":\"@cf/zai-org/glm-4.7-flash\"".to_owned()),
        12 => prop_oneof![12 => prop::collection::vec(choice(), 1..2), 1 => prop::collection::vec(choice(), 0..3)].prop_map(|c| format!("\"choices\":[{}]", c.join(","))),
        // Either.
        6 => usage().prop_map(|u| format!("\"usage\":{u}")),
        3 => json_value().prop_map(|v| format!("\"x_unknown\":{v}")),
        1 => prop::sample::select(vec!["true", "true", "false", "null", "1"]).prop_map(|v| format!("\"success\":{v}")),
        1 => prop::sample::select(vec!["[]", "[]", "null", "[{\"code\":3040,\"message\":\"Capacity\"}]"]).prop_map(|v| format!("\"errors\":{v}")),
        1 => prop::sample::select(vec!["null", "null", "\"boom\"", "{\"message\":\"boom\",\"code\":7}", "true"]).prop_map(|v| format!("\"error\":{v}")),
        1 => prop::sample::select(vec!["null", "\"completed\"", "\"incomplete\""]).prop_map(|v| format!("\"status\":{v}")),
        1 => prop::sample::select(vec!["null", "null", "{\"reason\":\"max_output_tokens\"}"]).prop_map(|v| format!("\"incomplete_details\":{v}")),
        1 => prop::sample::select(vec!["null", "null", "[]", "[{\"type\":\"message\",\"content\":[{\"type\":\"output_text\",\"text\":\"x\"}]}]"]).prop_map(|v| format!("\"output\":{v}")),
    ];
    (
        prop::collection::vec(member, 0..6),
        prop::collection::vec(ws(), 1..4),
        any::<u64>(),
        prop::bool::weighted(0.03),
    )
        .prop_map(|(m, s, o, d)| object(m, s, o, d))
}

/// A stream of such chunks, ending (usually) with `[DONE]`.
fn stream_of_chunks() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(chunk(), 1..8),
        prop::bool::weighted(0.9),
    )
        .prop_map(|(chunks, done)| {
            let mut body = Vec::new();
            for c in chunks {
                body.extend_from_slice(b"data: ");
                body.extend_from_slice(c.as_bytes());
                body.extend_from_slice(b"\n\n");
            }
            if done {
                body.extend_from_slice(b"data: [DONE]\n\n");
            }
            body
        })
}

proptest! {
    #![proptest_config(config(256))]

    /// Arbitrary bytes split anywhere: no panic, and the same events (or the same error)
    /// whatever the split, even with a small line limit.
    #[test]
    fn sse_framing_ignores_how_bytes_are_split(
        input in prop::collection::vec(
            prop_oneof![4 => any::<u8>(), 1 => Just(b'\n'), 1 => Just(b'\r'), 1 => Just(b':')],
            0..300,
        ),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
        max_line in prop_oneof![Just(8usize), Just(64), Just(1 << 20)],
    ) {
        let whole = frame(&[&input], max_line);
        let pieces = split(&input, &cuts);
        prop_assert_eq!(frame(&pieces, max_line), whole);
    }

    /// Well-formed events with any line endings, split anywhere, come out exactly as sent.
    #[test]
    fn sse_framing_round_trips_valid_events(
        events in prop::collection::vec(
            prop::collection::vec(prop::collection::vec(32u8..127, 0..20), 1..4),
            0..8,
        ),
        ending in prop::sample::select(vec!["\n", "\r\n", "\r"]),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let mut wire = Vec::new();
        let mut expected = Vec::new();
        for lines in &events {
            for line in lines {
                wire.extend_from_slice(b"data: ");
                wire.extend_from_slice(line);
                wire.extend_from_slice(ending.as_bytes());
            }
            wire.extend_from_slice(ending.as_bytes());
            expected.push((None, lines.join(&b'\n')));
        }
        prop_assert_eq!(frame(&split(&wire, &cuts), 1 << 20), Ok(expected));
    }

    /// Arbitrary bytes as a sync body, any status, any family and request: an error, never a
    /// panic.
    #[test]
    fn decode_sync_never_panics_on_arbitrary_bytes(
        body in prop::collection::vec(any::<u8>(), 0..400),
        status in prop_oneof![Just(200u16), 100u16..600],
        model in prop::sample::select(MODELS),
        req in 0usize..4,
    ) {
        let _ = decode_sync(model, &requests()[req], status, &body);
    }

    /// Valid sync bodies, mutated: never a panic.
    #[test]
    fn decode_sync_never_panics_on_mutated_bodies(
        base in prop::sample::select(SYNC_BODIES),
        mutations in prop::collection::vec(mutation(), 1..6),
        model in prop::sample::select(MODELS),
        req in 0usize..4,
    ) {
        let body = mutate(base, &mutations);
        let _ = decode_sync(model, &requests()[req], 200, &body);
    }

    /// Arbitrary bytes as a stream, split anywhere: never a panic, and the outcome does not
    /// depend on the split.
    #[test]
    fn decode_stream_never_panics_on_arbitrary_bytes(
        body in prop::collection::vec(
            prop_oneof![3 => any::<u8>(), 1 => prop::sample::select(b"data: {}[]\"\n".to_vec())],
            0..400,
        ),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
        model in prop::sample::select(MODELS),
        req in 0usize..4,
    ) {
        let req = &requests()[req];
        let whole = stream_outcome(model, req, &[&body]);
        prop_assert_eq!(stream_outcome(model, req, &split(&body, &cuts)), whole);
    }

    /// Valid streams, mutated and split anywhere: never a panic, split-independent.
    #[test]
    fn decode_stream_never_panics_on_mutated_streams(
        base in prop::sample::select(STREAM_BODIES),
        mutations in prop::collection::vec(mutation(), 1..6),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
        model in prop::sample::select(MODELS),
        req in 0usize..4,
    ) {
        let body = mutate(base, &mutations);
        let req = &requests()[req];
        let whole = stream_outcome(model, req, &[&body]);
        prop_assert_eq!(stream_outcome(model, req, &split(&body, &cuts)), whole);
    }

}

proptest! {
    #![proptest_config(config(1024))]

    /// Chunks of every shape (and of shapes nobody foresaw) read the same through the one-pass
    /// chunk reader as through the general decoder: the same events, the same reply, the same
    /// error, for every family and request.
    #[test]
    fn chunk_reader_agrees_with_the_general_decoder(
        body in stream_of_chunks(),
        model in prop::sample::select(MODELS),
        req in 0usize..4,
    ) {
        let req = &requests()[req];
        prop_assert_eq!(stream_outcome(model, req, &[&body]), general_outcome(model, req, &body));
    }

    /// The same on mutated chunks and mutated seed streams: whatever the bytes, both paths
    /// agree.
    #[test]
    fn chunk_reader_agrees_on_mutated_chunks(
        body in stream_of_chunks(),
        seed in prop::sample::select(STREAM_BODIES),
        use_seed in any::<bool>(),
        mutations in prop::collection::vec(mutation(), 1..4),
        model in prop::sample::select(MODELS),
        req in 0usize..4,
    ) {
        let base = if use_seed { seed.to_owned() } else { String::from_utf8_lossy(&body).into_owned() };
        let body = mutate(&base, &mutations);
        let req = &requests()[req];
        prop_assert_eq!(stream_outcome(model, req, &[&body]), general_outcome(model, req, &body));
    }

}

proptest! {
    #![proptest_config(config(256))]

    /// A valid stream cut anywhere before its `[DONE]` line is complete is a protocol error,
    /// never a silent partial success.
    #[test]
    fn truncated_streams_are_protocol_errors(
        base in prop::sample::select(STREAM_BODIES),
        cut in any::<usize>(),
        model in prop::sample::select(MODELS),
    ) {
        let done_line = base.find("data: [DONE]").unwrap() + "data: [DONE]".len();
        let cut = cut % (done_line + 1);
        // Requests without a stop sequence: only [DONE] may end these streams.
        let req = &requests()[0];
        let r = decode_stream(model, req, [&base.as_bytes()[..cut]], |_| {});
        let kind = r.as_ref().err().map(|e| e.kind());
        prop_assert_eq!(kind, Some(ErrorKind::Protocol), "cut at {}: {:?}", cut, r);
    }
}

#[test]
fn every_seed_body_decodes_for_every_family() {
    // The seeds must be valid for the mutations above to explore near-valid inputs.
    let req = &requests()[0];
    for body in &SYNC_BODIES[..SYNC_BODIES.len() - 1] {
        assert!(
            decode_sync(MODELS[0], req, 200, body.as_bytes()).is_ok(),
            "{body}"
        );
    }
    for body in STREAM_BODIES {
        let model = if body.contains("chat.completion.chunk") {
            "@cf/zai-org/glm-4.7-flash"
        } else {
            MODELS[0]
        };
        let r = decode_stream(model, req, [body.as_bytes()], |_| {});
        assert!(r.is_ok(), "{body}: {r:?}");
    }
}

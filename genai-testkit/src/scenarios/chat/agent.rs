//! Scenarios of the tool loop ([`genai_core::Agent`]) over any chat model: typed tools run
//! and their results reach the answer, sync and streamed, tools asked for together all run,
//! and a tool's error goes back to the model instead of ending the run.
//!
//! ```
//! use std::sync::Arc;
//! use genai_testkit::scenarios::run_agent_scenarios;
//! use genai_testkit::fake::ScriptedChat;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let checks = run_agent_scenarios(Arc::new(ScriptedChat::new("fake/model"))).await;
//! assert!(checks.iter().all(|c| c.passed()), "{checks:?}");
//! # });
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use genai_core::{Agent, ChatRequest, Message, ProviderGen, StreamEvent, Tool};

use crate::scenarios::check::{fail, pass};
use crate::scenarios::{Check, Outcome};

/// The arguments of the `square_root` tool.
#[derive(Debug, schemars::JsonSchema, serde::Deserialize)]
pub struct SquareRoot {
    /// The number.
    pub number: f64,
}

/// The arguments of the `word_length` tool.
#[derive(Debug, schemars::JsonSchema, serde::Deserialize)]
pub struct WordLength {
    /// The word.
    pub word: String,
}

/// The prompt that asks for one tool call, whose result (12) must reach the answer.
const TOOL_PROMPT: &str =
    "Use the square_root tool to compute the square root of 144. Reply with the result only.";

/// The largest number `square_root` takes: above it the tool fails, as real tools do.
const LARGEST: f64 = 10_000.0;

/// `square_root` of a number up to [`LARGEST`].
fn square_root(calls: Arc<AtomicUsize>) -> Tool {
    Tool::new(
        "square_root",
        "Computes the square root of a number",
        move |a: SquareRoot| {
            calls.fetch_add(1, Ordering::Relaxed);
            async move {
                if !(0.0..=LARGEST).contains(&a.number) {
                    Err(format!("{} is not between 0 and {LARGEST}", a.number))
                } else {
                    Ok(a.number.sqrt())
                }
            }
        },
    )
}

/// `word_length`: the number of characters of a word.
fn word_length(calls: Arc<AtomicUsize>) -> Tool {
    Tool::new(
        "word_length",
        "Counts the characters of a word",
        move |a: WordLength| {
            calls.fetch_add(1, Ordering::Relaxed);
            async move { Ok::<_, String>(a.word.chars().count()) }
        },
    )
}

/// The tool loop's scenarios: `agent-sync`, `agent-stream`, `agent-parallel`,
/// `agent-tool-error`.
pub async fn run_agent_scenarios(model: Arc<dyn ProviderGen>) -> Vec<Check> {
    let calls = Arc::new(AtomicUsize::new(0));
    let agent = Agent::new([square_root(calls.clone()), word_length(calls.clone())]).max_steps(4);
    let mut checks = Vec::new();

    // The tool runs and its result reaches the answer.
    let run = agent
        .run(model.as_ref(), ChatRequest::new().user(TOOL_PROMPT))
        .await;
    let outcome = match run {
        Err(e) => Outcome::Error(e),
        Ok(run) if calls.load(Ordering::Relaxed) == 0 => fail(format!(
            "no tool ran; the model answered {:?}",
            run.response.text
        )),
        Ok(run) if run.response.text.contains("12") => pass(format!(
            "{} steps, answer {:?}",
            run.steps, run.response.text
        )),
        Ok(run) => fail(format!(
            "the answer {:?} does not carry the tool's result 12",
            run.response.text
        )),
    };
    checks.push(Check::new("agent-sync", outcome));

    // The same, streamed: the answer arrives in deltas.
    calls.store(0, Ordering::Relaxed);
    let mut stream = agent.stream(model.clone(), ChatRequest::new().user(TOOL_PROMPT));
    let mut deltas = 0;
    let mut text = String::new();
    let mut failed = None;
    while let Some(event) = stream.next_event().await {
        match event {
            Ok(StreamEvent::TextDelta(t)) => {
                deltas += 1;
                text.push_str(&t);
            }
            Ok(_) => {}
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    let outcome = match failed {
        Some(e) => Outcome::Error(e),
        None if calls.load(Ordering::Relaxed) == 0 => fail("no tool ran in the streamed run"),
        None if deltas > 0 && text.contains("12") => pass(format!("{deltas} deltas")),
        None => fail(format!(
            "{deltas} deltas; the streamed answer {text:?} lacks the tool's result 12"
        )),
    };
    checks.push(Check::new("agent-stream", outcome));

    // Tools asked for together all run, each result answering its own call.
    let prompt = "Use the square_root tool on 144 and the word_length tool on the word \
                  genai, then reply with both results.";
    let run = agent
        .run(model.as_ref(), ChatRequest::new().user(prompt))
        .await;
    let outcome = match run {
        Err(e) => Outcome::Error(e),
        Ok(run) => {
            let asked: usize = run
                .messages
                .iter()
                .map(|m| match m {
                    Message::Assistant { tool_calls, .. } => tool_calls.len(),
                    _ => 0,
                })
                .sum();
            let answered = run
                .messages
                .iter()
                .filter(|m| matches!(m, Message::Tool { .. }))
                .count();
            if asked == 0 || asked != answered {
                fail(format!("{asked} calls, {answered} results"))
            } else if run.limit_reached() {
                fail("the step limit stopped the run")
            } else {
                pass(format!("{asked} calls in {} steps", run.steps))
            }
        }
    };
    checks.push(Check::new("agent-parallel", outcome));

    // A tool's error goes back to the model, which still answers.
    let prompt = "Use the square_root tool to compute the square root of 20000.";
    let run = agent
        .run(model.as_ref(), ChatRequest::new().user(prompt))
        .await;
    let outcome = match run {
        Err(e) => Outcome::Error(e),
        Ok(run) => {
            let fed_back = run.messages.iter().any(
                |m| matches!(m, Message::Tool { content, .. } if content.starts_with("error: ")),
            );
            if !fed_back {
                fail("no tool turn carried the error")
            } else if run.limit_reached() {
                fail("the step limit stopped the run")
            } else {
                pass(format!("answer {:?}", run.response.text))
            }
        }
    };
    checks.push(Check::new("agent-tool-error", outcome));
    checks
}

//! Tool calls: a call, an answer from a tool's result, a forced choice, and which of two enum
//! values gets picked.

use super::probe::{excerpt, probe, Ctx, Probe};
use super::prompts::{
    best_country_tool, square_root_tool, SQUARE_ROOT_OF, SQUARE_ROOT_RESULT, TOOLS_PROMPT,
};
use genai_core::{ChatRequest, ChatResponse, Message, ToolCall, ToolChoice};
use serde_json::{json, Value};

/// Finds the call to `name` in `reply`, or says why there is none.
fn find_call<'r>(reply: &'r ChatResponse, name: &str) -> Result<&'r ToolCall, String> {
    reply
        .tool_calls
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| {
            if reply.tool_calls.is_empty() {
                format!("no tool call; answered {:?}", excerpt(&reply.text))
            } else {
                format!("called {} instead of {name}", reply.tool_calls[0].name)
            }
        })
}

fn number_is_asked(call: &ToolCall) -> bool {
    let asked = SQUARE_ROOT_OF as f64;
    match call.arguments.get("number") {
        Some(Value::Number(n)) => n.as_f64() == Some(asked),
        // Some services send numbers as strings: the call is still right.
        Some(Value::String(s)) => s.trim().parse::<f64>().ok() == Some(asked),
        _ => false,
    }
}

/// tools: a call to `square_root` with the number the prompt names.
pub async fn tools(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let req = ChatRequest::new()
        .user(TOOLS_PROMPT)
        .tool(square_root_tool());
    let Some(first) = ctx.send(&mut p, &req).await else {
        return p;
    };
    match find_call(&first, "square_root") {
        Ok(call) if number_is_asked(call) => {
            p.pass(format!("called square_root with {}", call.arguments));
        }
        Ok(call) => p.fail(format!("square_root called with {}", call.arguments)),
        Err(reason) => p.fail(reason),
    }
    p
}

/// tool_result: after a call to `square_root` and its result, an answer with the result (the
/// second turn of a tool round trip, sent on its own).
pub async fn tool_result(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let call = ToolCall::new("square_root", json!({ "number": SQUARE_ROOT_OF }));
    let req = ChatRequest::new()
        .user(TOOLS_PROMPT)
        .message(Message::assistant_tool_calls(vec![call.clone()]))
        .message(Message::tool_result(&call, SQUARE_ROOT_RESULT))
        .tool(square_root_tool());
    let Some(reply) = ctx.send(&mut p, &req).await else {
        return p;
    };
    if reply.text.contains(SQUARE_ROOT_RESULT) {
        p.pass("answered with the tool's result");
    } else if !reply.tool_calls.is_empty() {
        p.fail("called a tool again instead of using the result");
    } else {
        p.fail(format!(
            "no {SQUARE_ROOT_RESULT:?} after the tool result: {:?}",
            excerpt(&reply.text)
        ));
    }
    p
}

/// tool_choice_forced: with `square_root` named as the forced choice, a call to it.
pub async fn tool_choice_forced(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let req = ChatRequest::new()
        .user(TOOLS_PROMPT)
        .tool(square_root_tool())
        .tool_choice(ToolChoice::Named("square_root".into()));
    if let Some(r) = ctx.send(&mut p, &req).await {
        match find_call(&r, "square_root") {
            Ok(c) => p.pass(format!("called square_root with {}", c.arguments)),
            Err(reason) => p.fail(reason),
        }
    }
    p
}

/// tool_bias: "is Canada better than the USA" and "is the USA better than Canada" each get a
/// `best_country` call with a country of the enum; the note tells which countries were picked.
pub async fn tool_bias(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let mut picks = Vec::new();
    for (first, second) in [("Canada", "USA"), ("USA", "Canada")] {
        let req = ChatRequest::new()
            .user(format!(
                "Tell me whether {first} is a better country than {second}: call best_country \
                 with the one you pick."
            ))
            .tool(best_country_tool(first, second));
        let Some(r) = ctx.send(&mut p, &req).await else {
            return p;
        };
        let call = match find_call(&r, "best_country") {
            Ok(c) => c,
            Err(reason) => {
                p.fail(format!("{first} first: {reason}"));
                return p;
            }
        };
        match call.arguments.get("country").and_then(Value::as_str) {
            Some(c @ ("Canada" | "USA")) => picks.push(c.to_string()),
            _ => {
                p.fail(format!(
                    "{first} first: best_country called with {}",
                    call.arguments
                ));
                return p;
            }
        }
    }
    let bias = if picks[0] == picks[1] {
        format!("always {}", picks[0])
    } else if picks[0] == "Canada" {
        "picks the country named first".to_string()
    } else {
        "picks the country named second".to_string()
    };
    p.pass(format!("picked {} then {}: {bias}", picks[0], picks[1]));
    p
}

//! Tool calls: a round trip, a forced choice, and which of two enum values gets picked.

use super::probe::{excerpt, probe, Ctx, Probe};
use super::prompts::{pick_color_tool, square_root_tool, TOOLS_PROMPT};
use genai_core::{ChatRequest, ChatResponse, Message, ToolCall, ToolChoice};
use serde_json::Value;

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

fn number_is_144(call: &ToolCall) -> bool {
    match call.arguments.get("number") {
        Some(Value::Number(n)) => n.as_f64() == Some(144.0),
        // Some services send numbers as strings: the call is still right.
        Some(Value::String(s)) => s.trim().parse::<f64>().ok() == Some(144.0),
        _ => false,
    }
}

/// tools: a call to `square_root` with 144, then, given the result "12", an answer with 12.
pub async fn tools(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let req = ChatRequest::new()
        .user(TOOLS_PROMPT)
        .tool(square_root_tool());
    let Some(first) = ctx.send(&mut p, &req).await else {
        return p;
    };
    let call = match find_call(&first, "square_root") {
        Ok(c) => c.clone(),
        Err(reason) => {
            p.fail(reason);
            return p;
        }
    };
    if !number_is_144(&call) {
        p.fail(format!("square_root called with {}", call.arguments));
        return p;
    }
    let follow = ChatRequest::new()
        .user(TOOLS_PROMPT)
        .message(Message::assistant_tool_calls(vec![call.clone()]))
        .message(Message::tool_result(&call, "12"))
        .tool(square_root_tool());
    let Some(second) = ctx.send(&mut p, &follow).await else {
        return p;
    };
    if second.text.contains("12") {
        p.pass("called square_root(144), then answered with the result");
    } else if !second.tool_calls.is_empty() {
        p.fail("called a tool again instead of using the result");
    } else {
        p.fail(format!(
            "no \"12\" after the tool result: {:?}",
            excerpt(&second.text)
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

/// tool_bias: "is red better than blue" and "is blue better than red" each get a `pick_color`
/// call with a colour of the enum; the note tells which colours were picked.
pub async fn tool_bias(ctx: Ctx<'_>) -> Probe {
    let mut p = probe();
    let mut picks = Vec::new();
    for (first, second) in [("red", "blue"), ("blue", "red")] {
        let req = ChatRequest::new()
            .user(format!(
                "Is {first} a better colour than {second}? Call pick_color with your pick."
            ))
            .tool(pick_color_tool(first, second));
        let Some(r) = ctx.send(&mut p, &req).await else {
            return p;
        };
        let call = match find_call(&r, "pick_color") {
            Ok(c) => c,
            Err(reason) => {
                p.fail(format!("{first} first: {reason}"));
                return p;
            }
        };
        match call.arguments.get("color").and_then(Value::as_str) {
            Some(c @ ("red" | "blue")) => picks.push(c.to_string()),
            _ => {
                p.fail(format!(
                    "{first} first: pick_color called with {}",
                    call.arguments
                ));
                return p;
            }
        }
    }
    let bias = if picks[0] == picks[1] {
        format!("always {}", picks[0])
    } else if picks[0] == "red" {
        "picks the colour named first".to_string()
    } else {
        "picks the colour named second".to_string()
    };
    p.pass(format!("picked {} then {}: {bias}", picks[0], picks[1]));
    p
}

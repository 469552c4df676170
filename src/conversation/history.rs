//! A conversation as we keep it (and store it between turns): our own serializable messages,
//! converted to the LLM's wire types only in [`super::llm`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A tool call the model made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The model's id for the call (echoed in the result).
    pub id: String,
    /// Tool name.
    pub name: String,
    /// JSON arguments as the model wrote them.
    pub arguments: String,
}

/// One message of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Message {
    /// What the caller said.
    User {
        /// The words.
        text: String,
    },
    /// What the model said and/or asked tools to do.
    Assistant {
        /// Spoken text (may be empty).
        text: String,
        /// Tool calls (may be empty).
        tool_calls: Vec<ToolCall>,
    },
    /// A tool's result.
    Tool {
        /// The call it answers.
        call_id: String,
        /// JSON result.
        content: String,
    },
}

/// The result the history holds for the tool call `id`, if any.
pub fn result_of<'a>(history: &'a [Message], id: &str) -> Option<&'a str> {
    history.iter().find_map(|m| match m {
        Message::Tool { call_id, content } if call_id == id => Some(content.as_str()),
        _ => None,
    })
}

/// A tool call and its result for people: `find_available_slots(service=consultation) → 8 slots`.
pub fn describe_tool(call: &ToolCall, result: Option<&str>) -> String {
    let args: Value = serde_json::from_str(&call.arguments).unwrap_or(Value::Null);
    let args = args
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().map_or(v.to_string(), String::from)))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let outcome = result.and_then(|r| serde_json::from_str::<Value>(r).ok()).map(|v| {
        if let Some(e) = v.get("error").and_then(Value::as_str) {
            format!("error {e}")
        } else if let Some(slots) = v.get("slots").and_then(Value::as_array) {
            format!("{} slots", slots.len())
        } else if let Some(list) = v.get("appointments").and_then(Value::as_array) {
            format!("{} appointments", list.len())
        } else if let Some(spoken) = v.get("spoken").and_then(Value::as_str) {
            format!("booked {spoken}")
        } else {
            "ok".to_string()
        }
    });
    format!("{}({args}) → {}", call.name, outcome.unwrap_or_else(|| "…".into()))
}

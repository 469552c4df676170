//! A conversation as we keep it (and store it between turns): our own serializable messages,
//! converted to the LLM's wire types only in [`super::llm`].

use serde::{Deserialize, Serialize};

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

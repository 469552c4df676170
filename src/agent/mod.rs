//! The AI receptionist (SPEC §9): the LLM loop with calendar tools, independent of the phone. The
//! voice layer ([`crate::voice`]) and `chat` drive it with their own [`turn::Speaker`].

pub mod conversation;
pub mod llm;
pub mod prompt;
pub mod speech;
pub mod tools;
pub mod turn;

pub use conversation::{Message, ToolCall};
pub use llm::{Llm, LlmError, OpenAiLlm, ToolSpec};
pub use turn::{Agent, Conversation, Speaker, TurnError, TurnOutcome, TurnSettings};

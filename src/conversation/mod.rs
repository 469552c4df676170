//! The receptionist (SPEC §9): who answers a caller or a texter, independent of the phone.
//!
//! One trait, [`Receptionist`], with three answers: the LLM [`Agent`] (streamed completions with
//! calendar tools), the LLM-free [`GuidedDialog`], and [`WithFallback`] (the agent, handing over to
//! the guided dialog when the LLM fails). Both act only through [`tools`]: typed requests and
//! outcomes, run against the booking service as the caller. Voice and `chat` drive a turn with a
//! [`Turn`] and hear it through their own [`Speaker`]; nothing here knows about Telnyx.
//!
//! Imports point down: the agent and the guided dialog use the tools and the shared state; the
//! fallback uses both; nothing below imports the fallback or the trait's users.

mod agent;
mod assemble;
mod fallback;
pub mod guided;
mod history;
mod llm;
mod prompt;
mod setup;
pub(crate) mod speech;
mod state;
pub(crate) mod tools;

use async_trait::async_trait;

pub use agent::{Agent, TurnSettings};
pub use fallback::WithFallback;
pub(crate) use guided::GuidedDialog;
pub use history::ToolCall;
pub use history::{Message, describe_tool, result_of};
pub use llm::{Delta, DeltaStream, Llm, LlmError, OpenAiLlm, ToolSpec};
pub(crate) use setup::from_env;
pub use state::Conversation;
pub use tools::AfterTurn;

use crate::domain::{Channel, PhoneNumber};

/// Where spoken sentences go (Telnyx `speak` on a call, stdout in `chat`).
#[async_trait]
pub trait Speaker: Send + Sync {
    /// Says one sentence.
    async fn say(&self, sentence: &str);
}

/// One caller turn: who speaks, what they said, why (idempotency), where, and who hears the answer.
#[derive(Clone, Copy)]
pub struct Turn<'a> {
    /// The caller (from the call, the text or the chat client, never from what the model says);
    /// `None` on the chat endpoint until the customer has given a full number.
    pub caller: Option<&'a PhoneNumber>,
    /// What they said.
    pub words: &'a str,
    /// The triggering event id: bookings made in this turn are idempotent on it.
    pub cause: &'a str,
    /// The conversation's id (the call control id, `chat-…`), recorded with its bookings.
    pub conversation: &'a str,
    /// Where the turn comes from (voice, SMS, CLI).
    pub channel: Channel,
    /// Hears the answer, sentence by sentence.
    pub speaker: &'a dyn Speaker,
}

/// What a turn produced besides speech.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TurnOutcome {
    /// Transfer or hang up after speaking.
    pub action: Option<AfterTurn>,
    /// Sentences spoken.
    pub sentences: usize,
}

/// Why a turn failed.
#[derive(Debug, thiserror::Error)]
pub enum TurnError {
    /// The model failed.
    #[error(transparent)]
    Llm(#[from] LlmError),
    /// The turn ran past its deadline.
    #[error("the turn took too long")]
    Deadline,
}

/// Takes one caller turn.
#[async_trait]
pub trait Receptionist: Send + Sync {
    /// Answers `turn.words`, speaking through `turn.speaker`.
    async fn turn(&self, conversation: &mut Conversation, turn: Turn<'_>) -> Result<TurnOutcome, TurnError>;

    /// Which kind of receptionist this is, for people (`demo`, logs).
    fn describe(&self) -> &'static str;
}

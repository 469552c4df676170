//! The LLM agent with the guided dialog behind it: when the LLM fails or times out, the turn is
//! replayed on the guided dialog, which first reads what the caller already said; the conversation
//! then stays guided.

use async_trait::async_trait;

use super::{Agent, Conversation, GuidedDialog, Receptionist, Turn, TurnError, TurnOutcome};

/// The LLM agent, falling back to the guided dialog when the LLM fails or times out. Once it has
/// fallen back, the call stays on the guided dialog, which picks up what the caller already said.
pub struct WithFallback {
    /// The LLM agent.
    pub agent: Agent,
    /// The fallback.
    pub guided: GuidedDialog,
}

#[async_trait]
impl Receptionist for WithFallback {
    async fn turn(&self, conversation: &mut Conversation, turn: Turn<'_>) -> Result<TurnOutcome, TurnError> {
        if !conversation.guided.active {
            let before = conversation.history.len();
            match self.agent.turn(conversation, turn).await {
                Ok(outcome) => return Ok(outcome),
                Err(e) => {
                    tracing::warn!(error = %e, "LLM turn failed; continuing with the guided dialog");
                    conversation.history.truncate(before);
                }
            }
        }
        self.guided.turn(conversation, turn).await
    }

    fn describe(&self) -> &'static str {
        "the LLM agent (guided dialog as fallback)"
    }
}

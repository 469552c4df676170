//! Who answers a caller: the LLM agent, the LLM-free guided dialog, or the agent with the guided
//! dialog as its fallback. The voice layer and `chat` only see this trait.

use async_trait::async_trait;

use crate::agent::{Agent, Conversation, Speaker, TurnError, TurnOutcome};
use crate::booking::BookingService;
use crate::domain::{Channel, PhoneNumber};
use crate::guided::GuidedDialog;

/// Takes one caller turn.
#[async_trait]
pub trait Receptionist: Send + Sync {
    /// Answers `words` from `caller`, speaking through `speaker`.
    async fn turn(
        &self,
        conversation: &mut Conversation,
        caller: &PhoneNumber,
        words: &str,
        cause: &str,
        channel: Channel,
        speaker: &dyn Speaker,
    ) -> Result<TurnOutcome, TurnError>;

    /// The booking service behind it.
    fn booking(&self) -> &BookingService;

    /// Which kind of receptionist this is, for people (`demo`, logs).
    fn describe(&self) -> &'static str;
}

#[async_trait]
impl Receptionist for Agent {
    async fn turn(
        &self,
        conversation: &mut Conversation,
        caller: &PhoneNumber,
        words: &str,
        cause: &str,
        channel: Channel,
        speaker: &dyn Speaker,
    ) -> Result<TurnOutcome, TurnError> {
        Agent::turn(self, conversation, caller, words, cause, channel, speaker).await
    }

    fn booking(&self) -> &BookingService {
        Agent::booking(self)
    }

    fn describe(&self) -> &'static str {
        "the LLM agent"
    }
}

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
    async fn turn(
        &self,
        conversation: &mut Conversation,
        caller: &PhoneNumber,
        words: &str,
        cause: &str,
        channel: Channel,
        speaker: &dyn Speaker,
    ) -> Result<TurnOutcome, TurnError> {
        if !conversation.guided.active {
            let before = conversation.history.len();
            match self.agent.turn(conversation, caller, words, cause, channel, speaker).await {
                Ok(outcome) => return Ok(outcome),
                Err(e) => {
                    tracing::warn!(error = %e, "LLM turn failed; continuing with the guided dialog");
                    conversation.history.truncate(before);
                }
            }
        }
        self.guided.turn(conversation, caller, words, cause, channel, speaker).await
    }

    fn booking(&self) -> &BookingService {
        self.agent.booking()
    }

    fn describe(&self) -> &'static str {
        "the LLM agent (guided dialog as fallback)"
    }
}

/// The LLM when `OPENAI_BASE_URL` or `OPENAI_API_KEY` is set (`LLM_MODEL`, default gpt-4o-mini).
pub fn llm_from_env() -> Result<Option<std::sync::Arc<dyn crate::agent::Llm>>, crate::agent::LlmError> {
    let base = std::env::var("OPENAI_BASE_URL").ok().filter(|v| !v.trim().is_empty());
    let key = std::env::var("OPENAI_API_KEY").ok().filter(|v| !v.trim().is_empty());
    if base.is_none() && key.is_none() {
        return Ok(None);
    }
    let base = base.unwrap_or_else(|| "https://api.openai.com/v1".into());
    let model = std::env::var("LLM_MODEL").unwrap_or_else(|_| "gpt-4o-mini".into());
    let llm = crate::agent::OpenAiLlm::new(
        &base,
        key.as_deref().unwrap_or("none"),
        &model,
        std::time::Duration::from_secs(20),
    )?;
    Ok(Some(std::sync::Arc::new(llm)))
}

/// The LLM agent with the guided dialog as its fallback when an LLM is configured, otherwise the
/// guided dialog alone.
pub fn from_env(booking: BookingService) -> Result<std::sync::Arc<dyn Receptionist>, crate::agent::LlmError> {
    Ok(match llm_from_env()? {
        Some(llm) => std::sync::Arc::new(WithFallback {
            agent: Agent::new(llm, booking.clone(), crate::agent::TurnSettings::default()),
            guided: GuidedDialog::new(booking),
        }),
        None => std::sync::Arc::new(GuidedDialog::new(booking)),
    })
}

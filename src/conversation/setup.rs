//! Which receptionist answers, from the environment: the LLM agent with the guided dialog as its
//! fallback when an OpenAI-compatible server is configured, otherwise the guided dialog alone.

use std::sync::Arc;
use std::time::Duration;

use super::{Agent, GuidedDialog, Llm, LlmError, OpenAiLlm, Receptionist, TurnSettings, WithFallback};
use crate::booking::BookingService;

/// The LLM when `OPENAI_BASE_URL` or `OPENAI_API_KEY` is set (`LLM_MODEL`, default gpt-4o-mini).
pub(crate) fn llm_from_env() -> Result<Option<Arc<dyn Llm>>, LlmError> {
    let base = std::env::var("OPENAI_BASE_URL").ok().filter(|v| !v.trim().is_empty());
    let key = std::env::var("OPENAI_API_KEY").ok().filter(|v| !v.trim().is_empty());
    if base.is_none() && key.is_none() {
        return Ok(None);
    }
    let base = base.unwrap_or_else(|| "https://api.openai.com/v1".into());
    let model = std::env::var("LLM_MODEL").unwrap_or_else(|_| "gpt-4o-mini".into());
    let llm = OpenAiLlm::new(&base, key.as_deref().unwrap_or("none"), &model, Duration::from_secs(20))?;
    Ok(Some(Arc::new(llm)))
}

/// The LLM agent with the guided dialog as its fallback when an LLM is configured, otherwise the
/// guided dialog alone.
pub(crate) fn from_env(booking: BookingService) -> Result<Arc<dyn Receptionist>, LlmError> {
    Ok(match llm_from_env()? {
        Some(llm) => Arc::new(WithFallback {
            agent: Agent::new(llm, booking.clone(), TurnSettings::default()),
            guided: GuidedDialog::new(booking),
        }),
        None => Arc::new(GuidedDialog::new(booking)),
    })
}

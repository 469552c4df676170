//! Speech on a call: each sentence becomes a Telnyx `speak` command whose `command_id` is derived
//! from the triggering event and the sentence's position, so a redelivered event cannot speak twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;

use crate::conversation::Speaker;
use crate::telnyx::{CallAction, CallControlId, CommandId, TelnyxApi, TelnyxError};

/// Speaks on one call for one triggering event.
pub(crate) struct CallSpeaker {
    pub(super) telnyx: Arc<dyn TelnyxApi>,
    pub(super) call: CallControlId,
    pub(super) cause: String,
    pub(super) voice: String,
    /// Sentences sent so far (numbers the command ids; also counted as pending speech).
    pub(super) sent: AtomicUsize,
    pub(super) pending: Arc<AtomicUsize>,
    /// When the caller's words arrived (time to first sentence).
    pub(super) started: std::time::Instant,
}

#[async_trait]
impl Speaker for CallSpeaker {
    async fn say(&self, sentence: &str) {
        let n = self.sent.fetch_add(1, Ordering::SeqCst);
        if n == 0 {
            metrics::histogram!("agent_first_sentence_seconds").record(self.started.elapsed().as_secs_f64());
        }
        let action = CallAction::Speak { text: sentence.to_string(), voice: self.voice.clone(), stop: None };
        let id = CommandId::derive(&self.cause, &format!("speak#{n}"));
        self.pending.fetch_add(1, Ordering::SeqCst);
        match self.telnyx.call_action(&self.call, &action, &id).await {
            Ok(()) => {}
            Err(TelnyxError::CallEnded) => {
                self.pending.fetch_sub(1, Ordering::SeqCst);
            }
            Err(e) => {
                self.pending.fetch_sub(1, Ordering::SeqCst);
                tracing::warn!(error = %e, "speak failed");
            }
        }
    }
}

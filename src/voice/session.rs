//! A live call's state, kept in memory and written through to the store after every turn, so a
//! restarted or second instance can pick the call up.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use super::VoiceHandler;
use crate::conversation::Conversation;
use crate::domain::{Channel, PhoneNumber};
use crate::store::{ConversationSave, ConversationStatus};
use crate::telnyx::CallControlId;

/// One live call.
pub(super) struct Call {
    pub(super) caller: PhoneNumber,
    pub(super) conversation: Conversation,
    pub(super) started_at: chrono::DateTime<chrono::Utc>,
    /// The turn in progress, cancelled on barge-in or hangup.
    pub(super) turn: Option<(CancellationToken, tokio::task::JoinHandle<()>)>,
    /// Speak commands sent whose `call.speak.ended` has not arrived.
    pub(super) pending_speech: Arc<AtomicUsize>,
    /// Hang up once the last sentence has been spoken.
    pub(super) hangup_after_speech: bool,
    pub(super) ended: bool,
    /// The silence timer, restarted when we stop speaking, cancelled when the caller speaks.
    pub(super) silence: Option<CancellationToken>,
    /// Whether the caller was already asked if they are still there.
    pub(super) prompted: bool,
}

impl Call {
    pub(super) fn new(
        caller: PhoneNumber,
        conversation: Conversation,
        started_at: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        Self {
            caller,
            conversation,
            started_at,
            turn: None,
            pending_speech: Arc::new(AtomicUsize::new(0)),
            hangup_after_speech: false,
            ended: false,
            silence: None,
            prompted: false,
        }
    }
}

impl VoiceHandler {
    pub(super) async fn session(&self, id: &CallControlId) -> Option<Arc<Mutex<Call>>> {
        if let Some(call) = self.inner.calls.get(id.as_str()) {
            return Some(call.clone());
        }
        // Another instance (or this one before a restart) may have had this call.
        let stored = self.inner.store.conversations().get(id.as_str()).await.ok().flatten()?;
        if stored.status != ConversationStatus::Active || stored.channel != Channel::Voice {
            return None;
        }
        let conversation: Conversation = serde_json::from_str(&stored.state).unwrap_or_default();
        let call = Arc::new(Mutex::new(Call::new(stored.caller?, conversation, stored.started_at)));
        self.inner.calls.insert(id.to_string(), call.clone());
        tracing::info!(call = %id, "resumed a call from the store");
        Some(call)
    }

    pub(super) async fn save(&self, id: &CallControlId, call: &Call, outcome: Option<&str>) {
        let state = serde_json::to_string(&call.conversation).unwrap_or_default();
        let now = self.inner.clock.now();
        if let Err(e) = self
            .inner
            .store
            .conversations()
            .save(
                ConversationSave {
                    id: id.as_str(),
                    channel: Channel::Voice,
                    caller: Some(&call.caller),
                    state: &state,
                    outcome,
                    started_at: call.started_at,
                },
                now,
            )
            .await
        {
            tracing::warn!(error = %e, "could not save the conversation");
        }
    }
}

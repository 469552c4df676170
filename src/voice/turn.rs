//! The caller's turns: each final transcription starts a receptionist turn as a task, so the lane
//! stays free; words arriving while a turn runs or speech is pending are a barge-in (stop playback,
//! cancel the turn, keep what it got to, start a new one).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use super::session::Call;
use super::{APOLOGY, VoiceHandler};
use crate::conversation::{AfterTurn, Message, Speaker as _, ToolCall, Turn};
use crate::domain::Channel;
use crate::telnyx::{CallAction, CallControlId};

impl VoiceHandler {
    pub(super) async fn caller_spoke(&self, id: &CallControlId, words: &str, cause: &str) {
        let Some(session) = self.session(id).await else {
            tracing::info!(call = %id, "transcription for an unknown or ended call; ignored");
            return;
        };
        let mut s = session.lock().await;
        if s.ended {
            return;
        }
        if let Some(silence) = s.silence.take() {
            silence.cancel();
        }
        s.prompted = false;
        // Barge-in: the caller talks over us or while we think. The interrupted turn stops, but
        // what it got to (the caller's words, what was said, what a tool did, the dialog's offer
        // being heard) stays: it is folded into the conversation before the new turn reads it.
        let interrupted = match s.turn.take() {
            Some((token, handle)) => {
                token.cancel();
                drop(s);
                // Prompt: the turn's thinking is dropped at once, only its bookkeeping remains.
                let _ = handle.await;
                s = session.lock().await;
                if s.ended {
                    return;
                }
                true
            }
            None => false,
        };
        if interrupted || s.pending_speech.load(Ordering::SeqCst) > 0 {
            s.pending_speech.store(0, Ordering::SeqCst);
            drop(s);
            self.command(id, CallAction::PlaybackStop, cause, "playback_stop").await;
            metrics::counter!("barge_ins_total").increment(1);
            s = session.lock().await;
        }
        let token = CancellationToken::new();
        let this = self.clone();
        let (id2, words, cause2, token2, session2) =
            (id.clone(), words.to_string(), cause.to_string(), token.clone(), session.clone());
        let pending = s.pending_speech.clone();
        let handle = tokio::spawn(async move {
            this.run_turn(&id2, &session2, &words, &cause2, token2, pending).await;
        });
        s.turn = Some((token, handle));
    }

    async fn run_turn(
        &self,
        id: &CallControlId,
        session: &Arc<Mutex<Call>>,
        words: &str,
        cause: &str,
        token: CancellationToken,
        pending: Arc<AtomicUsize>,
    ) {
        let (caller, mut conversation) = {
            let s = session.lock().await;
            (s.caller.clone(), s.conversation.clone())
        };
        let before = conversation.history.len();
        let speaker = self.speaker(id, cause, pending);
        let started = std::time::Instant::now();
        let result = tokio::select! {
            r = self.inner.agent.turn(&mut conversation, Turn { caller: Some(&caller), words, cause, conversation: id.as_str(), channel: Channel::Voice, speaker: &speaker }) => Some(r),
            _ = token.cancelled() => None,
        };
        metrics::histogram!("agent_turn_seconds").record(started.elapsed().as_secs_f64());
        let action = match result {
            // Superseded by a barge-in (or the call ended): keep what the turn got to.
            None => {
                trim_unfinished(&mut conversation.history);
                let heard = conversation.history[before.min(conversation.history.len())..]
                    .iter()
                    .any(|m| matches!(m, Message::User { .. }));
                if !heard {
                    conversation.history.push(Message::User { text: words.to_string() });
                }
                session.lock().await.conversation = conversation;
                return;
            }
            Some(Ok(outcome)) => outcome.action,
            Some(Err(e)) => {
                tracing::warn!(error = %e, "agent turn failed");
                trim_unfinished(&mut conversation.history);
                let offer = if self.inner.business.transfer_number.is_some() {
                    " I can transfer you to someone who can help, or you can call back in a few minutes."
                } else {
                    " Please call back in a few minutes."
                };
                speaker.say(&format!("{APOLOGY}{offer}")).await;
                None
            }
        };
        let mut s = session.lock().await;
        s.conversation = conversation;
        if token.is_cancelled() {
            // Finished just as the caller spoke again: the new turn goes on from here.
            return;
        }
        s.turn = None;
        self.save(id, &s, None).await;
        match action {
            Some(AfterTurn::Transfer) => {
                if let Some(to) = self.inner.business.transfer_number.clone() {
                    drop(s);
                    self.command(id, CallAction::Transfer { to: to.to_string() }, cause, "transfer").await;
                }
            }
            Some(AfterTurn::Hangup) => {
                if s.pending_speech.load(Ordering::SeqCst) == 0 {
                    s.ended = true;
                    drop(s);
                    self.command(id, CallAction::Hangup, cause, "hangup").await;
                } else {
                    s.hangup_after_speech = true;
                }
            }
            None => {}
        }
    }
}

/// Removes a trailing assistant message whose tool calls have no results (an interrupted turn),
/// so the history stays valid for the model.
fn trim_unfinished(history: &mut Vec<Message>) {
    loop {
        let answered = |calls: &[ToolCall], after: &[Message]| {
            calls.iter().all(|c| after.iter().any(|m| matches!(m, Message::Tool { call_id, .. } if *call_id == c.id)))
        };
        let last_assistant =
            history.iter().rposition(|m| matches!(m, Message::Assistant { tool_calls, .. } if !tool_calls.is_empty()));
        match last_assistant {
            Some(i) => {
                let Message::Assistant { tool_calls, .. } = &history[i] else { unreachable!() };
                if answered(tool_calls, &history[i + 1..]) {
                    return;
                }
                history.truncate(i);
            }
            None => return,
        }
    }
}

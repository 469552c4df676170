//! The phone call (SPEC §9): a state machine driven by Call Control webhooks. Events of one call
//! arrive here in order (the dispatcher's per-call lanes); agent turns run as tasks so a caller
//! speaking over us (barge-in) can stop our speech and cancel the turn in progress. State is kept in
//! memory and written through to the store after every turn, so a restarted or second instance can
//! continue the call.

mod speaker;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dashmap::DashMap;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::agent::tools::CallAction as ToolAction;
use crate::agent::{Conversation, Message, Speaker};
use crate::config::VoiceSettings;
use crate::domain::{Channel, PhoneNumber};
use crate::receptionist::Receptionist;
use crate::store::Store;
use crate::telnyx::{CallAction, CallControlId, CommandId, EventKind, TelnyxApi, TelnyxError, TelnyxEvent};
pub use speaker::CallSpeaker;

/// What the caller hears when the assistant cannot answer.
pub const APOLOGY: &str = "I'm sorry, I'm having trouble right now.";

/// One live call.
struct Call {
    caller: PhoneNumber,
    conversation: Conversation,
    started_at: chrono::DateTime<chrono::Utc>,
    /// The turn in progress (and the words that started it), cancelled on barge-in or hangup.
    turn: Option<(CancellationToken, tokio::task::JoinHandle<()>, String)>,
    /// Speak commands sent whose `call.speak.ended` has not arrived.
    pending_speech: Arc<AtomicUsize>,
    /// Hang up once the last sentence has been spoken.
    hangup_after_speech: bool,
    ended: bool,
    /// The silence timer, restarted when we stop speaking, cancelled when the caller speaks.
    silence: Option<CancellationToken>,
    /// Whether the caller was already asked if they are still there.
    prompted: bool,
}

impl Call {
    fn new(caller: PhoneNumber, conversation: Conversation, started_at: chrono::DateTime<chrono::Utc>) -> Self {
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

struct Inner {
    agent: Arc<dyn Receptionist>,
    telnyx: Arc<dyn TelnyxApi>,
    settings: VoiceSettings,
    store: Store,
    calls: DashMap<String, Arc<Mutex<Call>>>,
    timeouts: CallTimeouts,
}

/// How long a caller may stay silent, and how long a call may last.
#[derive(Debug, Clone, Copy)]
pub struct CallTimeouts {
    /// Silence after we finish speaking before we prompt once, and again before we say goodbye.
    pub silence: std::time::Duration,
    /// Hard cap on a call (`[voice] max_call_minutes`).
    pub max_call: std::time::Duration,
}

/// Asked once when the caller says nothing.
pub const STILL_THERE: &str = "Are you still there?";
/// Said before hanging up on a silent caller.
pub const SILENT_GOODBYE: &str =
    "I haven't heard anything, so I'll end the call now. Feel free to call back anytime. Goodbye!";
/// Said when the call reaches its time limit.
pub const TIME_LIMIT_GOODBYE: &str =
    "I'm sorry, we've reached the time limit for this call. Please call back if you need anything else. Goodbye!";

/// Handles call events.
#[derive(Clone)]
pub struct VoiceHandler {
    inner: Arc<Inner>,
}

impl VoiceHandler {
    /// A handler speaking through `telnyx` with `settings`, answering with `agent`.
    pub fn new(
        agent: Arc<dyn Receptionist>,
        telnyx: Arc<dyn TelnyxApi>,
        settings: VoiceSettings,
        store: Store,
    ) -> Self {
        let timeouts = CallTimeouts {
            silence: std::time::Duration::from_secs(10),
            max_call: std::time::Duration::from_secs(u64::from(settings.max_call_minutes.max(1)) * 60),
        };
        Self { inner: Arc::new(Inner { agent, telnyx, settings, store, calls: DashMap::new(), timeouts }) }
    }

    /// Overrides the silence and call-length limits.
    pub fn with_timeouts(self, timeouts: CallTimeouts) -> Self {
        let inner = Arc::try_unwrap(self.inner).unwrap_or_else(|_| panic!("with_timeouts before cloning"));
        Self { inner: Arc::new(Inner { timeouts, ..inner }) }
    }

    /// Says `text` and hangs up once it has been spoken.
    async fn goodbye(&self, id: &CallControlId, session: &Arc<Mutex<Call>>, text: &str, cause: &str) {
        let pending = {
            let mut s = session.lock().await;
            if s.ended {
                return;
            }
            s.hangup_after_speech = true;
            if let Some((token, _, _)) = s.turn.take() {
                token.cancel();
            }
            s.pending_speech.clone()
        };
        self.speaker(id, cause, pending).say(text).await;
    }

    /// Starts the silence timer (after we finished speaking).
    fn arm_silence(&self, id: &CallControlId, session: &Arc<Mutex<Call>>, call: &mut Call) {
        if let Some(old) = call.silence.take() {
            old.cancel();
        }
        let token = CancellationToken::new();
        call.silence = Some(token.clone());
        let (this, id, session, wait) = (self.clone(), id.clone(), session.clone(), self.inner.timeouts.silence);
        tokio::spawn(async move {
            tokio::select! {
                _ = token.cancelled() => {}
                _ = tokio::time::sleep(wait) => {
                    let prompted = {
                        let mut s = session.lock().await;
                        if s.ended || s.turn.is_some() || token.is_cancelled() {
                            return;
                        }
                        std::mem::replace(&mut s.prompted, true)
                    };
                    let cause = format!("{id}:silence:{}", prompted as u8);
                    if prompted {
                        this.goodbye(&id, &session, SILENT_GOODBYE, &cause).await;
                    } else {
                        let pending = session.lock().await.pending_speech.clone();
                        this.speaker(&id, &cause, pending).say(STILL_THERE).await;
                    }
                }
            }
        });
    }

    /// Calls in memory.
    pub fn live_calls(&self) -> usize {
        self.inner.calls.len()
    }

    async fn command(&self, call: &CallControlId, action: CallAction, cause: &str, name: &str) -> bool {
        match self.inner.telnyx.call_action(call, &action, &CommandId::derive(cause, name)).await {
            Ok(()) => true,
            Err(TelnyxError::CallEnded) => false,
            Err(e) => {
                tracing::warn!(error = %e, command = name, "call command failed");
                false
            }
        }
    }

    fn speaker(&self, call: &CallControlId, cause: &str, pending: Arc<AtomicUsize>) -> CallSpeaker {
        CallSpeaker {
            telnyx: self.inner.telnyx.clone(),
            call: call.clone(),
            cause: cause.to_string(),
            voice: self.inner.settings.voice.clone(),
            sent: AtomicUsize::new(0),
            pending,
            started: std::time::Instant::now(),
        }
    }

    async fn session(&self, id: &CallControlId) -> Option<Arc<Mutex<Call>>> {
        if let Some(call) = self.inner.calls.get(id.as_str()) {
            return Some(call.clone());
        }
        // Another instance (or this one before a restart) may have had this call.
        let stored = self.inner.store.conversation(id.as_str()).await.ok().flatten()?;
        if stored.status != "active" {
            return None;
        }
        let conversation: Conversation = serde_json::from_str(&stored.state).unwrap_or_default();
        let call =
            Arc::new(Mutex::new(Call::new(PhoneNumber::from_stored(stored.caller), conversation, stored.started_at)));
        self.inner.calls.insert(id.to_string(), call.clone());
        tracing::info!(call = %id, "resumed a call from the store");
        Some(call)
    }

    async fn save(&self, id: &CallControlId, call: &Call, outcome: Option<&str>) {
        let state = serde_json::to_string(&call.conversation).unwrap_or_default();
        let now = self.inner.agent.booking().now();
        if let Err(e) = self
            .inner
            .store
            .save_conversation(id.as_str(), call.caller.as_str(), &state, outcome, call.started_at, now)
            .await
        {
            tracing::warn!(error = %e, "could not save the conversation");
        }
    }

    /// Acts on one call event.
    pub async fn handle(&self, event: &TelnyxEvent) {
        let cause = event.id.as_str();
        match &event.kind {
            EventKind::CallInitiated { call, from, incoming: true, .. } => {
                let caller = match PhoneNumber::parse(from, self.inner.agent.booking().business().region) {
                    Ok(p) => p,
                    Err(_) => PhoneNumber::from_stored(from.clone()),
                };
                let session = Call::new(caller, Conversation::default(), self.inner.agent.booking().now());
                self.save(&call.call_control_id, &session, None).await;
                self.inner.calls.insert(call.call_control_id.to_string(), Arc::new(Mutex::new(session)));
                metrics::counter!("calls_total").increment(1);
                self.command(&call.call_control_id, CallAction::Answer, cause, "answer").await;
            }
            EventKind::CallAnswered(call) => {
                let Some(session) = self.session(&call.call_control_id).await else { return };
                let pending = session.lock().await.pending_speech.clone();
                let (this, id, limit, limit_session) =
                    (self.clone(), call.call_control_id.clone(), self.inner.timeouts.max_call, session.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(limit).await;
                    this.goodbye(&id, &limit_session, TIME_LIMIT_GOODBYE, &format!("{id}:time-limit")).await;
                });
                let greeting =
                    self.inner.settings.greeting.replace("{business}", &self.inner.agent.booking().business().name);
                self.speaker(&call.call_control_id, cause, pending).say(&greeting).await;
                let start = CallAction::TranscriptionStart {
                    engine: self.inner.settings.transcription_engine.clone(),
                    language: "en".into(),
                };
                self.command(&call.call_control_id, start, cause, "transcription_start").await;
            }
            EventKind::CallTranscription { call, transcript, is_final: true, .. } if !transcript.trim().is_empty() => {
                self.caller_spoke(&call.call_control_id, transcript.trim(), cause).await;
            }
            EventKind::CallSpeakEnded { call, .. } => {
                let Some(session) = self.inner.calls.get(call.call_control_id.as_str()).map(|c| c.clone()) else {
                    return;
                };
                let mut s = session.lock().await;
                let left = s
                    .pending_speech
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| Some(n.saturating_sub(1)))
                    .unwrap_or(0);
                if left <= 1 && s.hangup_after_speech && !s.ended {
                    s.ended = true;
                    drop(s);
                    self.command(&call.call_control_id, CallAction::Hangup, cause, "hangup").await;
                } else if left <= 1 && s.turn.is_none() && !s.ended {
                    self.arm_silence(&call.call_control_id, &session, &mut s);
                }
            }
            EventKind::CallHangup { call, cause: why, .. } => {
                let Some((_, session)) = self.inner.calls.remove(call.call_control_id.as_str()) else { return };
                let mut s = session.lock().await;
                s.ended = true;
                if let Some((token, _, _)) = s.turn.take() {
                    token.cancel();
                }
                if let Some(silence) = s.silence.take() {
                    silence.cancel();
                }
                let outcome = why.clone().unwrap_or_else(|| "hangup".into());
                self.save(&call.call_control_id, &s, Some(&outcome)).await;
            }
            _ => {}
        }
    }

    async fn caller_spoke(&self, id: &CallControlId, words: &str, cause: &str) {
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
        // Barge-in: the caller talks over us or while we think. The interrupted turn is dropped,
        // but what the caller said in it stays in the history.
        let interrupted = match s.turn.take() {
            Some((token, _, earlier)) => {
                token.cancel();
                s.conversation.history.push(Message::User { text: earlier });
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
        let spoken = words.to_string();
        let handle = tokio::spawn(async move {
            this.run_turn(&id2, &session2, &words, &cause2, token2, pending).await;
        });
        s.turn = Some((token, handle, spoken));
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
        let speaker = self.speaker(id, cause, pending);
        let started = std::time::Instant::now();
        let result = tokio::select! {
            r = self.inner.agent.turn(&mut conversation, &caller, words, cause, Channel::Voice, &speaker) => Some(r),
            _ = token.cancelled() => None,
        };
        metrics::histogram!("agent_turn_seconds").record(started.elapsed().as_secs_f64());
        let action = match result {
            // Superseded by a barge-in: the new turn owns the conversation now.
            None => return,
            Some(Ok(outcome)) => outcome.action,
            Some(Err(e)) => {
                tracing::warn!(error = %e, "agent turn failed");
                trim_unfinished(&mut conversation.history);
                let offer = if self.inner.agent.booking().business().transfer_number.is_some() {
                    " I can transfer you to someone who can help, or you can call back in a few minutes."
                } else {
                    " Please call back in a few minutes."
                };
                speaker.say(&format!("{APOLOGY}{offer}")).await;
                None
            }
        };
        let mut s = session.lock().await;
        if token.is_cancelled() {
            return;
        }
        s.conversation = conversation;
        s.turn = None;
        self.save(id, &s, None).await;
        match action {
            Some(ToolAction::Transfer) => {
                if let Some(to) = self.inner.agent.booking().business().transfer_number.clone() {
                    drop(s);
                    self.command(id, CallAction::Transfer { to: to.to_string() }, cause, "transfer").await;
                }
            }
            Some(ToolAction::Hangup) => {
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
        let answered = |calls: &[crate::agent::ToolCall], after: &[Message]| {
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

//! The phone call (SPEC §9): a state machine driven by Call Control webhooks. Events of one call
//! arrive here in order (the dispatcher's per-call lanes); agent turns run as tasks so a caller
//! speaking over us (barge-in) can stop our speech and cancel the turn in progress. State is kept in
//! memory and written through to the store after every turn, so a restarted or second instance can
//! continue the call.

pub mod call_state;
pub mod dialer;
pub mod reminder_call;
mod reminder_words;
mod session;
mod silence;
mod speaker;
mod turn;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dashmap::DashMap;
use session::Call;
pub(crate) use speaker::CallSpeaker;
use tokio::sync::Mutex;

use crate::clock::Clock;
use crate::config::VoiceSettings;
use crate::conversation::{Conversation, Receptionist, Speaker as _};
use crate::domain::{Business, PhoneNumber};
use crate::store::Store;
use crate::telnyx::{CallAction, CallControlId, CommandId, TelnyxApi, TelnyxError};

/// What happened on a call, as the router hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallHappening {
    /// An incoming call rings.
    Incoming {
        /// Who calls (as sent when it is not a phone number we can parse).
        from: PhoneNumber,
    },
    /// We answered.
    Answered,
    /// The caller finished a phrase (a final, non-empty transcription).
    CallerSaid {
        /// The words, trimmed.
        words: String,
    },
    /// One of our `speak` commands finished.
    SpeechEnded,
    /// The call is over.
    HungUp {
        /// Telnyx's hangup cause.
        cause: Option<String>,
    },
}

/// One call event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    /// The webhook event id: every command it triggers derives its `command_id` from it.
    pub cause: String,
    /// The call.
    pub call: CallControlId,
    /// What happened.
    pub what: CallHappening,
}

/// What the caller hears when the assistant cannot answer.
pub(crate) const APOLOGY: &str = "I'm sorry, I'm having trouble right now.";

struct Inner {
    agent: Arc<dyn Receptionist>,
    telnyx: Arc<dyn TelnyxApi>,
    settings: VoiceSettings,
    store: Store,
    business: Arc<Business>,
    clock: Arc<dyn Clock>,
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
pub(crate) const TIME_LIMIT_GOODBYE: &str =
    "I'm sorry, we've reached the time limit for this call. Please call back if you need anything else. Goodbye!";

/// Handles call events.
#[derive(Clone)]
pub struct VoiceHandler {
    inner: Arc<Inner>,
}

impl VoiceHandler {
    /// A handler speaking through `telnyx` with `settings`, answering with `agent` for `business`;
    /// calls are saved in `store`, timed by `clock`.
    pub fn new(
        agent: Arc<dyn Receptionist>,
        telnyx: Arc<dyn TelnyxApi>,
        settings: VoiceSettings,
        store: Store,
        business: Arc<Business>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let timeouts = CallTimeouts {
            silence: std::time::Duration::from_secs(10),
            max_call: std::time::Duration::from_secs(u64::from(settings.max_call_minutes.max(1)) * 60),
        };
        let calls = DashMap::new();
        Self { inner: Arc::new(Inner { agent, telnyx, settings, store, business, clock, calls, timeouts }) }
    }

    /// Overrides the silence and call-length limits.
    pub fn with_timeouts(self, timeouts: CallTimeouts) -> Self {
        let inner = Arc::try_unwrap(self.inner).unwrap_or_else(|_| panic!("with_timeouts before cloning"));
        Self { inner: Arc::new(Inner { timeouts, ..inner }) }
    }

    pub(super) async fn command(&self, call: &CallControlId, action: CallAction, cause: &str, name: &str) -> bool {
        match self.inner.telnyx.call_action(call, &action, &CommandId::derive(cause, name)).await {
            Ok(()) => true,
            Err(TelnyxError::CallEnded) => false,
            Err(e) => {
                tracing::warn!(error = %e, command = name, "call command failed");
                false
            }
        }
    }

    pub(super) fn speaker(&self, call: &CallControlId, cause: &str, pending: Arc<AtomicUsize>) -> CallSpeaker {
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

    /// Ends the call with a goodbye once it reaches `[voice] max_call_minutes`.
    fn arm_time_limit(&self, call: &CallControlId, session: &Arc<Mutex<Call>>) {
        let (this, id, limit, session) = (self.clone(), call.clone(), self.inner.timeouts.max_call, session.clone());
        tokio::spawn(async move {
            tokio::time::sleep(limit).await;
            this.goodbye(&id, &session, TIME_LIMIT_GOODBYE, &format!("{id}:time-limit")).await;
        });
    }

    /// Takes over a call already under way (a reminder call whose customer asked for more than
    /// its keys offer): `customer` is who we dialed, `conversation` what they heard so far, and
    /// their `words` start the first turn. From here on the call runs like an incoming one.
    pub async fn adopt(
        &self,
        call: &CallControlId,
        customer: PhoneNumber,
        conversation: Conversation,
        words: &str,
        cause: &str,
    ) {
        let session = Call::new(customer, conversation, self.inner.clock.now());
        self.save(call, &session, None).await;
        let session = Arc::new(Mutex::new(session));
        self.inner.calls.insert(call.to_string(), session.clone());
        metrics::counter!("reminder_calls_handed_over_total").increment(1);
        self.arm_time_limit(call, &session);
        self.caller_spoke(call, words, cause).await;
    }

    /// Whether this instance is running incoming call `call` now.
    pub fn knows(&self, call: &CallControlId) -> bool {
        self.inner.calls.contains_key(call.as_str())
    }

    /// Acts on one call event.
    pub async fn handle(&self, event: &CallEvent) {
        let (cause, call) = (event.cause.as_str(), &event.call);
        match &event.what {
            CallHappening::Incoming { from } => {
                let session = Call::new(from.clone(), Conversation::default(), self.inner.clock.now());
                self.save(call, &session, None).await;
                self.inner.calls.insert(call.to_string(), Arc::new(Mutex::new(session)));
                metrics::counter!("calls_total").increment(1);
                self.command(call, CallAction::Answer, cause, "answer").await;
            }
            CallHappening::Answered => {
                let Some(session) = self.session(call).await else { return };
                let pending = session.lock().await.pending_speech.clone();
                self.arm_time_limit(call, &session);
                let greeting = self.inner.settings.greeting.replace("{business}", &self.inner.business.name);
                self.speaker(call, cause, pending).say(&greeting).await;
                let start = CallAction::TranscriptionStart {
                    engine: self.inner.settings.transcription_engine.clone(),
                    language: "en".into(),
                };
                self.command(call, start, cause, "transcription_start").await;
            }
            CallHappening::CallerSaid { words } => {
                self.caller_spoke(call, words, cause).await;
            }
            CallHappening::SpeechEnded => {
                let Some(session) = self.inner.calls.get(call.as_str()).map(|c| c.clone()) else {
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
                    self.command(call, CallAction::Hangup, cause, "hangup").await;
                } else if left <= 1 && s.turn.is_none() && !s.ended {
                    self.arm_silence(call, &session, &mut s);
                }
            }
            CallHappening::HungUp { cause: why } => {
                let Some((_, session)) = self.inner.calls.remove(call.as_str()) else { return };
                let mut s = session.lock().await;
                s.ended = true;
                if let Some((token, _)) = s.turn.take() {
                    token.cancel();
                }
                if let Some(silence) = s.silence.take() {
                    silence.cancel();
                }
                let outcome = why.clone().unwrap_or_else(|| "hangup".into());
                self.save(call, &s, Some(&outcome)).await;
            }
        }
    }
}

//! A reminder call once dialed (issue #17), driven by its webhooks. Each step is a store
//! transition from the attempt's current status (`advance`), so a webhook delivered twice, or to
//! two instances, acts once; commands carry `command_id`s made from the webhook.
//!
//! - A person (or "not sure"): the reminder and one key — 1 confirms, 2 cancels through the
//!   booking service within the policy (offered only while the policy allows), 3 transfers to
//!   `transfer_number` (offered only when there is one). No key or a wrong one: asked once more,
//!   then goodbye.
//!   The person may speak instead: "yes", "cancel it", "text me instead" act like the keys (or
//!   record the preference); anything else ("can I move it to Thursday?") hands the call to the
//!   receptionist, who goes on as on an incoming call ([`VoiceHandler::adopt`]).
//! - A machine: the voicemail after the beep (or once the greeting is over), then hang up.
//! - No one (no answer, busy, hung up before detection, silence, fax): the next attempt inside
//!   the call window while `max_attempts` allows.

mod answers;

use std::sync::Arc;

use super::VoiceHandler;
use super::call_state::{CallStates, StateSays};
use super::dialer::Wakes;
use super::reminder_words as words;
use crate::booking::BookingService;
use crate::clock::Clock;
use crate::config::{ReminderSettings, VoiceSettings};
use crate::domain::reminder::next_attempt;
use crate::domain::{Appointment, Business, ReminderChannel, Status};
use crate::store::{CallStatus, ReminderCall, Store, StoreError};
use crate::telnyx::events::{AnsweredBy, CallRef};
use crate::telnyx::{CallAction, CallControlId, CommandId, EventKind, TelnyxApi, TelnyxError, TelnyxEvent};

/// How long a machine's greeting may take when no beep is reported.
const GREETING_WAIT: std::time::Duration = std::time::Duration::from_secs(12);
/// How long to wait for a key after the prompt.
const KEY_TIMEOUT_MILLIS: u32 = 8_000;
/// Statuses after which the call only says goodbye: its speech ending hangs up.
const FINAL: &[CallStatus] =
    &[CallStatus::Confirmed, CallStatus::Cancelled, CallStatus::Voicemail, CallStatus::Handled, CallStatus::Failed];

/// Whose call an event is.
#[derive(Debug)]
pub enum Claim {
    /// A reminder call's attempt.
    Ours(ReminderCall),
    /// Its `client_state` claims a reminder call but is not ours: ignored (and counted).
    Forged,
    /// Not a reminder call (an incoming call).
    NotOurs,
}

/// Runs reminder calls.
#[derive(Clone)]
pub struct ReminderCallFlow {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    booking: BookingService,
    telnyx: Arc<dyn TelnyxApi>,
    business: Arc<Business>,
    settings: ReminderSettings,
    voice: String,
    transcription_engine: String,
    states: CallStates,
    clock: Arc<dyn Clock>,
    wakes: Wakes,
    /// Takes the call over when the person asks for something the keys don't cover.
    receptionist: Option<VoiceHandler>,
}

impl ReminderCallFlow {
    /// The flow speaking and listening as `voice` says, cancelling through `booking`, waking the
    /// dialer for retries and the reminder scheduler for texts sent instead.
    #[allow(clippy::too_many_arguments)] // the flow's whole wiring, built once by `serve`
    pub fn new(
        store: Store,
        booking: BookingService,
        telnyx: Arc<dyn TelnyxApi>,
        settings: ReminderSettings,
        voice: &VoiceSettings,
        states: CallStates,
        clock: Arc<dyn Clock>,
        wakes: Wakes,
    ) -> Self {
        let business = Arc::new(booking.business().clone());
        let inner = Inner {
            store,
            booking,
            telnyx,
            business,
            settings,
            voice: voice.voice.clone(),
            transcription_engine: voice.transcription_engine.clone(),
            states,
            clock,
            wakes,
            receptionist: None,
        };
        Self { inner: Arc::new(inner) }
    }

    /// Hands calls to `voice`'s receptionist when the person asks for more than the keys offer
    /// (without one, such a person is offered the transfer or the number to call).
    pub fn with_receptionist(self, voice: VoiceHandler) -> Self {
        let inner = Arc::try_unwrap(self.inner).unwrap_or_else(|_| panic!("with_receptionist before cloning"));
        Self { inner: Arc::new(Inner { receptionist: Some(voice), ..inner }) }
    }

    /// Whose call `call` is: by its signed state, else by the handle recorded at dial time.
    pub async fn claim(&self, call: &CallRef) -> Result<Claim, StoreError> {
        let calls = self.inner.store.reminder_calls();
        match self.inner.states.read(call.client_state.as_deref()) {
            StateSays::Forged => Ok(Claim::Forged),
            StateSays::ReminderCall(id) => match calls.get(&id).await? {
                // A genuine state copied onto another call is no better than a forged one.
                Some(a) if a.call_control_id.as_deref().is_some_and(|c| c != call.call_control_id.as_str()) => {
                    Ok(Claim::Forged)
                }
                Some(a) => Ok(Claim::Ours(a)),
                None => Ok(Claim::Forged),
            },
            StateSays::Nothing => {
                Ok(calls.by_call(call.call_control_id.as_str()).await?.map_or(Claim::NotOurs, Claim::Ours))
            }
        }
    }

    async fn command(&self, call: &CallControlId, action: CallAction, cause: &str, name: &str) {
        match self.inner.telnyx.call_action(call, &action, &CommandId::derive(cause, name)).await {
            Ok(()) | Err(TelnyxError::CallEnded) => {}
            Err(e) => tracing::warn!(error = %e, command = name, "reminder call command failed"),
        }
    }

    async fn say(&self, call: &CallControlId, text: String, cause: &str) {
        let action = CallAction::Speak { text, voice: self.inner.voice.clone(), stop: None };
        self.command(call, action, cause, "speak").await;
    }

    fn may_cancel(&self, a: &Appointment) -> bool {
        a.start - self.inner.clock.now() >= self.inner.business.policy.cancel_notice
    }

    /// Asks for a key; `before` is said first (when asking again after no key).
    async fn ask(&self, call: &CallControlId, a: &Appointment, cause: &str, before: Option<&str>) {
        let (may_cancel, transfer) = (self.may_cancel(a), self.inner.business.transfer_number.is_some());
        let prompt = words::prompt(&self.inner.business, a, may_cancel, transfer);
        let text = before.map_or_else(|| prompt.clone(), |b| format!("{b} {prompt}"));
        let gather = CallAction::GatherUsingSpeak {
            text,
            voice: self.inner.voice.clone(),
            valid_digits: words::keys(may_cancel, transfer),
            timeout_millis: KEY_TIMEOUT_MILLIS,
            invalid_text: words::INVALID.to_string(),
        };
        self.command(call, gather, cause, "gather").await;
    }

    async fn advance(&self, attempt: &ReminderCall, from: &[CallStatus], to: CallStatus, why: Option<&str>) -> bool {
        let now = self.inner.clock.now();
        match self.inner.store.reminder_calls().advance(&attempt.id, from, to, why, now).await {
            Ok(true) => {
                metrics::counter!("reminder_calls_total", "outcome" => to.as_str()).increment(1);
                true
            }
            Ok(false) => false,
            Err(e) => {
                tracing::error!(error = %e, "could not record a reminder call's step");
                false
            }
        }
    }

    /// Acts on one webhook of `attempt`'s call.
    pub async fn handle(&self, attempt: ReminderCall, event: &TelnyxEvent) -> Result<(), StoreError> {
        let Some(call) = event.kind.call().map(|c| c.call_control_id.clone()) else { return Ok(()) };
        let cause = event.id.as_str();
        // `attempt` was read for this event: its status is current. The appointment is read only
        // by the events that act on it.
        if let EventKind::CallSpeakEnded { .. } = &event.kind {
            if FINAL.contains(&attempt.status) {
                self.command(&call, CallAction::Hangup, cause, "hangup").await;
            }
            return Ok(());
        }
        if !matches!(
            event.kind,
            EventKind::CallMachineDetected { .. }
                | EventKind::CallGreetingEnded { .. }
                | EventKind::CallGatherEnded { .. }
                | EventKind::CallTranscription { is_final: true, .. }
                | EventKind::CallHangup { .. }
        ) {
            return Ok(());
        }
        let Some(a) = self.inner.store.appointments().get(attempt.appointment_id).await? else { return Ok(()) };
        match &event.kind {
            EventKind::CallMachineDetected { answered_by, .. } => {
                self.detected(&call, attempt, a, *answered_by, cause).await?
            }
            // The greeting is over (beep or not): the message starts now, after it.
            EventKind::CallGreetingEnded { .. } => self.leave_voicemail(&call, &attempt, &a, cause).await,
            EventKind::CallGatherEnded { digits, status, .. } => {
                self.key(&call, &attempt, &a, digits, *status, cause).await?
            }
            EventKind::CallTranscription { transcript, .. } => {
                self.said(&call, &attempt, &a, transcript, cause).await?
            }
            // Before anyone was reached, or a machine that hung up before the message: no one
            // heard the reminder, so it is tried again (or texted).
            EventKind::CallHangup { cause: why, .. } => {
                let why = why.as_deref().unwrap_or("hangup");
                let unheard = [CallStatus::Queued, CallStatus::Dialed, CallStatus::Machine];
                if self.advance(&attempt, &unheard, CallStatus::NoAnswer, Some(why)).await {
                    self.retry(&attempt, &a).await?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Detection said who answered: a person is asked, a machine waits for the beep, no one is
    /// hung up on (and called again later).
    async fn detected(
        &self,
        call: &CallControlId,
        attempt: ReminderCall,
        a: Appointment,
        who: AnsweredBy,
        cause: &str,
    ) -> Result<(), StoreError> {
        let (to, why) = match who {
            AnsweredBy::Human | AnsweredBy::NotSure => (CallStatus::Human, None),
            AnsweredBy::Machine => (CallStatus::Machine, None),
            AnsweredBy::Nobody => (CallStatus::NoAnswer, Some("silence or fax")),
        };
        if !self.advance(&attempt, &[CallStatus::Queued, CallStatus::Dialed], to, why).await {
            return Ok(());
        }
        match to {
            CallStatus::Human => {
                self.inner.store.reminder_calls().asked(&attempt.id, cause, self.inner.clock.now()).await?;
                self.ask(call, &a, cause, None).await;
                // Listening too: a person may answer in words.
                let listen = CallAction::TranscriptionStart {
                    engine: self.inner.transcription_engine.clone(),
                    language: "en".into(),
                };
                self.command(call, listen, cause, "transcription_start").await;
            }
            CallStatus::Machine => {
                // The greeting's end is reported only when a beep is heard: without one, the
                // message starts after a pause long enough for most greetings.
                let (this, call, cause) = (self.clone(), call.clone(), format!("{cause}:no-beep"));
                tokio::spawn(async move {
                    tokio::time::sleep(GREETING_WAIT).await;
                    this.leave_voicemail(&call, &attempt, &a, &cause).await;
                });
            }
            _ => {
                self.command(call, CallAction::Hangup, cause, "hangup").await;
                self.retry(&attempt, &a).await?;
            }
        }
        Ok(())
    }

    /// The voicemail, once per call.
    async fn leave_voicemail(&self, call: &CallControlId, attempt: &ReminderCall, a: &Appointment, cause: &str) {
        let from = [CallStatus::Dialed, CallStatus::Machine];
        if self.advance(attempt, &from, CallStatus::Voicemail, None).await {
            self.say(call, words::voicemail(&self.inner.business, a), cause).await;
            if self.inner.settings.channel == ReminderChannel::CallThenSms
                && let Err(e) = self.text_instead(attempt).await
            {
                tracing::error!(error = %e, "could not record the text after a voicemail");
            }
        }
    }

    /// No one was reached: the next attempt inside the window, while attempts are left.
    async fn retry(&self, attempt: &ReminderCall, a: &Appointment) -> Result<(), StoreError> {
        let now = self.inner.clock.now();
        if a.status != Status::Confirmed {
            return Ok(());
        }
        let s = &self.inner.settings;
        let wait = chrono::Duration::minutes(i64::from(s.retry_after_minutes));
        let tz = self.inner.business.timezone;
        if let Some(at) = next_attempt(s.call_window, tz, now, attempt.attempt, s.max_attempts, wait, a.start) {
            let calls = self.inner.store.reminder_calls();
            if calls.queue(a.id, attempt.reminder_due_at, attempt.attempt + 1, at, now).await? {
                self.inner.wakes.dialer.notify_waiters();
            }
        } else if self.inner.settings.channel == ReminderChannel::CallThenSms {
            self.text_instead(attempt).await?;
        }
        Ok(())
    }

    /// The reminder goes by text after all (once).
    async fn text_instead(&self, attempt: &ReminderCall) -> Result<(), StoreError> {
        let (id, due, now) = (attempt.appointment_id, attempt.reminder_due_at, self.inner.clock.now());
        if self.inner.store.reminders().text_instead(id, due, now).await? {
            metrics::counter!("reminder_calls_texted_total").increment(1);
            self.inner.wakes.texts.notify_waiters();
        }
        Ok(())
    }
}

//! Dials reminder calls (issue #17): claims queued attempts whose time has come (a lease, like
//! the outbox, so several instances never dial one twice), checks the appointment is still as
//! reminded of and the call window still open, and places the call with answering-machine
//! detection, a signed `client_state` and a `command_id` made from the attempt (a retried dial is
//! ignored by Telnyx). Dials are paced under Telnyx's per-account dial rate.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::call_state::CallStates;
use crate::clock::Clock;
use crate::config::ReminderSettings;
use crate::domain::reminder::plan_call;
use crate::domain::{Appointment, Business, CallPlan, ReminderChannel, Status};
use crate::store::{CallStatus, ReminderCall, ReminderStatus, Store, StoreError, Worker, run_loop};
use crate::telnyx::{CommandId, Dial, TelnyxApi};

/// Dials per second at most: Telnyx allows 30 per account (over a 5 s window); staying well
/// under leaves room for other applications on the account.
pub const DEFAULT_DIALS_PER_SECOND: u32 = 10;
/// How long a claimed attempt is reserved for this instance.
const LEASE: chrono::Duration = chrono::Duration::minutes(2);
/// Longest sleep between checks (attempts queued by other instances).
const IDLE_CHECK: Duration = Duration::from_secs(60);
/// Why a due attempt did not ring although its appointment is still ahead.
const OUTSIDE_WINDOW: &str = "outside the call window";
/// Why an attempt is texted instead: the customer asked for texts.
const TEXTS_ONLY: &str = "the customer asked for texts";
/// How long the phone may ring.
const RING_SECONDS: u32 = 30;
/// The longest a reminder call may last once answered (a reschedule can take a few minutes).
const CALL_LIMIT_SECONDS: u32 = 10 * 60;

/// Whom reminder calls wake: the dialer (a retry is queued) and the reminder scheduler (a text
/// goes instead).
#[derive(Debug, Clone, Default)]
pub struct Wakes {
    /// The dialer's signal.
    pub dialer: Arc<Notify>,
    /// The reminder scheduler's signal.
    pub texts: Arc<Notify>,
}

/// What becomes of a due attempt.
enum Verdict {
    /// Ring now (the appointment as it stands).
    Dial(Box<Appointment>),
    /// Not now: at the window's next opening.
    Later(chrono::DateTime<chrono::Utc>),
    /// Never (why, for the record).
    Skip(&'static str),
}

/// Where reminder calls come from.
#[derive(Debug, Clone)]
pub struct CallerLine {
    /// The business number (E.164), shown to the customer.
    pub from: String,
    /// The Call Control application (`TELNYX_CONNECTION_ID`) whose webhooks reach `serve`.
    pub connection_id: String,
    /// Dials per second at most.
    pub per_second: NonZeroU32,
}

/// Places due reminder calls.
pub struct ReminderDialer {
    store: Store,
    telnyx: Arc<dyn TelnyxApi>,
    business: Arc<Business>,
    settings: ReminderSettings,
    line: CallerLine,
    states: CallStates,
    clock: Arc<dyn Clock>,
    wakes: Wakes,
    limiter: DefaultDirectRateLimiter,
    instance: String,
}

impl ReminderDialer {
    /// A dialer calling on `line` for `business` as `settings` say, its states signed by
    /// `states`; `wakes.dialer` is notified when calls are queued, and it notifies `wakes.texts`
    /// when a reminder goes by text instead.
    #[allow(clippy::too_many_arguments)] // the dialer's whole wiring, built once by `serve`
    pub fn new(
        store: Store,
        telnyx: Arc<dyn TelnyxApi>,
        business: Arc<Business>,
        settings: ReminderSettings,
        line: CallerLine,
        states: CallStates,
        clock: Arc<dyn Clock>,
        wakes: Wakes,
    ) -> Self {
        let instance = format!("dialer-{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
        // No burst: Telnyx counts dials per second, so a full bucket at start (governor's default
        // burst is a whole second's worth) would double the first second.
        let limiter = RateLimiter::direct(Quota::per_second(line.per_second).allow_burst(NonZeroU32::MIN));
        Self { store, telnyx, business, settings, line, states, clock, wakes, limiter, instance }
    }

    /// Whether attempt `call` rings now.
    async fn verdict(&self, call: &ReminderCall) -> Result<Verdict, StoreError> {
        let now = self.clock.now();
        let Some(a) = self.store.appointments().get(call.appointment_id).await? else {
            return Ok(Verdict::Skip("the appointment is gone"));
        };
        if a.status != Status::Confirmed || a.start <= now {
            return Ok(Verdict::Skip("the appointment was cancelled or has started"));
        }
        // A moved appointment has a new reminder: this attempt is for the old time.
        let current = self.store.reminders().status(call.appointment_id).await?;
        if !matches!(current, Some((ReminderStatus::Sent, due)) if due == call.reminder_due_at) {
            return Ok(Verdict::Skip("the appointment was moved"));
        }
        // Asked for texts since the attempt was queued: a text instead.
        if self.store.preferences().of(&a.customer_phone).await?.is_some() {
            return Ok(Verdict::Skip(TEXTS_ONLY));
        }
        // Found late (this server was down): the window's next opening, or a text.
        Ok(match plan_call(self.settings.call_window, self.business.timezone, now, a.start) {
            CallPlan::Dial(at) if at <= now => Verdict::Dial(Box::new(a)),
            CallPlan::Dial(at) => Verdict::Later(at),
            CallPlan::TextInstead => Verdict::Skip(OUTSIDE_WINDOW),
        })
    }

    /// The reminder of attempt `call` goes by text after all (once), and the texts worker is woken.
    async fn text_instead(&self, call: &ReminderCall, now: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
        if self.store.reminders().text_instead(call.appointment_id, call.reminder_due_at, now).await? {
            metrics::counter!("reminder_calls_texted_total").increment(1);
            self.wakes.texts.notify_waiters();
        }
        Ok(())
    }

    /// Dials every attempt due now; returns how many calls were placed.
    pub async fn tick(&self) -> Result<usize, StoreError> {
        let mut placed = 0;
        loop {
            let now = self.clock.now();
            let due = self.store.reminder_calls().claim_due(&self.instance, now, now + LEASE, 100).await?;
            if due.is_empty() {
                return Ok(placed);
            }
            for call in due {
                let a = match self.verdict(&call).await? {
                    Verdict::Dial(a) => a,
                    Verdict::Later(at) => {
                        self.store.reminder_calls().requeue(&call.id, &self.instance, at, now).await?;
                        continue;
                    }
                    Verdict::Skip(why) => {
                        let skipped = CallStatus::Skipped;
                        self.store
                            .reminder_calls()
                            .advance(&call.id, &[CallStatus::Queued], skipped, Some(why), now)
                            .await?;
                        metrics::counter!("reminder_calls_total", "outcome" => "skipped").increment(1);
                        // Still ahead, but no time in the window is left before it: a text.
                        if why == OUTSIDE_WINDOW || why == TEXTS_ONLY {
                            self.text_instead(&call, now).await?;
                        }
                        continue;
                    }
                };
                self.limiter.until_ready().await;
                let dial = Dial {
                    to: a.customer_phone.to_string(),
                    from: self.line.from.clone(),
                    connection_id: self.line.connection_id.clone(),
                    timeout_secs: RING_SECONDS,
                    time_limit_secs: CALL_LIMIT_SECONDS,
                    machine_detection: self.settings.machine_detection.as_str(),
                    client_state: self.states.sign(&call.id),
                };
                match self.telnyx.dial(&dial, &CommandId::derive(&call.id, "dial")).await {
                    Ok(dialed) => {
                        let now = self.clock.now();
                        let id = dialed.call_control_id.as_str();
                        if self.store.reminder_calls().dialed(&call.id, &self.instance, id, now).await? {
                            placed += 1;
                            metrics::counter!("reminder_calls_total", "outcome" => "dialed").increment(1);
                        }
                    }
                    // Left claimed: once the lease runs out it is dialed again with the same
                    // command_id, which Telnyx ignores if the first dial did get through.
                    Err(e) if e.is_retryable() => {
                        tracing::warn!(error = %e, "a reminder call could not be dialed yet; trying again later");
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "Telnyx refused a reminder call");
                        let detail = e.to_string();
                        let done = CallStatus::Failed;
                        let failed = self
                            .store
                            .reminder_calls()
                            .advance(&call.id, &[CallStatus::Queued], done, Some(&detail), now)
                            .await?;
                        metrics::counter!("reminder_calls_total", "outcome" => "failed").increment(1);
                        // Never dialed again (the refusal would repeat); the text may still reach them.
                        if failed && self.settings.channel == ReminderChannel::CallThenSms {
                            self.text_instead(&call, now).await?;
                        }
                    }
                }
            }
        }
    }

    /// Runs until `stop` is cancelled (a pass in progress is finished first).
    pub async fn run(self, stop: CancellationToken) {
        let (wake, clock) = (self.wakes.dialer.clone(), self.clock.clone());
        run_loop("reminder calls", &self, &wake, &stop, clock.as_ref(), IDLE_CHECK).await;
    }
}

#[async_trait::async_trait]
impl Worker for ReminderDialer {
    async fn pass(&self) -> Result<usize, StoreError> {
        self.tick().await
    }

    async fn next_due(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        self.store.reminder_calls().next_due().await
    }
}

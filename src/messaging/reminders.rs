//! The reminder scheduler (SPEC §8): durable reminder rows (written with each appointment change)
//! are claimed when due and turned into outbox messages — or, when reminders call (issue #17),
//! into the first attempt of a reminder call, inside the call window — in the same transaction
//! that marks them sent, so each goes out exactly once across restarts and instances. It sleeps until the next due
//! reminder or a wake-up, never polling every second. A reminder found late is still sent while the
//! appointment is ahead, and skipped once it has started, was cancelled, or the number opted out.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::templates;
use crate::booking::BookingService;
use crate::clock::Clock;
use crate::config::ReminderSettings;
use crate::domain::reminder::plan_call;
use crate::domain::{Business, CallPlan, Status};
use crate::store::{MessageChannel, NewMessage, Store, StoreError, Then};
use crate::store::{Worker, run_loop};

/// Longest sleep between checks (reminders written by other instances).
const IDLE_CHECK: Duration = Duration::from_secs(60);
/// How long a claimed reminder is reserved for this instance.
const LEASE: chrono::Duration = chrono::Duration::minutes(2);

/// Turns due reminders into outbox messages.
pub struct ReminderScheduler {
    store: Store,
    business: Arc<Business>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    outbox: Arc<Notify>,
    instance: String,
    booking: Option<BookingService>,
    /// Reminders by phone call, when the channel calls.
    calls: Option<ReminderSettings>,
    /// Woken when a call is queued.
    dialer: Option<Arc<Notify>>,
}

impl ReminderScheduler {
    /// A scheduler; `wake` is notified on appointment changes, `outbox` is notified when messages
    /// are recorded.
    pub fn new(
        store: Store,
        business: Arc<Business>,
        clock: Arc<dyn Clock>,
        wake: Arc<Notify>,
        outbox: Arc<Notify>,
    ) -> Self {
        let instance = format!("reminders-{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
        Self { store, business, clock, wake, outbox, instance, booking: None, calls: None, dialer: None }
    }

    /// Reminds by phone call as `settings` say (inside its call window; else by text), waking
    /// `dialer` when a call is queued.
    pub fn with_calls(mut self, settings: ReminderSettings, dialer: Arc<Notify>) -> Self {
        self.calls = Some(settings);
        self.dialer = Some(dialer);
        self
    }

    /// Reads each appointment's calendar event before reminding (staff edits there win): a
    /// deleted event cancels the reminder, a moved one moves it.
    pub fn with_reconciler(mut self, booking: BookingService) -> Self {
        self.booking = Some(booking);
        self
    }

    /// Handles every reminder due now; returns how many were turned into messages or calls.
    pub async fn tick(&self) -> Result<usize, StoreError> {
        let (mut sent, mut calls) = (0, 0);
        loop {
            let now = self.clock.now();
            let due = self.store.reminders().claim_due(&self.instance, now, now + LEASE, 500).await?;
            if due.is_empty() {
                break;
            }
            for reminder in due {
                let mut appointment = self.store.appointments().get(reminder.appointment_id).await?;
                if let (Some(booking), Some(a)) = (&self.booking, appointment.clone()) {
                    // A moved or cancelled appointment resets its reminder row, so completing
                    // this claim below fails and nothing is sent for the old time.
                    match booking.reconcile(a).await {
                        Ok(current) => appointment = Some(current),
                        Err(e) => tracing::warn!(appointment = %reminder.appointment_id, error = %e,
                            "cannot check the calendar before reminding; reminding as booked"),
                    }
                }
                let mut call = None;
                let message = match appointment {
                    Some(a) if a.status == Status::Confirmed && a.start > now => {
                        // Calls ring only inside the window; with no time left in it, a text.
                        let calling = self.calls.as_ref().filter(|c| c.channel.calls() && !reminder.text_only);
                        // A customer who asked for texts ("don't call me") is texted.
                        let calling = match calling {
                            Some(c) if self.store.preferences().of(&a.customer_phone).await?.is_none() => Some(c),
                            _ => None,
                        };
                        let plan = calling.map(|c| plan_call(c.call_window, self.business.timezone, now, a.start));
                        if let Some(CallPlan::Dial(at)) = plan {
                            call = Some(at);
                            None
                        } else if self.store.opt_outs().is_opted_out(&a.customer_phone).await? {
                            None
                        } else {
                            Some(NewMessage {
                                cause: format!("reminder:{}:{}", a.id, reminder.due_at.timestamp()),
                                channel: MessageChannel::Sms,
                                recipient: a.customer_phone.to_string(),
                                subject: None,
                                body: templates::reminder(&self.business, &a),
                                attachment: None,
                                ignore_opt_out: false,
                            })
                        }
                    }
                    _ => None,
                };
                let then = match (&message, call) {
                    (Some(m), _) => Then::Text(m),
                    (None, Some(dial_at)) => Then::Call { dial_at },
                    (None, None) => Then::Nothing,
                };
                let counts = !matches!(then, Then::Nothing);
                if self.store.reminders().complete(&self.instance, &reminder, then, now).await? && counts {
                    if call.is_some() {
                        calls += 1;
                    } else {
                        sent += 1;
                    }
                }
            }
        }
        if sent > 0 {
            metrics::counter!("reminders_sent_total").increment(sent as u64);
            self.outbox.notify_waiters();
        }
        if calls > 0 {
            metrics::counter!("reminder_calls_queued_total").increment(calls as u64);
            if let Some(dialer) = &self.dialer {
                dialer.notify_waiters();
            }
        }
        Ok(sent + calls)
    }

    /// Runs until `stop` is cancelled (a pass in progress is finished first).
    pub(crate) async fn run(self, stop: CancellationToken) {
        let (wake, clock) = (self.wake.clone(), self.clock.clone());
        run_loop("reminders", &self, &wake, &stop, clock.as_ref(), IDLE_CHECK).await;
    }
}

#[async_trait::async_trait]
impl Worker for ReminderScheduler {
    async fn pass(&self) -> Result<usize, StoreError> {
        self.tick().await
    }

    async fn next_due(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        self.store.reminders().next_due().await
    }
}

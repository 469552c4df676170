//! Starting and stopping the background senders: the outbox worker and the reminder scheduler.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::email::EmailSender;
use super::outbox::{OutboxSettings, OutboxWorker};
use super::reminders::ReminderScheduler;
use crate::booking::BookingService;
use crate::clock::Clock;
use crate::domain::Business;
use crate::store::Store;
use crate::telnyx::TelnyxApi;

/// Optional parts of [`Workers`].
#[derive(Default)]
pub struct WorkerExtras {
    /// Sends confirmations by email too.
    pub email: Option<Arc<dyn EmailSender>>,
    /// Reads each appointment's calendar event before reminding (staff edits in Google win).
    pub reconciler: Option<BookingService>,
    /// Bumped after every send outcome the outbox records (tests and monitors wait on it).
    pub recorded: Option<tokio::sync::watch::Sender<u64>>,
    /// Reminders by phone call: the settings, and the dialer to wake when one is queued.
    pub calls: Option<(crate::config::ReminderSettings, Arc<tokio::sync::Notify>)>,
}

/// The background senders: the outbox worker and the reminder scheduler.
pub struct Workers {
    stop: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Workers {
    /// Starts both loops; `wake` is the signal appointment changes and replies notify. Without
    /// `telnyx` texts are recorded but stay pending, and email (with `extras.email`) still goes out.
    pub fn start(
        store: Store,
        business: Arc<Business>,
        telnyx: Option<Arc<dyn TelnyxApi>>,
        clock: Arc<dyn Clock>,
        settings: OutboxSettings,
        wake: Arc<tokio::sync::Notify>,
        extras: WorkerExtras,
    ) -> Self {
        let stop = CancellationToken::new();
        let mut outbox = match telnyx {
            Some(telnyx) => OutboxWorker::new(
                store.clone(),
                telnyx,
                business.phone_number.clone(),
                clock.clone(),
                settings,
                wake.clone(),
            ),
            None => OutboxWorker::email_only(store.clone(), clock.clone(), settings, wake.clone()),
        };
        if let Some(email) = extras.email {
            outbox = outbox.with_email(email);
        }
        if let Some(recorded) = extras.recorded {
            outbox = outbox.with_recorded_signal(recorded);
        }
        let mut reminders = ReminderScheduler::new(store, business, clock, wake.clone(), wake);
        if let Some(booking) = extras.reconciler {
            reminders = reminders.with_reconciler(booking);
        }
        if let Some((settings, dialer)) = extras.calls {
            reminders = reminders.with_calls(settings, dialer);
        }
        let tasks = vec![tokio::spawn(outbox.run(stop.clone())), tokio::spawn(reminders.run(stop.clone()))];
        Self { stop, tasks }
    }

    /// Runs `task` beside the senders, stopped with them (the reminder-call dialer).
    pub fn spawn<F>(&mut self, task: impl FnOnce(CancellationToken) -> F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.tasks.push(tokio::spawn(task(self.stop.clone())));
    }

    /// Stops both loops after their current pass (a send in progress is finished and recorded).
    pub async fn shutdown(self) {
        self.stop.cancel();
        for task in self.tasks {
            if tokio::time::timeout(Duration::from_secs(30), task).await.is_err() {
                tracing::warn!("a messaging task did not stop within 30 s");
            }
        }
    }
}

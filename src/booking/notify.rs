//! What is recorded for the customer with each appointment change, in the same transaction: the
//! reminder row (created, moved or cancelled with the appointment) and the messages a
//! [`ConfirmationWriter`] words for the change (at most one per change, keyed by appointment,
//! sequence and kind). The wording lives in messaging, above us; it is plugged in at start-up.

use chrono::{DateTime, Duration, Utc};

use super::BookingError;
use super::links::CustomerLinks;
use crate::domain::Appointment;
use crate::store::{NewMessage, StaffTx};

/// What to tell the customer about one change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Tell {
    /// Nothing (e.g. a staff change made without `--notify`).
    #[default]
    Nothing,
    /// The standard confirmation for the change.
    Confirmation,
    /// Only the email confirmation with its invite, when the customer gave an address (staff
    /// booking with `--email` but without `--notify`: no text).
    EmailOnly,
    /// A text composed by the caller (e.g. the SMS reply listing other appointments).
    Custom {
        /// The text.
        text: String,
        /// Attempt even if the customer opted out (the one confirmation of a bare CANCEL).
        ignore_opt_out: bool,
    },
}

/// The kind of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A new appointment.
    Booked,
    /// Moved to another time.
    Rescheduled,
    /// Cancelled.
    Cancelled,
}

impl Change {
    /// `booked`, `rescheduled`, `cancelled`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Change::Booked => "booked",
            Change::Rescheduled => "rescheduled",
            Change::Cancelled => "cancelled",
        }
    }
}

/// Words the messages of a change (implemented by messaging).
pub trait ConfirmationWriter: Send + Sync {
    /// The messages to record with `change` of `a` (already in its new state); empty = none.
    /// `link` is the customer's link to the appointment's page, when links are on.
    fn messages(
        &self,
        change: Change,
        a: &Appointment,
        tell: &Tell,
        now: DateTime<Utc>,
        link: Option<&str>,
    ) -> Vec<NewMessage>;
}

/// The outbox cause of a change's confirmation: one per appointment, sequence and kind.
pub(crate) fn confirmation_cause(a: &Appointment, kind: &str) -> String {
    format!("appointment:{}:{}:{kind}", a.id, a.sequence)
}

/// How the booking service records customer messages.
#[derive(Clone)]
pub(super) struct Notices {
    /// Reminder lead time; `None` = no reminders.
    pub(super) reminder_before: Option<Duration>,
    /// Words confirmations; `None` = none are recorded.
    pub(super) writer: Option<std::sync::Arc<dyn ConfirmationWriter>>,
    /// Customer links in confirmations; `None` = no links (`PUBLIC_URL` unset).
    pub(super) links: Option<CustomerLinks>,
}

impl Notices {
    /// The messages for a change (a booking's or move's carry the customer's link).
    pub(super) fn messages(&self, change: Change, a: &Appointment, tell: &Tell, now: DateTime<Utc>) -> Vec<NewMessage> {
        let link = self.links.as_ref().filter(|_| change != Change::Cancelled).map(|l| l.url(a));
        self.writer.as_ref().map(|w| w.messages(change, a, tell, now, link.as_deref())).unwrap_or_default()
    }

    /// Records the reminder for `a` (already in its new state) inside `tx`, and the messages of a
    /// move or cancellation. A booking's messages are recorded once the calendar event exists, so
    /// a booking the calendar refuses never confirms.
    pub(super) async fn record(
        &self,
        tx: &mut StaffTx,
        change: Change,
        a: &Appointment,
        tell: &Tell,
        now: DateTime<Utc>,
    ) -> Result<(), BookingError> {
        match (change, self.reminder_before) {
            (Change::Cancelled, _) => tx.cancel_reminder(a.id, now).await?,
            (_, Some(before)) => {
                let due = a.start - before;
                tx.schedule_reminder(a.id, (due > now).then_some(due), now).await?;
            }
            (_, None) => {}
        }
        if let Some(links) = self.links.as_ref().filter(|_| change != Change::Cancelled) {
            tx.record_link(&CustomerLinks::digest(&links.token(a)), a.id, now).await?;
        }
        if change != Change::Booked {
            for message in self.messages(change, a, tell, now) {
                tx.enqueue_message(&message, now).await?;
            }
        }
        Ok(())
    }
}

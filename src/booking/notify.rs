//! What is recorded for the customer with each appointment change, in the same transaction: the
//! confirmation in the outbox (at most one per change, keyed by appointment, sequence and kind) and
//! the reminder row (created, moved or cancelled with the appointment).

use chrono::{DateTime, Duration, Utc};

use super::BookingError;
use crate::domain::{Appointment, Business};
use crate::notify::{ics, templates};
use crate::store::{MessageChannel, NewMessage, StaffTx};

/// How the booking service handles customer messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Messaging {
    /// Record a confirmation with each change (`[sms] confirmations`).
    pub confirmations: bool,
    /// Reminder lead time (`[sms] reminder_hours_before`); `None` = no reminders.
    pub reminder_before: Option<Duration>,
    /// Sender address when email is configured (`SMTP_URL` + `SMTP_FROM`): customers who gave an
    /// email also get the confirmation with an `.ics` invite.
    pub email_from: Option<String>,
}

impl Default for Messaging {
    fn default() -> Self {
        Self { confirmations: true, reminder_before: Some(Duration::hours(24)), email_from: None }
    }
}

/// What to tell the customer about one change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Notify {
    /// Nothing (e.g. a staff change made without `--notify`).
    #[default]
    Nothing,
    /// The standard confirmation text for the change.
    Confirmation,
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
pub(super) enum Change {
    Booked,
    Rescheduled,
    Cancelled,
}

impl Change {
    fn as_str(self) -> &'static str {
        match self {
            Change::Booked => "booked",
            Change::Rescheduled => "rescheduled",
            Change::Cancelled => "cancelled",
        }
    }
}

/// The outbox cause of a change's confirmation: one per appointment, sequence and kind.
pub fn confirmation_cause(a: &Appointment, kind: &str) -> String {
    format!("appointment:{}:{}:{kind}", a.id, a.sequence)
}

/// Records the reminder for `a` (already in its new state) inside `tx`, and the confirmation
/// messages of a move or cancellation. A booking's messages come from [`messages`] and are recorded
/// once the calendar event exists, so a booking the calendar refuses never confirms.
pub(super) async fn record(
    tx: &mut StaffTx,
    biz: &Business,
    messaging: &Messaging,
    change: Change,
    a: &Appointment,
    notify: &Notify,
    now: DateTime<Utc>,
) -> Result<(), BookingError> {
    match (change, messaging.reminder_before) {
        (Change::Cancelled, _) => tx.cancel_reminder(a.id, now).await?,
        (_, Some(before)) => {
            let due = a.start - before;
            tx.schedule_reminder(a.id, (due > now).then_some(due), now).await?;
        }
        (_, None) => {}
    }
    if change != Change::Booked {
        for message in messages(biz, messaging, change, a, notify, now) {
            tx.enqueue_message(&message, now).await?;
        }
    }
    Ok(())
}

/// The confirmation messages for a change (SMS, and email when configured and given).
pub(super) fn messages(
    biz: &Business,
    messaging: &Messaging,
    change: Change,
    a: &Appointment,
    notify: &Notify,
    now: DateTime<Utc>,
) -> Vec<NewMessage> {
    let standard = || match change {
        Change::Booked => templates::booked(biz, a),
        Change::Rescheduled => templates::rescheduled(biz, a),
        Change::Cancelled => templates::cancelled(biz, a),
    };
    let (text, ignore_opt_out) = match notify {
        Notify::Nothing => return Vec::new(),
        Notify::Confirmation if !messaging.confirmations => return Vec::new(),
        Notify::Confirmation => (standard(), false),
        Notify::Custom { text, ignore_opt_out } => (text.clone(), *ignore_opt_out),
    };
    let mut out = Vec::new();
    if let (Some(from), Some(to)) = (&messaging.email_from, &a.customer_email) {
        out.push(NewMessage {
            cause: format!("{}:email", confirmation_cause(a, change.as_str())),
            channel: MessageChannel::Email,
            recipient: to.clone(),
            subject: Some(format!("{}: appointment {}", biz.name, change.as_str())),
            body: standard(),
            attachment: Some(ics::invite(biz, a, from, now)),
            ignore_opt_out: true,
        });
    }
    out.push(NewMessage {
        cause: confirmation_cause(a, change.as_str()),
        channel: MessageChannel::Sms,
        recipient: a.customer_phone.to_string(),
        subject: None,
        body: text,
        attachment: None,
        ignore_opt_out,
    });
    out
}

//! The messages recorded with each appointment change (SPEC §8): the confirmation text, and when
//! email is configured and the customer gave an address, the same confirmation with an `.ics`
//! invite. The booking service records them in the change's own transaction through
//! [`ConfirmationWriter`], so each change produces at most one of each.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{ics, templates};
use crate::booking::{Change, ConfirmationWriter, Tell, confirmation_cause};
use crate::domain::{Appointment, Business};
use crate::store::{MessageChannel, NewMessage};

/// What is sent with changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmationSettings {
    /// Send the standard confirmation with each change (`[sms] confirmations`).
    pub confirmations: bool,
    /// Sender address when email is configured (`SMTP_URL` + `SMTP_FROM`): customers who gave an
    /// email also get the confirmation with an `.ics` invite.
    pub email_from: Option<String>,
}

impl Default for ConfirmationSettings {
    fn default() -> Self {
        Self { confirmations: true, email_from: None }
    }
}

/// The business's confirmation wording.
pub struct Confirmations {
    business: Arc<Business>,
    settings: ConfirmationSettings,
}

impl Confirmations {
    /// The confirmations of `business`, as the booking service's writer.
    pub fn writer(business: Arc<Business>, settings: ConfirmationSettings) -> Arc<dyn ConfirmationWriter> {
        Arc::new(Self { business, settings })
    }
}

impl ConfirmationWriter for Confirmations {
    fn messages(
        &self,
        change: Change,
        a: &Appointment,
        tell: &Tell,
        now: DateTime<Utc>,
        link: Option<&str>,
    ) -> Vec<NewMessage> {
        let biz = &self.business;
        let standard = || match change {
            Change::Booked => templates::booked(biz, a, link),
            Change::Rescheduled => templates::rescheduled(biz, a, link),
            Change::Cancelled => templates::cancelled(biz, a),
        };
        let (text, ignore_opt_out) = match tell {
            Tell::Nothing => return Vec::new(),
            Tell::Confirmation if !self.settings.confirmations => return Vec::new(),
            Tell::Confirmation | Tell::EmailOnly => (standard(), false),
            Tell::Custom { text, ignore_opt_out } => (text.clone(), *ignore_opt_out),
        };
        let mut out = Vec::new();
        if let (Some(from), Some(to)) = (&self.settings.email_from, &a.customer_email) {
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
        if *tell == Tell::EmailOnly {
            return out;
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
}

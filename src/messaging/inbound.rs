//! Acting on a customer's text (SPEC §8). Every reply is recorded in the outbox keyed by the
//! inbound event, so a replayed event can never produce a second reply; cancellations go through
//! the booking service, whose confirmation is recorded in the same transaction as the change.

use std::sync::Arc;

use tokio::sync::Notify;

use chrono::{DateTime, Utc};

use super::command::{SmsCommand, is_carrier_keyword, parse};
use super::opt_out::{self, OptOutSignal};
use super::templates;
use crate::booking::{BookingError, BookingService, Tell};
use crate::domain::{Actor, Appointment, PhoneNumber, Refusal};
use crate::store::{AppointmentFilter, MessageChannel, NewMessage, Store, StoreError};

/// A customer's text, as the router hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InboundText {
    /// The webhook event id (the reply is keyed on it, so a replay never answers twice).
    pub event_id: String,
    /// Who sent it.
    pub from: PhoneNumber,
    /// What they wrote.
    pub text: String,
    /// Telnyx already answered with its STOP autoresponse: the carrier blocks this number now.
    pub carrier_stopped: bool,
}

/// News about a text we sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeliveryReport {
    /// Telnyx's id of the message (our send recorded it).
    pub message_id: String,
    /// The carrier delivered it (`delivered`); `false` when it failed, `None` when the report
    /// says neither (e.g. `delivery_unconfirmed`).
    pub delivered: Option<bool>,
    /// The recipient.
    pub to: PhoneNumber,
    /// The report says the recipient opted out (`40300`).
    pub opted_out: bool,
    /// When it happened.
    pub at: DateTime<Utc>,
}

/// Why a text could not be handled.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SmsError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The booking service failed (not a refusal).
    #[error(transparent)]
    Booking(#[from] BookingError),
}

/// Handles inbound texts.
#[derive(Clone)]
pub struct SmsHandler {
    booking: BookingService,
    store: Store,
    wake: Arc<Notify>,
}

impl SmsHandler {
    /// A handler booking through `booking` and recording replies in `store`; `wake` is notified
    /// when messages are recorded.
    pub fn new(booking: BookingService, store: Store, wake: Arc<Notify>) -> Self {
        Self { booking, store, wake }
    }

    async fn reply(
        &self,
        event_id: &str,
        to: &PhoneNumber,
        text: String,
        ignore_opt_out: bool,
    ) -> Result<(), SmsError> {
        let message = NewMessage {
            cause: format!("reply:{event_id}"),
            channel: MessageChannel::Sms,
            recipient: to.to_string(),
            subject: None,
            body: text,
            attachment: None,
            ignore_opt_out,
        };
        self.store.outbox().enqueue(&message, self.booking.now()).await?;
        Ok(())
    }

    async fn upcoming(&self, phone: &PhoneNumber) -> Result<Vec<Appointment>, SmsError> {
        let filter = AppointmentFilter {
            phone: Some(phone.clone()),
            from: Some(self.booking.now()),
            ..AppointmentFilter::default()
        };
        let mut list = self.booking.list_current(&filter).await?;
        let now = self.booking.now();
        list.retain(|a| a.start > now);
        Ok(list)
    }

    /// Acts on one inbound text.
    pub(crate) async fn handle(&self, message: &InboundText) -> Result<(), SmsError> {
        let biz = self.booking.business();
        let (event_id, from) = (message.event_id.as_str(), &message.from);
        let now = self.booking.now();
        if message.carrier_stopped {
            opt_out::record(&self.store, from, OptOutSignal::CarrierAutoresponse, now).await?;
        }
        // Kept for the console (a replayed event is recorded once).
        self.store.outbox().record_inbound(event_id, from, &message.text, now).await?;
        let command = parse(&message.text);
        tracing::info!(from = %from.masked(), ?command, "text received");
        match command {
            SmsCommand::OptOut => opt_out::record(&self.store, from, OptOutSignal::Keyword, now).await?,
            SmsCommand::OptIn => {
                opt_out::clear(&self.store, from).await?;
                self.reply(event_id, from, templates::opted_in(biz), false).await?;
            }
            SmsCommand::Help => self.reply(event_id, from, templates::help(biz), false).await?,
            SmsCommand::Other => {
                let upcoming = self.upcoming(from).await?;
                self.reply(event_id, from, templates::next_appointment(biz, upcoming.first()), false).await?;
            }
            SmsCommand::Cancel(n) => {
                // A bare CANCEL is also a carrier opt-out: try the one confirmation regardless.
                let attempt_anyway = message.carrier_stopped || is_carrier_keyword(&message.text);
                self.cancel(event_id, from, n, attempt_anyway).await?;
            }
        }
        self.wake.notify_waiters();
        Ok(())
    }

    /// Acts on a delivery report: one that says the recipient opted out is recorded as such.
    pub(crate) async fn delivery_report(&self, report: &DeliveryReport) -> Result<(), SmsError> {
        if let Some(delivered) = report.delivered {
            self.store.outbox().record_delivery(&report.message_id, delivered).await?;
        }
        if report.opted_out {
            opt_out::record(&self.store, &report.to, OptOutSignal::DeliveryFailed, report.at).await?;
        } else {
            tracing::info!(to = %report.to.masked(), delivered = ?report.delivered, "delivery report");
        }
        Ok(())
    }

    async fn cancel(&self, event_id: &str, from: &PhoneNumber, n: usize, attempt_anyway: bool) -> Result<(), SmsError> {
        let biz = self.booking.business();
        let upcoming = self.upcoming(from).await?;
        let Some(target) = upcoming.get(n - 1) else {
            let text = if upcoming.is_empty() {
                templates::none_upcoming(biz)
            } else {
                templates::no_such_number(biz, n, upcoming.len())
            };
            return self.reply(event_id, from, text, attempt_anyway).await;
        };
        let others: Vec<(usize, &Appointment)> =
            upcoming.iter().filter(|a| a.id != target.id).enumerate().map(|(i, a)| (i + 1, a)).collect();
        let text = if others.is_empty() {
            templates::cancelled(biz, target)
        } else {
            templates::cancelled_with_others(biz, target, &others)
        };
        let actor = Actor::Customer { phone: from.clone() };
        match self.booking.cancel(target.id, &actor, Tell::Custom { text, ignore_opt_out: attempt_anyway }).await {
            Ok(_) => Ok(()),
            Err(BookingError::Refused { reason: Refusal::TooLateToCancel, .. }) => {
                self.reply(event_id, from, templates::too_late(biz, target), attempt_anyway).await
            }
            // Already cancelled (e.g. a replay after a crash): the confirmation was recorded then.
            Err(BookingError::Refused { reason: Refusal::AlreadyCancelled | Refusal::NotFound, .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

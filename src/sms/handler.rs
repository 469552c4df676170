//! Acting on a customer's text (SPEC §8). Every reply is recorded in the outbox keyed by the
//! inbound event, so a replayed event can never produce a second reply; cancellations go through
//! the booking service, whose confirmation is recorded in the same transaction as the change.

use std::sync::Arc;

use tokio::sync::Notify;

use super::command::{SmsCommand, is_carrier_keyword, parse};
use crate::booking::{BookingError, BookingService, Notify as Tell};
use crate::domain::{Actor, Appointment, PhoneNumber, Refusal};
use crate::notify::templates;
use crate::store::{AppointmentFilter, MessageChannel, NewMessage, StoreError};
use crate::telnyx::events::InboundMessage;

/// Why a text could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
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
    wake: Arc<Notify>,
}

impl SmsHandler {
    /// A handler booking through `booking`; `wake` is notified when messages are recorded.
    pub fn new(booking: BookingService, wake: Arc<Notify>) -> Self {
        Self { booking, wake }
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
        self.booking.store().enqueue_message(&message, self.booking.now()).await?;
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

    /// Acts on one inbound text (event `event_id`).
    pub async fn handle(&self, event_id: &str, message: &InboundMessage) -> Result<(), SmsError> {
        let biz = self.booking.business();
        let Ok(from) = PhoneNumber::parse(&message.from, biz.region) else {
            tracing::info!("text from a sender that is not a phone number; ignored");
            return Ok(());
        };
        let store = self.booking.store();
        let now = self.booking.now();
        let telnyx_blocked = message.autoresponse_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("STOP"));
        if telnyx_blocked {
            store.opt_out(&from, "autoresponse", now).await?;
        }
        let command = parse(&message.text);
        tracing::info!(from = %from.masked(), ?command, "text received");
        match command {
            SmsCommand::OptOut => store.opt_out(&from, "keyword", now).await?,
            SmsCommand::OptIn => {
                store.opt_in(&from).await?;
                self.reply(event_id, &from, templates::opted_in(biz), false).await?;
            }
            SmsCommand::Help => self.reply(event_id, &from, templates::help(biz), false).await?,
            SmsCommand::Other => {
                let upcoming = self.upcoming(&from).await?;
                self.reply(event_id, &from, templates::next_appointment(biz, upcoming.first()), false).await?;
            }
            SmsCommand::Cancel(n) => {
                // A bare CANCEL is also a carrier opt-out: try the one confirmation regardless.
                let attempt_anyway = telnyx_blocked || is_carrier_keyword(&message.text);
                self.cancel(event_id, &from, n, attempt_anyway).await?;
            }
        }
        self.wake.notify_waiters();
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

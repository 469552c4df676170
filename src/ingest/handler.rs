//! What the router implements and the dispatcher calls: a handler for typed events, and why it
//! can fail.

use async_trait::async_trait;

use crate::booking::BookingError;
use crate::messaging::SmsError;
use crate::store::StoreError;
use crate::telnyx::{EventKind, TelnyxEvent};

/// Why handling an event failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureCause {
    /// The database failed.
    Store,
    /// The calendar backend failed.
    Calendar,
    /// A booking rule refused what the event asked for, in a way the feature did not answer.
    Refused,
}

/// A handler failure (logged and recorded as `failed`; the event is not retried automatically).
#[derive(Debug, thiserror::Error)]
#[error("{cause:?}: {message}")]
pub struct HandlerError {
    /// What failed.
    pub cause: FailureCause,
    /// Whether trying the event again later could succeed (an outage, not a bad event).
    pub retryable: bool,
    /// What happened, for the log (no phone numbers, no message texts).
    pub message: String,
}

impl From<StoreError> for HandlerError {
    fn from(e: StoreError) -> Self {
        Self { cause: FailureCause::Store, retryable: true, message: e.to_string() }
    }
}

impl From<SmsError> for HandlerError {
    fn from(e: SmsError) -> Self {
        match e {
            SmsError::Store(e) => e.into(),
            SmsError::Booking(BookingError::Store(e)) => e.into(),
            SmsError::Booking(e @ (BookingError::Refused { .. } | BookingError::Invalid { .. })) => {
                Self { cause: FailureCause::Refused, retryable: false, message: e.to_string() }
            }
            SmsError::Booking(e @ BookingError::Calendar(_)) => {
                Self { cause: FailureCause::Calendar, retryable: true, message: e.to_string() }
            }
        }
    }
}

/// Handles one event at a time per order key.
#[async_trait]
pub trait EventHandler: Send + Sync + 'static {
    /// Acts on a verified, de-duplicated event.
    async fn handle(&self, event: &TelnyxEvent) -> Result<(), HandlerError>;
}

/// Logs what arrived (no numbers, no text) and counts it: the handler for events no feature owns.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct LoggingHandler;

#[async_trait]
impl EventHandler for LoggingHandler {
    async fn handle(&self, event: &TelnyxEvent) -> Result<(), HandlerError> {
        match &event.kind {
            EventKind::Unknown => tracing::debug!(event_type = %event.event_type, "ignored unknown event type"),
            EventKind::Unreadable { reason } => {
                tracing::info!(event_type = %event.event_type, reason, "ignored an event we cannot act on")
            }
            kind => tracing::info!(
                event_type = %event.event_type,
                call = kind.call().map(|c| c.call_control_id.as_str()),
                attempt = event.attempt,
                "event received"
            ),
        }
        Ok(())
    }
}

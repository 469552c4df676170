//! What the voice and SMS features implement: a handler for typed events.

use async_trait::async_trait;

use crate::telnyx::{EventKind, TelnyxEvent};

/// A handler failure (logged and recorded; the event is not retried automatically).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HandlerError(pub String);

/// Handles one event at a time per order key.
#[async_trait]
pub trait EventHandler: Send + Sync + 'static {
    /// Acts on a verified, de-duplicated event.
    async fn handle(&self, event: &TelnyxEvent) -> Result<(), HandlerError>;
}

/// The handler until the voice and SMS features land: logs what arrived (no numbers, no text)
/// and counts it.
#[derive(Debug, Default, Clone, Copy)]
pub struct LoggingHandler;

#[async_trait]
impl EventHandler for LoggingHandler {
    async fn handle(&self, event: &TelnyxEvent) -> Result<(), HandlerError> {
        match &event.kind {
            EventKind::Unknown => tracing::debug!(event_type = %event.event_type, "ignored unknown event type"),
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

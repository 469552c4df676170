//! The production [`EventHandler`]: texts go to the SMS handler, delivery failures that say the
//! customer opted out are recorded, everything else is logged (the voice agent plugs in here).

use async_trait::async_trait;

use crate::dispatch::{EventHandler, HandlerError, LoggingHandler};
use crate::domain::PhoneNumber;
use crate::sms::SmsHandler;
use crate::store::Store;
use crate::telnyx::{EventKind, TelnyxEvent};
use crate::voice::VoiceHandler;

/// Routes events to the feature that owns them.
pub struct AppHandler {
    sms: SmsHandler,
    store: Store,
    voice: Option<VoiceHandler>,
}

impl AppHandler {
    /// Builds the router.
    pub fn new(sms: SmsHandler, store: Store) -> Self {
        Self { sms, store, voice: None }
    }

    /// Answers calls with `voice`.
    pub fn with_voice(mut self, voice: VoiceHandler) -> Self {
        self.voice = Some(voice);
        self
    }
}

#[async_trait]
impl EventHandler for AppHandler {
    async fn handle(&self, event: &TelnyxEvent) -> Result<(), HandlerError> {
        match &event.kind {
            EventKind::MessageReceived(message) => {
                self.sms.handle(event.id.as_str(), message).await.map_err(|e| HandlerError(e.to_string()))
            }
            EventKind::MessageFinalized(status) if status.error_codes.iter().any(|c| c == "40300") => {
                if let Some(to) = &status.to {
                    let phone = PhoneNumber::from_stored(to.clone());
                    self.store
                        .opt_out(&phone, "40300", event.occurred_at.unwrap_or_else(chrono::Utc::now))
                        .await
                        .map_err(|e| HandlerError(e.to_string()))?;
                }
                Ok(())
            }
            kind if kind.call().is_some() && self.voice.is_some() => {
                self.voice.as_ref().expect("checked").handle(event).await;
                Ok(())
            }
            _ => LoggingHandler.handle(event).await,
        }
    }
}

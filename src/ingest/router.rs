//! The production [`EventHandler`]: turns each Telnyx event into the typed input of the feature
//! that owns it. Texts and delivery reports go to messaging (with the sender parsed as a phone
//! number), call events to voice; everything else is logged and counted.

use std::sync::Arc;

use async_trait::async_trait;

use super::handler::{EventHandler, HandlerError, LoggingHandler};
use crate::clock::Clock;
use crate::domain::PhoneNumber;
use crate::domain::phone::Region;
use crate::messaging::{DeliveryReport, InboundText, SmsHandler};
use crate::store::CallStatus;
use crate::telnyx::{EventKind, TelnyxEvent};
use crate::voice::reminder_call::{Claim, ReminderCallFlow};
use crate::voice::{CallEvent, CallHappening, VoiceHandler};

/// Routes events to the feature that owns them.
pub struct Router {
    sms: SmsHandler,
    voice: Option<VoiceHandler>,
    reminder_calls: Option<ReminderCallFlow>,
    region: Region,
    clock: Arc<dyn Clock>,
}

impl Router {
    /// Texts go to `sms`; numbers written without a country are read in `region`; `clock` dates
    /// reports that carry no time of their own.
    pub fn new(sms: SmsHandler, region: Region, clock: Arc<dyn Clock>) -> Self {
        Self { sms, voice: None, reminder_calls: None, region, clock }
    }

    /// Runs reminder calls with `flow` (their events go there, not to the receptionist).
    pub fn with_reminder_calls(mut self, flow: ReminderCallFlow) -> Self {
        self.reminder_calls = Some(flow);
        self
    }

    /// Hands `event` to the reminder-call flow if it is one of its calls; true when taken (or
    /// refused as forged).
    async fn reminder_call(&self, event: &TelnyxEvent) -> Result<bool, HandlerError> {
        let (Some(flow), Some(call)) = (&self.reminder_calls, event.kind.call()) else { return Ok(false) };
        // An incoming call ringing, or one this instance is running, is not a reminder call:
        // no lookup on the receptionist's path.
        let incoming = matches!(event.kind, EventKind::CallInitiated { incoming: true, .. });
        if call.client_state.is_none()
            && (incoming || self.voice.as_ref().is_some_and(|v| v.knows(&call.call_control_id)))
        {
            return Ok(false);
        }
        match flow.claim(call).await? {
            // Handed to the receptionist: the rest of the call is voice's.
            Claim::Ours(attempt) if attempt.status == CallStatus::Receptionist => Ok(false),
            Claim::Ours(attempt) => {
                flow.handle(attempt, event).await?;
                Ok(true)
            }
            Claim::Forged => {
                tracing::warn!("a call event with a forged reminder-call state; ignored");
                metrics::counter!("reminder_call_states_forged_total").increment(1);
                Ok(true)
            }
            Claim::NotOurs => Ok(false),
        }
    }

    /// Answers calls with `voice`.
    pub fn with_voice(mut self, voice: VoiceHandler) -> Self {
        self.voice = Some(voice);
        self
    }
}

/// The typed input for the call feature, or `None` for call events it does not act on.
pub fn call_event(event: &TelnyxEvent, region: Region) -> Option<CallEvent> {
    let (call, what) = match &event.kind {
        EventKind::CallInitiated { call, from, incoming: true, .. } => {
            let from = PhoneNumber::parse(from, region).unwrap_or_else(|_| PhoneNumber::from_stored(from.clone()));
            (call, CallHappening::Incoming { from })
        }
        EventKind::CallAnswered(call) => (call, CallHappening::Answered),
        EventKind::CallTranscription { call, transcript, is_final: true, .. } if !transcript.trim().is_empty() => {
            (call, CallHappening::CallerSaid { words: transcript.trim().to_string() })
        }
        EventKind::CallSpeakEnded { call, .. } => (call, CallHappening::SpeechEnded),
        EventKind::CallHangup { call, cause, .. } => (call, CallHappening::HungUp { cause: cause.clone() }),
        _ => return None,
    };
    Some(CallEvent { cause: event.id.to_string(), call: call.call_control_id.clone(), what })
}

#[async_trait]
impl EventHandler for Router {
    async fn handle(&self, event: &TelnyxEvent) -> Result<(), HandlerError> {
        match &event.kind {
            EventKind::MessageReceived(message) => {
                // Replies go out as texts from the business number: a message on another channel
                // (WhatsApp, RCS) or from a sender that is not a number cannot be answered.
                let from = PhoneNumber::parse(&message.from, self.region).ok();
                let Some(from) = from.filter(|_| message.channel.is_phone_text()) else {
                    let channel = message.channel.label();
                    tracing::info!(channel, "a message we cannot answer by text (channel or sender); ignored");
                    metrics::counter!("texts_unsupported_total", "channel" => channel).increment(1);
                    return Ok(());
                };
                let text = InboundText {
                    event_id: event.id.to_string(),
                    from,
                    text: message.text.clone(),
                    carrier_stopped: message
                        .autoresponse_type
                        .as_deref()
                        .is_some_and(|t| t.eq_ignore_ascii_case("STOP")),
                };
                self.sms.handle(&text).await.map_err(HandlerError::from)
            }
            EventKind::MessageFinalized(status) => {
                let Some(to) = &status.to else { return Ok(()) };
                let delivered = match status.status.as_deref() {
                    Some("delivered") => Some(true),
                    Some(s) if s.ends_with("failed") => Some(false),
                    _ => None,
                };
                let report = DeliveryReport {
                    message_id: status.message_id.clone(),
                    delivered,
                    to: PhoneNumber::from_stored(to.clone()),
                    opted_out: status.recipient_opted_out(),
                    at: event.occurred_at.unwrap_or_else(|| self.clock.now()),
                };
                self.sms.delivery_report(&report).await.map_err(HandlerError::from)
            }
            kind if kind.call().is_some() && self.reminder_call(event).await? => Ok(()),
            kind if kind.call().is_some() && self.voice.is_some() => {
                if let (Some(voice), Some(call)) = (&self.voice, call_event(event, self.region)) {
                    voice.handle(&call).await;
                }
                Ok(())
            }
            _ => LoggingHandler.handle(event).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telnyx::events::parse;

    fn sample(name: &str) -> TelnyxEvent {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("webhooks-samples").join(name);
        parse(&std::fs::read(path).unwrap()).unwrap()
    }

    fn us() -> Region {
        Region::parse("US").unwrap()
    }

    #[test]
    fn an_incoming_call_reaches_voice_with_the_caller_parsed() {
        let event = sample("01-call.initiated.json");
        let call = call_event(&event, us()).expect("voice acts on an incoming call");
        assert_eq!(call.cause, event.id.to_string());
        let CallHappening::Incoming { from } = call.what else { panic!("{call:?}") };
        assert!(from.as_str().starts_with("+1") && from.as_str().len() == 12, "{from:?}");
    }

    #[test]
    fn only_final_phrases_and_the_events_voice_acts_on_become_call_events() {
        assert!(call_event(&sample("05-call.transcription.interim.json"), us()).is_none());
        assert!(call_event(&sample("03-call.speak.started.json"), us()).is_none());
        assert!(call_event(&sample("10-message.received.json"), us()).is_none());
        let said = call_event(&sample("06-call.transcription.final.json"), us()).unwrap();
        assert!(
            matches!(said.what, CallHappening::CallerSaid { ref words } if !words.is_empty() && words == words.trim())
        );
        assert!(matches!(call_event(&sample("07-call.hangup.json"), us()).unwrap().what, CallHappening::HungUp { .. }));
    }
}

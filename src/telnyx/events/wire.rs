//! The Telnyx v2 webhook envelope as it arrives, and [`parse`], which turns it into the typed
//! event model of the parent module.

use chrono::DateTime;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{CallControlId, CallRef, EventId, EventKind, InboundMessage, OutboundStatus, ParseError, TelnyxEvent};

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    data: Data<'a>,
    #[serde(default)]
    meta: Option<Meta>,
}

#[derive(Deserialize)]
struct Data<'a> {
    event_type: String,
    id: String,
    #[serde(default)]
    occurred_at: Option<String>,
    #[serde(borrow, default)]
    payload: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    attempt: Option<u32>,
}

#[derive(Deserialize)]
struct CallPayload {
    call_control_id: String,
    #[serde(default)]
    call_session_id: Option<String>,
    #[serde(default)]
    client_state: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    direction: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    digit: Option<String>,
    #[serde(default)]
    hangup_cause: Option<String>,
    #[serde(default)]
    hangup_source: Option<String>,
    #[serde(default)]
    transcription_data: Option<TranscriptionData>,
}

#[derive(Deserialize)]
struct TranscriptionData {
    #[serde(default)]
    transcript: String,
    #[serde(default)]
    is_final: bool,
    #[serde(default)]
    confidence: Option<f64>,
}

#[derive(Deserialize)]
struct Party {
    phone_number: String,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
struct MessagePayload {
    #[serde(default)]
    id: Option<String>,
    from: Party,
    #[serde(default)]
    to: Vec<Party>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    autoresponse_type: Option<String>,
    #[serde(default)]
    errors: Vec<WireError>,
}

#[derive(Deserialize)]
struct WireError {
    #[serde(default)]
    code: Option<serde_json::Value>,
}

fn payload<'a, T: Deserialize<'a>>(event_type: &str, raw: Option<&'a RawValue>) -> Result<T, ParseError> {
    let raw = raw.ok_or_else(|| ParseError::Malformed(format!("{event_type} without payload")))?;
    serde_json::from_str(raw.get()).map_err(|e| ParseError::Malformed(format!("{event_type} payload: {e}")))
}

fn call_ref(p: &CallPayload) -> Result<CallRef, ParseError> {
    Ok(CallRef {
        call_control_id: CallControlId::parse(&p.call_control_id)?,
        call_session_id: p.call_session_id.clone(),
        client_state: p.client_state.clone(),
    })
}

fn outbound(p: MessagePayload, event_type: &str) -> Result<OutboundStatus, ParseError> {
    let first = p.to.into_iter().next();
    Ok(OutboundStatus {
        message_id: p.id.ok_or_else(|| ParseError::Malformed(format!("{event_type} without payload.id")))?,
        to: first.as_ref().map(|t| t.phone_number.clone()),
        status: first.and_then(|t| t.status),
        error_codes: p
            .errors
            .into_iter()
            .filter_map(|e| match e.code? {
                serde_json::Value::String(s) => Some(s),
                other => Some(other.to_string()),
            })
            .collect(),
    })
}

/// Parses a verified body into an event.
pub fn parse(body: &[u8]) -> Result<TelnyxEvent, ParseError> {
    let env: Envelope<'_> = serde_json::from_slice(body).map_err(|e| ParseError::Malformed(e.to_string()))?;
    let d = env.data;
    let id = EventId::parse(&d.id)?;
    let kind = match d.event_type.as_str() {
        t @ ("call.initiated"
        | "call.answered"
        | "call.transcription"
        | "call.speak.started"
        | "call.speak.ended"
        | "call.playback.started"
        | "call.playback.ended"
        | "call.dtmf.received"
        | "call.hangup") => {
            let p: CallPayload = payload(t, d.payload)?;
            let call = call_ref(&p)?;
            match t {
                "call.initiated" => EventKind::CallInitiated {
                    call,
                    from: p.from.unwrap_or_default(),
                    to: p.to.unwrap_or_default(),
                    incoming: p.direction.as_deref() != Some("outgoing"),
                },
                "call.answered" => EventKind::CallAnswered(call),
                "call.transcription" => {
                    let t = p
                        .transcription_data
                        .ok_or_else(|| ParseError::Malformed("call.transcription without transcription_data".into()))?;
                    EventKind::CallTranscription {
                        call,
                        transcript: t.transcript,
                        is_final: t.is_final,
                        confidence: t.confidence,
                    }
                }
                "call.speak.started" => EventKind::CallSpeakStarted(call),
                "call.speak.ended" => EventKind::CallSpeakEnded { call, status: p.status },
                "call.playback.started" => EventKind::CallPlaybackStarted(call),
                "call.playback.ended" => EventKind::CallPlaybackEnded(call),
                "call.dtmf.received" => EventKind::CallDtmfReceived { call, digit: p.digit.unwrap_or_default() },
                _ => EventKind::CallHangup { call, cause: p.hangup_cause, source: p.hangup_source },
            }
        }
        "message.received" => {
            let p: MessagePayload = payload("message.received", d.payload)?;
            EventKind::MessageReceived(InboundMessage {
                message_id: p.id,
                from: p.from.phone_number,
                to: p.to.into_iter().map(|t| t.phone_number).collect(),
                text: p.text.unwrap_or_default(),
                autoresponse_type: p.autoresponse_type,
            })
        }
        t @ "message.sent" => EventKind::MessageSent(outbound(payload(t, d.payload)?, t)?),
        t @ "message.finalized" => EventKind::MessageFinalized(outbound(payload(t, d.payload)?, t)?),
        _ => EventKind::Unknown,
    };
    Ok(TelnyxEvent {
        id,
        occurred_at: d.occurred_at.as_deref().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|t| t.to_utc()),
        attempt: env.meta.and_then(|m| m.attempt).unwrap_or(1),
        event_type: d.event_type,
        kind,
    })
}

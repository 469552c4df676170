//! The Telnyx v2 webhook envelope as it arrives, and [`parse`], which turns it into the typed
//! event model of the parent module.
//!
//! Strict only where SPEC §7 is: the body must be a JSON object whose `data.id` is a valid event
//! id (else [`ParseError`], a 400). Everything else is lenient, because Telnyx retries a 400 and
//! then fails over — a 400 for a real event is a lost event: a missing or `null` field is its
//! default, a list may arrive as `null` or as a single item, a party as a bare number or as an
//! object without `phone_number` (RCS agents), an unknown `event_type` is [`EventKind::Unknown`],
//! and a known one we cannot act on is [`EventKind::Unreadable`] with a fixed reason.

use chrono::DateTime;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::{
    AnsweredBy, CallControlId, CallRef, EventId, EventKind, GatherStatus, InboundMessage, OutboundStatus, ParseError,
    TelnyxEvent, TextChannel,
};

/// A field that may be missing or `null`: both read as its default.
fn nullable<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A string field that may be missing, `null` or of another type: only a string counts.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => Some(s),
        _ => None,
    })
}

/// A list that may be missing, `null`, one bare item or a list.
fn one_or_many<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany<T> {
        Many(Vec<T>),
        One(T),
    }
    Ok(match Option::<OneOrMany<T>>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::Many(items)) => items,
        Some(OneOrMany::One(item)) => vec![item],
    })
}

#[derive(Deserialize)]
struct Envelope<'a> {
    /// Read as raw JSON first: serde reads a struct from an array too (`[["id"]]`), and only an
    /// object is an event (found by fuzzing).
    #[serde(borrow)]
    data: &'a RawValue,
    #[serde(borrow, default)]
    meta: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Data<'a> {
    id: String,
    #[serde(default, deserialize_with = "text")]
    event_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
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
    #[serde(default)]
    call_control_id: Option<String>,
    #[serde(default)]
    call_session_id: Option<String>,
    #[serde(default)]
    client_state: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    from: String,
    #[serde(default, deserialize_with = "nullable")]
    to: String,
    #[serde(default)]
    direction: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    digit: String,
    #[serde(default)]
    hangup_cause: Option<String>,
    #[serde(default)]
    hangup_source: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    transcription_data: TranscriptionData,
    #[serde(default, deserialize_with = "text")]
    result: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    digits: String,
}

#[derive(Deserialize, Default)]
struct TranscriptionData {
    #[serde(default, deserialize_with = "nullable")]
    transcript: String,
    #[serde(default, deserialize_with = "nullable")]
    is_final: bool,
    #[serde(default)]
    confidence: Option<f64>,
}

/// A sender or recipient: a bare number, or an object whose `phone_number` may be missing (an
/// RCS agent has an `agent_id` instead).
#[derive(Deserialize)]
#[serde(untagged)]
enum Party {
    Number(String),
    Object {
        #[serde(default)]
        phone_number: Option<String>,
        #[serde(default)]
        status: Option<String>,
    },
}

impl Party {
    fn number(&self) -> Option<&str> {
        match self {
            Party::Number(n) => Some(n),
            Party::Object { phone_number, .. } => phone_number.as_deref(),
        }
    }

    fn status(&self) -> Option<&str> {
        match self {
            Party::Number(_) => None,
            Party::Object { status, .. } => status.as_deref(),
        }
    }
}

#[derive(Deserialize)]
struct MessagePayload {
    #[serde(default)]
    id: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    from: Option<Party>,
    #[serde(default, deserialize_with = "one_or_many")]
    to: Vec<Party>,
    #[serde(default, deserialize_with = "nullable")]
    text: String,
    #[serde(default)]
    autoresponse_type: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    errors: Vec<WireError>,
}

#[derive(Deserialize)]
struct WireError {
    #[serde(default)]
    code: Option<serde_json::Value>,
}

/// The payload as `T`, or why it cannot be used.
fn payload<'a, T: Deserialize<'a>>(raw: Option<&'a RawValue>) -> Result<T, &'static str> {
    let raw = raw.ok_or("no payload")?;
    serde_json::from_str(raw.get()).map_err(|_| "a payload of an unexpected shape")
}

fn call_ref(p: &CallPayload) -> Result<CallRef, &'static str> {
    let id = p.call_control_id.as_deref().ok_or("no call_control_id")?;
    Ok(CallRef {
        call_control_id: CallControlId::parse(id).map_err(|_| "an invalid call_control_id")?,
        call_session_id: p.call_session_id.clone(),
        client_state: p.client_state.clone(),
    })
}

fn outbound(p: MessagePayload) -> OutboundStatus {
    let first = p.to.first();
    OutboundStatus {
        message_id: p.id.unwrap_or_default(),
        to: first.and_then(Party::number).map(String::from),
        status: first.and_then(Party::status).map(String::from),
        error_codes: p
            .errors
            .into_iter()
            .filter_map(|e| match e.code? {
                serde_json::Value::String(s) => Some(s),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            })
            .collect(),
    }
}

fn call_event(event_type: &str, raw: Option<&RawValue>) -> Result<EventKind, &'static str> {
    let p: CallPayload = payload(raw)?;
    let call = call_ref(&p)?;
    Ok(match event_type {
        "call.initiated" => EventKind::CallInitiated {
            call,
            from: p.from,
            to: p.to,
            incoming: p.direction.as_deref() != Some("outgoing"),
        },
        "call.answered" => EventKind::CallAnswered(call),
        "call.transcription" => {
            let t = p.transcription_data;
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
        "call.dtmf.received" => EventKind::CallDtmfReceived { call, digit: p.digit },
        "call.machine.detection.ended" | "call.machine.premium.detection.ended" => {
            EventKind::CallMachineDetected { call, answered_by: AnsweredBy::from_result(p.result.as_deref()) }
        }
        "call.machine.greeting.ended" | "call.machine.premium.greeting.ended" => {
            EventKind::CallGreetingEnded { call, beep: p.result.as_deref() == Some("beep_detected") }
        }
        "call.gather.ended" => EventKind::CallGatherEnded {
            call,
            digits: p.digits,
            status: GatherStatus::from_status(p.status.as_deref()),
        },
        _ => EventKind::CallHangup { call, cause: p.hangup_cause, source: p.hangup_source },
    })
}

fn message_received(raw: Option<&RawValue>) -> Result<EventKind, &'static str> {
    let p: MessagePayload = payload(raw)?;
    Ok(EventKind::MessageReceived(InboundMessage {
        message_id: p.id,
        channel: TextChannel::from_type(p.kind.as_deref()),
        from: p.from.as_ref().and_then(Party::number).unwrap_or_default().to_string(),
        to: p.to.iter().filter_map(Party::number).map(String::from).collect(),
        text: p.text,
        autoresponse_type: p.autoresponse_type,
    }))
}

/// Parses a verified body into an event.
pub fn parse(body: &[u8]) -> Result<TelnyxEvent, ParseError> {
    // serde_json skips unknown fields without checking their UTF-8, so a body that is not JSON
    // (invalid UTF-8 in an ignored string) would pass; the inbox stores bodies as text (found by
    // fuzzing: the event model and the inbox disagreed).
    let body = std::str::from_utf8(body).map_err(|e| ParseError::Malformed(e.to_string()))?;
    let malformed = |e: serde_json::Error| ParseError::Malformed(e.to_string());
    let object = |json: &str| json.trim_start().starts_with('{');
    if !object(body) {
        return Err(ParseError::Malformed("the body is not a JSON object".into()));
    }
    let env: Envelope<'_> = serde_json::from_str(body).map_err(malformed)?;
    if !object(env.data.get()) {
        return Err(ParseError::Malformed("data is not a JSON object".into()));
    }
    let d: Data<'_> = serde_json::from_str(env.data.get()).map_err(malformed)?;
    let id = EventId::parse(&d.id)?;
    let event_type = d.event_type.unwrap_or_default();
    let kind = match event_type.as_str() {
        t @ ("call.initiated"
        | "call.answered"
        | "call.transcription"
        | "call.speak.started"
        | "call.speak.ended"
        | "call.playback.started"
        | "call.playback.ended"
        | "call.dtmf.received"
        | "call.machine.detection.ended"
        | "call.machine.premium.detection.ended"
        | "call.machine.greeting.ended"
        | "call.machine.premium.greeting.ended"
        | "call.gather.ended"
        | "call.hangup") => call_event(t, d.payload),
        "message.received" => message_received(d.payload),
        "message.sent" => payload(d.payload).map(|p| EventKind::MessageSent(outbound(p))),
        "message.finalized" => payload(d.payload).map(|p| EventKind::MessageFinalized(outbound(p))),
        _ => Ok(EventKind::Unknown),
    }
    .unwrap_or_else(|reason| EventKind::Unreadable { reason });
    Ok(TelnyxEvent {
        id,
        occurred_at: d.occurred_at.as_deref().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|t| t.to_utc()),
        attempt: env.meta.and_then(|m| serde_json::from_str::<Meta>(m.get()).ok()).and_then(|m| m.attempt).unwrap_or(1),
        event_type,
        kind,
    })
}

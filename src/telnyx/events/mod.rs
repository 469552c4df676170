//! The typed Telnyx event model (SPEC §7, reference/telnyx.md §2). Parsing is lenient about extra
//! and missing optional fields and strict about what we act on: the envelope's `event_type` and
//! `id`, and the ids each event needs. Unknown event types parse to [`EventKind::Unknown`].

use std::fmt;

use chrono::{DateTime, Utc};

mod wire;

pub use wire::parse;

/// Why a verified body could not be turned into an event.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Not JSON, or not the v2 envelope.
    #[error("malformed webhook: {0}")]
    Malformed(String),
}

macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Accepts 1 to `$max` printable ASCII characters.
            pub fn parse(text: &str) -> Result<Self, ParseError> {
                let ok = !text.is_empty() && text.len() <= $max && text.bytes().all(|b| b.is_ascii_graphic());
                if ok {
                    Ok(Self(text.to_string()))
                } else {
                    Err(ParseError::Malformed(format!("{} is not a valid id", stringify!($name))))
                }
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_id!(
    /// `data.id`: the event's unique id and our dedupe key.
    EventId,
    128
);
text_id!(
    /// `payload.call_control_id`: the handle for commands on one call leg (opaque).
    CallControlId,
    256
);

/// A verified, parsed Telnyx event.
#[derive(Debug, Clone)]
pub struct TelnyxEvent {
    /// `data.id`.
    pub id: EventId,
    /// `data.event_type` as sent.
    pub event_type: String,
    /// `data.occurred_at`, when present and valid.
    pub occurred_at: Option<DateTime<Utc>>,
    /// `meta.attempt` (1 when absent).
    pub attempt: u32,
    /// What happened.
    pub kind: EventKind,
}

/// The call an event belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRef {
    /// Command handle.
    pub call_control_id: CallControlId,
    /// Session id (for logs).
    pub call_session_id: Option<String>,
    /// Base64 state echoed from our last command.
    pub client_state: Option<String>,
}

/// How a message travelled, from the payload's `type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextChannel {
    /// A text message (also when `type` is missing).
    Sms,
    /// A picture message.
    Mms,
    /// Anything else Telnyx delivers on the same webhook (WhatsApp, RCS, ...), as sent, lower-case.
    Other(String),
}

impl TextChannel {
    fn from_type(kind: Option<&str>) -> Self {
        match kind.map(str::to_ascii_lowercase).as_deref() {
            None | Some("" | "sms") => TextChannel::Sms,
            Some("mms") => TextChannel::Mms,
            Some(other) => TextChannel::Other(other.to_string()),
        }
    }

    /// Whether we can answer it with a text from the business number.
    pub fn is_phone_text(&self) -> bool {
        matches!(self, TextChannel::Sms | TextChannel::Mms)
    }

    /// The channel as a metric label (bounded: unknown channels are `other`).
    pub fn label(&self) -> &'static str {
        match self {
            TextChannel::Sms => "sms",
            TextChannel::Mms => "mms",
            TextChannel::Other(c) if c == "whatsapp" => "whatsapp",
            TextChannel::Other(c) if c == "rcs" => "rcs",
            TextChannel::Other(_) => "other",
        }
    }
}

/// A message we received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    /// Telnyx message id.
    pub message_id: Option<String>,
    /// How it travelled.
    pub channel: TextChannel,
    /// Sender number as sent (E.164 for SMS); empty when the sender is not a number (an RCS agent).
    pub from: String,
    /// Our numbers it was sent to.
    pub to: Vec<String>,
    /// The text (may be empty for MMS).
    pub text: String,
    /// `STOP`/`START`/`HELP` when Telnyx auto-responded to an opt keyword.
    pub autoresponse_type: Option<String>,
}

/// Delivery news about a message we sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundStatus {
    /// Telnyx message id (matches our send response).
    pub message_id: String,
    /// Recipient number.
    pub to: Option<String>,
    /// Recipient status (`sent`, `delivered`, `delivery_failed`, ...).
    pub status: Option<String>,
    /// Error codes reported for the message.
    pub error_codes: Vec<String>,
}

impl OutboundStatus {
    /// Whether the report says the recipient has opted out (`40300`).
    pub(crate) fn recipient_opted_out(&self) -> bool {
        self.error_codes.iter().any(|c| c == super::error::OPTED_OUT_CODE)
    }
}

/// Who answered an outbound call, by answering-machine detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnsweredBy {
    /// A person (`human`, premium `human_residence` / `human_business`).
    Human,
    /// A voicemail or answering machine.
    Machine,
    /// Detection could not tell (`not_sure`, or a result we do not know): Telnyx advises
    /// treating it as a person.
    NotSure,
    /// Nobody to talk to: premium's `silence` or `fax_detected`.
    Nobody,
}

impl AnsweredBy {
    fn from_result(result: Option<&str>) -> Self {
        match result.unwrap_or_default() {
            "human" | "human_residence" | "human_business" => AnsweredBy::Human,
            "machine" => AnsweredBy::Machine,
            "silence" | "fax_detected" => AnsweredBy::Nobody,
            _ => AnsweredBy::NotSure,
        }
    }
}

/// How a `gather_using_speak` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatherStatus {
    /// A key we asked for.
    Valid,
    /// Another key.
    Invalid,
    /// No key in time.
    Timeout,
    /// The call ended, or the gather was stopped (`call_hangup`, `cancelled`, `cancelled_amd`,
    /// anything new).
    Ended,
}

impl GatherStatus {
    fn from_status(status: Option<&str>) -> Self {
        match status.unwrap_or_default() {
            "valid" => GatherStatus::Valid,
            "invalid" => GatherStatus::Invalid,
            "timeout" => GatherStatus::Timeout,
            _ => GatherStatus::Ended,
        }
    }
}

/// What happened, by `event_type`.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// `call.initiated`.
    CallInitiated {
        /// The call.
        call: CallRef,
        /// Caller.
        from: String,
        /// Number called.
        to: String,
        /// `incoming` or `outgoing`.
        incoming: bool,
    },
    /// `call.answered`.
    CallAnswered(CallRef),
    /// `call.transcription`.
    CallTranscription {
        /// The call.
        call: CallRef,
        /// What was said.
        transcript: String,
        /// Final (true) or interim result.
        is_final: bool,
        /// Recognizer confidence.
        confidence: Option<f64>,
    },
    /// `call.speak.started`.
    CallSpeakStarted(CallRef),
    /// `call.speak.ended`.
    CallSpeakEnded {
        /// The call.
        call: CallRef,
        /// `completed`, `call_hangup`, ...
        status: Option<String>,
    },
    /// `call.playback.started`.
    CallPlaybackStarted(CallRef),
    /// `call.playback.ended`.
    CallPlaybackEnded(CallRef),
    /// `call.dtmf.received`.
    CallDtmfReceived {
        /// The call.
        call: CallRef,
        /// The key.
        digit: String,
    },
    /// `call.hangup`.
    CallHangup {
        /// The call.
        call: CallRef,
        /// `normal_clearing`, ...
        cause: Option<String>,
        /// `caller`, `callee`, `unknown`.
        source: Option<String>,
    },
    /// `call.machine.detection.ended` / `call.machine.premium.detection.ended` (outbound calls
    /// with answering-machine detection).
    CallMachineDetected {
        /// The call.
        call: CallRef,
        /// Who answered.
        answered_by: AnsweredBy,
    },
    /// `call.machine.greeting.ended` / `call.machine.premium.greeting.ended`: the machine's
    /// greeting is over.
    CallGreetingEnded {
        /// The call.
        call: CallRef,
        /// Whether the beep was heard (`beep_detected`); else the greeting ended or detection
        /// gave up (`ended`, `no_beep_detected`, `not_sure`).
        beep: bool,
    },
    /// `call.gather.ended`.
    CallGatherEnded {
        /// The call.
        call: CallRef,
        /// The keys pressed (empty when none).
        digits: String,
        /// How the gather ended.
        status: GatherStatus,
    },
    /// `message.received`.
    MessageReceived(InboundMessage),
    /// `message.sent`.
    MessageSent(OutboundStatus),
    /// `message.finalized`.
    MessageFinalized(OutboundStatus),
    /// Any other event type: acknowledged and counted, nothing else.
    Unknown,
    /// A known event type whose payload we cannot act on (e.g. a call event without a
    /// `call_control_id`): recorded, acknowledged and counted, nothing else.
    Unreadable {
        /// Why, as a fixed phrase (never a value from the payload).
        reason: &'static str,
    },
}

/// Events that must be processed in order share a key: one call, or one phone number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OrderKey {
    /// All events of one call leg.
    Call(CallControlId),
    /// All messages from or to one number.
    Number(String),
}

impl fmt::Display for OrderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderKey::Call(id) => write!(f, "call:{id}"),
            OrderKey::Number(n) => write!(f, "number:{n}"),
        }
    }
}

impl EventKind {
    /// The call this event belongs to, if any.
    pub fn call(&self) -> Option<&CallRef> {
        match self {
            EventKind::CallInitiated { call, .. }
            | EventKind::CallAnswered(call)
            | EventKind::CallTranscription { call, .. }
            | EventKind::CallSpeakStarted(call)
            | EventKind::CallSpeakEnded { call, .. }
            | EventKind::CallPlaybackStarted(call)
            | EventKind::CallPlaybackEnded(call)
            | EventKind::CallDtmfReceived { call, .. }
            | EventKind::CallHangup { call, .. }
            | EventKind::CallMachineDetected { call, .. }
            | EventKind::CallGreetingEnded { call, .. }
            | EventKind::CallGatherEnded { call, .. } => Some(call),
            _ => None,
        }
    }

    /// The ordering key: per call, per sender number, per recipient number.
    pub fn order_key(&self) -> Option<OrderKey> {
        if let Some(call) = self.call() {
            return Some(OrderKey::Call(call.call_control_id.clone()));
        }
        match self {
            EventKind::MessageReceived(m) => Some(OrderKey::Number(m.from.clone())),
            EventKind::MessageSent(s) | EventKind::MessageFinalized(s) => s.to.clone().map(OrderKey::Number),
            _ => None,
        }
    }
}

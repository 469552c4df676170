//! What we ask of Call Control (reference/telnyx.md §3): actions on a call and the outbound dial
//! (`POST /v2/calls`), each with the `command_id` that makes a repeat harmless.

use serde::Serialize;
use serde_json::json;

use super::command::CommandId;
use super::error::TelnyxError;
use super::events::CallControlId;

/// Which speech to stop when speaking (barge-in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpeakStop {
    /// Stop what is being spoken now.
    Current,
    /// Stop it and everything queued.
    All,
}

/// A Call Control action (reference/telnyx.md §3).
#[derive(Debug, Clone, PartialEq)]
pub enum CallAction {
    /// `answer` an incoming call.
    Answer,
    /// `speak` text with a voice.
    Speak {
        /// What to say (≤ 3000 characters).
        text: String,
        /// Voice name, e.g. `AWS.Polly.Joanna-Neural`.
        voice: String,
        /// Stop earlier speech first.
        stop: Option<SpeakStop>,
    },
    /// `transcription_start` (final results only).
    TranscriptionStart {
        /// Engine, e.g. `Google`.
        engine: String,
        /// Language, e.g. `en`.
        language: String,
    },
    /// `transcription_stop`.
    TranscriptionStop,
    /// `playback_stop` (stops speech and audio).
    PlaybackStop,
    /// `transfer` the call to a number.
    Transfer {
        /// Where to.
        to: String,
    },
    /// `gather_using_speak`: say `text`, then collect one key of `valid_digits`.
    GatherUsingSpeak {
        /// What to say.
        text: String,
        /// Voice name.
        voice: String,
        /// Keys that count, e.g. `123`.
        valid_digits: String,
        /// How long to wait for a key after speaking.
        timeout_millis: u32,
        /// Said when another key is pressed.
        invalid_text: String,
    },
    /// `gather_stop`: ends a gather (and its prompt) early, e.g. when the person spoke instead.
    GatherStop,
    /// `hangup`.
    Hangup,
}

impl CallAction {
    /// The path segment after `/actions/`.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            CallAction::Answer => "answer",
            CallAction::Speak { .. } => "speak",
            CallAction::TranscriptionStart { .. } => "transcription_start",
            CallAction::TranscriptionStop => "transcription_stop",
            CallAction::PlaybackStop => "playback_stop",
            CallAction::Transfer { .. } => "transfer",
            CallAction::GatherUsingSpeak { .. } => "gather_using_speak",
            CallAction::GatherStop => "gather_stop",
            CallAction::Hangup => "hangup",
        }
    }

    pub(crate) fn body(&self, command_id: &CommandId) -> serde_json::Value {
        let mut body = match self {
            CallAction::Speak { text, voice, stop } => {
                let mut b = json!({"payload": text, "voice": voice, "payload_type": "text"});
                if let Some(stop) = stop {
                    b["stop"] = json!(stop);
                }
                b
            }
            CallAction::TranscriptionStart { engine, language } => json!({
                "transcription_engine": engine,
                "transcription_engine_config": {"transcription_engine": engine, "language": language, "interim_results": false},
                "transcription_tracks": "inbound",
            }),
            CallAction::Transfer { to } => json!({"to": to}),
            CallAction::PlaybackStop => json!({"stop": "all"}),
            // One key, asked once: repeating is ours (after `timeout` or `invalid`).
            CallAction::GatherUsingSpeak { text, voice, valid_digits, timeout_millis, invalid_text } => json!({
                "payload": text,
                "voice": voice,
                "payload_type": "text",
                "valid_digits": valid_digits,
                "minimum_digits": 1,
                "maximum_digits": 1,
                "maximum_tries": 1,
                "timeout_millis": timeout_millis,
                "invalid_payload": invalid_text,
            }),
            _ => json!({}),
        };
        body["command_id"] = json!(command_id.to_string());
        body
    }
}

/// An outbound call (`POST /v2/calls`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dial {
    /// Who to call (E.164).
    pub to: String,
    /// The business number the call comes from (E.164).
    pub from: String,
    /// The Call Control application (`TELNYX_CONNECTION_ID`).
    pub connection_id: String,
    /// How long it may ring.
    pub timeout_secs: u32,
    /// How long the call may last once answered.
    pub time_limit_secs: u32,
    /// `answering_machine_detection`: `detect_beep` or `premium`.
    pub machine_detection: &'static str,
    /// Echoed in the call's webhooks (base64).
    pub client_state: String,
}

impl Dial {
    pub(crate) fn body(&self, command_id: &CommandId) -> serde_json::Value {
        json!({
            "to": self.to,
            "from": self.from,
            "connection_id": self.connection_id,
            "timeout_secs": self.timeout_secs,
            "time_limit_secs": self.time_limit_secs,
            "answering_machine_detection": self.machine_detection,
            "client_state": self.client_state,
            "command_id": command_id.to_string(),
        })
    }
}

/// Telnyx accepted a dial: the call's handle (its webhooks follow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialed {
    /// The new call's handle.
    pub call_control_id: CallControlId,
    /// Its session (for logs).
    pub call_session_id: Option<String>,
}

impl Dialed {
    pub(crate) fn from_reply(reply: &serde_json::Value) -> Result<Self, TelnyxError> {
        let data = &reply["data"];
        let id = data["call_control_id"].as_str().unwrap_or_default();
        let call_control_id = CallControlId::parse(id).map_err(|_| TelnyxError::Rejected {
            status: 200,
            code: String::new(),
            detail: "the dial reply has no call_control_id".into(),
        })?;
        Ok(Self { call_control_id, call_session_id: data["call_session_id"].as_str().map(String::from) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speak_bodies_carry_voice_stop_and_command_id() {
        let id = CommandId::derive("evt-1", "speak#0");
        let body = CallAction::Speak { text: "Hi".into(), voice: "v".into(), stop: Some(SpeakStop::Current) }.body(&id);
        assert_eq!(body["payload"], "Hi");
        assert_eq!(body["stop"], "current");
        assert_eq!(body["command_id"], id.to_string());
    }

    #[test]
    fn a_gather_asks_for_one_key_once() {
        let gather = CallAction::GatherUsingSpeak {
            text: "Press 1".into(),
            voice: "v".into(),
            valid_digits: "123".into(),
            timeout_millis: 8000,
            invalid_text: "Please press 1, 2 or 3.".into(),
        };
        let body = gather.body(&CommandId::derive("e", "gather"));
        assert_eq!(gather.name(), "gather_using_speak");
        assert_eq!((body["maximum_digits"].as_u64(), body["maximum_tries"].as_u64()), (Some(1), Some(1)));
        assert_eq!(body["valid_digits"], "123");
    }

    #[test]
    fn a_dial_carries_detection_state_and_command_id_and_its_reply_gives_the_call() {
        let dial = Dial {
            to: "+13125550123".into(),
            from: "+13125550100".into(),
            connection_id: "1494404757140276705".into(),
            timeout_secs: 30,
            time_limit_secs: 300,
            machine_detection: "detect_beep",
            client_state: "c3RhdGU=".into(),
        };
        let id = CommandId::derive("reminder-1", "dial#1");
        let body = dial.body(&id);
        assert_eq!(body["answering_machine_detection"], "detect_beep");
        assert_eq!(body["command_id"], id.to_string());
        let reply = json!({"data": {"call_control_id": "v3:abc", "call_session_id": "s-1", "is_alive": false}});
        assert_eq!(Dialed::from_reply(&reply).unwrap().call_control_id.as_str(), "v3:abc");
        assert!(Dialed::from_reply(&json!({"data": {}})).is_err());
    }
}

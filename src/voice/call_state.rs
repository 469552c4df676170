//! The `client_state` of reminder calls (issue #17): the attempt's id with an HMAC, so a webhook
//! whose state names a reminder call was made by us — a forged or altered state names nothing and
//! is only counted. The call's Telnyx handle (recorded at dial time) is the primary key; the state
//! is the cross-check, and what identifies a call whose first webhook beats the dial's answer.

use base64::Engine as _;
use hmac::{KeyInit, Mac};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// What every reminder-call state starts with (after base64 decoding).
const PREFIX: &str = "rc1.";

/// Signs and reads reminder-call states.
#[derive(Clone)]
pub struct CallStates {
    key: Vec<u8>,
}

impl std::fmt::Debug for CallStates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallStates(***)")
    }
}

/// What a webhook's `client_state` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateSays {
    /// No state, or one that is not a reminder call's (e.g. an incoming call).
    Nothing,
    /// Reminder-call attempt `id`, signed by us.
    ReminderCall(String),
    /// It claims to be a reminder call but the signature is wrong: forged or altered.
    Forged,
}

impl CallStates {
    /// States signed with `key` (≥ 32 bytes, derived from the server's secret).
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    fn mac(&self, id: &str) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(id.as_bytes());
        mac.finalize().into_bytes()[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The state for attempt `id` (standard base64, no wrapping, as Telnyx requires).
    pub fn sign(&self, id: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(format!("{PREFIX}{id}.{}", self.mac(id)))
    }

    /// Reads a webhook's `client_state`.
    pub fn read(&self, state: Option<&str>) -> StateSays {
        let Some(decoded) = state.and_then(|s| base64::engine::general_purpose::STANDARD.decode(s.trim()).ok()) else {
            return StateSays::Nothing;
        };
        let Some(rest) = std::str::from_utf8(&decoded).ok().and_then(|t| t.strip_prefix(PREFIX)) else {
            return StateSays::Nothing;
        };
        match rest.rsplit_once('.') {
            Some((id, mac)) if crate::secrets::same_secret(mac, &self.mac(id)) => {
                StateSays::ReminderCall(id.to_string())
            }
            _ => StateSays::Forged,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_state_names_its_attempt_and_anything_altered_is_forged() {
        let states = CallStates::new(&[3; 32]);
        let state = states.sign("attempt-1");
        assert_eq!(states.read(Some(&state)), StateSays::ReminderCall("attempt-1".into()));
        let engine = base64::engine::general_purpose::STANDARD;
        let text = String::from_utf8(engine.decode(&state).unwrap()).unwrap();
        let altered = engine.encode(text.replace("attempt-1", "attempt-2"));
        assert_eq!(states.read(Some(&altered)), StateSays::Forged);
        assert_eq!(CallStates::new(&[4; 32]).read(Some(&state)), StateSays::Forged, "another key");
        assert_eq!(states.read(Some(&engine.encode("rc1.attempt-1"))), StateSays::Forged, "no signature");
        assert_eq!(states.read(None), StateSays::Nothing);
        assert_eq!(states.read(Some("aGF2ZSBhIG5pY2UgZGF5ID1d")), StateSays::Nothing, "someone else's state");
        assert_eq!(states.read(Some("not base64!")), StateSays::Nothing);
    }
}

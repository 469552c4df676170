//! Deterministic `command_id`s: the same triggering event and action always give the same id, so a
//! retried command or a redelivered webhook cannot act twice (Telnyx ignores repeated ids).

use std::fmt;

use uuid::Uuid;

/// Our namespace for UUIDv5 command ids.
const NAMESPACE: Uuid = Uuid::from_u128(0x6c1f_2a0e_93b4_4d8e_a1c7_5e0f_3b2d_9a41);

/// A Call Control `command_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CommandId(Uuid);

impl CommandId {
    /// The id for `action` (e.g. `answer`, `speak#2`) caused by event `event_id`.
    pub fn derive(event_id: &str, action: &str) -> Self {
        // Length-prefixed, so no two (event, action) pairs share a name.
        let name = format!("{}:{event_id}{action}", event_id.len());
        Self(Uuid::new_v5(&NAMESPACE, name.as_bytes()))
    }
}

impl fmt::Display for CommandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_cause_gives_the_same_id_and_any_difference_another() {
        assert_eq!(CommandId::derive("e1", "answer"), CommandId::derive("e1", "answer"));
        assert_ne!(CommandId::derive("e1", "answer"), CommandId::derive("e2", "answer"));
        assert_ne!(CommandId::derive("e1", "speak#0"), CommandId::derive("e1", "speak#1"));
        assert_ne!(CommandId::derive("e1\nx", "y"), CommandId::derive("e1", "x\ny"));
    }
}

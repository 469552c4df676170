//! What a conversation carries between turns (and what is stored between them): the history, the
//! slots offered by the latest search, and the guided dialog's state.

use std::collections::HashMap;

use super::guided::GuidedState;
use super::history::Message;
use super::tools::OfferedSlot;

/// The state a conversation carries between turns.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Conversation {
    /// The history.
    pub history: Vec<Message>,
    /// Slots from the latest search.
    pub slots: HashMap<String, OfferedSlot>,
    /// The guided dialog's state (used when it answers).
    #[serde(default)]
    pub guided: GuidedState,
}

//! The receptionist as a chat model (SPEC §9; the wire is OpenAI's Chat Completions, in
//! `http::chat`): a client sends the whole conversation with every request, and gets the
//! receptionist's answer to its last user message.
//!
//! The receptionist keeps state between turns (offered slots, what the guided dialog is waiting
//! for), which a stateless protocol does not carry. So each answered turn is recorded under a hash
//! of the conversation up to its user message ([`turn_key`]): the next request, which repeats the
//! conversation with our answer and one more user message, continues from that state; a repeated
//! request (a client's retry) gets the recorded answer and acts on nothing twice. A conversation
//! that was not recorded (edited by the client, another deployment) is rebuilt from its messages:
//! the LLM agent reads the history, the guided dialog the earlier user lines.
//!
//! Who the customer is comes from the client (a header or `user`) or from what they wrote
//! ([`caller`]); until a full number is known, the tools that act for a customer refuse and the
//! receptionist asks for it.

pub mod caller;
mod service;

pub use service::{Change, ChatAnswer, ChatError, ChatMessage, ChatRequest, ChatService, Role};

/// Whether `messages` is a conversation the service can answer (it must end with the customer's
/// message, which must have text).
pub fn check(messages: &[ChatMessage]) -> Result<(), ChatError> {
    service::validate(messages).map(|_| ())
}

use sha2::{Digest, Sha256};

/// Answered chat turns are kept this long (to continue a conversation exactly, or answer a retry);
/// a client returning later has its conversation rebuilt from its messages. The conversations
/// themselves, with their transcripts, stay in the store like calls.
pub const TURN_RETENTION: chrono::Duration = chrono::Duration::days(30);

/// The hash that names a conversation up to one of its messages: the client, its caller hint and
/// every message's role and text, unambiguously separated.
pub fn turn_key(client: &str, hint: Option<&str>, messages: &[ChatMessage]) -> String {
    let mut hash = Sha256::new();
    for part in [client, hint.unwrap_or("")] {
        hash.update(part.len().to_le_bytes());
        hash.update(part.as_bytes());
    }
    for m in messages {
        hash.update([m.role as u8]);
        hash.update(m.text.len().to_le_bytes());
        hash.update(m.text.as_bytes());
    }
    hash.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

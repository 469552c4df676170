//! Answering one chat request: validate it, find the customer, continue (or rebuild) the
//! conversation, take the turn, record it, and say what changed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::caller;
use super::turn_key;
use crate::booking::BookingService;
use crate::conversation::{AfterTurn, Conversation, Message, Receptionist, Speaker, Turn};
use crate::domain::{Appointment, Channel, PhoneNumber, Status};
use crate::store::{AppointmentFilter, CHAT_PREFIX, ChatTurn, Store, StoreError};

/// Who wrote a message. `System` messages are read but never change the business's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Role {
    /// The client's instructions (ignored: the receptionist's rules are the business's).
    System = 1,
    /// The customer.
    User = 2,
    /// The receptionist (as answered before).
    Assistant = 3,
}

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    /// Who wrote it.
    pub role: Role,
    /// What it says.
    pub text: String,
}

/// A request: the whole conversation so far, ending with the customer's message.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    /// The conversation.
    pub messages: Vec<ChatMessage>,
    /// The customer's number as the client knows it (header or `user`), if it does.
    pub caller_hint: Option<String>,
    /// Which client (its API key's label, or "anonymous"): conversations of different clients
    /// never meet.
    pub client: String,
}

/// An appointment this turn booked, cancelled or moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// "booked", "cancelled" or "rescheduled".
    pub what: &'static str,
    /// The appointment as it is now.
    pub appointment: Appointment,
}

/// The receptionist's answer.
#[derive(Debug, Clone)]
pub struct ChatAnswer {
    /// Everything it said, as one text.
    pub reply: String,
    /// It ended the conversation (goodbye or transfer).
    pub ended: bool,
    /// A repeated request: the recorded answer, nothing done again.
    pub replayed: bool,
    /// What this turn changed.
    pub changes: Vec<Change>,
}

/// Why a request could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// The request is not a conversation we can answer (the client's mistake).
    #[error("{0}")]
    Invalid(String),
    /// The receptionist did not answer within the deadline.
    #[error("the receptionist did not answer in time")]
    Timeout,
    /// The receptionist failed.
    #[error("the receptionist could not answer: {0}")]
    Receptionist(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Hears the receptionist's sentences and passes them on (for streaming).
struct Recording<'a> {
    to: &'a dyn Speaker,
    said: Mutex<Vec<String>>,
}

#[async_trait]
impl Speaker for Recording<'_> {
    async fn say(&self, sentence: &str) {
        self.said.lock().expect("not poisoned").push(sentence.to_string());
        self.to.say(sentence).await;
    }
}

/// The receptionist behind the chat endpoint.
#[derive(Clone)]
pub struct ChatService {
    receptionist: Arc<dyn Receptionist>,
    booking: BookingService,
    store: Store,
    deadline: Duration,
}

impl ChatService {
    /// `receptionist` answering with `booking`'s business, recording turns in `store`, each turn
    /// given at most `deadline`.
    pub fn new(receptionist: Arc<dyn Receptionist>, booking: BookingService, store: Store, deadline: Duration) -> Self {
        Self { receptionist, booking, store, deadline }
    }

    /// The business the receptionist answers for.
    pub fn business(&self) -> &crate::domain::Business {
        self.booking.business()
    }

    /// Answers the request's last message, speaking the answer through `speaker` as it comes.
    pub async fn answer(&self, req: &ChatRequest, speaker: &dyn Speaker) -> Result<ChatAnswer, ChatError> {
        let messages = &req.messages;
        let last = validate(messages)?;
        let hint = req.caller_hint.as_deref();
        let key = turn_key(&req.client, hint, messages);
        if let Some(turn) = self.store.chats().get(&key).await? {
            speaker.say(&turn.reply).await;
            let ended = turn.ended();
            return Ok(ChatAnswer { reply: turn.reply, ended, replayed: true, changes: Vec::new() });
        }
        let (mut conversation, parent) = self.resume(req, hint).await?;
        // A conversation is the chain of turns that continue each other; a second, different
        // continuation of the same turn (two customers who opened with the same words) is a new one.
        let (conversation_id, started_at) = match &parent {
            Some(p) if !self.store.chats().continued(&p.turn_key).await? => (p.conversation.clone(), p.started_at),
            _ => (format!("{CHAT_PREFIX}{}", uuid::Uuid::new_v4().simple()), self.booking.now()),
        };

        let users = messages.iter().filter(|m| m.role == Role::User).map(|m| m.text.as_str());
        let caller = caller::of_conversation(hint, users, self.booking.business().region);
        let before = self.appointments(caller.number()).await?;
        let recording = Recording { to: speaker, said: Mutex::new(Vec::new()) };
        let cause = format!("chat:{key}");
        let turn = Turn {
            caller: caller.number(),
            words: &last.text,
            cause: &cause,
            conversation: &conversation_id,
            channel: Channel::Chat,
            speaker: &recording,
        };
        let outcome = tokio::time::timeout(self.deadline, self.receptionist.turn(&mut conversation, turn))
            .await
            .map_err(|_| ChatError::Timeout)?
            .map_err(|e| ChatError::Receptionist(e.to_string()))?;
        let reply = recording.said.into_inner().expect("not poisoned").join(" ");
        let changes = changes(&before, &self.appointments(caller.number()).await?);
        let state = serde_json::to_string(&conversation).map_err(|e| ChatError::Receptionist(e.to_string()))?;
        let record = ChatTurn {
            turn_key: key,
            conversation: conversation_id,
            parent: parent.map(|p| p.turn_key),
            caller: caller.number().cloned(),
            state,
            reply: reply.clone(),
            outcome: outcome.action.map(|a| match a {
                AfterTurn::Transfer => "transferred".to_string(),
                AfterTurn::Hangup => "goodbye".to_string(),
            }),
            started_at,
            created_at: self.booking.now(),
        };
        let ended = record.ended();
        self.store.chats().record(&record).await?;
        Ok(ChatAnswer { reply, ended, replayed: false, changes })
    }

    /// The state after the previous turn, and that turn, when it was recorded and the client
    /// repeats our answer to it; else the conversation rebuilt from its messages.
    async fn resume(
        &self,
        req: &ChatRequest,
        hint: Option<&str>,
    ) -> Result<(Conversation, Option<ChatTurn>), ChatError> {
        let messages = &req.messages;
        let last = messages.len() - 1;
        let Some(previous) = messages[..last].iter().rposition(|m| m.role == Role::User) else {
            return Ok((rebuild(&messages[..last]), None));
        };
        let recorded = self.store.chats().get(&turn_key(&req.client, hint, &messages[..=previous])).await?;
        let answered = |turn: &ChatTurn| {
            messages[previous + 1..last].iter().any(|m| m.role == Role::Assistant && same_words(&m.text, &turn.reply))
        };
        Ok(match recorded {
            Some(turn) if answered(&turn) => match serde_json::from_str(&turn.state) {
                Ok(state) => (state, Some(turn)),
                Err(_) => (rebuild(&messages[..last]), None),
            },
            _ => (rebuild(&messages[..last]), None),
        })
    }

    /// The customer's appointments, cancelled ones too (to see what a turn changed).
    async fn appointments(&self, caller: Option<&PhoneNumber>) -> Result<Vec<Appointment>, ChatError> {
        let Some(phone) = caller else { return Ok(Vec::new()) };
        let filter = AppointmentFilter { phone: Some(phone.clone()), include_cancelled: true, ..Default::default() };
        Ok(self.store.appointments().list(&filter).await?)
    }
}

/// The request must end with the customer's message and carry some text.
pub(crate) fn validate(messages: &[ChatMessage]) -> Result<&ChatMessage, ChatError> {
    let last = messages.last().ok_or_else(|| ChatError::Invalid("messages is empty".into()))?;
    if last.role != Role::User {
        return Err(ChatError::Invalid("the last message must be the customer's (role \"user\")".into()));
    }
    if last.text.trim().is_empty() {
        return Err(ChatError::Invalid("the last message has no text".into()));
    }
    Ok(last)
}

/// The conversation from its messages alone: the customer's and the receptionist's words (the
/// client's system messages never become the receptionist's instructions).
fn rebuild(messages: &[ChatMessage]) -> Conversation {
    let history = messages
        .iter()
        .filter_map(|m| match m.role {
            Role::User => Some(Message::User { text: m.text.clone() }),
            Role::Assistant => Some(Message::Assistant { text: m.text.clone(), tool_calls: Vec::new() }),
            Role::System => None,
        })
        .collect();
    Conversation { history, ..Conversation::default() }
}

fn same_words(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

/// What differs between the customer's appointments before and after a turn.
fn changes(before: &[Appointment], after: &[Appointment]) -> Vec<Change> {
    after
        .iter()
        .filter_map(|a| {
            let what = match before.iter().find(|b| b.id == a.id) {
                None => "booked",
                Some(b) if b.status == Status::Confirmed && a.status == Status::Cancelled => "cancelled",
                Some(b) if b.start != a.start && a.status == Status::Confirmed => "rescheduled",
                Some(_) => return None,
            };
            Some(Change { what, appointment: a.clone() })
        })
        .collect()
}

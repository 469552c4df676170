//! Stored phone conversations: the agent's state as JSON, written through at the end of each turn.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::error::parse_text;
use super::{Store, StoreError};
use crate::domain::{PhoneNumber, text_enum};

/// Whether a conversation is still going on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationStatus {
    /// The call is live (another instance may pick it up).
    Active,
    /// The call is over.
    Ended,
}

text_enum!(ConversationStatus { Active => "active", Ended => "ended" });

/// A stored conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConversation {
    /// Caller.
    pub caller: PhoneNumber,
    /// Serialized state.
    pub state: String,
    /// Live or over.
    pub status: ConversationStatus,
    /// How the call ended.
    pub outcome: Option<String>,
    /// When the call started.
    pub started_at: DateTime<Utc>,
}

/// Stored conversations (see [`Store::conversations`]).
#[derive(Clone, Copy)]
pub struct Conversations<'a>(pub(super) &'a Store);

impl Conversations<'_> {
    /// Creates or updates a conversation.
    pub(crate) async fn save(
        &self,
        call: &str,
        caller: &PhoneNumber,
        state: &str,
        outcome: Option<&str>,
        started_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let status = if outcome.is_some() { ConversationStatus::Ended } else { ConversationStatus::Active };
        sqlx::query(
            "INSERT INTO conversations (call_control_id, caller, state, status, outcome, started_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (call_control_id) DO UPDATE SET state = excluded.state, \
             status = excluded.status, outcome = excluded.outcome, updated_at = excluded.updated_at",
        )
        .bind(call)
        .bind(caller.as_str())
        .bind(state)
        .bind(status.as_str())
        .bind(outcome)
        .bind(started_at.timestamp())
        .bind(now.timestamp())
        .execute(self.0.pool())
        .await?;
        Ok(())
    }

    /// A conversation by call.
    pub async fn get(&self, call: &str) -> Result<Option<StoredConversation>, StoreError> {
        let row = sqlx::query(
            "SELECT caller, state, status, outcome, started_at FROM conversations WHERE call_control_id = $1",
        )
        .bind(call)
        .fetch_optional(self.0.pool())
        .await?;
        row.map(|r| {
            Ok(StoredConversation {
                caller: PhoneNumber::from_stored(r.try_get("caller")?),
                state: r.try_get("state")?,
                status: parse_text("conversations", &r.try_get::<String, _>("status")?)?,
                outcome: r.try_get("outcome")?,
                started_at: DateTime::from_timestamp(r.try_get("started_at")?, 0).unwrap_or_default(),
            })
        })
        .transpose()
    }
}

//! Stored phone conversations: the agent's state as JSON, written through at the end of each turn.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, StoreError};

/// A stored conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConversation {
    /// Caller (E.164).
    pub caller: String,
    /// Serialized state.
    pub state: String,
    /// `active` or `ended`.
    pub status: String,
    /// How the call ended.
    pub outcome: Option<String>,
    /// When the call started.
    pub started_at: DateTime<Utc>,
}

impl Store {
    /// Creates or updates a conversation.
    pub async fn save_conversation(
        &self,
        call: &str,
        caller: &str,
        state: &str,
        outcome: Option<&str>,
        started_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let status = if outcome.is_some() { "ended" } else { "active" };
        sqlx::query(
            "INSERT INTO conversations (call_control_id, caller, state, status, outcome, started_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (call_control_id) DO UPDATE SET state = excluded.state, \
             status = excluded.status, outcome = excluded.outcome, updated_at = excluded.updated_at",
        )
        .bind(call)
        .bind(caller)
        .bind(state)
        .bind(status)
        .bind(outcome)
        .bind(started_at.timestamp())
        .bind(now.timestamp())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A conversation by call.
    pub async fn conversation(&self, call: &str) -> Result<Option<StoredConversation>, StoreError> {
        let row = sqlx::query(
            "SELECT caller, state, status, outcome, started_at FROM conversations WHERE call_control_id = $1",
        )
        .bind(call)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(StoredConversation {
                caller: r.try_get("caller")?,
                state: r.try_get("state")?,
                status: r.try_get("status")?,
                outcome: r.try_get("outcome")?,
                started_at: DateTime::from_timestamp(r.try_get("started_at")?, 0).unwrap_or_default(),
            })
        })
        .transpose()
    }
}

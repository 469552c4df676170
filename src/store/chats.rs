//! Turns of chat-endpoint conversations (see `migrations/0005_chat_turns.sql`): the state after
//! each answered turn, by the hash of the conversation up to its user message.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{ConversationSave, Store, StoreError};
use crate::domain::PhoneNumber;

/// One answered turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatTurn {
    /// Hash of the client, its caller hint and the messages up to this turn's user message.
    pub turn_key: String,
    /// The conversation it belongs to (`chat-…`, as in [`Store::conversations`]).
    pub conversation: String,
    /// The recorded turn it continued, if it continued one.
    pub parent: Option<String>,
    /// The customer, once a full number was known.
    pub caller: Option<PhoneNumber>,
    /// The receptionist's state after the turn (JSON).
    pub state: String,
    /// What was answered.
    pub reply: String,
    /// The receptionist ended the conversation (goodbye or transfer).
    pub ended: bool,
    /// When it was answered.
    pub created_at: DateTime<Utc>,
}

/// Chat turns (see [`Store::chats`]).
#[derive(Clone, Copy)]
pub struct ChatTurns<'a>(pub(super) &'a Store);

impl ChatTurns<'_> {
    /// Records a turn and writes its conversation, in one transaction; false when the turn was
    /// already recorded (two identical requests at once), which keeps the first and its write.
    pub(crate) async fn record(&self, turn: &ChatTurn, conversation: ConversationSave<'_>) -> Result<bool, StoreError> {
        let mut tx = self.0.begin_write().await?;
        let done = sqlx::query(
            "INSERT INTO chat_turns (turn_key, conversation, parent, caller, state, reply, ended, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (turn_key) DO NOTHING",
        )
        .bind(&turn.turn_key)
        .bind(&turn.conversation)
        .bind(turn.parent.clone())
        .bind(turn.caller.as_ref().map(|c| c.as_str().to_string()))
        .bind(&turn.state)
        .bind(&turn.reply)
        .bind(i64::from(turn.ended))
        .bind(turn.created_at.timestamp())
        .execute(&mut *tx)
        .await?;
        let recorded = done.rows_affected() == 1;
        if recorded {
            super::conversations::save(&mut *tx, conversation, turn.created_at).await?;
        }
        tx.commit().await?;
        Ok(recorded)
    }

    /// Whether some recorded turn already continued the turn `turn_key`.
    pub(crate) async fn continued(&self, turn_key: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 AS one FROM chat_turns WHERE parent = $1 LIMIT 1")
            .bind(turn_key)
            .fetch_optional(self.0.pool())
            .await?;
        Ok(row.is_some())
    }

    /// Forgets turns answered before `before` (a client continuing such a conversation has it
    /// rebuilt from its messages); the conversations themselves stay. Returns how many went.
    pub async fn purge(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM chat_turns WHERE created_at < $1")
            .bind(before.timestamp())
            .execute(self.0.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// The turn recorded under `turn_key`.
    pub async fn get(&self, turn_key: &str) -> Result<Option<ChatTurn>, StoreError> {
        let row = sqlx::query(
            "SELECT turn_key, conversation, parent, caller, state, reply, ended, created_at FROM chat_turns WHERE turn_key = $1",
        )
        .bind(turn_key)
        .fetch_optional(self.0.pool())
        .await?;
        row.map(|r| {
            Ok(ChatTurn {
                turn_key: r.try_get("turn_key")?,
                conversation: r.try_get("conversation")?,
                parent: r.try_get("parent")?,
                caller: r.try_get::<Option<String>, _>("caller")?.map(PhoneNumber::from_stored),
                state: r.try_get("state")?,
                reply: r.try_get("reply")?,
                ended: r.try_get::<i64, _>("ended")? != 0,
                created_at: DateTime::from_timestamp(r.try_get("created_at")?, 0).unwrap_or_default(),
            })
        })
        .transpose()
    }
}

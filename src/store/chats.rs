//! Turns of chat-endpoint conversations (see `migrations/0005_chat_turns.sql` and `0006`): the
//! state after each answered turn, by the hash of the conversation up to its user message. A
//! conversation is the chain of its turns (`parent`); its latest turn (one no turn of the same
//! conversation continues) is the conversation as [`Store::conversations`] lists it, so a turn is
//! one write.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError};
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
    /// How the receptionist ended the conversation in this turn ("transferred", "goodbye").
    pub outcome: Option<String>,
    /// When the conversation's first turn was answered.
    pub started_at: DateTime<Utc>,
    /// When it was answered.
    pub created_at: DateTime<Utc>,
}

/// Chat turns (see [`Store::chats`]).
#[derive(Clone, Copy)]
pub struct ChatTurns<'a>(pub(super) &'a Store);

/// The latest turn of each conversation: no turn of the same conversation continues it.
pub(super) const LATEST: &str = "NOT EXISTS (SELECT 1 FROM chat_turns c \
     WHERE c.parent = chat_turns.turn_key AND c.conversation = chat_turns.conversation)";

const COLUMNS: &str = "turn_key, conversation, parent, caller, state, reply, outcome, started_at, created_at";

fn instant(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

pub(super) fn from_row(r: &AnyRow) -> Result<ChatTurn, StoreError> {
    Ok(ChatTurn {
        turn_key: r.try_get("turn_key")?,
        conversation: r.try_get("conversation")?,
        parent: r.try_get("parent")?,
        caller: r.try_get::<Option<String>, _>("caller")?.map(PhoneNumber::from_stored),
        state: r.try_get("state")?,
        reply: r.try_get("reply")?,
        outcome: r.try_get("outcome")?,
        started_at: instant(r.try_get("started_at")?),
        created_at: instant(r.try_get("created_at")?),
    })
}

impl ChatTurn {
    /// The receptionist ended the conversation (goodbye or transfer).
    pub fn ended(&self) -> bool {
        self.outcome.is_some()
    }
}

impl ChatTurns<'_> {
    /// Records a turn (one statement); false when it was already recorded (two identical
    /// requests at once), which keeps the first.
    pub(crate) async fn record(&self, turn: &ChatTurn) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO chat_turns (turn_key, conversation, parent, caller, state, reply, ended, outcome, \
             started_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (turn_key) DO NOTHING",
        )
        .bind(&turn.turn_key)
        .bind(&turn.conversation)
        .bind(turn.parent.clone())
        .bind(turn.caller.as_ref().map(|c| c.as_str().to_string()))
        .bind(&turn.state)
        .bind(&turn.reply)
        .bind(i64::from(turn.ended()))
        .bind(turn.outcome.clone())
        .bind(turn.started_at.timestamp())
        .bind(turn.created_at.timestamp())
        .execute(self.0.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Whether some recorded turn already continued the turn `turn_key`.
    pub(crate) async fn continued(&self, turn_key: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 AS one FROM chat_turns WHERE parent = $1 LIMIT 1")
            .bind(turn_key)
            .fetch_optional(self.0.pool())
            .await?;
        Ok(row.is_some())
    }

    /// Forgets turns answered before `before`, except the latest of each conversation (which is
    /// the conversation, kept like a call); a client continuing from a forgotten turn has its
    /// conversation rebuilt from its messages. Returns how many went.
    pub async fn purge(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("DELETE FROM chat_turns WHERE created_at < $1 AND NOT ({LATEST})"));
        let done = sqlx::query(sql).bind(before.timestamp()).execute(self.0.pool()).await?;
        Ok(done.rows_affected())
    }

    /// The turn recorded under `turn_key`.
    pub async fn get(&self, turn_key: &str) -> Result<Option<ChatTurn>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM chat_turns WHERE turn_key = $1"));
        let row = sqlx::query(sql).bind(turn_key).fetch_optional(self.0.pool()).await?;
        row.as_ref().map(from_row).transpose()
    }
}

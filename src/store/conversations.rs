//! Stored conversations of every channel: phone calls (written through at the end of each turn,
//! so another instance can continue the call) and chat-endpoint conversations, each with the
//! receptionist's state as JSON (which holds the transcript) and how it ended.

use chrono::{DateTime, Utc};
use sqlx::AnyExecutor;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::error::parse_text;
use super::{Store, StoreError};
use crate::domain::{Channel, PhoneNumber, text_enum};

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
    /// The call control id, or `chat-…`.
    pub id: String,
    /// Phone call or chat.
    pub channel: Channel,
    /// Who it was with (a chat customer may not have given a number).
    pub caller: Option<PhoneNumber>,
    /// Serialized state.
    pub state: String,
    /// Live or over.
    pub status: ConversationStatus,
    /// How it ended.
    pub outcome: Option<String>,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// What one save writes.
#[derive(Debug, Clone, Copy)]
pub struct ConversationSave<'a> {
    /// The call control id, or `chat-…`.
    pub id: &'a str,
    /// Phone call or chat.
    pub channel: Channel,
    /// The caller, when known (an unknown caller never erases a known one).
    pub caller: Option<&'a PhoneNumber>,
    /// Serialized state.
    pub state: &'a str,
    /// How it ended; `None` while it goes on.
    pub outcome: Option<&'a str>,
    /// When it started (kept from the first save).
    pub started_at: DateTime<Utc>,
}

/// Stored conversations (see [`Store::conversations`]).
#[derive(Clone, Copy)]
pub struct Conversations<'a>(pub(super) &'a Store);

const COLUMNS: &str = "id, channel, caller, state, status, outcome, started_at, updated_at";

/// The ids of chat-endpoint conversations start with this.
pub(crate) const CHAT_PREFIX: &str = "chat-";

/// Chat conversations in [`COLUMNS`]: the latest turn of each (ends in a condition, for more
/// `AND`s).
fn chats() -> String {
    format!(
        "conversation AS id, 'chat' AS channel, caller, state, \
         CASE WHEN outcome IS NULL THEN 'active' ELSE 'ended' END AS status, outcome, started_at, \
         created_at AS updated_at FROM chat_turns WHERE {}",
        super::chats::LATEST
    )
}

fn from_row(r: &AnyRow) -> Result<StoredConversation, StoreError> {
    let instant = |name: &str| -> Result<DateTime<Utc>, StoreError> {
        Ok(DateTime::from_timestamp(r.try_get(name)?, 0).unwrap_or_default())
    };
    Ok(StoredConversation {
        id: r.try_get("id")?,
        channel: parse_text("conversations", &r.try_get::<String, _>("channel")?)?,
        caller: r.try_get::<Option<String>, _>("caller")?.map(PhoneNumber::from_stored),
        state: r.try_get("state")?,
        status: parse_text("conversations", &r.try_get::<String, _>("status")?)?,
        outcome: r.try_get("outcome")?,
        started_at: instant("started_at")?,
        updated_at: instant("updated_at")?,
    })
}

impl Conversations<'_> {
    /// Creates or updates a conversation.
    pub async fn save(&self, c: ConversationSave<'_>, now: DateTime<Utc>) -> Result<(), StoreError> {
        save(self.0.pool(), c, now).await
    }

    /// A conversation by id.
    pub async fn get(&self, id: &str) -> Result<Option<StoredConversation>, StoreError> {
        let sql = if id.starts_with(CHAT_PREFIX) {
            format!("SELECT {} AND conversation = $1 ORDER BY updated_at DESC LIMIT 1", chats())
        } else {
            format!("SELECT {COLUMNS} FROM conversations WHERE id = $1")
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(self.0.pool()).await?;
        row.as_ref().map(from_row).transpose()
    }

    /// The latest conversations first, of one channel or all, at most `limit`.
    pub async fn recent(&self, channel: Option<Channel>, limit: i64) -> Result<Vec<StoredConversation>, StoreError> {
        self.page(channel, None, limit).await
    }

    /// As [`Self::recent`], only those after `before` (started, id) in that order: keyset
    /// pagination (latest first, ties by id, descending).
    pub async fn page(
        &self,
        channel: Option<Channel>,
        before: Option<(DateTime<Utc>, &str)>,
        limit: i64,
    ) -> Result<Vec<StoredConversation>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT * FROM (SELECT {COLUMNS} FROM conversations WHERE ($1 = '' OR channel = $1) \
             UNION ALL SELECT {} AND ($1 = '' OR $1 = 'chat')) AS everything \
             WHERE $2 = 0 OR (started_at, id) < ($3, $4) \
             ORDER BY started_at DESC, id DESC LIMIT $5",
            chats()
        ));
        let channel = channel.map_or("", |c| c.as_str());
        let (paged, at, id) = before.map_or((0, 0, ""), |(at, id)| (1, at.timestamp(), id));
        let rows =
            sqlx::query(sql).bind(channel).bind(paged).bind(at).bind(id).bind(limit).fetch_all(self.0.pool()).await?;
        rows.iter().map(from_row).collect()
    }
}

/// Creates or updates a conversation through `e` (the pool, or a transaction).
pub(super) async fn save<'e>(
    e: impl AnyExecutor<'e>,
    c: ConversationSave<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let status = if c.outcome.is_some() { ConversationStatus::Ended } else { ConversationStatus::Active };
    sqlx::query(
        "INSERT INTO conversations (id, channel, caller, state, status, outcome, started_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET state = excluded.state, \
             caller = COALESCE(excluded.caller, conversations.caller), status = excluded.status, \
             outcome = excluded.outcome, updated_at = excluded.updated_at",
    )
    .bind(c.id)
    .bind(c.channel.as_str())
    .bind(c.caller.map(|p| p.as_str().to_string()))
    .bind(c.state)
    .bind(status.as_str())
    .bind(c.outcome)
    .bind(c.started_at.timestamp())
    .bind(now.timestamp())
    .execute(e)
    .await?;
    Ok(())
}

//! Opt-outs and the outbox (SPEC §8); reminders are in `reminders.rs`. Claims use leases so a crashed instance's work
//! is taken over, and `FOR UPDATE SKIP LOCKED` on PostgreSQL so instances never claim the same row.

use chrono::{DateTime, Utc};
use sqlx::{AnyExecutor, Row};

use super::error::parse_text;
use super::{Backend, StaffTx, Store, StoreError};
use crate::domain::{AppointmentId, PhoneNumber, text_enum};

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageChannel {
    /// A text through Telnyx.
    Sms,
    /// An email through SMTP.
    Email,
}

text_enum!(MessageChannel { Sms => "sms", Email => "email" });

/// A message to record in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// Unique cause: at most one message per cause.
    pub cause: String,
    /// SMS or email.
    pub channel: MessageChannel,
    /// E.164 number or email address.
    pub recipient: String,
    /// Email subject.
    pub subject: Option<String>,
    /// The text.
    pub body: String,
    /// An iCalendar attachment (email).
    pub attachment: Option<String>,
    /// Attempt even when the recipient opted out (the one confirmation after a bare CANCEL).
    pub ignore_opt_out: bool,
}

/// A message claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutboxMessage {
    /// Row id.
    pub id: String,
    /// Attempts made before this one.
    pub attempts: i64,
    /// What to send.
    pub message: NewMessage,
}

/// How one send attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SendOutcome {
    /// Accepted by the provider.
    Sent {
        /// The provider's message id.
        provider_id: Option<String>,
    },
    /// The recipient opted out; never retried.
    Blocked,
    /// Failed for good.
    Failed {
        /// Why.
        error: String,
    },
    /// Failed for now; try again at `at`.
    Retry {
        /// Next attempt.
        at: DateTime<Utc>,
        /// Why.
        error: String,
    },
}

/// Where an outbox message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStatus {
    /// Waiting to be sent (or retried).
    Pending,
    /// Accepted by the provider.
    Sent,
    /// Failed for good.
    Failed,
    /// Not sent: the recipient opted out.
    Blocked,
}

text_enum!(MessageStatus { Pending => "pending", Sent => "sent", Failed => "failed", Blocked => "blocked" });

/// A stored message's state (tests and operators).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    /// Its cause.
    pub cause: String,
    /// Where to.
    pub recipient: String,
    /// Text.
    pub body: String,
    /// Where it stands.
    pub status: MessageStatus,
    /// Attempts made.
    pub attempts: i64,
    /// Text or email.
    pub channel: MessageChannel,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// What the carrier reported once it was sent: `delivered` or `failed`.
    pub delivery: Option<String>,
}

impl MessageRecord {
    /// Where it stands for people: pending, sent, delivered, failed, blocked.
    pub fn state(&self) -> &str {
        match (self.status, self.delivery.as_deref()) {
            (MessageStatus::Sent, Some(delivery)) => delivery,
            (status, _) => status.as_str(),
        }
    }
}

pub(super) const RECORD: &str = "cause, recipient, body, status, attempts, channel, created_at, delivery";

pub(super) fn record(r: &sqlx::any::AnyRow) -> Result<MessageRecord, StoreError> {
    Ok(MessageRecord {
        cause: r.try_get("cause")?,
        recipient: r.try_get("recipient")?,
        body: r.try_get("body")?,
        status: parse_text("outbox", &r.try_get::<String, _>("status")?)?,
        attempts: r.try_get::<i32, _>("attempts")?.into(),
        channel: parse_text("outbox", &r.try_get::<String, _>("channel")?)?,
        created_at: instant(r.try_get("created_at")?),
        delivery: r.try_get("delivery")?,
    })
}

/// `channel IN (...)` for `channels` (our own fixed words, never input); no channels match nothing.
fn channel_in(channels: &[MessageChannel]) -> String {
    if channels.is_empty() {
        return "1 = 0".into();
    }
    let words: Vec<String> = channels.iter().map(|c| format!("'{}'", c.as_str())).collect();
    format!("channel IN ({})", words.join(", "))
}

pub(super) fn instant(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

pub(super) async fn enqueue<'e>(
    e: impl AnyExecutor<'e>,
    m: &NewMessage,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO outbox (id, cause, channel, recipient, subject, body, attachment, ignore_opt_out, status, \
         attempts, next_attempt_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $9, $9) ON CONFLICT (cause) DO NOTHING",
    )
    // Time-ordered ids keep each customer's messages in the order they were recorded.
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(m.cause.as_str())
    .bind(m.channel.as_str())
    .bind(m.recipient.as_str())
    .bind(m.subject.clone())
    .bind(m.body.as_str())
    .bind(m.attachment.clone())
    .bind(i32::from(m.ignore_opt_out))
    .bind(now.timestamp())
    .execute(e)
    .await?;
    Ok(done.rows_affected() == 1)
}

impl StaffTx {
    /// Records a message in the same transaction as an appointment change; false if its cause
    /// already has one.
    pub(crate) async fn enqueue_message(&mut self, m: &NewMessage, now: DateTime<Utc>) -> Result<bool, StoreError> {
        enqueue(self.conn(), m, now).await
    }
}

impl Store {
    /// Claims up to `limit` due rows of `table` (those matching `due`, with `$3` = now, whose lease
    /// has expired) for `instance` until `lease_until`, oldest by `order` first; PostgreSQL skips
    /// rows another instance is claiming. Returns the `returning` columns.
    pub(super) async fn claim(
        &self,
        table: &str,
        key: &str,
        due: &str,
        order: &str,
        returning: &str,
        (instance, now, lease_until, limit): (&str, DateTime<Utc>, DateTime<Utc>, i64),
    ) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
        let lock = if self.backend == Backend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE {table} SET claimed_by = $1, claimed_until = $2 WHERE {key} IN (SELECT {key} FROM {table} \
             WHERE {due} AND claimed_until < $3 ORDER BY {order} LIMIT $4 {lock}) RETURNING {returning}"
        );
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(instance)
            .bind(lease_until.timestamp())
            .bind(now.timestamp())
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(rows)
    }
}

/// The outbox (see [`Store::outbox`]).
#[derive(Clone, Copy)]
pub struct Outbox<'a>(pub(super) &'a Store);

impl Outbox<'_> {
    /// Records a message; false if its cause already has one.
    pub(crate) async fn enqueue(&self, m: &NewMessage, now: DateTime<Utc>) -> Result<bool, StoreError> {
        enqueue(self.0.pool(), m, now).await
    }

    /// Claims up to `limit` messages due at `now` for `instance` until `lease_until`.
    pub(crate) async fn claim_due(
        &self,
        channels: &[MessageChannel],
        instance: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let due = format!("status = 'pending' AND next_attempt_at <= $3 AND {}", channel_in(channels));
        let rows = self
            .0
            .claim(
                "outbox",
                "id",
                &due,
                "next_attempt_at, id",
                "id, cause, channel, recipient, subject, body, attachment, ignore_opt_out, attempts",
                (instance, now, lease_until, limit),
            )
            .await?;
        let mut claimed = rows
            .iter()
            .map(|r| {
                Ok(OutboxMessage {
                    id: r.try_get("id")?,
                    attempts: r.try_get::<i32, _>("attempts")?.into(),
                    message: NewMessage {
                        cause: r.try_get("cause")?,
                        channel: parse_text("outbox", &r.try_get::<String, _>("channel")?)?,
                        recipient: r.try_get("recipient")?,
                        subject: r.try_get("subject")?,
                        body: r.try_get("body")?,
                        attachment: r.try_get("attachment")?,
                        ignore_opt_out: r.try_get::<i32, _>("ignore_opt_out")? != 0,
                    },
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // RETURNING does not keep the subquery's order.
        claimed.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(claimed)
    }

    /// Records how a send attempt ended.
    pub(crate) async fn record_send(
        &self,
        id: &str,
        outcome: &SendOutcome,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (status, next, provider, error) = match outcome {
            SendOutcome::Sent { provider_id } => (MessageStatus::Sent, now, provider_id.clone(), None),
            SendOutcome::Blocked => (MessageStatus::Blocked, now, None, Some("recipient opted out".to_string())),
            SendOutcome::Failed { error } => (MessageStatus::Failed, now, None, Some(error.clone())),
            SendOutcome::Retry { at, error } => (MessageStatus::Pending, *at, None, Some(error.clone())),
        };
        sqlx::query(
            "UPDATE outbox SET status = $1, attempts = attempts + 1, next_attempt_at = $2, provider_id = $3, last_error = $4, \
             claimed_by = NULL, claimed_until = 0, updated_at = $5 WHERE id = $6",
        )
        .bind(status.as_str())
        .bind(next.timestamp())
        .bind(provider)
        .bind(error)
        .bind(now.timestamp())
        .bind(id)
        .execute(self.0.pool())
        .await?;
        Ok(())
    }

    /// When the next pending message is due, if any.
    pub(crate) async fn next_due(&self, channels: &[MessageChannel]) -> Result<Option<DateTime<Utc>>, StoreError> {
        let sql = format!(
            "SELECT MIN(CASE WHEN claimed_until > next_attempt_at THEN claimed_until ELSE next_attempt_at END) AS due \
             FROM outbox WHERE status = 'pending' AND {}",
            channel_in(channels)
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_one(self.0.pool()).await?;
        Ok(row.try_get::<Option<i64>, _>("due")?.map(instant))
    }

    /// Messages to `recipient`, oldest first (tests and operators).
    pub async fn messages_to(&self, recipient: &str) -> Result<Vec<MessageRecord>, StoreError> {
        let sql = format!("SELECT {RECORD} FROM outbox WHERE recipient = $1 ORDER BY created_at, cause");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(recipient).fetch_all(self.0.pool()).await?;
        rows.iter().map(record).collect()
    }

    /// The latest messages first, at most `limit`.
    pub async fn recent(&self, limit: i64) -> Result<Vec<MessageRecord>, StoreError> {
        self.page(None, limit).await
    }

    /// Messages about one appointment (its confirmations and reminders), oldest first.
    pub async fn messages_about(&self, appointment: AppointmentId) -> Result<Vec<MessageRecord>, StoreError> {
        let sql =
            format!("SELECT {RECORD} FROM outbox WHERE cause LIKE $1 OR cause LIKE $2 ORDER BY created_at, cause");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(format!("appointment:{appointment}:%"))
            .bind(format!("reminder:{appointment}:%"))
            .fetch_all(self.0.pool())
            .await?;
        rows.iter().map(record).collect()
    }
}

/// Opt-outs (see [`Store::opt_outs`]).
#[derive(Clone, Copy)]
pub struct OptOuts<'a>(pub(super) &'a Store);

impl OptOuts<'_> {
    /// Records that `phone` does not want texts.
    pub async fn record(&self, phone: &PhoneNumber, source: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO opt_outs (phone, source, opted_out_at) VALUES ($1, $2, $3) \
             ON CONFLICT (phone) DO UPDATE SET source = excluded.source, opted_out_at = excluded.opted_out_at",
        )
        .bind(phone.as_str())
        .bind(source)
        .bind(now.timestamp())
        .execute(self.0.pool())
        .await?;
        Ok(())
    }

    /// Clears an opt-out (START/UNSTOP).
    pub(crate) async fn clear(&self, phone: &PhoneNumber) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM opt_outs WHERE phone = $1").bind(phone.as_str()).execute(self.0.pool()).await?;
        Ok(())
    }

    /// Every opted-out number with how (`STOP`, a carrier report…) and when, latest first.
    pub async fn all(&self) -> Result<Vec<(PhoneNumber, String, DateTime<Utc>)>, StoreError> {
        let rows = sqlx::query("SELECT phone, source, opted_out_at FROM opt_outs ORDER BY opted_out_at DESC")
            .fetch_all(self.0.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    PhoneNumber::from_stored(r.try_get("phone")?),
                    r.try_get("source")?,
                    instant(r.try_get("opted_out_at")?),
                ))
            })
            .collect()
    }

    /// Whether `phone` opted out.
    pub async fn is_opted_out(&self, phone: &PhoneNumber) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT phone FROM opt_outs WHERE phone = $1")
            .bind(phone.as_str())
            .fetch_optional(self.0.pool())
            .await?;
        Ok(row.is_some())
    }
}

//! The webhook inbox: insert-if-absent on the event id (dedupe across redeliveries, replays,
//! restarts and instances), ownership by lease, and completion marks.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::error::parse_text;
use super::{Store, StoreError};
use crate::domain::text_enum;

/// A verified event to record.
#[derive(Debug, Clone)]
pub struct NewInboxEvent<'a> {
    /// `data.id`.
    pub id: &'a str,
    /// `data.event_type`.
    pub event_type: &'a str,
    /// Ordering key (`call:…`, `number:…`).
    pub order_key: Option<&'a str>,
    /// The raw body (UTF-8 JSON).
    pub body: &'a str,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// Until when the recording instance owns it.
    pub lease_until: DateTime<Utc>,
}

/// An event waiting to be (re)processed.
#[derive(Debug, Clone)]
pub(crate) struct PendingEvent {
    /// `data.id`.
    pub id: String,
    /// The raw body.
    pub body: String,
    /// When it was first received.
    pub received_at: DateTime<Utc>,
}

/// How processing of an event ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Handled.
    Done,
    /// Deliberately not handled (e.g. a call event found too late to matter).
    Skipped,
    /// The handler failed.
    Failed,
}

text_enum!(Outcome { Done => "done", Skipped => "skipped", Failed => "failed" });

/// Where a recorded event stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStatus {
    /// Recorded, not yet finished (being handled, or waiting for recovery).
    Pending,
    /// Finished.
    Finished(Outcome),
}

impl EventStatus {
    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "pending" => Ok(EventStatus::Pending),
            finished => parse_text("webhook_events", finished).map(EventStatus::Finished),
        }
    }
}

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// The webhook inbox table (see [`Store::inbox`]).
#[derive(Clone, Copy)]
pub struct InboxEvents<'a>(pub(super) &'a Store);

impl InboxEvents<'_> {
    /// Records a batch of events in one transaction, owned by `instance` until `lease_until`.
    /// Returns, for each event, whether it was new (false = seen before: a duplicate).
    pub async fn insert(&self, events: &[NewInboxEvent<'_>], instance: &str) -> Result<Vec<bool>, StoreError> {
        let mut tx = self.0.begin_write().await?;
        let mut fresh = Vec::with_capacity(events.len());
        for e in events {
            let done = sqlx::query(
                "INSERT INTO webhook_events (id, event_type, order_key, body, received_at, status, claimed_by, claimed_until) \
                 VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7) ON CONFLICT (id) DO NOTHING",
            )
            .bind(e.id)
            .bind(e.event_type)
            .bind(e.order_key)
            .bind(e.body)
            .bind(micros(e.received_at))
            .bind(instance)
            .bind(micros(e.lease_until))
            .execute(&mut *tx)
            .await?;
            fresh.push(done.rows_affected() == 1);
        }
        tx.commit().await?;
        Ok(fresh)
    }

    /// Marks events processed.
    pub async fn finish(&self, ids: &[(String, Outcome)], now: DateTime<Utc>) -> Result<(), StoreError> {
        let mut tx = self.0.begin_write().await?;
        for (id, outcome) in ids {
            sqlx::query("UPDATE webhook_events SET status = $1, processed_at = $2 WHERE id = $3")
                .bind(outcome.as_str())
                .bind(micros(now))
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Claims up to `limit` pending events whose owner's lease has expired (a crashed or stopped
    /// instance), oldest first. Each row is claimed with a conditional update, so two instances
    /// never claim the same event.
    pub(crate) async fn claim_orphaned(
        &self,
        instance: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<PendingEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, body, received_at, claimed_until FROM webhook_events \
             WHERE status = 'pending' AND claimed_until < $1 ORDER BY received_at LIMIT $2",
        )
        .bind(micros(now))
        .bind(limit)
        .fetch_all(self.0.pool())
        .await?;
        let mut claimed = Vec::new();
        for row in rows {
            let id: String = row.try_get("id")?;
            let previous: i64 = row.try_get("claimed_until")?;
            let won = sqlx::query(
                "UPDATE webhook_events SET claimed_by = $1, claimed_until = $2 \
                 WHERE id = $3 AND status = 'pending' AND claimed_until = $4",
            )
            .bind(instance)
            .bind(micros(lease_until))
            .bind(id.as_str())
            .bind(previous)
            .execute(self.0.pool())
            .await?
            .rows_affected()
                == 1;
            if won {
                let received: i64 = row.try_get("received_at")?;
                claimed.push(PendingEvent {
                    id,
                    body: row.try_get("body")?,
                    received_at: DateTime::from_timestamp_micros(received).unwrap_or(now),
                });
            }
        }
        Ok(claimed)
    }

    /// Forgets finished events received before `before` (Telnyx stops redelivering long before).
    /// Returns how many were removed.
    pub async fn purge(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM webhook_events WHERE received_at < $1 AND status <> 'pending'")
            .bind(micros(before))
            .execute(self.0.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// Where one event stands, for tests and operators.
    pub async fn status(&self, id: &str) -> Result<Option<EventStatus>, StoreError> {
        let row = sqlx::query("SELECT status FROM webhook_events WHERE id = $1")
            .bind(id)
            .fetch_optional(self.0.pool())
            .await?;
        row.map(|r| EventStatus::parse(&r.try_get::<String, _>("status")?)).transpose()
    }
}

//! Keyset pages of the outbox, what carriers report about sent texts (`outbox.delivery`), and the texts customers sent us
//! (`inbound_texts`), for the console's texts page (see `migrations/0010_deliveries_and_inbound.sql`).

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::StoreError;
use super::messaging::{MessageRecord, OptOuts, Outbox, RECORD, instant, record};
use crate::domain::PhoneNumber;

/// How long texts customers sent are kept for the console.
pub const INBOUND_RETENTION: chrono::Duration = chrono::Duration::days(90);

impl Outbox<'_> {
    /// Deletes inbound texts received before `before`; how many.
    pub async fn purge_inbound(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM inbound_texts WHERE received_at < $1")
            .bind(before.timestamp())
            .execute(self.0.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// As [`Self::recent`], only those after `before` (recorded, cause) in that order: keyset
    /// pagination (latest first).
    pub async fn page(
        &self,
        before: Option<(DateTime<Utc>, &str)>,
        limit: i64,
    ) -> Result<Vec<MessageRecord>, StoreError> {
        let sql = format!(
            "SELECT {RECORD} FROM outbox WHERE $1 = 0 OR (created_at, cause) < ($2, $3) \
             ORDER BY created_at DESC, cause DESC LIMIT $4"
        );
        let (paged, at, cause) = before.map_or((0, 0, ""), |(at, cause)| (1, at.timestamp(), cause));
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(paged)
            .bind(at)
            .bind(cause)
            .bind(limit)
            .fetch_all(self.0.pool())
            .await?;
        rows.iter().map(record).collect()
    }

    /// Records the carrier's final word on the message Telnyx calls `provider_id`: delivered, or
    /// failed. False when no sent message has that id.
    pub(crate) async fn record_delivery(&self, provider_id: &str, delivered: bool) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE outbox SET delivery = $1 WHERE provider_id = $2 AND status = 'sent'")
            .bind(if delivered { "delivered" } else { "failed" })
            .bind(provider_id)
            .execute(self.0.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Records a text a customer sent (once per event).
    pub(crate) async fn record_inbound(
        &self,
        event_id: &str,
        sender: &PhoneNumber,
        body: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO inbound_texts (event_id, sender, body, received_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(event_id)
        .bind(sender.as_str())
        .bind(body)
        .bind(at.timestamp())
        .execute(self.0.pool())
        .await?;
        Ok(())
    }

    /// The latest texts customers sent: when, from, what.
    pub async fn inbound(&self, limit: i64) -> Result<Vec<(DateTime<Utc>, PhoneNumber, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT received_at, sender, body FROM inbound_texts ORDER BY received_at DESC, event_id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.0.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    instant(r.try_get("received_at")?),
                    PhoneNumber::from_stored(r.try_get("sender")?),
                    r.try_get("body")?,
                ))
            })
            .collect()
    }
}

impl OptOuts<'_> {
    /// The opted-out numbers from `first` to `last` (inclusive, as E.164 text): one read for a
    /// page of customers sorted by number.
    pub async fn between(&self, first: &str, last: &str) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT phone FROM opt_outs WHERE phone >= $1 AND phone <= $2")
            .bind(first)
            .bind(last)
            .fetch_all(self.0.pool())
            .await?;
        rows.iter().map(|r| Ok(r.try_get("phone")?)).collect()
    }
}

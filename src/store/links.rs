//! Customer links (SPEC §15): the digest of each link token a confirmation carried, recorded in the
//! change's own transaction, and the appointment it opens. Tokens themselves are never stored.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{StaffTx, Store, StoreError};
use crate::domain::AppointmentId;

/// Customer link digests.
pub struct CustomerLinkRows<'a>(pub(super) &'a Store);

impl StaffTx {
    /// Records that the link whose token has `digest` opens appointment `id` (again: no change).
    pub(crate) async fn record_link(
        &mut self,
        digest: &str,
        id: AppointmentId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO customer_links (token_digest, appointment_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (token_digest) DO NOTHING",
        )
        .bind(digest)
        .bind(id.to_string())
        .bind(now.timestamp())
        .execute(self.conn())
        .await?;
        Ok(())
    }
}

impl CustomerLinkRows<'_> {
    /// The appointment the link with token digest `digest` opens, if one was ever sent.
    pub async fn appointment(&self, digest: &str) -> Result<Option<AppointmentId>, StoreError> {
        let row = sqlx::query("SELECT appointment_id FROM customer_links WHERE token_digest = $1")
            .bind(digest)
            .fetch_optional(&self.0.pool)
            .await?;
        match row {
            Some(r) => {
                let id: String = r.try_get("appointment_id")?;
                let id =
                    id.parse().map_err(|e| StoreError::Corrupt { table: "customer_links", problem: format!("{e}") })?;
                Ok(Some(id))
            }
            None => Ok(None),
        }
    }
}

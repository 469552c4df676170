//! What the console's stats page counts (SPEC §15, the roadmap's monitoring list), read in one
//! pass per table over a window: appointments booked or changed since then, and calls started
//! since then with whether they booked. The page buckets them by the business's days.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::error::parse_text;
use super::messaging::instant;
use super::{Store, StoreError};
use crate::domain::Status;

/// An appointment as the stats see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingFact {
    /// When it was booked.
    pub created_at: DateTime<Utc>,
    /// When it last changed (for a cancelled one: when it was cancelled).
    pub updated_at: DateTime<Utc>,
    /// Confirmed or cancelled.
    pub status: Status,
}

/// A phone call as the stats see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFact {
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// How it ended (`transferred`, a hang-up cause), `None` while it goes on.
    pub outcome: Option<String>,
    /// Whether it booked at least one appointment.
    pub booked: bool,
}

/// The stats' reads (see [`Store::stats`]).
pub struct StatsRows<'a>(pub(super) &'a Store);

impl StatsRows<'_> {
    /// Appointments booked or changed at or after `since`.
    pub async fn bookings_since(&self, since: DateTime<Utc>) -> Result<Vec<BookingFact>, StoreError> {
        let rows = sqlx::query(
            "SELECT created_at, updated_at, status FROM appointments WHERE created_at >= $1 OR updated_at >= $1",
        )
        .bind(since.timestamp())
        .fetch_all(self.0.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(BookingFact {
                    created_at: instant(r.try_get("created_at")?),
                    updated_at: instant(r.try_get("updated_at")?),
                    status: parse_text("appointments", &r.try_get::<String, _>("status")?)?,
                })
            })
            .collect()
    }

    /// Phone calls started at or after `since`.
    pub async fn calls_since(&self, since: DateTime<Utc>) -> Result<Vec<CallFact>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.started_at, c.outcome, CAST(CASE WHEN EXISTS (SELECT 1 FROM appointments a \
             WHERE a.conversation_id = c.id) THEN 1 ELSE 0 END AS BIGINT) AS booked \
             FROM conversations c WHERE c.channel = 'voice' AND c.started_at >= $1",
        )
        .bind(since.timestamp())
        .fetch_all(self.0.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CallFact {
                    started_at: instant(r.try_get("started_at")?),
                    outcome: r.try_get("outcome")?,
                    booked: r.try_get::<i64, _>("booked")? == 1,
                })
            })
            .collect()
    }
}

//! What the console's stats page counts (SPEC §15, the roadmap's monitoring list): bookings,
//! cancellations and calls (with whether they booked or were transferred) per quarter-hour since
//! a given instant, summed by the database; the page adds the quarter-hours up into the
//! business's days. And the confirmed appointments of the days ahead, for free time.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::messaging::instant;
use super::{Store, StoreError};

/// What happened in one quarter-hour (every time zone's day starts on a quarter-hour, so the
/// page can sum these into the business's days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bucket {
    /// The quarter-hour's start.
    pub at: DateTime<Utc>,
    /// Appointments booked.
    pub booked: u32,
    /// Of those, how many are now cancelled.
    pub booked_then_cancelled: u32,
    /// Appointments cancelled (by when they were cancelled).
    pub cancelled: u32,
    /// Phone calls started.
    pub calls: u32,
    /// Of those, how many booked at least one appointment.
    pub calls_booked: u32,
    /// Of those, how many were transferred.
    pub transferred: u32,
}

/// The stats' reads (see [`Store::stats`]).
pub struct StatsRows<'a>(pub(super) &'a Store);

impl StatsRows<'_> {
    /// Quarter-hour counts since `since`, oldest first: the database sums, only the sums travel.
    pub async fn buckets_since(&self, since: DateTime<Utc>) -> Result<Vec<Bucket>, StoreError> {
        let mut buckets = std::collections::BTreeMap::<i64, Bucket>::new();
        let mut add = |q: i64, f: &dyn Fn(&mut Bucket)| {
            f(buckets.entry(q).or_insert_with(|| Bucket { at: instant(q * 900), ..Bucket::default() }))
        };
        let pool = self.0.pool();
        let count = |r: &sqlx::any::AnyRow, column: &str| -> Result<u32, StoreError> {
            Ok(r.try_get::<Option<i64>, _>(column)?.unwrap_or(0).max(0) as u32)
        };
        let booked = sqlx::query(
            "SELECT created_at / 900 AS q, COUNT(*) AS n, SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) AS gone \
             FROM appointments WHERE created_at >= $1 GROUP BY created_at / 900",
        )
        .bind(since.timestamp())
        .fetch_all(pool)
        .await?;
        for r in &booked {
            let (n, gone) = (count(r, "n")?, count(r, "gone")?);
            add(r.try_get("q")?, &|b| {
                b.booked += n;
                b.booked_then_cancelled += gone;
            });
        }
        let cancelled = sqlx::query(
            "SELECT updated_at / 900 AS q, COUNT(*) AS n FROM appointments \
             WHERE status = 'cancelled' AND updated_at >= $1 GROUP BY updated_at / 900",
        )
        .bind(since.timestamp())
        .fetch_all(pool)
        .await?;
        for r in &cancelled {
            let n = count(r, "n")?;
            add(r.try_get("q")?, &|b| b.cancelled += n);
        }
        // `IN (subquery)` is evaluated once (SQLite builds a temporary index; PostgreSQL a hash).
        let calls = sqlx::query(
            "SELECT started_at / 900 AS q, COUNT(*) AS n, \
             SUM(CASE WHEN id IN (SELECT conversation_id FROM appointments WHERE conversation_id IS NOT NULL) \
             THEN 1 ELSE 0 END) AS booked, SUM(CASE WHEN outcome = 'transferred' THEN 1 ELSE 0 END) AS transferred \
             FROM conversations WHERE channel = 'voice' AND started_at >= $1 GROUP BY started_at / 900",
        )
        .bind(since.timestamp())
        .fetch_all(pool)
        .await?;
        for r in &calls {
            let (n, booked, transferred) = (count(r, "n")?, count(r, "booked")?, count(r, "transferred")?);
            add(r.try_get("q")?, &|b| {
                b.calls += n;
                b.calls_booked += booked;
                b.transferred += transferred;
            });
        }
        Ok(buckets.into_values().collect())
    }

    /// Confirmed appointments overlapping `[from, to)`: staff, start, end (no more: the free-time
    /// chart needs only these).
    pub async fn busy_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(String, DateTime<Utc>, DateTime<Utc>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT staff_id, start_at, end_at FROM appointments \
             WHERE status = 'confirmed' AND start_at < $2 AND end_at > $1",
        )
        .bind(from.timestamp())
        .bind(to.timestamp())
        .fetch_all(self.0.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("staff_id")?, instant(r.try_get("start_at")?), instant(r.try_get("end_at")?))))
            .collect()
    }
}

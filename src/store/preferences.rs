//! What customers asked of us about reminders (issue #17): "text me instead", "don't call me".
//! Keyed by phone number; honoured when a reminder falls due and again just before dialing.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, StoreError};
use crate::domain::PhoneNumber;

/// Reminders go to this customer by text, never by call.
const BY_TEXT: &str = "text";

/// A customer's recorded reminder preference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextsOnly {
    /// Where they asked (`reminder call`, `text`, `console`).
    pub said_via: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Customer preferences (see [`Store::preferences`]).
#[derive(Clone, Copy)]
pub struct Preferences<'a>(pub(super) &'a Store);

impl Preferences<'_> {
    /// Records that `phone` wants reminders by text only.
    pub async fn texts_only(&self, phone: &PhoneNumber, said_via: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO customer_preferences (phone, reminders_by, said_via, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (phone) DO UPDATE SET reminders_by = excluded.reminders_by, said_via = excluded.said_via, \
             updated_at = excluded.updated_at",
        )
        .bind(phone.as_str())
        .bind(BY_TEXT)
        .bind(said_via)
        .bind(now.timestamp())
        .execute(self.0.pool())
        .await?;
        Ok(())
    }

    /// Whether (and since when) `phone` wants reminders by text only.
    pub async fn of(&self, phone: &PhoneNumber) -> Result<Option<TextsOnly>, StoreError> {
        let row =
            sqlx::query("SELECT said_via, updated_at FROM customer_preferences WHERE phone = $1 AND reminders_by = $2")
                .bind(phone.as_str())
                .bind(BY_TEXT)
                .fetch_optional(self.0.pool())
                .await?;
        row.map(|r| {
            let at = r.try_get::<i64, _>("updated_at")?;
            Ok(TextsOnly {
                said_via: r.try_get("said_via")?,
                at: DateTime::from_timestamp(at, 0).ok_or_else(|| StoreError::Corrupt {
                    table: "customer_preferences",
                    problem: format!("timestamp {at} out of range"),
                })?,
            })
        })
        .transpose()
    }

    /// Forgets `phone`'s preference (calls allowed again).
    pub async fn clear(&self, phone: &PhoneNumber) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM customer_preferences WHERE phone = $1")
            .bind(phone.as_str())
            .execute(self.0.pool())
            .await?;
        Ok(())
    }
}

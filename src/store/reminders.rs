//! Reminder rows (SPEC §8): created, moved and cancelled in the appointment's own transaction,
//! claimed with a lease when due, and completed together with their message so each is sent once.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::error::parse_text;
use super::messaging::{enqueue, instant};
use super::{NewMessage, StaffTx, Store, StoreError};
use crate::domain::{AppointmentId, text_enum};

/// Where a reminder stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderStatus {
    /// Waiting for its time.
    Scheduled,
    /// Its message was recorded.
    Sent,
    /// Not sent: booked inside the reminder window, found too late, or the number opted out.
    Skipped,
    /// Its appointment was cancelled.
    Cancelled,
}

text_enum!(ReminderStatus { Scheduled => "scheduled", Sent => "sent", Skipped => "skipped", Cancelled => "cancelled" });

/// What a claimed reminder turns into.
#[derive(Debug, Clone, Copy)]
pub enum Then<'a> {
    /// This text (the reminder is `sent`).
    Text(&'a NewMessage),
    /// A call's first attempt, dialed at this instant (the reminder is `sent`: its call carries on).
    Call {
        /// When it may ring.
        dial_at: DateTime<Utc>,
    },
    /// Nothing (the reminder is `skipped`).
    Nothing,
}

/// A reminder claimed for sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueReminder {
    /// Its appointment.
    pub appointment_id: AppointmentId,
    /// When it was due.
    pub due_at: DateTime<Utc>,
    /// Its call did not reach the customer: a text, whatever the channel.
    pub text_only: bool,
}

impl StaffTx {
    /// Creates or moves an appointment's reminder; `None` means no reminder (booked inside the
    /// reminder window).
    pub(crate) async fn schedule_reminder(
        &mut self,
        id: AppointmentId,
        due_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (due, status) = match due_at {
            Some(due) => (due.timestamp(), "scheduled"),
            None => (now.timestamp(), "skipped"),
        };
        sqlx::query(
            "INSERT INTO reminders (appointment_id, due_at, status, claimed_until, updated_at) VALUES ($1, $2, $3, 0, $4) \
             ON CONFLICT (appointment_id) DO UPDATE SET due_at = excluded.due_at, status = excluded.status, \
             claimed_by = NULL, claimed_until = 0, text_only = 0, updated_at = excluded.updated_at",
        )
        .bind(id.to_string())
        .bind(due)
        .bind(status)
        .bind(now.timestamp())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Cancels an appointment's reminder.
    pub(crate) async fn cancel_reminder(&mut self, id: AppointmentId, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("UPDATE reminders SET status = 'cancelled', updated_at = $1 WHERE appointment_id = $2 AND status = 'scheduled'")
            .bind(now.timestamp())
            .bind(id.to_string())
            .execute(self.conn())
            .await?;
        Ok(())
    }
}

/// Reminder rows (see [`Store::reminders`]).
#[derive(Clone, Copy)]
pub struct Reminders<'a>(pub(super) &'a Store);

impl Reminders<'_> {
    /// Claims up to `limit` reminders due at `now`.
    pub async fn claim_due(
        &self,
        instance: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<DueReminder>, StoreError> {
        let rows = self
            .0
            .claim(
                "reminders",
                "appointment_id",
                "status = 'scheduled' AND due_at <= $3",
                "due_at",
                "appointment_id, due_at, text_only",
                (instance, now, lease_until, limit),
            )
            .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("appointment_id")?;
                Ok(DueReminder {
                    appointment_id: id
                        .parse()
                        .map_err(|e| StoreError::Corrupt { table: "reminders", problem: format!("{e}") })?,
                    due_at: instant(r.try_get("due_at")?),
                    text_only: r.try_get::<i32, _>("text_only")? != 0,
                })
            })
            .collect()
    }

    /// Finishes a claimed reminder: records its message or its first call (if any) and its final
    /// status in one transaction, only while this instance still holds the claim.
    pub async fn complete(
        &self,
        instance: &str,
        reminder: &DueReminder,
        then: Then<'_>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.0.begin_write().await?;
        let status = if matches!(then, Then::Nothing) { "skipped" } else { "sent" };
        let won = sqlx::query(
            "UPDATE reminders SET status = $1, updated_at = $2 WHERE appointment_id = $3 AND status = 'scheduled' \
             AND claimed_by = $4 AND due_at = $5",
        )
        .bind(status)
        .bind(now.timestamp())
        .bind(reminder.appointment_id.to_string())
        .bind(instance)
        .bind(reminder.due_at.timestamp())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        match then {
            Then::Text(m) if won => {
                enqueue(&mut *tx, m, now).await?;
            }
            Then::Call { dial_at } if won => {
                super::reminder_calls::queue(&mut *tx, reminder.appointment_id, reminder.due_at, 1, dial_at, now)
                    .await?;
            }
            _ => {}
        }
        tx.commit().await?;
        Ok(won)
    }

    /// Texts the reminder due at `due` instead (its call did not reach the customer): due again
    /// `now`, for a text only; once per reminder, and not if the appointment was moved since.
    pub async fn text_instead(
        &self,
        id: AppointmentId,
        due: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE reminders SET status = 'scheduled', due_at = $1, text_only = 1, claimed_by = NULL, \
             claimed_until = 0, updated_at = $1 WHERE appointment_id = $2 AND due_at = $3 AND status = 'sent' \
             AND text_only = 0",
        )
        .bind(now.timestamp())
        .bind(id.to_string())
        .bind(due.timestamp())
        .execute(self.0.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// When the next scheduled reminder is due, if any.
    pub(crate) async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let row = sqlx::query(
            "SELECT MIN(CASE WHEN claimed_until > due_at THEN claimed_until ELSE due_at END) AS due \
             FROM reminders WHERE status = 'scheduled'",
        )
        .fetch_one(self.0.pool())
        .await?;
        Ok(row.try_get::<Option<i64>, _>("due")?.map(instant))
    }

    /// A reminder's status and due time (tests and operators).
    pub async fn status(&self, id: AppointmentId) -> Result<Option<(ReminderStatus, DateTime<Utc>)>, StoreError> {
        let row = sqlx::query("SELECT status, due_at FROM reminders WHERE appointment_id = $1")
            .bind(id.to_string())
            .fetch_optional(self.0.pool())
            .await?;
        row.map(|r| Ok((parse_text("reminders", &r.try_get::<String, _>("status")?)?, instant(r.try_get("due_at")?))))
            .transpose()
    }
}

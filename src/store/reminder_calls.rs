//! Reminder calls (issue #17): one row per dial attempt, inserted with the reminder's own
//! completion (or by the call flow for a retry) under a unique `(appointment, reminder, attempt)`
//! key, claimed with a lease to be dialed, and bound to the call's Telnyx handle once dialed, so
//! the call's webhooks find it. One attempt is one call across replays, restarts and instances.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::error::parse_text;
use super::messaging::instant;
use super::{Store, StoreError};
use crate::domain::{AppointmentId, text_enum};

/// Where one attempt stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStatus {
    /// Waiting for its dial time.
    Queued,
    /// Telnyx accepted the dial; waiting for the call's webhooks.
    Dialed,
    /// A person answered.
    Human,
    /// A machine answered: the voicemail is left after the beep.
    Machine,
    /// The customer confirmed (keypad 1 or "yes").
    Confirmed,
    /// The customer cancelled within the policy.
    Cancelled,
    /// Ended with a goodbye: no key pressed (the details go by text), too late to cancel, or
    /// asked to talk with no one to put them through to.
    Handled,
    /// Put through to `transfer_number`.
    Transferred,
    /// Handed to the receptionist (the person asked for more than the keys offer, e.g. a move):
    /// the call's events go to voice from here on.
    Receptionist,
    /// A voicemail was left.
    Voicemail,
    /// No answer, busy, rejected, hung up before detection, or a machine that hung up before
    /// the message.
    NoAnswer,
    /// Telnyx refused the dial, or the call failed.
    Failed,
    /// Not dialed: the appointment was cancelled or moved, the number opted out of calls, or the
    /// call window had closed.
    Skipped,
}

text_enum!(CallStatus {
    Queued => "queued",
    Dialed => "dialed",
    Human => "human",
    Machine => "machine",
    Confirmed => "confirmed",
    Cancelled => "cancelled",
    Handled => "handled",
    Transferred => "transferred",
    Receptionist => "receptionist",
    Voicemail => "voicemail",
    NoAnswer => "no_answer",
    Failed => "failed",
    Skipped => "skipped",
});

/// One attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderCall {
    /// Its id (the dial's `command_id` and the `client_state` are made from it).
    pub id: String,
    /// The appointment reminded of.
    pub appointment_id: AppointmentId,
    /// Which reminder (its due time).
    pub reminder_due_at: DateTime<Utc>,
    /// 1 for the first call.
    pub attempt: u32,
    /// When it may be dialed.
    pub dial_at: DateTime<Utc>,
    /// Where it stands.
    pub status: CallStatus,
    /// The call's Telnyx handle, once dialed.
    pub call_control_id: Option<String>,
}

const COLUMNS: &str = "id, appointment_id, reminder_due_at, attempt, dial_at, status, call_control_id";

fn read(r: &sqlx::any::AnyRow) -> Result<ReminderCall, StoreError> {
    let appointment: String = r.try_get("appointment_id")?;
    Ok(ReminderCall {
        id: r.try_get("id")?,
        appointment_id: appointment
            .parse()
            .map_err(|e| StoreError::Corrupt { table: "reminder_calls", problem: format!("{e}") })?,
        reminder_due_at: instant(r.try_get("reminder_due_at")?),
        attempt: u32::try_from(r.try_get::<i32, _>("attempt")?).unwrap_or_default(),
        dial_at: instant(r.try_get("dial_at")?),
        status: parse_text("reminder_calls", &r.try_get::<String, _>("status")?)?,
        call_control_id: r.try_get("call_control_id")?,
    })
}

/// Inserts attempt `attempt` of the reminder due at `due` (nothing if it exists); true if new.
pub(super) async fn queue<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    e: E,
    appointment: AppointmentId,
    due: DateTime<Utc>,
    attempt: u32,
    dial_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO reminder_calls (id, appointment_id, reminder_due_at, attempt, dial_at, status, claimed_until, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, $6) \
         ON CONFLICT (appointment_id, reminder_due_at, attempt) DO NOTHING",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(appointment.to_string())
    .bind(due.timestamp())
    .bind(i32::try_from(attempt).unwrap_or(i32::MAX))
    .bind(dial_at.timestamp())
    .bind(now.timestamp())
    .execute(e)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Reminder calls (see [`Store::reminder_calls`]).
#[derive(Clone, Copy)]
pub struct ReminderCalls<'a>(pub(super) &'a Store);

impl ReminderCalls<'_> {
    /// Queues a retry (attempt `attempt`) of the reminder due at `due`; false if it exists.
    pub async fn queue(
        &self,
        appointment: AppointmentId,
        due: DateTime<Utc>,
        attempt: u32,
        dial_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        queue(self.0.pool(), appointment, due, attempt, dial_at, now).await
    }

    /// Claims up to `limit` attempts due at `now` for `instance` until `lease_until`.
    pub async fn claim_due(
        &self,
        instance: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ReminderCall>, StoreError> {
        let rows = self
            .0
            .claim(
                "reminder_calls",
                "id",
                "status = 'queued' AND dial_at <= $3",
                "dial_at, id",
                COLUMNS,
                (instance, now, lease_until, limit),
            )
            .await?;
        let mut claimed = rows.iter().map(read).collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by(|a, b| (a.dial_at, &a.id).cmp(&(b.dial_at, &b.id)));
        Ok(claimed)
    }

    /// Records that Telnyx accepted the dial of claimed attempt `id` as call `call_control_id`
    /// (its first webhooks may already have moved it on); false if this instance no longer holds
    /// the claim.
    pub async fn dialed(
        &self,
        id: &str,
        instance: &str,
        call_control_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE reminder_calls SET call_control_id = $1, updated_at = $2, \
             status = CASE WHEN status = 'queued' THEN 'dialed' ELSE status END \
             WHERE id = $3 AND claimed_by = $4 AND call_control_id IS NULL",
        )
        .bind(call_control_id)
        .bind(now.timestamp())
        .bind(id)
        .bind(instance)
        .execute(self.0.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Puts claimed attempt `id` back in the queue to ring at `at` (the call window was closed).
    pub async fn requeue(
        &self,
        id: &str,
        instance: &str,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE reminder_calls SET dial_at = $1, claimed_by = NULL, claimed_until = 0, updated_at = $2 \
             WHERE id = $3 AND status = 'queued' AND claimed_by = $4",
        )
        .bind(at.timestamp())
        .bind(now.timestamp())
        .bind(id)
        .bind(instance)
        .execute(self.0.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Moves attempt `id` from `from` to `to` (with a short `detail` for operators); false if it
    /// was not in `from` (another event got there first).
    pub async fn advance(
        &self,
        id: &str,
        from: &[CallStatus],
        to: CallStatus,
        detail: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let allowed: Vec<String> = from.iter().map(|s| format!("'{}'", s.as_str())).collect();
        let sql = format!(
            "UPDATE reminder_calls SET status = $1, detail = COALESCE($2, detail), updated_at = $3 \
             WHERE id = $4 AND status IN ({})",
            allowed.join(", ")
        );
        // The IN list holds only our own status words.
        let done = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(to.as_str())
            .bind(detail)
            .bind(now.timestamp())
            .bind(id)
            .execute(self.0.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Counts one more time a person on attempt `id` was asked to press a key, because of webhook
    /// `event`; returns the new count, or `None` when the attempt is not waiting for a key or
    /// `event` was already counted (a redelivery).
    pub async fn asked(&self, id: &str, event: &str, now: DateTime<Utc>) -> Result<Option<u32>, StoreError> {
        let row = sqlx::query(
            "UPDATE reminder_calls SET prompts = prompts + 1, last_event = $1, updated_at = $2 WHERE id = $3 \
             AND status = 'human' AND (last_event IS NULL OR last_event <> $1) RETURNING prompts",
        )
        .bind(event)
        .bind(now.timestamp())
        .bind(id)
        .fetch_optional(self.0.pool())
        .await?;
        Ok(row.map(|r| r.try_get::<i32, _>("prompts")).transpose()?.map(|n| u32::try_from(n).unwrap_or(0)))
    }

    /// Attempt `id`.
    pub async fn get(&self, id: &str) -> Result<Option<ReminderCall>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM reminder_calls WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(self.0.pool()).await?;
        row.as_ref().map(read).transpose()
    }

    /// The attempt dialed as `call_control_id`.
    pub async fn by_call(&self, call_control_id: &str) -> Result<Option<ReminderCall>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM reminder_calls WHERE call_control_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(call_control_id).fetch_optional(self.0.pool()).await?;
        row.as_ref().map(read).transpose()
    }

    /// Every attempt for `appointment`, oldest first.
    pub async fn of_appointment(&self, appointment: AppointmentId) -> Result<Vec<ReminderCall>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM reminder_calls WHERE appointment_id = $1 ORDER BY reminder_due_at, attempt");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(appointment.to_string()).fetch_all(self.0.pool()).await?;
        rows.iter().map(read).collect()
    }

    /// When the next queued attempt may be dialed (or its lease runs out), if any.
    pub(crate) async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let row = sqlx::query(
            "SELECT MIN(CASE WHEN claimed_until > dial_at THEN claimed_until ELSE dial_at END) AS due \
             FROM reminder_calls WHERE status = 'queued'",
        )
        .fetch_one(self.0.pool())
        .await?;
        Ok(row.try_get::<Option<i64>, _>("due")?.map(instant))
    }
}

//! The appointment writes (SPEC §5): insert, move, status and the calendar event id. They are
//! methods visible only inside `booking`, so nothing else in the crate can change an appointment;
//! every change runs inside a [`StaffTx`] holding the staff members' commit lock.

use chrono::{DateTime, Utc};

use crate::domain::{Appointment, AppointmentId, Status};
use crate::store::{StaffTx, Store, StoreError};

impl StaffTx {
    /// Inserts a new appointment.
    pub(super) async fn insert_appointment(&mut self, a: &Appointment) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO appointments (id, service_id, staff_id, start_at, end_at, buffer_minutes, customer_name, \
             customer_phone, notes, status, booked_via, external_event_id, idempotency_key, created_at, updated_at, \
             customer_email, sequence, conversation_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        )
        .bind(a.id.to_string())
        .bind(a.service_id.to_string())
        .bind(a.staff_id.to_string())
        .bind(a.start.timestamp())
        .bind(a.end.timestamp())
        .bind(a.buffer_minutes)
        .bind(a.customer_name.clone())
        .bind(a.customer_phone.to_string())
        .bind(a.notes.clone())
        .bind(a.status.as_str())
        .bind(a.booked_via.as_str())
        .bind(a.external_event_id.clone())
        .bind(a.idempotency_key.clone())
        .bind(a.created_at.timestamp())
        .bind(a.updated_at.timestamp())
        .bind(a.customer_email.clone())
        .bind(a.sequence)
        .bind(a.conversation.clone())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Moves an appointment to a new time.
    pub(super) async fn move_appointment(
        &mut self,
        id: AppointmentId,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE appointments SET start_at = $1, end_at = $2, updated_at = $3, sequence = sequence + 1, customer_confirmed_at = NULL WHERE id = $4")
            .bind(start.timestamp())
            .bind(end.timestamp())
            .bind(now.timestamp())
            .bind(id.to_string())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Sets an appointment's status (a change: the sequence grows).
    pub(super) async fn set_appointment_status(
        &mut self,
        id: AppointmentId,
        status: Status,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE appointments SET status = $1, updated_at = $2, sequence = sequence + 1 WHERE id = $3")
            .bind(status.as_str())
            .bind(now.timestamp())
            .bind(id.to_string())
            .execute(self.conn())
            .await?;
        Ok(())
    }
}

impl Store {
    /// Marks a confirmed appointment as confirmed by the customer; false when it is not (any
    /// longer) confirmed. Not a change of the appointment: the sequence stays.
    pub(super) async fn mark_customer_confirmed(
        &self,
        id: AppointmentId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE appointments SET customer_confirmed_at = $1, updated_at = $1 WHERE id = $2 AND status = $3",
        )
        .bind(now.timestamp())
        .bind(id.to_string())
        .bind(Status::Confirmed.as_str())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records the calendar backend's event id.
    pub(super) async fn set_external_event_id(&self, id: AppointmentId, event_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE appointments SET external_event_id = $1 WHERE id = $2")
            .bind(event_id)
            .bind(id.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

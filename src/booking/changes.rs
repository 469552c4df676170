//! Cancelling and rescheduling (SPEC §4.8). The calendar is changed *before* our record, so a
//! calendar that cannot be reached leaves nothing changed (a clear error, try again), and the
//! per-staff commit lock is never held across a network call. Every rule is checked before the
//! calendar call and again under the lock; if the second check refuses a move, the event is put
//! back. Staff edits in the calendar are followed first ([`BookingService::reconcile`]).

use chrono::{DateTime, Utc};

use super::notify::Change;
use super::search::combined_busy;
use super::{BookingError, BookingService, Tell, actor_label, messages};
use crate::domain::rules::{check_cancellable, check_hours, check_timing, is_free};
use crate::domain::time::local_date;
use crate::domain::{Actor, Appointment, AppointmentId, Interval, Refusal, Status};

fn already_cancelled(what: &str) -> BookingError {
    BookingError::refused(Refusal::AlreadyCancelled, what.to_string())
}

impl BookingService {
    /// Cancels an appointment (customers within the cancellation policy, staff always).
    pub async fn cancel(&self, id: AppointmentId, actor: &Actor, tell: Tell) -> Result<Appointment, BookingError> {
        let current = self.reconcile(self.visible(id, actor).await?).await?;
        let staff = self.staff_of(&current)?;
        if current.status == Status::Cancelled {
            return Err(already_cancelled("that appointment is already cancelled"));
        }
        let too_late = |r| BookingError::refused(r, messages::too_late(&self.business));
        check_cancellable(&self.business, current.start, self.clock.now(), actor).map_err(too_late)?;
        self.calendar.cancel_event(staff, &current).await?;

        let now = self.clock.now();
        let mut tx = self.store.begin_for_staff(&[&staff.id]).await?;
        let mut appointment = tx.appointment(id).await?.ok_or_else(|| Self::not_found(id))?;
        if appointment.status == Status::Cancelled {
            return Err(already_cancelled("that appointment is already cancelled"));
        }
        // Nothing but time passed since the first check, and the event is already gone: if the
        // policy window closed in between, the cancellation still stands (the customer asked in time).
        tx.set_appointment_status(id, Status::Cancelled, now).await?;
        appointment.status = Status::Cancelled;
        appointment.updated_at = now;
        appointment.sequence += 1;
        self.notices.record(&mut tx, Change::Cancelled, &appointment, &tell, now).await?;
        tx.commit().await?;
        self.signal_change();
        metrics::counter!("cancellations_total", "by" => actor_label(actor)).increment(1);
        tracing::info!(appointment = %id, "cancelled");
        Ok(appointment)
    }

    /// Records that the customer confirmed they will come (a reminder call); refused when the
    /// appointment is cancelled. Confirming again keeps the first time.
    pub async fn confirm_by_customer(&self, id: AppointmentId, actor: &Actor) -> Result<Appointment, BookingError> {
        let current = self.visible(id, actor).await?;
        if current.status == Status::Cancelled {
            return Err(already_cancelled("that appointment is cancelled"));
        }
        if current.customer_confirmed_at.is_some() {
            return Ok(current);
        }
        let now = self.clock.now();
        if !self.store.mark_customer_confirmed(id, now).await? {
            return Err(already_cancelled("that appointment is cancelled"));
        }
        metrics::counter!("customer_confirmations_total").increment(1);
        Ok(Appointment { customer_confirmed_at: Some(now), updated_at: now, ..current })
    }

    /// Moves an appointment to `new_start` with the same staff member, re-checking every rule.
    pub async fn reschedule(
        &self,
        id: AppointmentId,
        new_start: DateTime<Utc>,
        actor: &Actor,
        tell: Tell,
    ) -> Result<Appointment, BookingError> {
        let current = self.reconcile(self.visible(id, actor).await?).await?;
        let staff = self.staff_of(&current)?;
        let service = self.service(&current.service_id)?;
        let now = self.clock.now();
        check_timing(&self.business, new_start, now, actor).map_err(|r| self.timing_refusal(r, new_start, now))?;
        let wanted = check_hours(&self.business, service, staff, new_start)
            .map_err(|r| BookingError::refused(r, messages::hours(&self.business, r, new_start)))?;
        if current.status == Status::Cancelled {
            return Err(already_cancelled("that appointment is cancelled; book a new one instead"));
        }
        check_cancellable(&self.business, current.start, now, actor)
            .map_err(|r| BookingError::refused(r, messages::too_late(&self.business)))?;
        let range = self.day_range(local_date(self.business.timezone, new_start));
        let calendar = self.calendar_busy(&[staff], range).await?.remove(0);
        let slot_taken =
            || BookingError::refused(Refusal::SlotUnavailable, messages::slot_unavailable(&self.business, new_start));
        let ids = [&staff.id];
        let stored = self.store.appointments().confirmed_for_staff(&ids, range.start, range.end).await?;
        if !is_free(service, &wanted, &combined_busy(staff, &calendar, &stored, Some(id))) {
            return Err(slot_taken());
        }
        let mut moved = current.clone();
        (moved.start, moved.end) = (wanted.start, wanted.end);
        self.calendar.move_event(staff, &moved).await?;

        match self.commit_move(&current, wanted, &calendar, range, actor, &tell).await {
            Ok(appointment) => {
                metrics::counter!("reschedules_total", "by" => actor_label(actor)).increment(1);
                tracing::info!(appointment = %id, "rescheduled");
                Ok(appointment)
            }
            Err(e) => {
                // Refused under the lock (someone took the time meanwhile): put the event back.
                if let Err(back) = self.calendar.move_event(staff, &current).await {
                    tracing::error!(appointment = %id, error = %back, "cannot move the calendar event back");
                }
                Err(e)
            }
        }
    }

    /// The second check of a move, under the commit lock, and the move itself.
    async fn commit_move(
        &self,
        current: &Appointment,
        wanted: Interval,
        calendar: &[Interval],
        range: Interval,
        actor: &Actor,
        tell: &Tell,
    ) -> Result<Appointment, BookingError> {
        let (id, staff) = (current.id, self.staff_of(current)?);
        let service = self.service(&current.service_id)?;
        let now = self.clock.now();
        let mut tx = self.store.begin_for_staff(&[&staff.id]).await?;
        let mut appointment = tx.appointment(id).await?.ok_or_else(|| Self::not_found(id))?;
        if appointment.status == Status::Cancelled {
            return Err(already_cancelled("that appointment is cancelled; book a new one instead"));
        }
        check_cancellable(&self.business, appointment.start, now, actor)
            .map_err(|r| BookingError::refused(r, messages::too_late(&self.business)))?;
        let stored = tx.confirmed_for_staff(&[&staff.id], range.start, range.end).await?;
        if !is_free(service, &wanted, &combined_busy(staff, calendar, &stored, Some(id))) {
            return Err(BookingError::refused(
                Refusal::SlotUnavailable,
                messages::slot_unavailable(&self.business, wanted.start),
            ));
        }
        tx.move_appointment(id, wanted.start, wanted.end, now).await?;
        appointment.start = wanted.start;
        appointment.end = wanted.end;
        appointment.updated_at = now;
        appointment.sequence += 1;
        appointment.customer_confirmed_at = None;
        self.notices.record(&mut tx, Change::Rescheduled, &appointment, tell, now).await?;
        tx.commit().await?;
        self.signal_change();
        Ok(appointment)
    }
}

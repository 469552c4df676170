//! Booking (SPEC §4.7): every rule re-checked under the staff members' commit lock, the calendar
//! event created after commit (a refused event undoes the booking), and the confirmation recorded
//! only once the calendar holds the event. Idempotency keys make repeats return the first booking.

use chrono::{DateTime, Utc};

use super::notify::Change;
use super::search::combined_busy;
use super::{BookRequest, Booked, BookingError, BookingService, Tell, messages};
use crate::calendar::CalendarError;
use crate::domain::customer::{clean_email, clean_name};
use crate::domain::rules::{check_timing, is_free};
use crate::domain::time::local_date;
use crate::domain::{Appointment, AppointmentId, Interval, Refusal, StaffId, StaffMember, Status};

impl BookingService {
    /// Books an appointment, re-checking every rule at commit (SPEC §4.7).
    pub async fn book(&self, req: BookRequest) -> Result<Booked, BookingError> {
        let invalid = |field| move |problem| BookingError::Invalid { field, problem };
        let customer_name = clean_name(&req.customer_name).map_err(invalid("name"))?;
        let customer_email = clean_email(req.customer_email.as_deref()).map_err(invalid("email"))?;
        let service = self.service(&req.service)?;
        let members = self.staff_for(service, req.staff.as_ref())?;
        let now = self.clock.now();
        let wanted = Interval::starting_at(req.start, service.duration);
        let day = local_date(self.business.timezone, req.start);
        let range = self.day_range(day);
        // The rules and the calendar, before the lock. A request repeated after its time passed
        // or while the calendar is down still gets its booking: the key is looked up when
        // anything here refuses (and otherwise under the lock, in the same statement as the
        // busy time, so a first request costs no extra round trip).
        let checked = async {
            check_timing(&self.business, req.start, now, &req.actor)
                .map_err(|r| self.timing_refusal(r, req.start, now))?;
            let in_hours = self.in_hours(service, &members, req.start)?;
            let calendars = self.calendar_busy(&in_hours, range).await?;
            Ok::<_, BookingError>((in_hours, calendars))
        };
        let (in_hours, calendars) = match checked.await {
            Ok(checked) => checked,
            Err(refused) => {
                return match self.earlier(&req).await? {
                    Some(existing) => self.replayed(existing, &req).await,
                    None => Err(refused),
                };
            }
        };
        let ids: Vec<&StaffId> = in_hours.iter().map(|m| &m.id).collect();

        let mut tx = self.store.begin_for_staff(&ids).await?;
        let (stored, earlier) =
            tx.booking_snapshot(&ids, wanted, service.buffer, req.idempotency_key.as_deref()).await?;
        if let Some(existing) = earlier {
            drop(tx);
            return self.replayed(existing, &req).await;
        }
        let free: Vec<&StaffMember> = in_hours
            .iter()
            .zip(&calendars)
            .filter(|(m, calendar)| is_free(service, &wanted, &combined_busy(m, calendar, &stored, None)))
            .map(|(m, _)| *m)
            .collect();
        // Several free: the least busy that day (counted only then); config order breaks ties.
        let counts = match free.len() {
            0 | 1 => Vec::new(),
            _ => tx.confirmed_counts(&free.iter().map(|m| &m.id).collect::<Vec<_>>(), range.start, range.end).await?,
        };
        let count = |m: &StaffMember| counts.iter().find(|(id, _)| id == m.id.as_str()).map_or(0, |(_, n)| *n);
        let chosen = free
            .iter()
            // min_by_key keeps the first of equals.
            .min_by_key(|m| count(m))
            .copied()
            .ok_or_else(|| {
                BookingError::refused(Refusal::SlotUnavailable, messages::slot_unavailable(&self.business, req.start))
            })?;

        let appointment = Appointment {
            id: AppointmentId::new_random(),
            service_id: service.id.clone(),
            staff_id: chosen.id.clone(),
            start: wanted.start,
            end: wanted.end,
            buffer_minutes: service.buffer.num_minutes(),
            customer_name,
            customer_phone: req.customer_phone.clone(),
            customer_email,
            notes: req.notes.clone().filter(|n| !n.trim().is_empty()),
            status: Status::Confirmed,
            booked_via: req.channel,
            external_event_id: None,
            idempotency_key: req.idempotency_key.clone(),
            conversation: req.conversation.clone(),
            created_at: now,
            updated_at: now,
            sequence: 0,
            customer_confirmed_at: None,
        };
        match tx.insert_appointment(&appointment).await {
            Ok(()) => {
                self.notices.record(&mut tx, Change::Booked, &appointment, &req.tell, now).await?;
                tx.commit().await?
            }
            Err(e) if e.is_unique_violation() && req.idempotency_key.is_some() => {
                drop(tx);
                let existing = self.earlier(&req).await?.ok_or(e)?;
                return self.replayed(existing, &req).await;
            }
            Err(e) => return Err(e.into()),
        }
        let appointment = self.mirror_created(chosen, appointment, now).await?;
        // Confirmed only once the calendar holds the event (a refused event must not confirm).
        self.confirm_booking(&appointment, &req.tell, now).await?;
        self.signal_change();
        metrics::counter!("bookings_total", "channel" => req.channel.as_str()).increment(1);
        tracing::info!(appointment = %appointment.id, staff = %chosen.id, service = %service.id, via = %req.channel, "booked");
        Ok(Booked { appointment, created: true })
    }

    /// The appointment an earlier request with this request's idempotency key made, if any.
    async fn earlier(&self, req: &BookRequest) -> Result<Option<Appointment>, BookingError> {
        match &req.idempotency_key {
            Some(key) => Ok(self.store.appointments().by_idempotency_key(key).await?),
            None => Ok(None),
        }
    }

    /// A repeated request: the same appointment, and its confirmation if an interrupted first
    /// attempt never recorded it (recording is idempotent by cause). A key reused for a different
    /// booking (another service, time, customer or staff member) is refused, not answered with the
    /// old appointment.
    async fn replayed(&self, existing: Appointment, req: &BookRequest) -> Result<Booked, BookingError> {
        let same = existing.service_id == req.service
            && existing.start == req.start
            && existing.customer_phone == req.customer_phone
            && req.staff.as_ref().is_none_or(|s| *s == existing.staff_id);
        if !same {
            let key = req.idempotency_key.as_deref().unwrap_or_default();
            return Err(BookingError::refused(
                Refusal::IdempotencyConflict,
                messages::idempotency_conflict(key, &existing),
            ));
        }
        if existing.status == Status::Confirmed && existing.sequence == 0 {
            self.confirm_booking(&existing, &req.tell, self.clock.now()).await?;
        }
        Ok(Booked { appointment: existing, created: false })
    }

    /// Records the booking's confirmation messages (at most once per appointment: keyed by cause).
    async fn confirm_booking(
        &self,
        appointment: &Appointment,
        tell: &Tell,
        now: DateTime<Utc>,
    ) -> Result<(), BookingError> {
        for message in self.notices.messages(Change::Booked, appointment, tell, now) {
            self.store.outbox().enqueue(&message, now).await?;
        }
        Ok(())
    }

    /// Creates the calendar event; if the backend fails, the booking is undone so nothing is half-done.
    async fn mirror_created(
        &self,
        staff: &StaffMember,
        mut appointment: Appointment,
        now: DateTime<Utc>,
    ) -> Result<Appointment, BookingError> {
        match self.calendar.create_event(staff, &appointment).await {
            Ok(Some(event_id)) => {
                self.store.set_external_event_id(appointment.id, &event_id).await?;
                appointment.external_event_id = Some(event_id);
                Ok(appointment)
            }
            Ok(None) => Ok(appointment),
            Err(e) => {
                let mut tx = self.store.begin_for_staff(&[&staff.id]).await?;
                tx.set_appointment_status(appointment.id, Status::Cancelled, now).await?;
                tx.cancel_reminder(appointment.id, now).await?;
                tx.commit().await?;
                if !matches!(e, CalendarError::Conflict) {
                    // The insert may have landed although its answer was lost: take it back out
                    // in the background (404 = it never landed), so no event is left without a
                    // booking and the caller is not kept waiting for a second deadline.
                    let (calendar, staff, cancelled) = (self.calendar.clone(), staff.clone(), appointment.clone());
                    tokio::spawn(async move {
                        if let Err(e) = calendar.cancel_event(&staff, &cancelled).await {
                            tracing::warn!(appointment = %cancelled.id, error = %e, "cannot remove the event of a failed booking");
                        }
                    });
                }
                Err(match e {
                    CalendarError::Conflict => BookingError::refused(
                        Refusal::SlotUnavailable,
                        messages::slot_unavailable(&self.business, appointment.start),
                    ),
                    other => other.into(),
                })
            }
        }
    }
}

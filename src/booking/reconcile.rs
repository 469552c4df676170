//! Staff edits in the calendar win (SPEC §6): before we act on an appointment (cancel, move, list
//! it for its customer, remind) its event is read back. Deleted or cancelled there → we cancel it;
//! moved there → our record (and its reminder) moves too; never created (we stopped half-way
//! through a booking) → we create it now. The customer gets the usual confirmation of the change,
//! so nobody turns up at a time the business no longer expects them.

use super::notify::Change;
use super::{BookingError, BookingService};
use crate::calendar::{CalendarError, EventState};
use crate::domain::{Appointment, StaffId, Status};

impl BookingService {
    /// Brings `a` in line with its calendar event and returns our record as it now is. Past and
    /// cancelled appointments are returned as they are.
    pub(crate) async fn reconcile(&self, a: Appointment) -> Result<Appointment, BookingError> {
        if !self.worth_checking(&a) {
            return Ok(a);
        }
        let state = self.calendar.event_state(self.staff_of(&a)?, &a).await?;
        self.follow(a, state).await
    }

    /// Only confirmed appointments that have not ended can be changed by a calendar edit.
    fn worth_checking(&self, a: &Appointment) -> bool {
        a.status == Status::Confirmed && a.end > self.clock.now()
    }

    /// Applies what became of `a`'s event to our record.
    async fn follow(&self, a: Appointment, state: EventState) -> Result<Appointment, BookingError> {
        let now = self.clock.now();
        let staff = self.staff_of(&a)?;
        let change = match state {
            EventState::AsBooked => return Ok(a),
            EventState::Missing => match self.mirror_missing(&a).await {
                Ok(a) => return Ok(a),
                Err(BookingError::Calendar(CalendarError::Conflict)) => None,
                Err(e) => return Err(e),
            },
            EventState::Gone => None,
            EventState::Moved(to) => Some(to),
        };
        let mut tx = self.store.begin_for_staff(&[&staff.id]).await?;
        let Some(mut current) = tx.appointment(a.id).await? else { return Ok(a) };
        // Someone else changed it meanwhile: theirs is the newer truth.
        if current.status != Status::Confirmed || current.sequence != a.sequence {
            return Ok(current);
        }
        current.updated_at = now;
        current.sequence += 1;
        let kind = match change {
            None => {
                tx.set_appointment_status(a.id, Status::Cancelled, now).await?;
                current.status = Status::Cancelled;
                tracing::info!(appointment = %a.id, staff = %staff.id, "event deleted in the calendar; appointment cancelled");
                Change::Cancelled
            }
            Some(to) => {
                tx.move_appointment(a.id, to.start, to.end, now).await?;
                current.start = to.start;
                current.end = to.end;
                tracing::info!(appointment = %a.id, staff = %staff.id, "event moved in the calendar; appointment follows");
                Change::Rescheduled
            }
        };
        let tell = super::Tell::Confirmation;
        self.notices.record(&mut tx, kind, &current, &tell, now).await?;
        tx.commit().await?;
        self.signal_change();
        metrics::counter!("calendar_edits_followed_total", "change" => if change.is_some() { "moved" } else { "deleted" })
            .increment(1);
        Ok(current)
    }

    /// Reconciles a customer's appointments (`list`, all for one phone number): the backend finds
    /// each staff member's events for that number at once. A calendar that cannot be read leaves
    /// our record as it is (logged), so a Google outage never hides a customer's appointments.
    pub(crate) async fn reconcile_all(&self, list: Vec<Appointment>) -> Result<Vec<Appointment>, BookingError> {
        let (check, mut out): (Vec<Appointment>, Vec<Appointment>) =
            list.into_iter().partition(|a| self.worth_checking(a));
        let mut by_staff: Vec<(&StaffId, Vec<Appointment>)> = Vec::new();
        for a in &check {
            match by_staff.iter_mut().find(|(s, _)| **s == a.staff_id) {
                Some((_, group)) => group.push(a.clone()),
                None => by_staff.push((&a.staff_id, vec![a.clone()])),
            }
        }
        for (staff_id, group) in by_staff {
            let staff = self.staff_of(&group[0])?;
            let states = self.calendar.customer_event_states(staff, &group[0].customer_phone, &group).await;
            for (a, state) in group.into_iter().zip(states) {
                let followed = match state {
                    Ok(state) => self.follow(a.clone(), state).await,
                    Err(e) => Err(e.into()),
                };
                match followed {
                    Ok(current) => out.push(current),
                    Err(BookingError::Calendar(e)) => {
                        tracing::warn!(appointment = %a.id, staff = %staff_id, error = %e,
                            "cannot read the calendar event; using our record");
                        out.push(a);
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(out)
    }

    /// Creates the event of a booking whose event never got created.
    async fn mirror_missing(&self, a: &Appointment) -> Result<Appointment, BookingError> {
        let staff = self.staff_of(a)?;
        let mut a = a.clone();
        if let Some(event_id) = self.calendar.create_event(staff, &a).await? {
            self.store.set_external_event_id(a.id, &event_id).await?;
            a.external_event_id = Some(event_id);
        }
        tracing::info!(appointment = %a.id, "created the calendar event a stopped booking had not");
        Ok(a)
    }
}

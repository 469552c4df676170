//! Calendar backends (SPEC §5): where appointment events live besides our store, and where busy
//! time that is not ours comes from. `local` (the store is the calendar) ships now; the Google
//! backend implements the same trait.
//!
//! The booking service owns the rules and the commit lock; a backend only mirrors events and
//! reports outside busy time. It must never decide whether a booking is allowed.

pub mod google;
mod local;

pub use local::LocalCalendar;

use async_trait::async_trait;

use crate::domain::{Appointment, Interval, PhoneNumber, StaffMember};

/// A calendar backend failure.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CalendarError {
    /// We may not read or write this staff member's calendar.
    #[error("calendar_access: cannot use the calendar of {staff}: {detail}")]
    Access {
        /// The staff member.
        staff: String,
        /// What the backend said.
        detail: String,
    },
    /// The backend is unreachable or failing; try again later.
    #[error("calendar unavailable: {0}")]
    Unavailable(String),
    /// Someone put another event at this time in the calendar at the same moment; our event was
    /// removed again.
    #[error("the calendar already has another event at this time")]
    Conflict,
}

/// Whether busy time may come from a short-lived cache (slot search) or must be read now (booking).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// A recent answer (at most the backend's cache lifetime old) will do.
    MayBeCached,
    /// Ask the calendar now: a booking re-checks the exact time it is about to take.
    Fresh,
}

/// What became of our event for an appointment in the staff member's calendar. Edits staff make
/// there win: the booking service brings its record in line before acting on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventState {
    /// The event is where we put it (or the backend has no events).
    AsBooked,
    /// Someone moved it to this time.
    Moved(Interval),
    /// Someone deleted or cancelled it.
    Gone,
    /// It was never created (we stopped between recording the booking and creating the event).
    Missing,
}

/// Where appointment events live.
#[async_trait]
pub trait Calendar: Send + Sync {
    /// Busy time in each of `staff`'s calendars within `range`, in the same order; one answer
    /// (or failure) per staff member, so one unreadable calendar costs only that staff member's
    /// slots. The answer may include our own appointments' events: the booking service discounts
    /// its own appointments.
    async fn busy(
        &self,
        staff: &[&StaffMember],
        range: Interval,
        freshness: Freshness,
    ) -> Vec<Result<Vec<Interval>, CalendarError>>;

    /// What became of `appointment`'s event (staff may have moved or deleted it).
    async fn event_state(&self, staff: &StaffMember, appointment: &Appointment) -> Result<EventState, CalendarError>;

    /// What became of each of one customer's `appointments` with `staff` (same order). The default
    /// asks per appointment; a backend may find them all at once by the customer's number.
    async fn customer_event_states(
        &self,
        staff: &StaffMember,
        phone: &PhoneNumber,
        appointments: &[Appointment],
    ) -> Vec<Result<EventState, CalendarError>> {
        let _ = phone;
        let mut out = Vec::with_capacity(appointments.len());
        for a in appointments {
            out.push(self.event_state(staff, a).await);
        }
        out
    }

    /// Mirrors a new appointment; returns the backend's event id, if it has one.
    async fn create_event(
        &self,
        staff: &StaffMember,
        appointment: &Appointment,
    ) -> Result<Option<String>, CalendarError>;

    /// Mirrors a new time for an existing appointment.
    async fn move_event(&self, staff: &StaffMember, appointment: &Appointment) -> Result<(), CalendarError>;

    /// Removes a cancelled appointment's event (already gone is success).
    async fn cancel_event(&self, staff: &StaffMember, appointment: &Appointment) -> Result<(), CalendarError>;

    /// Proves we may write to `staff`'s calendar (for `check`): `Ok` when a test write succeeded.
    async fn check_write(&self, staff: &StaffMember) -> Result<(), CalendarError>;
}

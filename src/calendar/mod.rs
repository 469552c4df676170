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

use crate::domain::{Appointment, Interval, StaffMember};

/// A calendar backend failure.
#[derive(Debug, thiserror::Error)]
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

/// Where appointment events live.
#[async_trait]
pub trait Calendar: Send + Sync {
    /// Busy time of `staff` within `range` that is *not* one of our appointments (each needs a
    /// gap of the requested service's buffer, SPEC §4.4).
    async fn external_busy(&self, staff: &StaffMember, range: Interval) -> Result<Vec<Interval>, CalendarError>;

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
}

//! The `local` backend: the store is the calendar, so there is no outside busy time and no event
//! to mirror. Every rule still runs in the booking service against the store.

use async_trait::async_trait;

use super::{Calendar, CalendarError};
use crate::domain::{Appointment, Interval, StaffMember};

/// The zero-setup backend.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalCalendar;

#[async_trait]
impl Calendar for LocalCalendar {
    async fn external_busy(&self, _staff: &StaffMember, _range: Interval) -> Result<Vec<Interval>, CalendarError> {
        Ok(Vec::new())
    }

    async fn create_event(
        &self,
        _staff: &StaffMember,
        _appointment: &Appointment,
    ) -> Result<Option<String>, CalendarError> {
        Ok(None)
    }

    async fn move_event(&self, _staff: &StaffMember, _appointment: &Appointment) -> Result<(), CalendarError> {
        Ok(())
    }

    async fn cancel_event(&self, _staff: &StaffMember, _appointment: &Appointment) -> Result<(), CalendarError> {
        Ok(())
    }
}

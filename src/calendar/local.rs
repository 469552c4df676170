//! The `local` backend: the store is the calendar, so there is no outside busy time and no event
//! to mirror. Every rule still runs in the booking service against the store.

use async_trait::async_trait;

use super::{Calendar, CalendarError, EventState, Freshness};
use crate::domain::{Appointment, Interval, StaffMember};

/// The zero-setup backend.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalCalendar;

#[async_trait]
impl Calendar for LocalCalendar {
    async fn busy(
        &self,
        staff: &[&StaffMember],
        _range: Interval,
        _freshness: Freshness,
    ) -> Vec<Result<Vec<Interval>, CalendarError>> {
        staff.iter().map(|_| Ok(Vec::new())).collect()
    }

    async fn event_state(&self, _staff: &StaffMember, _appointment: &Appointment) -> Result<EventState, CalendarError> {
        Ok(EventState::AsBooked)
    }

    async fn check_write(&self, _staff: &StaffMember) -> Result<(), CalendarError> {
        Ok(())
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

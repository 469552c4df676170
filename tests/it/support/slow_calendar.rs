//! A calendar in front of `LocalCalendar` whose busy-time lookups take a while (a slow Google
//! call) or wait until released (a lookup the caller talks over).

use std::time::Duration;

use appointment_setter::calendar::{Calendar, CalendarError, EventState, Freshness, LocalCalendar};
use appointment_setter::domain::{Appointment, Interval, StaffMember};
use async_trait::async_trait;
use tokio::sync::{Notify, watch};

pub struct SlowCalendar {
    delay: Duration,
    /// Lookups wait while this is false.
    open: watch::Sender<bool>,
    entered: Notify,
}

impl SlowCalendar {
    /// Every busy-time lookup takes `delay`.
    pub fn taking(delay: Duration) -> Self {
        Self { delay, open: watch::Sender::new(true), entered: Notify::new() }
    }

    /// Lookups from now on wait until [`SlowCalendar::release`].
    pub fn hold(&self) {
        self.open.send_replace(false);
    }

    pub fn release(&self) {
        self.open.send_replace(true);
    }

    /// Returns once a lookup is waiting on the hold.
    pub async fn entered(&self) {
        self.entered.notified().await;
    }
}

#[async_trait]
impl Calendar for SlowCalendar {
    async fn busy(
        &self,
        staff: &[&StaffMember],
        range: Interval,
        fresh: Freshness,
    ) -> Vec<Result<Vec<Interval>, CalendarError>> {
        let mut open = self.open.subscribe();
        if !*open.borrow() {
            self.entered.notify_one();
            open.wait_for(|open| *open).await.unwrap();
        }
        tokio::time::sleep(self.delay).await;
        LocalCalendar.busy(staff, range, fresh).await
    }
    async fn event_state(&self, staff: &StaffMember, a: &Appointment) -> Result<EventState, CalendarError> {
        LocalCalendar.event_state(staff, a).await
    }
    async fn create_event(&self, staff: &StaffMember, a: &Appointment) -> Result<Option<String>, CalendarError> {
        LocalCalendar.create_event(staff, a).await
    }
    async fn move_event(&self, staff: &StaffMember, a: &Appointment) -> Result<(), CalendarError> {
        LocalCalendar.move_event(staff, a).await
    }
    async fn cancel_event(&self, staff: &StaffMember, a: &Appointment) -> Result<(), CalendarError> {
        LocalCalendar.cancel_event(staff, a).await
    }
    async fn check_write(&self, staff: &StaffMember) -> Result<(), CalendarError> {
        LocalCalendar.check_write(staff).await
    }
}

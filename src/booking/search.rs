//! Slot search (SPEC §4.6) and the busy time every check uses: our own confirmed appointments with
//! their buffers, plus the calendar's busy time that none of them explains.

use chrono::{Duration, NaiveDate};

use super::{BookingError, BookingService, margin};
use crate::calendar::Freshness;
use crate::domain::availability::{SlotSearch, StaffBusy, find_slots};
use crate::domain::interval::subtract;
use crate::domain::time::resolve_local;
use crate::domain::{
    Appointment, AppointmentId, BusyInterval, DayMinute, Interval, ServiceId, Slot, StaffId, StaffMember,
};

/// Busy time of `member`: our stored appointments (except `moving`) with their buffers, plus the
/// calendar's busy time that none of our appointments explains (outside events need no buffer of
/// their own, SPEC §4.4). Discounting all our appointments, `moving` included, keeps our own events
/// from counting twice or against themselves; time an outside event shares with one of ours stays
/// busy through ours.
pub(super) fn combined_busy(
    member: &StaffMember,
    calendar: &[Interval],
    stored: &[Appointment],
    moving: Option<AppointmentId>,
) -> Vec<BusyInterval> {
    let mine = || stored.iter().filter(|a| a.staff_id == member.id);
    let mut busy: Vec<BusyInterval> = mine().filter(|a| Some(a.id) != moving).map(Appointment::as_busy).collect();
    // The local backend reports no calendar time: nothing to discount.
    if !calendar.is_empty() {
        let ours: Vec<Interval> = mine().map(Appointment::interval).collect();
        let outside = subtract(calendar, &ours).into_iter();
        busy.extend(outside.map(|interval| BusyInterval { interval, buffer: Duration::zero() }));
    }
    busy
}

impl BookingService {
    /// Calendar busy time of each of `staff` over `range`, read now (a booking re-checks the
    /// exact time); any unreadable calendar fails the change. Read before taking the commit lock,
    /// since it may be a network call.
    pub(super) async fn calendar_busy(
        &self,
        staff: &[&StaffMember],
        range: Interval,
    ) -> Result<Vec<Vec<Interval>>, BookingError> {
        let answers = self.calendar.busy(staff, range, Freshness::Fresh).await;
        answers.into_iter().map(|a| a.map_err(BookingError::from)).collect()
    }

    /// Customer-visible slots for `service` from local date `from` for `days` days (SPEC §4.6).
    pub async fn find_slots(
        &self,
        service: &ServiceId,
        staff: Option<&StaffId>,
        from: NaiveDate,
        days: u32,
    ) -> Result<Vec<Slot>, BookingError> {
        let service = self.service(service)?;
        let members = self.staff_for(service, staff)?;
        let now = self.clock.now();
        let to = from + chrono::Days::new(u64::from(days.max(1) - 1));
        let tz = self.business.timezone;
        let range = Interval {
            start: resolve_local(tz, from, DayMinute::from_hm(0, 0).expect("midnight")) - margin(),
            end: resolve_local(tz, to, DayMinute::END_OF_DAY) + margin(),
        };
        let ids: Vec<&StaffId> = members.iter().map(|m| &m.id).collect();
        let stored = self.store.appointments().confirmed_for_staff(&ids, range.start, range.end).await?;
        // A calendar we cannot read offers no slots (never offer a time we could not check); the
        // other staff members still do. Only when every calendar fails is the search an error.
        let mut readable = Vec::with_capacity(members.len());
        let mut last_error = None;
        let answers = self.calendar.busy(&members, range, Freshness::MayBeCached).await;
        for (member, answer) in members.iter().zip(answers) {
            match answer {
                Ok(calendar) => readable.push((*member, calendar)),
                Err(e) => {
                    tracing::warn!(staff = %member.id, error = %e, "calendar unreadable; this staff member offers no slots");
                    metrics::counter!("calendar_errors_total", "staff" => member.id.to_string()).increment(1);
                    last_error = Some(e);
                }
            }
        }
        if readable.is_empty()
            && let Some(e) = last_error
        {
            return Err(e.into());
        }
        let busy: Vec<Vec<BusyInterval>> =
            readable.iter().map(|(m, calendar)| combined_busy(m, calendar, &stored, None)).collect();
        let staff_busy: Vec<StaffBusy<'_>> = readable
            .iter()
            .zip(&busy)
            .map(|((m, _), b)| StaffBusy {
                staff: self.business.staff_index(&m.id).expect("member of business"),
                busy: b,
            })
            .collect();
        Ok(find_slots(&self.business, &SlotSearch { service, from, to, now }, &staff_busy))
    }
}

//! The business as the scheduling rules see it: services, staff, weekly hours, closed and special
//! dates, and the booking policy. Built from the config file by [`crate::config`]; immutable after.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::ids::{ServiceId, StaffId};
use super::phone::{PhoneNumber, Region};
use super::time::TimeRange;

/// Opening ranges per weekday, Monday first. Ranges of a day are sorted and never overlap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeeklyHours(pub [Vec<TimeRange>; 7]);

impl WeeklyHours {
    /// The ranges for `date`'s weekday.
    pub(crate) fn for_date(&self, date: NaiveDate) -> &[TimeRange] {
        &self.0[date.weekday().num_days_from_monday() as usize]
    }
}

/// When the business is open: weekly hours, closed dates and per-date special hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The regular week.
    pub weekly: WeeklyHours,
    /// Dates with no opening at all (holidays).
    pub closed_dates: BTreeSet<NaiveDate>,
    /// Dates whose ranges replace the regular week for everyone.
    pub special: BTreeMap<NaiveDate, Vec<TimeRange>>,
}

/// A bookable service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Stable id used by tools and the CLI.
    pub id: ServiceId,
    /// Name shown to customers.
    pub name: String,
    /// Length of the appointment.
    pub duration: Duration,
    /// Minimum gap kept free around it (SPEC §4.4).
    pub buffer: Duration,
}

/// A person customers can book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    /// Stable id.
    pub id: StaffId,
    /// Name shown to customers.
    pub name: String,
    /// Calendar used by the google backend.
    pub calendar_id: Option<String>,
    /// Services this person offers; `None` = all.
    pub services: Option<BTreeSet<ServiceId>>,
    /// This person's own week; replaces the business week entirely when set.
    pub hours: Option<WeeklyHours>,
}

impl StaffMember {
    /// Whether this person offers `service`.
    pub(crate) fn offers(&self, service: &ServiceId) -> bool {
        self.services.as_ref().is_none_or(|s| s.contains(service))
    }
}

/// Booking policy (SPEC §3 `[booking]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingPolicy {
    /// Step between candidate start times.
    pub slot_interval: Duration,
    /// Customers cannot book sooner than this from now.
    pub min_notice: Duration,
    /// Last bookable local date is today + this many days.
    pub max_days_ahead: u32,
    /// Customers cannot cancel or reschedule later than this before the start.
    pub cancel_notice: Duration,
}

/// Everything the scheduling rules need to know about the business.
#[derive(Debug, Clone)]
pub struct Business {
    /// Business name, used in messages.
    pub name: String,
    /// The zone all local times are in.
    pub timezone: Tz,
    /// The business's own number (SMS sender).
    pub phone_number: Option<PhoneNumber>,
    /// Region for reading local phone numbers.
    pub region: Region,
    /// A human to transfer to / tell customers to call.
    pub transfer_number: Option<PhoneNumber>,
    /// Opening hours.
    pub schedule: Schedule,
    /// Booking policy.
    pub policy: BookingPolicy,
    /// Services in config order.
    pub services: Vec<Service>,
    /// Staff in config order (never empty: a config without staff gets one implicit member).
    pub staff: Vec<StaffMember>,
}

impl Business {
    /// Finds a service by id.
    pub fn service(&self, id: &ServiceId) -> Option<&Service> {
        self.services.iter().find(|s| &s.id == id)
    }

    /// Finds a staff member by id.
    pub fn staff_member(&self, id: &StaffId) -> Option<&StaffMember> {
        self.staff.iter().find(|s| &s.id == id)
    }

    /// Position of a staff member in config order (used for sorting and ties).
    pub(crate) fn staff_index(&self, id: &StaffId) -> Option<usize> {
        self.staff.iter().position(|s| &s.id == id)
    }

    /// Whether the business itself opens on `date` (a closed date, or no special or weekly hours
    /// that day, is closed), whoever works then.
    pub(crate) fn open_on(&self, date: NaiveDate) -> bool {
        let s = &self.schedule;
        !s.closed_dates.contains(&date)
            && s.special.get(&date).map_or_else(|| !s.weekly.for_date(date).is_empty(), |r| !r.is_empty())
    }

    /// Local opening ranges of `staff` on `date` (SPEC §4.1 precedence: closed, special, staff
    /// week, business week).
    pub(crate) fn local_ranges<'a>(&'a self, staff: &'a StaffMember, date: NaiveDate) -> &'a [TimeRange] {
        let s = &self.schedule;
        if s.closed_dates.contains(&date) {
            return &[];
        }
        if let Some(ranges) = s.special.get(&date) {
            return ranges;
        }
        staff.hours.as_ref().unwrap_or(&s.weekly).for_date(date)
    }

    /// Opening ranges of `staff` on `date` as absolute intervals, in order.
    pub fn opening_ranges<'a>(
        &'a self,
        staff: &'a StaffMember,
        date: NaiveDate,
    ) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + 'a {
        let tz = self.timezone;
        self.local_ranges(staff, date).iter().filter_map(move |r| r.on(date, tz))
    }

    /// Today's date in the business time zone.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        super::time::local_date(self.timezone, now)
    }

    /// The last local date customers may book (SPEC §4.3).
    pub fn last_bookable_date(&self, now: DateTime<Utc>) -> NaiveDate {
        self.today(now) + chrono::Days::new(u64::from(self.policy.max_days_ahead))
    }
}

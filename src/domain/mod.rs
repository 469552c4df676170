//! Pure domain: identifiers, phone numbers, local time resolution, the business schedule, the
//! availability engine and the booking rules. No I/O, no async, no clock reads: `now` is always a
//! parameter.

pub mod appointment;
pub mod availability;
pub mod business;
pub mod ids;
pub mod interval;
pub mod phone;
pub mod refusal;
pub mod rules;
pub mod time;

pub use appointment::{Appointment, Channel, Status};
pub use availability::{BusyInterval, Slot, SlotSearch, StaffBusy, find_slots};
pub use business::{BookingPolicy, Business, Schedule, Service, StaffMember, WeeklyHours};
pub use ids::{AppointmentId, ServiceId, StaffId};
pub use interval::Interval;
pub use phone::PhoneNumber;
pub use refusal::Refusal;
pub use rules::Actor;
pub use time::{DayMinute, TimeRange};

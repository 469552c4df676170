//! Pure domain: identifiers, phone numbers, local time resolution, the business schedule, the
//! availability engine and the booking rules. No I/O, no async, no clock reads: `now` is always a
//! parameter.

pub(crate) mod appointment;
pub(crate) mod availability;
pub(crate) mod business;
pub mod customer;
pub(crate) mod ids;
pub(crate) mod interval;
pub mod phone;
pub(crate) mod refusal;
pub mod reminder;
pub mod rules;
mod text_enum;
pub mod time;

pub use appointment::{Appointment, Channel, Status};
pub use availability::{BusyInterval, Slot, SlotSearch, StaffBusy, find_slots};
pub(crate) use business::{BookingPolicy, Schedule, Service, WeeklyHours};
pub use business::{Business, StaffMember};
pub(crate) use ids::{AppointmentId, ServiceId, StaffId};
pub use interval::Interval;
pub use phone::PhoneNumber;
pub use refusal::Refusal;
pub use reminder::{CallPlan, ReminderChannel};
pub use rules::Actor;
pub(crate) use text_enum::text_enum;
pub(crate) use time::{DayMinute, TimeRange};

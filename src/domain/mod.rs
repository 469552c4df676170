//! Pure domain: identifiers, phone numbers, local time resolution, the business schedule, the
//! availability engine and the booking rules. No I/O, no async, no clock reads: `now` is always a
//! parameter.

pub(crate) mod appointment;
pub(crate) mod availability;
pub(crate) mod business;
pub(crate) mod ids;
pub(crate) mod interval;
pub mod phone;
pub(crate) mod refusal;
pub mod rules;
pub mod time;

pub use appointment::Appointment;

pub use appointment::Channel;

pub use appointment::Status;
pub use availability::BusyInterval;
pub use availability::Slot;
pub use availability::SlotSearch;
pub use availability::StaffBusy;
pub use availability::find_slots;
pub(crate) use business::BookingPolicy;
pub use business::Business;
pub(crate) use business::Schedule;
pub(crate) use business::Service;
pub use business::StaffMember;
pub(crate) use business::WeeklyHours;
pub(crate) use ids::AppointmentId;
pub(crate) use ids::ServiceId;
pub(crate) use ids::StaffId;
pub use interval::Interval;
pub use phone::PhoneNumber;
pub use refusal::Refusal;
pub use rules::Actor;
pub(crate) use time::DayMinute;
pub(crate) use time::TimeRange;

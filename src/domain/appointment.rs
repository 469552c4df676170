//! An appointment as recorded by the booking service.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::availability::BusyInterval;
use super::ids::{AppointmentId, ServiceId, StaffId};
use super::interval::Interval;
use super::phone::PhoneNumber;
use super::text_enum;

/// Whether an appointment still holds its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Booked and holding the time.
    Confirmed,
    /// Cancelled; the time is free again.
    Cancelled,
}

/// Where a change came from (metrics, confirmations, event properties).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// The command line.
    Cli,
    /// A phone call.
    Voice,
    /// A text message.
    Sms,
    /// The admin API.
    Admin,
    /// The OpenAI-compatible chat endpoint.
    Chat,
}

text_enum!(Status { Confirmed => "confirmed", Cancelled => "cancelled" });
text_enum!(Channel { Cli => "cli", Voice => "voice", Sms => "sms", Admin => "admin", Chat => "chat" });

/// A booked (or cancelled) appointment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Appointment {
    /// Our id.
    pub id: AppointmentId,
    /// The booked service.
    pub service_id: ServiceId,
    /// Who it is with.
    pub staff_id: StaffId,
    /// Start instant.
    pub start: DateTime<Utc>,
    /// End instant.
    pub end: DateTime<Utc>,
    /// Buffer kept around it (the service's buffer when booked).
    pub buffer_minutes: i64,
    /// Customer's name.
    pub customer_name: String,
    /// Customer's phone (E.164).
    pub customer_phone: PhoneNumber,
    /// Customer's email, when they gave one (for the calendar invite).
    pub customer_email: Option<String>,
    /// Free-text notes.
    pub notes: Option<String>,
    /// Confirmed or cancelled.
    pub status: Status,
    /// The channel that booked it.
    pub booked_via: Channel,
    /// The calendar backend's event id, once the event exists.
    pub external_event_id: Option<String>,
    /// The key of the request that created it.
    pub idempotency_key: Option<String>,
    /// The conversation (call or chat) that booked it, if one did.
    pub conversation: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Changes since booking (0 when booked; +1 per reschedule or cancellation): the iCalendar
    /// `SEQUENCE` and part of each confirmation's cause.
    pub sequence: i64,
    /// When the customer confirmed they will come (a reminder call's "1" or "yes"); cleared when
    /// the appointment moves.
    pub customer_confirmed_at: Option<DateTime<Utc>>,
}

impl Appointment {
    /// Its time as an interval.
    pub(crate) fn interval(&self) -> Interval {
        Interval { start: self.start, end: self.end }
    }

    /// Its time as busy time for the availability engine.
    pub(crate) fn as_busy(&self) -> BusyInterval {
        BusyInterval { interval: self.interval(), buffer: Duration::minutes(self.buffer_minutes) }
    }
}

//! The admin API's JSON shapes (requests, answers, errors), with their OpenAPI schemas. Domain
//! types stay free of wire concerns: handlers convert here.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::Appointment;

/// Every error: a stable `code` (the booking refusal codes among them) and a sentence for people.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ApiError {
    /// Stable, for programs: `unauthorized`, `forbidden`, `not_found`, `invalid`, `bad_cursor`,
    /// `too_many_attempts`, `locked`, `unavailable`, or a booking refusal such as
    /// `slot_unavailable`, `too_soon`, `too_late_to_cancel`.
    pub code: String,
    /// What happened and what to do, for people.
    pub message: String,
}

/// `POST /api/v1/token`.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct TokenRequest {
    pub email: String,
    pub password: String,
}

/// A session token for `Authorization: Bearer`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds it lives.
    pub expires_in: i64,
}

/// An appointment. Times are RFC 3339 in UTC; `local_start` is the business's wall clock.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApiAppointment {
    pub id: String,
    pub service: String,
    pub staff: String,
    pub start: String,
    pub end: String,
    pub local_start: String,
    pub customer_name: String,
    pub customer_phone: String,
    pub customer_email: Option<String>,
    pub notes: Option<String>,
    /// `confirmed` or `cancelled`.
    pub status: String,
    /// `voice`, `sms`, `chat`, `admin`, `cli`.
    pub booked_via: String,
    /// The call or chat that booked it.
    pub conversation: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Changes since booking.
    pub sequence: i64,
    /// When the customer confirmed they will come (a reminder call); absent until then, and
    /// again after a move.
    pub customer_confirmed_at: Option<String>,
}

/// An instant as the API writes it: RFC 3339, UTC, whole seconds (what the store keeps).
pub(crate) fn rfc3339(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl ApiAppointment {
    pub(crate) fn new(a: &Appointment, tz: chrono_tz::Tz) -> Self {
        Self {
            id: a.id.to_string(),
            service: a.service_id.to_string(),
            staff: a.staff_id.to_string(),
            start: rfc3339(a.start),
            end: rfc3339(a.end),
            local_start: a.start.with_timezone(&tz).format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
            customer_name: a.customer_name.clone(),
            customer_phone: a.customer_phone.as_str().to_string(),
            customer_email: a.customer_email.clone(),
            notes: a.notes.clone(),
            status: a.status.as_str().to_string(),
            booked_via: a.booked_via.as_str().to_string(),
            conversation: a.conversation.clone(),
            created_at: rfc3339(a.created_at),
            updated_at: rfc3339(a.updated_at),
            sequence: a.sequence,
            customer_confirmed_at: a.customer_confirmed_at.map(rfc3339),
        }
    }
}

/// One page of a list; pass `next_cursor` as `cursor` for the next (absent on the last page).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Page<T: ToSchema> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Filters and paging of `GET /api/v1/appointments`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AppointmentQuery {
    /// Only those ending after this instant (RFC 3339).
    pub from: Option<String>,
    /// Only those starting before this instant (RFC 3339).
    pub until: Option<String>,
    /// Only this staff member's (staff accounts always see only their own).
    pub staff: Option<String>,
    /// Only this customer's (E.164).
    pub phone: Option<String>,
    /// Include cancelled ones.
    #[serde(default)]
    pub include_cancelled: bool,
    /// Page size, 1–500 (default 100).
    pub limit: Option<i64>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// Paging of the other lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    /// Page size, 1–500 (default 100).
    pub limit: Option<i64>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// `POST /api/v1/appointments`.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct BookBody {
    pub service: String,
    /// A staff member; any who offers the service when absent (staff accounts: themselves).
    pub staff: Option<String>,
    /// RFC 3339.
    pub start: String,
    pub customer_name: String,
    pub customer_phone: String,
    pub customer_email: Option<String>,
    pub notes: Option<String>,
    /// Repeating a request with the same key books once.
    pub idempotency_key: Option<String>,
    /// Ignore minimum notice and the booking window (never a clash).
    #[serde(default)]
    pub force: bool,
    /// Text the customer the usual confirmation (default true).
    pub notify: Option<bool>,
}

/// `POST /api/v1/appointments/{id}/cancel`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct CancelBody {
    /// Text the customer (default true).
    pub notify: Option<bool>,
}

/// `POST /api/v1/appointments/{id}/reschedule`.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct RescheduleBody {
    /// The new start, RFC 3339.
    pub start: String,
    /// Ignore minimum notice and the booking window.
    #[serde(default)]
    pub force: bool,
    /// Text the customer (default true).
    pub notify: Option<bool>,
}

/// `GET /api/v1/slots`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SlotQuery {
    pub service: String,
    pub staff: Option<String>,
    /// First local date, `YYYY-MM-DD` (default today).
    pub date: Option<String>,
    /// Days to search, 1–31 (default 7).
    pub days: Option<u32>,
}

/// A free time.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApiSlot {
    pub start: String,
    pub end: String,
    pub local_start: String,
    pub staff: String,
}

/// A call or chat; `transcript` only on `GET /api/v1/conversations/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApiConversation {
    pub id: String,
    /// `voice` or `chat`.
    pub channel: String,
    /// The caller's number, masked.
    pub caller: Option<String>,
    pub started_at: String,
    pub duration_seconds: i64,
    /// booked / transferred / hung up / in progress / guided dialog, joined with " · ".
    pub outcome: String,
    /// Appointments it booked.
    pub appointments: Vec<String>,
    pub transcript: Option<Vec<ApiLine>>,
}

/// One line of a transcript.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApiLine {
    /// `caller`, `receptionist` or `tool`.
    pub who: &'static str,
    pub text: String,
}

/// An outgoing text or email.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApiMessage {
    /// What caused it (`appointment:<id>:<sequence>:<kind>`, `reminder:…`, `reply:…`).
    pub cause: String,
    /// `sms` or `email`.
    pub channel: String,
    /// The recipient (E.164 number or email address).
    pub recipient: String,
    /// The text as sent.
    pub body: String,
    /// `pending`, `sent`, `delivered`, `failed`, `blocked`.
    pub status: String,
    pub attempts: i64,
    pub created_at: String,
}

/// A customer.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApiCustomer {
    pub phone: String,
    pub name: String,
    pub appointments: i64,
    pub opted_out: bool,
}

/// An audit log entry.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ApiAudit {
    pub id: String,
    pub at: String,
    /// The account's email address, when someone was signed in.
    pub who: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
}

//! Why the booking rules refused a request (SPEC §4.7–4.8). Each variant has a stable code that
//! the CLI prints, the JSON output carries and the voice agent and SMS handler react to.

use std::fmt;

/// A refusal by a business rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// The start is in the past.
    InThePast,
    /// The start is sooner than the minimum notice.
    TooSoon,
    /// The start is beyond the booking window.
    TooFarAhead,
    /// The business is closed that day.
    Closed,
    /// The business is open that day, but the chosen staff member does not work then.
    NotWorking,
    /// The interval is not inside one opening range or not on the slot grid.
    OutsideHours,
    /// The staff member is busy then (another appointment, its buffer, or calendar busy time).
    SlotUnavailable,
    /// No such service.
    UnknownService,
    /// No such staff member.
    UnknownStaff,
    /// The staff member exists but does not offer the service.
    ServiceNotOffered,
    /// The idempotency key was already used for a different booking.
    IdempotencyConflict,
    /// A customer tried to cancel or move an appointment too close to its start.
    TooLateToCancel,
    /// No such appointment (or it belongs to someone else).
    NotFound,
    /// The appointment is already cancelled.
    AlreadyCancelled,
}

impl Refusal {
    /// The stable machine-readable code (`slot_unavailable`, ...).
    pub(crate) fn code(self) -> &'static str {
        match self {
            Refusal::InThePast => "in_the_past",
            Refusal::TooSoon => "too_soon",
            Refusal::TooFarAhead => "too_far_ahead",
            Refusal::Closed => "closed",
            Refusal::NotWorking => "not_working",
            Refusal::OutsideHours => "outside_hours",
            Refusal::SlotUnavailable => "slot_unavailable",
            Refusal::UnknownService => "unknown_service",
            Refusal::UnknownStaff => "unknown_staff",
            Refusal::ServiceNotOffered => "service_not_offered",
            Refusal::IdempotencyConflict => "idempotency_conflict",
            Refusal::TooLateToCancel => "too_late_to_cancel",
            Refusal::NotFound => "not_found",
            Refusal::AlreadyCancelled => "already_cancelled",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

//! Booking service errors: a refusal by a business rule (the caller's answer) or a failure.

use crate::calendar::CalendarError;
use crate::domain::Refusal;
use crate::store::StoreError;

/// Why a booking operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    /// A business rule said no (SPEC §4.7–4.8); `message` is a sentence for people.
    #[error("{reason}: {message}")]
    Refused {
        /// The stable reason.
        reason: Refusal,
        /// A sentence for people.
        message: String,
    },
    /// What the customer gave cannot be stored (a name too long, not an email address).
    #[error("{field}: {problem}")]
    Invalid {
        /// Which input (`name`, `email`).
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The calendar backend failed.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

impl BookingError {
    pub(super) fn refused(reason: Refusal, message: impl Into<String>) -> Self {
        metrics::counter!("booking_refusals_total", "reason" => reason.code()).increment(1);
        BookingError::Refused { reason, message: message.into() }
    }

    /// The refusal reason, if this is a refusal.
    pub fn refusal(&self) -> Option<Refusal> {
        match self {
            BookingError::Refused { reason, .. } => Some(*reason),
            _ => None,
        }
    }
}

//! Opt-outs (SPEC §8): the one place where "this number wants no more texts" and "texts again" are
//! recorded, whatever said so. The outbox checks the record at send time.

use chrono::{DateTime, Utc};

use crate::domain::PhoneNumber;
use crate::store::{Store, StoreError};

/// What told us a number opted out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OptOutSignal {
    /// The customer texted a STOP-family word.
    Keyword,
    /// Telnyx answered a text with its own STOP autoresponse (it blocks the number itself).
    CarrierAutoresponse,
    /// Telnyx refused a send with `40300`.
    SendRefused,
    /// A delivery report carried `40300`.
    DeliveryFailed,
}

impl OptOutSignal {
    /// The source recorded with the opt-out.
    pub(crate) fn source(self) -> &'static str {
        match self {
            OptOutSignal::Keyword => "keyword",
            OptOutSignal::CarrierAutoresponse => "autoresponse",
            OptOutSignal::SendRefused | OptOutSignal::DeliveryFailed => "40300",
        }
    }
}

/// Records that `phone` opted out.
pub(crate) async fn record(
    store: &Store,
    phone: &PhoneNumber,
    signal: OptOutSignal,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    tracing::info!(phone = %phone.masked(), source = signal.source(), "number opted out");
    store.opt_outs().record(phone, signal.source(), now).await
}

/// Records that `phone` opted back in (START/UNSTOP).
pub(crate) async fn clear(store: &Store, phone: &PhoneNumber) -> Result<(), StoreError> {
    store.opt_outs().clear(phone).await
}

//! The sentences that go with refusals: what happened and what to do instead.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::time::human;
use crate::domain::{Appointment, Business, Refusal, ServiceId, StaffId, StaffMember};

pub(super) fn unknown_service(biz: &Business, id: &ServiceId) -> String {
    let known: Vec<&str> = biz.services.iter().map(|s| s.id.as_str()).collect();
    format!("there is no service \"{id}\"; known services: {}", known.join(", "))
}

pub(super) fn unknown_staff(biz: &Business, id: &StaffId) -> String {
    let known: Vec<&str> = biz.staff.iter().map(|s| s.id.as_str()).collect();
    format!("there is no staff member \"{id}\"; known staff: {}", known.join(", "))
}

pub(super) fn slot_unavailable(biz: &Business, start: DateTime<Utc>) -> String {
    format!("{} is no longer available; please pick another time", human(biz.timezone, start))
}

pub(super) fn timing(biz: &Business, reason: Refusal, start: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let p = &biz.policy;
    match reason {
        Refusal::InThePast => format!("{} is in the past", human(biz.timezone, start)),
        Refusal::TooSoon => format!(
            "{} is too soon: bookings need at least {} minutes' notice (earliest {})",
            human(biz.timezone, start),
            p.min_notice.num_minutes(),
            human(biz.timezone, now + p.min_notice)
        ),
        _ => format!(
            "{} is too far ahead: bookings open {} days in advance (last day {})",
            human(biz.timezone, start),
            p.max_days_ahead,
            biz.last_bookable_date(now).format("%a, %b %-d, %Y")
        ),
    }
}

pub(super) fn hours(biz: &Business, reason: Refusal, start: DateTime<Utc>) -> String {
    let when = human(biz.timezone, start);
    if reason == Refusal::Closed {
        format!("we are closed on {}", start.with_timezone(&biz.timezone).format("%a, %b %-d, %Y"))
    } else {
        format!(
            "{when} is not a bookable time: appointments must fit inside opening hours and start on the {}-minute grid",
            biz.policy.slot_interval.num_minutes()
        )
    }
}

pub(super) fn not_working(biz: &Business, staff: &[&StaffMember], day: NaiveDate) -> String {
    let when = day.format("%a, %b %-d, %Y");
    match staff {
        [one] => format!("{} does not work on {when}; {} is open then, with other staff", one.name, biz.name),
        _ => format!("nobody who offers this works on {when}"),
    }
}

pub(super) fn idempotency_conflict(key: &str, existing: &Appointment) -> String {
    format!(
        "the idempotency key {key:?} was already used for another booking ({} at {}); use a new key for a new booking",
        existing.service_id,
        existing.start.to_rfc3339()
    )
}

pub(super) fn too_late(biz: &Business) -> String {
    let call = biz
        .transfer_number
        .as_ref()
        .or(biz.phone_number.as_ref())
        .map(|n| format!("; please call us at {n}"))
        .unwrap_or_default();
    format!(
        "appointments can only be changed or cancelled at least {} hours ahead{call}",
        biz.policy.cancel_notice.num_hours()
    )
}

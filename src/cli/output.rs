//! How commands print: JSON shapes and human text in the business time zone.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::{Appointment, Business};

/// RFC 3339 with the business's UTC offset (SPEC §4.6), e.g. `2026-03-09T09:00:00-05:00`.
pub(super) fn rfc3339(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz).to_rfc3339()
}

/// `Mon, Mar 9, 2026`.
pub(super) fn day_heading(date: NaiveDate) -> String {
    date.format("%a, %b %-d, %Y").to_string()
}

/// `9:00 AM`.
pub(super) fn clock(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz).format("%-I:%M %p").to_string()
}

/// An appointment as JSON.
#[derive(Debug, Serialize)]
pub(super) struct AppointmentJson<'a> {
    id: String,
    service_id: &'a str,
    service_name: &'a str,
    staff_id: &'a str,
    staff_name: &'a str,
    start: String,
    end: String,
    customer_name: &'a str,
    customer_phone: &'a str,
    notes: Option<&'a str>,
    status: &'static str,
    booked_via: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<bool>,
}

impl<'a> AppointmentJson<'a> {
    pub(super) fn new(biz: &'a Business, a: &'a Appointment, created: Option<bool>) -> Self {
        let tz = biz.timezone;
        Self {
            id: a.id.to_string(),
            service_id: a.service_id.as_str(),
            service_name: biz.service(&a.service_id).map_or(a.service_id.as_str(), |s| &s.name),
            staff_id: a.staff_id.as_str(),
            staff_name: biz.staff_member(&a.staff_id).map_or(a.staff_id.as_str(), |s| &s.name),
            start: rfc3339(tz, a.start),
            end: rfc3339(tz, a.end),
            customer_name: &a.customer_name,
            customer_phone: a.customer_phone.as_str(),
            notes: a.notes.as_deref(),
            status: a.status.as_str(),
            booked_via: a.booked_via.as_str(),
            created,
        }
    }
}

/// One line about an appointment: `Consultation with Sarah on Mon, Mar 9 at 9:00 AM CDT for Jane Doe`.
pub(super) fn describe(biz: &Business, a: &Appointment) -> String {
    let service = biz.service(&a.service_id).map_or(a.service_id.as_str(), |s| &s.name);
    let staff = biz.staff_member(&a.staff_id).map_or(a.staff_id.as_str(), |s| &s.name);
    format!(
        "{service} with {staff} on {} for {} ({})",
        crate::domain::time::human(biz.timezone, a.start),
        a.customer_name,
        a.customer_phone
    )
}

/// Prints JSON to stdout.
pub(super) fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

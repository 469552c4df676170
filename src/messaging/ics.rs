//! iCalendar invites for email confirmations (RFC 5545/5546): `METHOD:REQUEST` for a booked or
//! moved appointment and `METHOD:CANCEL` for a cancelled one, with a stable `UID` per appointment
//! and `SEQUENCE` growing with each change. Times are UTC, so no `VTIMEZONE` is needed. Lines end
//! in CRLF and are folded at 75 octets by the `icalendar` crate.

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, EventLike, EventStatus, Property};
use lettre::message::Mailbox;

use crate::domain::{Appointment, Business, Status};

/// The iTIP method of an invite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// New or updated appointment.
    Request,
    /// Cancelled appointment.
    Cancel,
}

impl Method {
    /// `REQUEST` or `CANCEL`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }

    /// The method of an invite produced by [`invite`].
    pub(crate) fn of(ics: &str) -> Self {
        if ics.contains("\r\nMETHOD:CANCEL\r\n") { Method::Cancel } else { Method::Request }
    }
}

/// The stable UID of an appointment's event.
pub fn uid(a: &Appointment) -> String {
    format!("{}@appointment-setter", a.id)
}

/// `key` (ORGANIZER, ATTENDEE) for `address` with display name `name`; a parameter value may not
/// hold a double quote, so one in a name is dropped (the crate quotes `,` `;` `:` itself).
fn person(key: &str, address: &str, name: Option<&str>) -> Property {
    let mut p = Property::new(key, format!("mailto:{address}"));
    if let Some(name) = name.map(|n| n.replace('"', "")).filter(|n| !n.trim().is_empty()) {
        p.add_parameter("CN", name.trim());
    }
    p
}

/// The organizer from the sending address (`SMTP_FROM`, e.g. `Clinic <appointments@clinic.example>`):
/// the address in the `mailto:` URI, the display name as `CN`.
fn organizer(from: &str) -> Property {
    match from.parse::<Mailbox>() {
        Ok(m) => person("ORGANIZER", m.email.as_ref(), m.name.as_deref()),
        Err(_) => person("ORGANIZER", from.trim(), None),
    }
}

/// The invite for `a` in its current state, stamped `now`; `organizer` is the sending address.
pub fn invite(biz: &Business, a: &Appointment, organizer: &str, now: DateTime<Utc>) -> String {
    let service = biz.service(&a.service_id).map_or(a.service_id.as_str(), |s| s.name.as_str());
    let staff = biz.staff_member(&a.staff_id).map_or(a.staff_id.as_str(), |s| s.name.as_str());
    let method = if a.status == Status::Cancelled { Method::Cancel } else { Method::Request };
    let mut event = icalendar::Event::new();
    event
        .uid(&uid(a))
        .sequence(u32::try_from(a.sequence).unwrap_or(u32::MAX))
        .timestamp(now)
        .summary(&format!("{service} with {staff} - {}", biz.name))
        .description(&format!(
            "{service} with {staff} at {}.\nTo cancel or change it, reply C to our text or call {}.",
            biz.name,
            biz.transfer_number
                .as_ref()
                .or(biz.phone_number.as_ref())
                .map_or_else(|| "us".to_string(), |n| n.to_string())
        ))
        .location(&biz.name)
        .starts(a.start)
        .ends(a.end)
        .status(if method == Method::Cancel { EventStatus::Cancelled } else { EventStatus::Confirmed })
        .append_property(self::organizer(organizer))
        .add_property("TRANSP", "OPAQUE");
    // iTIP (RFC 5546) wants the attendee in REQUEST and CANCEL; Gmail and Outlook show an
    // invitation only with one. The customer need not answer.
    if let Some(email) = &a.customer_email {
        let mut attendee = person("ATTENDEE", email, Some(&a.customer_name));
        attendee.add_parameter("ROLE", "REQ-PARTICIPANT").add_parameter("RSVP", "FALSE");
        event.append_property(attendee);
    }
    // `Calendar::new` would add the crate's own PRODID beside ours; strict parsers reject two.
    let mut calendar = Calendar::empty();
    calendar.append_property(("VERSION", "2.0"));
    calendar.append_property(("PRODID", "-//appointment-setter//EN"));
    calendar.append_property(("CALSCALE", "GREGORIAN"));
    calendar.append_property(("METHOD", method.as_str()));
    calendar.push(event.done());
    calendar.done().to_string()
}

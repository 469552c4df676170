//! What a signed-in person may change, and how it is recorded: the one place the console's forms
//! and the admin API go through. Staff book, cancel and move only their own appointments (anyone
//! else's is "not found"); every change goes through the booking service, with the usual texts,
//! and into the audit log.

use chrono::{DateTime, Utc};

use super::AdminConsole;
use crate::accounts::Principal;
use crate::booking::{BookRequest, Booked, BookingError, Tell};
use crate::domain::{Actor, Appointment, AppointmentId, Refusal, StaffId};
use crate::store::Role;

/// Whether `p` may see and change appointments of `staff`.
pub(crate) fn may_handle(p: &Principal, staff: &StaffId) -> bool {
    p.role == Role::Owner || p.staff.as_ref() == Some(staff)
}

/// The appointment `id` when `p` may see it.
pub(crate) async fn visible(console: &AdminConsole, p: &Principal, id: &str) -> Option<Appointment> {
    let id: AppointmentId = id.parse().ok()?;
    let a = console.store().appointments().get(id).await.ok()??;
    may_handle(p, &a.staff_id).then_some(a)
}

/// Said when a staff account books for someone else.
pub(crate) const STAFF_FOR_THEMSELVES: &str = "Staff book for themselves only.";

fn not_yours() -> BookingError {
    BookingError::Refused { reason: Refusal::NotFound, message: "there is no such appointment of yours".into() }
}

/// Books `req` for `p` (staff: only for themselves, and a named staff member is required).
pub(crate) async fn book(console: &AdminConsole, p: &Principal, mut req: BookRequest) -> Result<Booked, BookingError> {
    if p.role == Role::Staff {
        match (&req.staff, &p.staff) {
            (None, Some(own)) => req.staff = Some(own.clone()),
            (Some(staff), _) if may_handle(p, staff) => {}
            _ => {
                return Err(BookingError::Invalid { field: "staff", problem: STAFF_FOR_THEMSELVES.into() });
            }
        }
    }
    let forced = matches!(req.actor, Actor::Staff { force: true });
    let booked = console.booking().book(req).await?;
    if booked.created {
        let id = booked.appointment.id.to_string();
        let detail = forced.then_some("notice and window ignored");
        console.accounts().audit(Some(p), "appointment.book", Some(&id), detail).await;
    }
    Ok(booked)
}

/// Cancels `a` for `p`.
pub(crate) async fn cancel(
    console: &AdminConsole,
    p: &Principal,
    a: &Appointment,
    tell: Tell,
) -> Result<Appointment, BookingError> {
    if !may_handle(p, &a.staff_id) {
        return Err(not_yours());
    }
    let done = console.booking().cancel(a.id, &Actor::Staff { force: false }, tell).await?;
    console.accounts().audit(Some(p), "appointment.cancel", Some(&a.id.to_string()), None).await;
    Ok(done)
}

/// Moves `a` to `start` for `p` (`force`: ignore notice and window, never a clash).
pub(crate) async fn reschedule(
    console: &AdminConsole,
    p: &Principal,
    a: &Appointment,
    start: DateTime<Utc>,
    force: bool,
    tell: Tell,
) -> Result<Appointment, BookingError> {
    if !may_handle(p, &a.staff_id) {
        return Err(not_yours());
    }
    let done = console.booking().reschedule(a.id, start, &Actor::Staff { force }, tell).await?;
    let tz = console.booking().business().timezone;
    let detail = format!("{} → {}", crate::domain::time::human(tz, a.start), crate::domain::time::human(tz, start));
    console.accounts().audit(Some(p), "appointment.reschedule", Some(&a.id.to_string()), Some(&detail)).await;
    Ok(done)
}

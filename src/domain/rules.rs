//! The booking rules for one exact interval (SPEC §4.7–4.8), shared by booking and rescheduling.
//! They give the same answers as the availability engine: a slot the engine offers passes them.

use chrono::{DateTime, Utc};

use super::availability::{BusyInterval, blocked_ranges};
use super::business::{Business, Service, StaffMember};
use super::interval::Interval;
use super::phone::PhoneNumber;
use super::refusal::Refusal;
use super::time::local_date;

/// Who is asking. Customers are held to notice, window and cancellation policy; staff may
/// override notice and window with `force` and may always cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A customer (voice, SMS, manage link), who may only see and change their own appointments.
    Customer {
        /// The customer's number (from the call or text, never from what they say).
        phone: PhoneNumber,
    },
    /// Staff (CLI, admin API); `force` overrides notice and window.
    Staff {
        /// Override minimum notice and booking window.
        force: bool,
    },
}

impl Actor {
    fn overrides_policy(&self) -> bool {
        matches!(self, Actor::Staff { force: true })
    }
}

/// Rules that depend only on the start time (SPEC §4.3): past, notice, window.
pub fn check_timing(biz: &Business, start: DateTime<Utc>, now: DateTime<Utc>, actor: &Actor) -> Result<(), Refusal> {
    if start < now {
        return Err(Refusal::InThePast);
    }
    if actor.overrides_policy() {
        return Ok(());
    }
    if start < now + biz.policy.min_notice {
        return Err(Refusal::TooSoon);
    }
    if local_date(biz.timezone, start) > biz.last_bookable_date(now) {
        return Err(Refusal::TooFarAhead);
    }
    Ok(())
}

/// Rules 1–2 for one staff member: the interval must lie inside one opening range of its local
/// date and start on that range's slot grid. Returns the interval.
pub fn check_hours(
    biz: &Business,
    service: &Service,
    staff: &StaffMember,
    start: DateTime<Utc>,
) -> Result<Interval, Refusal> {
    let wanted = Interval::starting_at(start, service.duration);
    let date = local_date(biz.timezone, start);
    let mut ranges = biz.opening_ranges(staff, date).peekable();
    if ranges.peek().is_none() {
        return Err(Refusal::Closed);
    }
    let step = biz.policy.slot_interval.num_seconds();
    let fits = ranges.any(|(open, close)| {
        let range = Interval { start: open, end: close };
        range.contains(&wanted) && (start - open).num_seconds() % step == 0
    });
    if fits { Ok(wanted) } else { Err(Refusal::OutsideHours) }
}

/// Rule 4: true when `wanted` (for `service`) keeps the required gap to every busy interval.
pub fn is_free(service: &Service, wanted: &Interval, busy: &[BusyInterval]) -> bool {
    let (s, e) = (wanted.start.timestamp(), wanted.end.timestamp());
    !blocked_ranges(service, busy).iter().any(|&(bs, be)| s < be && bs < e)
}

/// May `actor` cancel or move an appointment starting at `start`? (SPEC §4.8)
pub(crate) fn check_cancellable(
    biz: &Business,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<(), Refusal> {
    match actor {
        Actor::Staff { .. } => Ok(()),
        Actor::Customer { .. } if start - now < biz.policy.cancel_notice => Err(Refusal::TooLateToCancel),
        Actor::Customer { .. } => Ok(()),
    }
}

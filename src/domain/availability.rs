//! The availability engine (SPEC §4.2–4.6): which (start, staff) pairs a customer may book.
//!
//! A sorted sweep: each staff member's busy time is widened by the buffer it needs against the
//! requested service and merged into disjoint blocked ranges; candidates are walked in time order
//! against them, so a query costs O(busy · log busy + candidates) rather than their product.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::business::{Business, Service};
use super::interval::Interval;

/// Time a staff member is not free, with the buffer it demands around itself (SPEC §4.4): the
/// service buffer for our own appointments, zero for other calendar busy time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusyInterval {
    /// When the staff member is busy.
    pub interval: Interval,
    /// Gap this busy time requires from its neighbours.
    pub buffer: Duration,
}

/// The busy time of one staff member, by index into [`Business::staff`].
#[derive(Debug, Clone, Copy)]
pub struct StaffBusy<'a> {
    /// Index into [`Business::staff`].
    pub staff: usize,
    /// Busy intervals in any order.
    pub busy: &'a [BusyInterval],
}

/// A bookable slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Appointment start.
    pub start: DateTime<Utc>,
    /// Appointment end (start + duration).
    pub end: DateTime<Utc>,
    /// Index into [`Business::staff`].
    pub staff: usize,
}

/// What to search.
#[derive(Debug, Clone, Copy)]
pub struct SlotSearch<'a> {
    /// The service to book.
    pub service: &'a Service,
    /// First local date to search.
    pub from: NaiveDate,
    /// Last local date to search (inclusive); clipped to the booking window.
    pub to: NaiveDate,
    /// The current instant.
    pub now: DateTime<Utc>,
}

/// Customer-visible slots for `search` among `staff`, sorted by start then config staff order
/// (SPEC §4.6). Staff who do not offer the service are skipped.
pub fn find_slots(biz: &Business, search: &SlotSearch<'_>, staff: &[StaffBusy<'_>]) -> Vec<Slot> {
    let mut out = Vec::new();
    for sb in staff {
        staff_slots(biz, search, sb, &mut out);
    }
    out.sort_unstable_by_key(|s| (s.start, s.staff));
    out
}

/// Merged blocked ranges (unix seconds) for a service: busy time widened by the required gap.
pub(crate) fn blocked_ranges(service: &Service, busy: &[BusyInterval]) -> Vec<(i64, i64)> {
    let mut widened: Vec<(i64, i64)> = busy
        .iter()
        .map(|b| {
            let gap = service.buffer.max(b.buffer).num_seconds();
            (b.interval.start.timestamp() - gap, b.interval.end.timestamp() + gap)
        })
        .collect();
    widened.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(widened.len());
    for (s, e) in widened {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

fn staff_slots(biz: &Business, search: &SlotSearch<'_>, sb: &StaffBusy<'_>, out: &mut Vec<Slot>) {
    let member = &biz.staff[sb.staff];
    if !member.offers(&search.service.id) {
        return;
    }
    let duration = search.service.duration.num_seconds();
    let step = biz.policy.slot_interval.num_seconds();
    let earliest = (search.now + biz.policy.min_notice).timestamp().max(search.now.timestamp());
    let last_date = search.to.min(biz.last_bookable_date(search.now));
    let blocked = blocked_ranges(search.service, sb.busy);

    let mut date = search.from.max(biz.today(search.now));
    while date <= last_date {
        for (open, close) in biz.opening_ranges(member, date) {
            let (open, close) = (open.timestamp(), close.timestamp());
            // First grid point at or after `earliest`.
            let mut start = if earliest > open { open + (earliest - open + step - 1) / step * step } else { open };
            let mut b = blocked.partition_point(|&(_, e)| e <= start);
            while start + duration <= close {
                let end = start + duration;
                while b < blocked.len() && blocked[b].1 <= start {
                    b += 1;
                }
                match blocked.get(b) {
                    Some(&(bs, be)) if bs < end => {
                        // Jump to the first grid point at or after the blocked range's end.
                        start = open + ((be - open + step - 1) / step).max(1) * step;
                        continue;
                    }
                    _ => out.push(Slot {
                        start: DateTime::from_timestamp(start, 0).expect("in range"),
                        end: DateTime::from_timestamp(end, 0).expect("in range"),
                        staff: sb.staff,
                    }),
                }
                start += step;
            }
        }
        date = date.succ_opt().expect("date in range");
    }
}

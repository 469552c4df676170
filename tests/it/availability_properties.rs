//! Property tests for the availability engine against a brute-force oracle built from the booking
//! rules, and for the booking service: any offered slot books, and a booked slot disappears.

use crate::support;

use std::collections::BTreeSet;

use appointment_setter::domain::rules::{check_hours, check_timing, is_free};
use appointment_setter::domain::time::local_date;
use appointment_setter::domain::{Actor, Business, BusyInterval, Interval, SlotSearch, StaffBusy, find_slots};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use proptest::prelude::*;
use support::*;

const ZONES: &[&str] = &["America/Chicago", "Asia/Kathmandu", "Australia/Lord_Howe", "Europe/London", "UTC"];
const DAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

fn hhmm(m: u32) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// Up to three non-overlapping ranges from sorted distinct boundaries (multiples of 5 minutes).
fn day_ranges() -> impl Strategy<Value = Vec<String>> {
    prop::collection::btree_set(0u32..=288, 0..=6).prop_map(|set| {
        let b: Vec<u32> = set.into_iter().map(|x| x * 5).collect();
        b.chunks_exact(2).map(|p| format!("{}-{}", hhmm(p[0]), hhmm(p[1]))).collect()
    })
}

#[derive(Debug, Clone)]
struct Case {
    zone: &'static str,
    week: Vec<Vec<String>>,
    staff_week: Option<Vec<Vec<String>>>,
    interval: i64,
    notice: i64,
    window: i64,
    duration: i64,
    buffer: i64,
    now_offset_minutes: i64,
    busy: Vec<(usize, i64, i64, i64)>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(ZONES),
        prop::collection::vec(day_ranges(), 7),
        prop::option::of(prop::collection::vec(day_ranges(), 7)),
        prop::sample::select(&[5i64, 10, 15, 20, 30, 60][..]),
        0i64..=600,
        0i64..=12,
        (5i64..=180, 0i64..=60),
        0i64..(40 * 24 * 60),
        prop::collection::vec((0usize..2, 0i64..(14 * 24 * 60), 5i64..=240, 0i64..=60), 0..25),
    )
        .prop_map(
            |(zone, week, staff_week, interval, notice, window, (duration, buffer), now_offset_minutes, busy)| Case {
                zone,
                week,
                staff_week,
                interval,
                notice,
                window,
                duration,
                buffer,
                now_offset_minutes,
                busy,
            },
        )
}

fn week_toml(prefix: &str, week: &[Vec<String>]) -> String {
    DAYS.iter()
        .zip(week)
        .map(|(d, r)| format!("{prefix}{d} = [{}]", r.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>().join(", ")))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Case {
    fn business(&self) -> Business {
        let staff_hours = match &self.staff_week {
            Some(w) => format!("hours = {{ {} }}", week_toml("", w).replace('\n', ", ")),
            None => String::new(),
        };
        let text = format!(
            "[hours]\n{}\n[booking]\nslot_interval_minutes = {}\nmin_notice_minutes = {}\nmax_days_ahead = {}\n\
             [[staff]]\nid = \"a\"\nname = \"A\"\n[[staff]]\nid = \"b\"\nname = \"B\"\n{staff_hours}\n",
            week_toml("", &self.week),
            self.interval,
            self.notice,
            self.window
        )
        .replace("[[services]]", "");
        let mut biz = business(self.zone, &text);
        // The generated service replaces Consultation so durations and buffers vary.
        biz.services[0].duration = Duration::minutes(self.duration);
        biz.services[0].buffer = Duration::minutes(self.buffer);
        biz
    }

    /// Around the 2026 DST changes of most generated zones.
    fn now(&self) -> DateTime<Utc> {
        let base = if self.now_offset_minutes % 2 == 0 { "2026-03-01T00:00:00Z" } else { "2026-09-20T00:00:00Z" };
        base.parse::<DateTime<Utc>>().unwrap() + Duration::minutes(self.now_offset_minutes / 2 * 2 % (20 * 24 * 60))
    }

    fn busy(&self, now: DateTime<Utc>) -> [Vec<BusyInterval>; 2] {
        let mut out = [Vec::new(), Vec::new()];
        for &(staff, offset, len, buffer) in &self.busy {
            out[staff].push(BusyInterval {
                interval: Interval::starting_at(now + Duration::minutes(offset), Duration::minutes(len)),
                buffer: Duration::minutes(buffer),
            });
        }
        out
    }
}

fn offered(
    biz: &Business,
    now: DateTime<Utc>,
    from: NaiveDate,
    to: NaiveDate,
    busy: &[Vec<BusyInterval>; 2],
) -> Vec<(DateTime<Utc>, usize)> {
    let staff = [StaffBusy { staff: 0, busy: &busy[0] }, StaffBusy { staff: 1, busy: &busy[1] }];
    find_slots(biz, &SlotSearch { service: &biz.services[0], from, to, now }, &staff)
        .iter()
        .map(|s| (s.start, s.staff))
        .collect()
}

/// Every candidate start of every opening range that passes the booking rules.
fn oracle(
    biz: &Business,
    now: DateTime<Utc>,
    from: NaiveDate,
    to: NaiveDate,
    busy: &[Vec<BusyInterval>; 2],
) -> BTreeSet<(DateTime<Utc>, usize)> {
    let service = &biz.services[0];
    let customer = Actor::Customer { phone: phone("+13125550123") };
    let mut out = BTreeSet::new();
    let mut day = from;
    while day <= to {
        for (i, member) in biz.staff.iter().enumerate() {
            for (open, close) in biz.opening_ranges(member, day) {
                let mut start = open;
                while start + service.duration <= close {
                    let ok = check_timing(biz, start, now, &customer).is_ok()
                        && check_hours(biz, service, member, start).is_ok()
                        && is_free(service, &Interval::starting_at(start, service.duration), &busy[i]);
                    if ok {
                        out.insert((start, i));
                    }
                    start += biz.policy.slot_interval;
                }
            }
        }
        day = day.succ_opt().unwrap();
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn offered_slots_are_exactly_the_candidates_the_booking_rules_accept(c in case()) {
        let biz = c.business();
        let now = c.now();
        let busy = c.busy(now);
        let from = local_date(biz.timezone, now);
        let to = from + chrono::Days::new(14);
        let got = offered(&biz, now, from, to, &busy);

        // Sorted by start, then staff order.
        prop_assert!(got.windows(2).all(|w| w[0] < w[1]));
        let service = &biz.services[0];
        for &(start, staff) in &got {
            let slot = Interval::starting_at(start, service.duration);
            prop_assert!(start >= now + biz.policy.min_notice, "notice");
            prop_assert!(local_date(biz.timezone, start) <= biz.last_bookable_date(now), "window");
            let day = local_date(biz.timezone, start);
            let inside = [day.pred_opt().unwrap(), day].iter().any(|d| {
                biz.opening_ranges(&biz.staff[staff], *d).any(|(o, c)| Interval { start: o, end: c }.contains(&slot))
            });
            prop_assert!(inside, "slot {start} not inside one opening range");
            for b in &busy[staff] {
                let gap = service.buffer.max(b.buffer);
                prop_assert!(!slot.closer_than(&b.interval, gap), "slot {start} too close to busy {:?}", b);
            }
        }
        let expected = oracle(&biz, now, from, to, &busy);
        prop_assert_eq!(got.iter().copied().collect::<BTreeSet<_>>(), expected);
    }

    #[test]
    fn after_booking_an_offered_slot_no_overlapping_slot_is_offered_for_that_staff_member(c in case(), pick in any::<prop::sample::Index>()) {
        let biz = c.business();
        let now = c.now();
        let mut busy = c.busy(now);
        let from = local_date(biz.timezone, now);
        let to = from + chrono::Days::new(14);
        let before = offered(&biz, now, from, to, &busy);
        prop_assume!(!before.is_empty());
        let (start, staff) = before[pick.index(before.len())];
        let service = &biz.services[0];
        let booked = Interval::starting_at(start, service.duration);
        busy[staff].push(BusyInterval { interval: booked, buffer: service.buffer });
        let after = offered(&biz, now, from, to, &busy);
        prop_assert!(after.iter().all(|s| before.contains(s)), "booking never frees time");
        for &(s, st) in &after {
            if st == staff {
                prop_assert!(!Interval::starting_at(s, service.duration).closer_than(&booked, service.buffer));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_booking_service_books_any_offered_slot_and_then_stops_offering_it(c in case(), pick in any::<prop::sample::Index>()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let mut biz = c.business();
            biz.services.truncate(1);
            let now = c.now();
            let db = TestDb::sqlite().await;
            let svc = service(&db, biz.clone(), now).await;
            let from = local_date(biz.timezone, now);
            let sid = biz.services[0].id.clone();
            let before = svc.find_slots(&sid, None, from, 15).await.unwrap();
            if before.is_empty() {
                return Ok(());
            }
            let slot = before[pick.index(before.len())];
            let staff = biz.staff[slot.staff].id.as_str();
            let booked = svc.book(request_with(sid.as_str(), staff, slot.start)).await;
            prop_assert!(booked.is_ok(), "{:?}", booked.err());
            let after = svc.find_slots(&sid, None, from, 15).await.unwrap();
            let booked = Interval { start: slot.start, end: slot.end };
            let clash = after.iter().any(|s| s.staff == slot.staff && Interval { start: s.start, end: s.end }.closer_than(&booked, biz.services[0].buffer));
            prop_assert!(!clash, "a slot overlapping the booking is still offered");
            Ok(())
        })?;
    }
}

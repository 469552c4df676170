//! Slot search on the pure engine: 60 days × 10 staff × 2,000 busy intervals per staff member
//! (issue target: ≤ 1 ms per query).

use std::hint::black_box;

use appointment_setter::config::Config;
use appointment_setter::domain::{Business, BusyInterval, Interval, SlotSearch, StaffBusy, find_slots};
use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, criterion_group, criterion_main};

fn business() -> Business {
    let staff: String = (0..10).map(|i| format!("[[staff]]\nid = \"s{i}\"\nname = \"Staff {i}\"\n")).collect();
    let text = format!(
        r#"
[business]
name = "Bench"
timezone = "America/Chicago"
[hours]
monday    = ["09:00-12:00", "13:00-17:00"]
tuesday   = ["09:00-12:00", "13:00-17:00"]
wednesday = ["09:00-12:00", "13:00-17:00"]
thursday  = ["09:00-12:00", "13:00-17:00"]
friday    = ["09:00-12:00", "13:00-17:00"]
saturday  = ["09:00-13:00"]
[booking]
max_days_ahead = 60
[[services]]
id = "consultation"
name = "Consultation"
duration_minutes = 30
buffer_minutes = 15
{staff}"#
    );
    Config::parse(&text).unwrap().business
}

/// 2,000 short busy intervals per staff member spread over the 60 days (a deterministic LCG).
fn busy(now: DateTime<Utc>, seed: u64) -> Vec<BusyInterval> {
    let mut x = seed;
    let mut next = move || {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        x >> 33
    };
    let mut out: Vec<BusyInterval> = (0..2000)
        .map(|_| {
            let start = now + Duration::minutes((next() % (60 * 24 * 60)) as i64);
            let len = 5 + (next() % 12) as i64 * 5;
            BusyInterval {
                interval: Interval::starting_at(start, Duration::minutes(len)),
                buffer: Duration::minutes((next() % 3) as i64 * 15),
            }
        })
        .collect();
    out.sort_by_key(|b| b.interval.start);
    out
}

fn bench(c: &mut Criterion) {
    let biz = business();
    let now: DateTime<Utc> = "2026-12-07T14:00:00Z".parse().unwrap();
    let busy: Vec<Vec<BusyInterval>> = (0..10).map(|i| busy(now, i as u64 + 1)).collect();
    let staff: Vec<StaffBusy<'_>> = busy.iter().enumerate().map(|(i, b)| StaffBusy { staff: i, busy: b }).collect();
    let from = biz.today(now);
    let search = SlotSearch { service: &biz.services[0], from, to: from + chrono::Days::new(59), now };
    let found = find_slots(&biz, &search, &staff).len();
    assert!(found > 1000, "the benchmark must find real slots, found {found}");
    c.bench_function("slot_search_60d_10staff_2000busy", |b| {
        b.iter(|| black_box(find_slots(&biz, black_box(&search), &staff)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

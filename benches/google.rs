//! The google backend against the emulator with 20 ms simulated latency per call (issue #7
//! targets): slot search for 14 days × 5 staff in one freeBusy round trip (≤ 60 ms), ≤ 2 ms with a
//! warm cache; a booking in at most three round trips.

#[path = "../tests/it/support/google_emulator/mod.rs"]
#[allow(dead_code)]
mod google_emulator;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use appointment_setter::booking::{BookRequest, BookingService};
use appointment_setter::calendar::google::GoogleCalendar;
use appointment_setter::clock::FixedClock;
use appointment_setter::config::Config;
use appointment_setter::domain::PhoneNumber;
use appointment_setter::domain::phone::Region;
use appointment_setter::store::{Store, sqlite_url};
use chrono::{DateTime, NaiveDate, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use google_emulator::GoogleEmulator;

const STAFF: usize = 5;
const LATENCY: Duration = Duration::from_millis(20);

fn business() -> Arc<appointment_setter::domain::Business> {
    let staff: String = (0..STAFF)
        .map(|i| format!("[[staff]]\nid = \"s{i}\"\nname = \"Staff {i}\"\ncalendar_id = \"s{i}@bench.test\"\n"))
        .collect();
    let text = format!(
        "[business]\nname = \"Bench\"\ntimezone = \"America/Chicago\"\n[hours]\n{}\n[[services]]\nid = \"c\"\nname = \"C\"\nduration_minutes = 30\n[calendar]\nbackend = \"google\"\n{staff}",
        ["monday", "tuesday", "wednesday", "thursday", "friday"].map(|d| format!("{d} = [\"09:00-17:00\"]")).join("\n")
    );
    Arc::new(Config::parse(&text).unwrap().business)
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let biz = business();
    let now: DateTime<Utc> = "2026-12-07T12:00:00Z".parse().unwrap();
    let from = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let calendars: Vec<String> = (0..STAFF).map(|i| format!("s{i}@bench.test")).collect();
    let refs: Vec<&str> = calendars.iter().map(String::as_str).collect();
    let (emu, cold, warm) = rt.block_on(async {
        let emu = GoogleEmulator::start(&refs).await;
        // Staff's own busy time: an hour every day in every calendar.
        for (i, cal) in calendars.iter().enumerate() {
            for d in 0..20 {
                let start = now + chrono::Duration::days(d) + chrono::Duration::hours(3 + i as i64);
                emu.staff_add(cal, &format!("busy{d:03}x{i}"), start, start + chrono::Duration::hours(1));
            }
        }
        let connect = |ttl: Duration| {
            let (biz, key, base) = (biz.clone(), emu.key_file(dir.path()), emu.api_base());
            async move {
                GoogleCalendar::connect(&key, Some(&base), biz)
                    .await
                    .unwrap()
                    .with_busy_cache(ttl)
                    .with_rate_limit(1000)
            }
        };
        let store = Store::connect(&sqlite_url(&dir.path().join("bench.db"))).await.unwrap();
        let clock = Arc::new(FixedClock(now));
        let cold =
            BookingService::new(biz.clone(), store.clone(), Arc::new(connect(Duration::ZERO).await), clock.clone());
        let warm = BookingService::new(biz.clone(), store, Arc::new(connect(Duration::from_secs(30)).await), clock);
        // Sign in before measuring; then every call pays the latency.
        cold.find_slots(&"c".parse().unwrap(), None, from, 14).await.unwrap();
        emu.set_latency(LATENCY);
        (emu, cold, warm)
    });

    let mut group = c.benchmark_group("google");
    group.sample_size(20).measurement_time(Duration::from_secs(5));
    group.bench_function("slot_search_14d_5_staff_20ms_latency", |b| {
        b.to_async(&rt).iter(|| async { cold.find_slots(&"c".parse().unwrap(), None, from, 14).await.unwrap() })
    });
    group.sample_size(100);
    group.bench_function("slot_search_14d_5_staff_warm_cache", |b| {
        b.to_async(&rt).iter(|| async { warm.find_slots(&"c".parse().unwrap(), None, from, 14).await.unwrap() })
    });

    let phone = PhoneNumber::parse("+13125550123", Region::parse("US").unwrap()).unwrap();
    let counter = AtomicU64::new(0);
    let first: DateTime<Utc> = "2026-12-08T15:00:00Z".parse().unwrap(); // 09:00 Chicago
    let calls_before = emu.api_calls();
    group.sample_size(10);
    group.bench_function("booking_20ms_latency", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (booking, phone, counter) = (cold.clone(), phone.clone(), &counter);
            async move {
                let started = Instant::now();
                for _ in 0..iters {
                    let n = counter.fetch_add(1, Ordering::Relaxed) as i64;
                    // 16 half-hours a day per staff member, weekdays only.
                    let (slot, staff) = (n / STAFF as i64, n % STAFF as i64);
                    let (day, half) = (slot / 16, slot % 16);
                    let day = day + 2 * (day / 5); // skip weekends
                    let start = first + chrono::Duration::days(day) + chrono::Duration::minutes(30 * half);
                    let staff = format!("s{staff}").parse().unwrap();
                    let req = BookRequest::front_desk("c".parse().unwrap(), staff, start, "Bench", phone.clone(), true);
                    match booking.book(req).await {
                        Ok(_) => {}
                        Err(e) if e.refusal().is_some() => {} // an hour the staff blocked in Google
                        Err(e) => panic!("{e}"),
                    }
                }
                started.elapsed()
            }
        })
    });
    group.finish();
    let booked = counter.load(Ordering::Relaxed).max(1);
    eprintln!(
        "google: {:.2} calendar API calls per booking attempt",
        (emu.api_calls() - calls_before) as f64 / booked as f64
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);

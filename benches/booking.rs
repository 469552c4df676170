//! Sequential bookings through the booking service on SQLite, each for a distinct slot
//! (issue target: ≥ 1,000 bookings/s).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use appointment_setter::booking::{BookRequest, BookingService, Tell};
use appointment_setter::calendar::LocalCalendar;
use appointment_setter::clock::FixedClock;
use appointment_setter::config::Config;
use appointment_setter::domain::phone::Region;
use appointment_setter::domain::{Actor, Channel, PhoneNumber};
use appointment_setter::store::{Store, sqlite_url};
use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const STAFF: u64 = 10;
/// Non-overlapping 30-minute slots per staff member per day (09:00–17:00).
const PER_DAY: u64 = 16;

fn bench(c: &mut Criterion) {
    let staff: String = (0..STAFF).map(|i| format!("[[staff]]\nid = \"s{i}\"\nname = \"Staff {i}\"\n")).collect();
    let text = format!(
        "[business]\nname = \"Bench\"\ntimezone = \"UTC\"\n[hours]\n{}\n[[services]]\nid = \"c\"\nname = \"C\"\nduration_minutes = 30\n{staff}",
        ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
            .map(|d| format!("{d} = [\"09:00-17:00\"]"))
            .join("\n")
    );
    let biz = Arc::new(Config::parse(&text).unwrap().business);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let now: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
    let service = rt.block_on(async {
        let store = Store::connect(&sqlite_url(&dir.path().join("bench.db"))).await.unwrap();
        BookingService::new(biz, store, Arc::new(LocalCalendar), Arc::new(FixedClock(now)))
    });
    let phone = PhoneNumber::parse("+13125550123", Region::parse("US").unwrap()).unwrap();
    let counter = AtomicU64::new(0);
    let first_day = now + Duration::days(1) + Duration::hours(9);

    let mut group = c.benchmark_group("booking");
    group.throughput(Throughput::Elements(1));
    group.bench_function("sequential_bookings_sqlite", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (service, phone, counter) = (service.clone(), phone.clone(), &counter);
            async move {
                let started = Instant::now();
                for _ in 0..iters {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let (day, rest) = (n / (STAFF * PER_DAY), n % (STAFF * PER_DAY));
                    let start =
                        first_day + Duration::days(day as i64) + Duration::minutes(30 * (rest % PER_DAY) as i64);
                    let req = BookRequest {
                        service: "c".parse().unwrap(),
                        staff: Some(format!("s{}", rest / PER_DAY).parse().unwrap()),
                        start,
                        customer_name: "Bench".into(),
                        customer_phone: phone.clone(),
                        notes: None,
                        channel: Channel::Cli,
                        actor: Actor::Staff { force: true },
                        idempotency_key: Some(format!("bench-{n}")),
                        customer_email: None,
                        tell: Tell::Nothing,
                    };
                    assert!(service.book(req).await.unwrap().created);
                }
                started.elapsed()
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

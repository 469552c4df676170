//! Sequential bookings through the booking service, each for a distinct slot: on SQLite (issue
//! target: ≥ 1,500 bookings/s) and, with `BENCH_DATABASE_URL=postgres://…`, on PostgreSQL in a
//! fresh schema of that database.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use appointment_setter::booking::{BookRequest, BookingService};
use appointment_setter::calendar::LocalCalendar;
use appointment_setter::clock::FixedClock;
use appointment_setter::config::Config;
use appointment_setter::domain::PhoneNumber;
use appointment_setter::domain::phone::Region;
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
    let mut databases = vec![("sequential_bookings_sqlite", sqlite_url(&dir.path().join("bench.db")))];
    if let Some(base) = std::env::var("BENCH_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        databases.push(("sequential_bookings_postgres", rt.block_on(fresh_schema(&base))));
    }
    let now: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
    let phone = PhoneNumber::parse("+13125550123", Region::parse("US").unwrap()).unwrap();
    let first_day = now + Duration::days(1) + Duration::hours(9);

    let mut group = c.benchmark_group("booking");
    group.throughput(Throughput::Elements(1));
    for (name, url) in databases {
        let service = rt.block_on(async {
            let store = Store::connect(&url).await.unwrap();
            BookingService::new(biz.clone(), store, Arc::new(LocalCalendar), Arc::new(FixedClock(now)))
        });
        let counter = AtomicU64::new(0);
        group.bench_function(name, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let (service, phone, counter) = (service.clone(), phone.clone(), &counter);
                async move {
                    let started = Instant::now();
                    for _ in 0..iters {
                        let n = counter.fetch_add(1, Ordering::Relaxed);
                        let (day, rest) = (n / (STAFF * PER_DAY), n % (STAFF * PER_DAY));
                        let start =
                            first_day + Duration::days(day as i64) + Duration::minutes(30 * (rest % PER_DAY) as i64);
                        let staff = format!("s{}", rest / PER_DAY).parse().unwrap();
                        let req = BookRequest {
                            idempotency_key: Some(format!("bench-{n}")),
                            ..BookRequest::front_desk("c".parse().unwrap(), staff, start, "Bench", phone.clone(), true)
                        };
                        assert!(service.book(req).await.unwrap().created);
                    }
                    started.elapsed()
                }
            })
        });
    }
    group.finish();
}

/// A new schema in `base`'s database, as the tests make them.
async fn fresh_schema(base: &str) -> String {
    sqlx::any::install_default_drivers();
    let schema = format!("bench_{}", std::process::id());
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(base).await.expect("connect BENCH_DATABASE_URL");
    for sql in [format!("DROP SCHEMA IF EXISTS {schema} CASCADE"), format!("CREATE SCHEMA {schema}")] {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-c%20search_path%3D{schema}")
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! What a connected Google account (OAuth, issue #16) adds to a Google call, against the
//! emulator with no latency: one freeBusy call as the service account and the same call as a
//! connected account; what precedes each call alone (the route lookup and the cached access
//! token, for either kind of account: the difference is hidden by HTTP's noise), opening a sealed
//! refresh token (done once per refresh), and 50 concurrent searches right after the access token
//! expired (each burst must cause exactly one refresh; the bench checks it). Rate limits are set
//! far above the calls made, so they do not pace the calls measured.

#[path = "../tests/it/support/google_emulator/mod.rs"]
#[allow(dead_code)]
mod google_emulator;
#[path = "../tests/it/support/google_oauth.rs"]
#[allow(dead_code)]
mod google_oauth;

use std::sync::Arc;
use std::time::{Duration, Instant};

use appointment_setter::calendar::google::GoogleCalendar;
use appointment_setter::calendar::{Calendar, Freshness};
use appointment_setter::clock::{Clock, ManualClock};
use appointment_setter::config::Config;
use appointment_setter::domain::{Business, Interval};
use appointment_setter::secrets::SecretBox;
use appointment_setter::store::{Store, sqlite_url};
use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use google_emulator::GoogleEmulator;

const ME: &str = "me@gmail.test";
const SHARED: &str = "shared@bench.test";

/// Two staff members: "sa" on the service account, "me" on a connected account.
fn business() -> Arc<Business> {
    let text = format!(
        "[business]\nname = \"Bench\"\ntimezone = \"America/Chicago\"\n[hours]\nmonday = [\"09:00-17:00\"]\n\
         [[services]]\nid = \"c\"\nname = \"C\"\nduration_minutes = 30\n[calendar]\nbackend = \"google\"\n\
         [[staff]]\nid = \"sa\"\nname = \"Service\"\ncalendar_id = \"{SHARED}\"\n[[staff]]\nid = \"me\"\nname = \"Me\"\n"
    );
    Arc::new(Config::parse(&text).unwrap().business)
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let biz = business();
    let now: DateTime<Utc> = "2026-12-07T12:00:00Z".parse().unwrap();
    let day = Interval::starting_at(now + chrono::Duration::days(1), chrono::Duration::days(1));
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(now));
    let (emu, service, connected) = rt.block_on(async {
        let emu = GoogleEmulator::start(&[SHARED]).await;
        emu.add_user(ME, &[]);
        let service = GoogleCalendar::connect(&emu.key_file(dir.path()), Some(&emu.api_base()), biz.clone())
            .await
            .unwrap()
            .with_busy_cache(Duration::ZERO)
            .with_rate_limit(100_000);
        let store = Store::connect(&sqlite_url(&dir.path().join("bench.db"))).await.unwrap();
        let as_clock: Arc<dyn Clock> = clock.clone();
        let oauth = google_oauth::backend(&emu, dir.path(), &store, biz.clone(), as_clock, None);
        google_oauth::connect(&emu, &oauth.connector, "me", ME).await;
        // Both signed in before measuring.
        assert!(service.busy(&[&biz.staff[0]], day, Freshness::Fresh).await[0].is_ok());
        assert!(oauth.calendar.busy(&[&biz.staff[1]], day, Freshness::Fresh).await[0].is_ok());
        (emu, service, oauth.calendar)
    });

    let mut group = c.benchmark_group("google_oauth");
    group.sample_size(100).measurement_time(Duration::from_secs(5));
    group.bench_function("free_busy_as_service_account", |b| {
        b.to_async(&rt)
            .iter(|| async { assert!(service.busy(&[&biz.staff[0]], day, Freshness::Fresh).await[0].is_ok()) })
    });
    group.bench_function("free_busy_as_connected_account", |b| {
        b.to_async(&rt)
            .iter(|| async { assert!(connected.busy(&[&biz.staff[1]], day, Freshness::Fresh).await[0].is_ok()) })
    });

    // What our side adds to every call (the route and the cached token), without the HTTP.
    group.bench_function("route_and_token_service_account", |b| {
        b.to_async(&rt).iter(|| async { service.prepare(&biz.staff[0]).await.unwrap() })
    });
    group.bench_function("route_and_token_connected_account", |b| {
        b.to_async(&rt).iter(|| async { connected.prepare(&biz.staff[1]).await.unwrap() })
    });

    let secrets = SecretBox::from_key([9; 32]);
    let token = format!("1//0g{}", "x".repeat(98)); // Google's refresh tokens are about 103 characters
    let sealed = secrets.seal(&token, "google-refresh-token:me@gmail.test");
    group.bench_function("open_sealed_refresh_token", |b| {
        b.iter(|| secrets.open(&sealed, "google-refresh-token:me@gmail.test").unwrap())
    });

    group.sample_size(10);
    let bursts = std::sync::atomic::AtomicU64::new(0);
    let refreshes_before = emu.refreshes();
    group.bench_function("50_searches_right_after_expiry", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (connected, clock, emu, biz, bursts) = (&connected, &clock, &emu, &biz, &bursts);
            async move {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    clock.advance(chrono::Duration::minutes(61));
                    let before = emu.refreshes();
                    let started = Instant::now();
                    let me = [&biz.staff[1]];
                    let searches = (0..50).map(|_| connected.busy(&me, day, Freshness::Fresh));
                    let answers = futures::future::join_all(searches).await;
                    spent += started.elapsed();
                    assert!(answers.iter().all(|a| a[0].is_ok()));
                    assert_eq!(emu.refreshes() - before, 1, "one refresh per burst");
                    bursts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                spent
            }
        })
    });
    group.finish();
    let bursts = bursts.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!("google_oauth: {} refreshes for {bursts} bursts of 50 searches", emu.refreshes() - refreshes_before);
}

criterion_group!(benches, bench);
criterion_main!(benches);

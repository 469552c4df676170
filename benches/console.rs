//! The owner's console and the admin API over real HTTP on 127.0.0.1 (issue #15 targets), SQLite:
//! with 10,000 appointments (10 staff, 60 days, 2,000 customers) and 5,000 calls in the store,
//! every console page ≤ 20 ms p99 and the week grid for 10 staff ≤ 30 ms; with 100,000
//! appointments, the API's first and a deep cursor page of appointments ≤ 20 ms. Besides
//! criterion's means, each page's p50/p99 over 300 sequential requests is printed.
//!
//! The rows are written straight into the tables (bulk, in one transaction): booking 100,000
//! appointments through the booking service would take minutes and measure nothing here.

use std::net::TcpListener;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use appointment_setter::accounts::{Accounts, NewUser, SessionSecret};
use appointment_setter::booking::BookingService;
use appointment_setter::calendar::LocalCalendar;
use appointment_setter::clock::{ManualClock, SystemClock};
use appointment_setter::config::Config;
use appointment_setter::domain::Business;
use appointment_setter::http::AdminConsole;
use appointment_setter::ingest::{EventHandler, HandlerError};
use appointment_setter::startup::{self, ServerParts};
use appointment_setter::store::{Role, Store, sqlite_url};
use appointment_setter::telnyx::{PublicKey, TelnyxEvent, Verifier};
use async_trait::async_trait;
use criterion::{Criterion, criterion_group, criterion_main};

/// Monday 2026-12-07 14:00 UTC (08:00 in Chicago).
const NOW: &str = "2026-12-07T14:00:00Z";
const PASSWORD: &str = "correct-horse-battery";

struct NoEvents;

#[async_trait]
impl EventHandler for NoEvents {
    async fn handle(&self, _: &TelnyxEvent) -> Result<(), HandlerError> {
        Ok(())
    }
}

/// The seed business with 10 staff (the seed's three, and copies of Sarah).
fn business() -> Business {
    let config =
        Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml")).unwrap();
    let mut biz = config.business;
    let sarah = biz.staff[0].clone();
    for i in biz.staff.len()..10 {
        let mut copy = sarah.clone();
        copy.id = format!("staff{i}").parse().unwrap();
        copy.name = format!("Staff Member {i}");
        biz.staff.push(copy);
    }
    biz
}

/// Writes `appointments` appointments (10 staff, on the quarter-hour grid of 09:00–17:00 Chicago
/// over 60 days from a week ago, 2,000 customers, one in ten cancelled) and `calls` calls.
async fn fill(url: &str, biz: &Business, appointments: usize, calls: usize) {
    use sqlx::Connection as _;
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    let start0 = NOW.parse::<chrono::DateTime<chrono::Utc>>().unwrap().timestamp() - 7 * 86_400 + 3600;
    for i in 0..appointments {
        let staff = &biz.staff[i % biz.staff.len()].id;
        let slot = (i / biz.staff.len()) as i64;
        // 32 quarter-hours a day, 60 days, then the pattern repeats a week later each round.
        let (day, quarter, round) = (slot / 32 % 60, slot % 32, slot / (32 * 60));
        let start = start0 + (day + round * 61) * 86_400 + quarter * 900;
        let id = uuid::Uuid::new_v4().to_string();
        let status = if i % 10 == 9 { "cancelled" } else { "confirmed" };
        sqlx::query(
            "INSERT INTO appointments (id, service_id, staff_id, start_at, end_at, buffer_minutes, customer_name, \
             customer_phone, notes, status, booked_via, created_at, updated_at, sequence, conversation_id) \
             VALUES ($1, 'standard', $2, $3, $4, 0, $5, $6, NULL, $7, 'voice', $8, $8, 0, $9)",
        )
        .bind(id)
        .bind(staff.to_string())
        .bind(start)
        .bind(start + 900)
        .bind(format!("Customer {}", i % 2000))
        .bind(format!("+1312555{:04}", i % 2000))
        .bind(status)
        .bind(start - 86_400)
        .bind((i < calls).then(|| format!("v3:call-{i}")))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    // A confirmation text for each of the first 10,000.
    for i in 0..appointments.min(10_000) {
        sqlx::query(
            "INSERT INTO outbox (id, cause, channel, recipient, subject, body, attachment, ignore_opt_out, status, \
             attempts, next_attempt_at, created_at, updated_at) \
             VALUES ($1, $2, 'sms', $3, NULL, 'Accuthink Clinic: booked.', NULL, 0, 'sent', 1, $4, $4, $4)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(format!("appointment:{i}:0:booked"))
        .bind(format!("+1312555{:04}", i % 2000))
        .bind(start0 + i as i64)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    for i in 0..calls {
        let at = start0 + (i as i64 % 14) * 86_400;
        sqlx::query(
            "INSERT INTO conversations (id, channel, caller, state, status, outcome, started_at, updated_at) \
             VALUES ($1, 'voice', $2, '{}', 'ended', 'normal_clearing', $3, $4)",
        )
        .bind(format!("v3:call-{i}"))
        .bind(format!("+1312555{:04}", i % 2000))
        .bind(at)
        .bind(at + 120)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// A server with the console on a store filled as [`fill`] says; its URL, a console session
/// cookie and a bearer token of the owner.
async fn serve(dir: &std::path::Path, appointments: usize, calls: usize) -> (String, String, String) {
    let url = sqlite_url(&dir.join("console.db"));
    let store = Store::connect(&url).await.unwrap();
    let biz = business();
    fill(&url, &biz, appointments, calls).await;
    let clock = Arc::new(ManualClock::new(NOW.parse().unwrap()));
    let booking = BookingService::new(Arc::new(biz), store.clone(), Arc::new(LocalCalendar), clock.clone());
    let accounts =
        Accounts::new(store.clone(), clock, SessionSecret::from_bytes(&[9; 32]), NonZeroU32::new(1000).unwrap());
    let owner =
        NewUser { email: "owner@example.com".into(), password: PASSWORD.into(), role: Role::Owner, staff: None };
    accounts.add_user(owner).await.unwrap();
    let signed = accounts.login("owner@example.com", PASSWORD, "127.0.0.1".parse().unwrap()).await.unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let parts = ServerParts {
        listener: TcpListener::bind("127.0.0.1:0").unwrap(),
        verifier: Verifier::new(PublicKey::from_verifying_key(key.verifying_key())),
        handler: Arc::new(NoEvents),
        clock: Arc::new(SystemClock),
        workers: 2,
        capacity: 100,
        chat: None,
        admin: Some(AdminConsole::new(accounts, booking, store.clone(), None)),
    };
    let app = startup::start(store, parts).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    (base, format!("as_session={}", signed.token), signed.token)
}

/// GETs `url` with the cookie or bearer; the body (asserting a 200).
async fn get(http: &reqwest::Client, url: &str, auth: &Auth<'_>) -> bytes::Bytes {
    let r = match auth {
        Auth::Cookie(c) => http.get(url).header("Cookie", *c),
        Auth::Bearer(t) => http.get(url).bearer_auth(t),
    };
    let r = r.send().await.unwrap();
    assert_eq!(r.status(), 200, "{url}");
    r.bytes().await.unwrap()
}

enum Auth<'a> {
    Cookie(&'a str),
    Bearer(&'a str),
}

/// p50 and p99 of `n` sequential GETs, printed.
async fn percentiles(http: &reqwest::Client, name: &str, url: &str, auth: &Auth<'_>, n: usize) {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        std::hint::black_box(get(http, url, auth).await);
        times.push(t.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("{name:<34} p50 {:>6.2} ms   p99 {:>6.2} ms   ({n} requests)", ms(times[n / 2]), ms(times[n * 99 / 100]));
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();

    let small = dir.path().join("10k");
    std::fs::create_dir_all(&small).unwrap();
    let (base, cookie, _) = rt.block_on(serve(&small, 10_000, 5_000));
    let an_id = rt.block_on(async {
        let page = get(&http, &format!("{base}/admin"), &Auth::Cookie(&cookie)).await;
        let text = String::from_utf8_lossy(&page).to_string();
        let at = text.find("/admin/appointments/").expect("today has appointments");
        text[at..].split('"').next().unwrap().to_string()
    });
    let pages = [
        ("console/day_10_staff", "/admin".to_string()),
        ("console/week_10_staff", "/admin/week".to_string()),
        ("console/appointment", an_id),
        ("console/conversations", "/admin/conversations".to_string()),
        ("console/customers", "/admin/customers".to_string()),
        ("console/texts", "/admin/texts".to_string()),
        ("console/stats", "/admin/stats".to_string()),
    ];
    let mut group = c.benchmark_group("console_10k");
    group.sample_size(30).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_millis(500));
    for (name, path) in &pages {
        let url = format!("{base}{path}");
        let auth = Auth::Cookie(&cookie);
        rt.block_on(percentiles(&http, name, &url, &auth, 300));
        group.bench_function(*name, |b| b.to_async(&rt).iter(|| get(&http, &url, &auth)));
    }
    group.finish();

    let big = dir.path().join("100k");
    std::fs::create_dir_all(&big).unwrap();
    let (base, _, token) = rt.block_on(serve(&big, 100_000, 0));
    let deep = rt.block_on(async {
        // Walk 200 pages of 100 in: a cursor 20,000 rows deep.
        let mut url = format!("{base}/api/v1/appointments?limit=100");
        for _ in 0..200 {
            let page: serde_json::Value =
                serde_json::from_slice(&get(&http, &url, &Auth::Bearer(&token)).await).unwrap();
            let next = page["next_cursor"].as_str().expect("more pages");
            url = format!("{base}/api/v1/appointments?limit=100&cursor={next}");
        }
        url
    });
    let apis = [
        ("api_100k/appointments_first_page", format!("{base}/api/v1/appointments?limit=100")),
        ("api_100k/appointments_page_200", deep),
        ("api_100k/appointments_one_staff", format!("{base}/api/v1/appointments?limit=100&staff=sarah")),
        ("api_100k/customers_first_page", format!("{base}/api/v1/customers?limit=100")),
    ];
    let mut group = c.benchmark_group("api_100k");
    group.sample_size(30).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_millis(500));
    for (name, url) in &apis {
        let auth = Auth::Bearer(&token);
        rt.block_on(percentiles(&http, name, url, &auth, 300));
        group.bench_function(*name, |b| b.to_async(&rt).iter(|| get(&http, url, &auth)));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

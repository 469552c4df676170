//! 10,000 reminders due at the same minute across 3 staff, sent by one instance through a fake
//! Telnyx API that answers in 50 ms (issue #5 target: all sent within 60 s).
//!
//! `cargo run --release --example reminder_burst -- [REMINDERS] [PER_SECOND] [CONCURRENCY]`

use std::net::TcpListener;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use appointment_setter::booking::{BookRequest, BookingService};
use appointment_setter::calendar::LocalCalendar;
use appointment_setter::clock::ManualClock;
use appointment_setter::config::Config;
use appointment_setter::domain::PhoneNumber;
use appointment_setter::domain::phone::Region;
use appointment_setter::messaging::outbox::{OutboxSettings, OutboxWorker};
use appointment_setter::messaging::reminders::ReminderScheduler;
use appointment_setter::store::{Store, sqlite_url};
use appointment_setter::telnyx::{ApiKey, RetryPolicy, TelnyxClient};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let total: u64 = args.next().map_or(10_000, |a| a.parse().expect("REMINDERS"));
    let per_second: u32 = args.next().map_or(250, |a| a.parse().expect("PER_SECOND"));
    let concurrency: usize = args.next().map_or(32, |a| a.parse().expect("CONCURRENCY"));

    // The fake Telnyx: 50 ms per message.
    let received = Arc::new(AtomicU64::new(0));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let counter = web::Data::new(received.clone());
    let server = HttpServer::new(move || {
        App::new().app_data(counter.clone()).route(
            "/v2/messages",
            web::post().to(|c: web::Data<Arc<AtomicU64>>| async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let n = c.fetch_add(1, Ordering::Relaxed);
                HttpResponse::Ok().json(serde_json::json!({"data": {"id": format!("msg-{n}")}}))
            }),
        )
    })
    .workers(2)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);

    let config = Config::parse(
        r#"
[business]
name = "Burst Clinic"
timezone = "America/Chicago"
phone_number = "+13125550100"
[hours]
monday = ["00:00-24:00"]
tuesday = ["00:00-24:00"]
wednesday = ["00:00-24:00"]
thursday = ["00:00-24:00"]
friday = ["00:00-24:00"]
saturday = ["00:00-24:00"]
sunday = ["00:00-24:00"]
[booking]
max_days_ahead = 3650
[[services]]
id = "c"
name = "Consultation"
duration_minutes = 30
[[staff]]
id = "a"
name = "Ana"
[[staff]]
id = "b"
name = "Ben"
[[staff]]
id = "c"
name = "Cy"
"#,
    )
    .unwrap();
    let business = Arc::new(config.business);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("burst.db");
    let store = Store::connect(&sqlite_url(&db)).await.unwrap();
    let start: chrono::DateTime<chrono::Utc> = "2027-01-04T12:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start - chrono::Duration::days(2)));
    let booking = BookingService::new(business.clone(), store.clone(), Arc::new(LocalCalendar), clock.clone());
    let setup = Instant::now();
    for n in 0..total {
        let staff = ["a", "b", "c"][(n % 3) as usize].parse().unwrap();
        let at = start + chrono::Duration::minutes(30 * (n / 3) as i64);
        let phone = format!("+1312{}{:04}", 200 + n / 10_000, n % 10_000);
        let phone = PhoneNumber::parse(&phone, Region::parse("US").unwrap()).unwrap();
        let req = BookRequest::front_desk("c".parse().unwrap(), staff, at, "Burst", phone, true);
        booking.book(req).await.unwrap();
    }
    // All reminders due at the same minute.
    let due = start - chrono::Duration::hours(1);
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&sqlite_url(&db)).await.unwrap();
    sqlx::query("UPDATE reminders SET due_at = $1").bind(due.timestamp()).execute(&mut conn).await.unwrap();
    println!("setup: {total} appointments booked in {:.1} s", setup.elapsed().as_secs_f64());

    clock.set(due);
    let wake = Arc::new(tokio::sync::Notify::new());
    let scheduler = ReminderScheduler::new(store.clone(), business.clone(), clock.clone(), wake.clone(), wake.clone());
    let client =
        TelnyxClient::new(&format!("http://127.0.0.1:{port}/v2"), ApiKey::new("k"), RetryPolicy::default()).unwrap();
    let settings =
        OutboxSettings { concurrency, per_second: NonZeroU32::new(per_second).unwrap(), ..OutboxSettings::default() };
    let outbox = OutboxWorker::new(
        store.clone(),
        Arc::new(client),
        business.phone_number.clone(),
        clock.clone(),
        settings,
        wake,
    );

    let started = Instant::now();
    let queued = scheduler.tick().await.unwrap();
    let scheduled = started.elapsed();
    let attempted = outbox.run_once().await.unwrap();
    let elapsed = started.elapsed();
    println!(
        "reminders={queued} attempted={attempted} delivered_to_fake={} per_second_limit={per_second} concurrency={concurrency} \
         queued_in={:.2}s all_sent_in={:.2}s rate={:.0}/s",
        received.load(Ordering::Relaxed),
        scheduled.as_secs_f64(),
        elapsed.as_secs_f64(),
        attempted as f64 / (elapsed - scheduled).as_secs_f64()
    );
}

//! 2,000 reminder calls due in the same minute, dialed by several instances sharing one database
//! through a fake Telnyx that answers each dial in 30 ms (issue #17 target: every dial within the
//! rate limit, none twice). Prints the dials, the busiest 5 s and 1 s windows and the time taken.
//!
//! `cargo run --release --example reminder_dials -- [CALLS] [PER_SECOND_IN_ALL] [INSTANCES]`
//!   Telnyx allows 30 dials per second per account (new accounts fewer): each instance gets
//!   PER_SECOND_IN_ALL / INSTANCES, which is how `TELNYX_DIALS_PER_SECOND` should be set too.

use std::collections::HashSet;
use std::net::TcpListener;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use appointment_setter::booking::{BookRequest, BookingService};
use appointment_setter::calendar::LocalCalendar;
use appointment_setter::clock::ManualClock;
use appointment_setter::config::Config;
use appointment_setter::domain::PhoneNumber;
use appointment_setter::domain::phone::Region;
use appointment_setter::messaging::reminders::ReminderScheduler;
use appointment_setter::store::{Store, sqlite_url};
use appointment_setter::telnyx::{ApiKey, RetryPolicy, TelnyxClient};
use appointment_setter::voice::call_state::CallStates;
use appointment_setter::voice::dialer::{CallerLine, ReminderDialer, Wakes};

/// What the fake saw: when each dial arrived (since the start) and its `command_id`.
type Dials = Arc<Mutex<Vec<(Duration, String)>>>;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let total: u64 = args.next().map_or(2_000, |a| a.parse().expect("CALLS"));
    let per_second: u32 = args.next().map_or(30, |a| a.parse().expect("PER_SECOND_IN_ALL"));
    let instances: u32 = args.next().map_or(2, |a| a.parse().expect("INSTANCES"));
    let each = NonZeroU32::new(per_second / instances).expect("at least one dial per second per instance");

    let t0 = Instant::now();
    let dials: Dials = Arc::default();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = web::Data::new(dials.clone());
    let server = HttpServer::new(move || {
        App::new().app_data(log.clone()).route(
            "/v2/calls",
            web::post().to(move |log: web::Data<Dials>, body: web::Json<serde_json::Value>| async move {
                let command = body["command_id"].as_str().unwrap_or_default().to_string();
                let n = {
                    let mut log = log.lock().unwrap();
                    log.push((t0.elapsed(), command));
                    log.len()
                };
                tokio::time::sleep(Duration::from_millis(30)).await;
                HttpResponse::Ok().json(serde_json::json!({"data": {"call_control_id": format!("v3:load-{n}"),
                    "call_session_id": format!("s-{n}"), "record_type": "call"}}))
            }),
        )
    })
    .workers(2)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);

    let days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    let hours: String = days.iter().map(|d| format!("{d} = [\"00:00-24:00\"]\n")).collect();
    let staff: String = (0..10).map(|i| format!("[[staff]]\nid = \"s{i}\"\nname = \"Staff {i}\"\n")).collect();
    let config = Config::parse(&format!(
        "[business]\nname = \"Dial Clinic\"\ntimezone = \"America/Chicago\"\nphone_number = \"+13125550100\"\n\
         [hours]\n{hours}[booking]\nmax_days_ahead = 3650\n\
         [reminders]\nchannel = \"call\"\ncall_window = \"00:00-24:00\"\n\
         [[services]]\nid = \"c\"\nname = \"Consultation\"\nduration_minutes = 30\n{staff}"
    ))
    .unwrap();
    let business = Arc::new(config.business.clone());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("dials.db");
    let store = Store::connect(&sqlite_url(&db)).await.unwrap();
    let start: chrono::DateTime<chrono::Utc> = "2027-01-04T15:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(start - chrono::Duration::days(3)));
    let booking = BookingService::new(business.clone(), store.clone(), Arc::new(LocalCalendar), clock.clone())
        .with_reminders(Some(chrono::Duration::hours(48)));
    for n in 0..total {
        let staff = format!("s{}", n % 10).parse().unwrap();
        let at = start + chrono::Duration::minutes(30 * (n / 10) as i64);
        let phone = format!("+1312{}{:04}", 200 + n / 10_000, n % 10_000);
        let phone = PhoneNumber::parse(&phone, Region::parse("US").unwrap()).unwrap();
        let req = BookRequest::front_desk("c".parse().unwrap(), staff, at, "Load", phone, true);
        booking.book(req).await.unwrap();
    }
    // Every reminder due in the same minute.
    let due = start - chrono::Duration::hours(48);
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&sqlite_url(&db)).await.unwrap();
    sqlx::query("UPDATE reminders SET due_at = $1").bind(due.timestamp()).execute(&mut conn).await.unwrap();
    clock.set(due + chrono::Duration::seconds(30));
    let wake = Arc::new(tokio::sync::Notify::new());
    let scheduler = ReminderScheduler::new(store.clone(), business.clone(), clock.clone(), wake.clone(), wake.clone())
        .with_calls(config.reminders.clone(), wake.clone());
    let queued = scheduler.tick().await.unwrap();
    println!("{total} appointments, {queued} reminders due in one minute → call attempts queued");

    let client =
        TelnyxClient::new(&format!("http://127.0.0.1:{port}/v2"), ApiKey::new("k"), RetryPolicy::default()).unwrap();
    let client = Arc::new(client);
    let dialers: Vec<ReminderDialer> = (0..instances)
        .map(|_| {
            let line = CallerLine { from: "+13125550100".into(), connection_id: "load".into(), per_second: each };
            ReminderDialer::new(
                store.clone(),
                client.clone(),
                business.clone(),
                config.reminders.clone(),
                line,
                CallStates::new(&[5; 32]),
                clock.clone(),
                Wakes::default(),
            )
        })
        .collect();
    let started = Instant::now();
    let offset = t0.elapsed();
    let placed: Vec<usize> =
        futures::future::join_all(dialers.iter().map(|d| async move { d.tick().await.unwrap() })).await;
    let took = started.elapsed();

    let dials = dials.lock().unwrap().clone();
    let unique: HashSet<&String> = dials.iter().map(|(_, c)| c).collect();
    let times: Vec<Duration> = dials.iter().map(|(t, _)| t.saturating_sub(offset)).collect();
    // The busiest half-open window of `span`, starting at any dial. Telnyx sums dials over a
    // trailing 5 s window against 5 × the per-second limit (developers.telnyx.com, "Dials Per
    // Second Limit"); the 1 s view is printed to show how even the pacing is.
    let busiest = |span: Duration| {
        (0..times.len()).map(|i| times[i..].iter().take_while(|t| **t < times[i] + span).count()).max().unwrap_or(0)
    };
    let (one, five) = (busiest(Duration::from_secs(1)), busiest(Duration::from_secs(5)));
    println!(
        "{instances} instances × {each}/s: {} dials ({} distinct command ids; per instance {placed:?}) in {:.1} s",
        dials.len(),
        unique.len(),
        took.as_secs_f64()
    );
    println!(
        "busiest 5 s: {five} dials (Telnyx's limit {}); busiest 1 s: {one}; average {:.1}/s",
        per_second * 5,
        dials.len() as f64 / took.as_secs_f64()
    );
    assert_eq!(dials.len() as u64, total, "every reminder dialed");
    assert_eq!(unique.len(), dials.len(), "none twice");
    assert!(five as u32 <= per_second * 5, "within Telnyx's dials-per-second limit");
}

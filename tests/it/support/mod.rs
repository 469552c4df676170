//! Test support: businesses from TOML snippets, fixed clocks and a fresh database per test
//! (a SQLite file in a temp dir, or a PostgreSQL schema when `TEST_DATABASE_URL` is set).
#![allow(dead_code)]

use std::sync::Arc;

use appointment_setter::booking::{BookRequest, BookingService, Tell};
use appointment_setter::calendar::LocalCalendar;
use appointment_setter::clock::FixedClock;
use appointment_setter::config::Config;
use appointment_setter::domain::phone::Region;
use appointment_setter::domain::{Actor, Business, Channel, PhoneNumber};
use appointment_setter::store::{Store, sqlite_url};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// A config with the seed business's services and the given `[hours]`/`[booking]`/staff text.
pub fn business(zone: &str, rest: &str) -> Business {
    let text = format!(
        r#"
[business]
name = "Test Clinic"
timezone = "{zone}"
phone_number = "+13125550100"
transfer_number = "+13125550199"

{rest}

[[services]]
id = "consultation"
name = "Consultation"
duration_minutes = 30
buffer_minutes = 15

[[services]]
id = "standard"
name = "Standard Appointment"
duration_minutes = 60
buffer_minutes = 15

[[services]]
id = "extended"
name = "Extended Session"
duration_minutes = 90
buffer_minutes = 30
"#
    );
    match Config::parse(&text) {
        Ok(c) => c.business,
        Err(e) => panic!("test config invalid: {e}\n{text}"),
    }
}

/// Mon–Fri 09:00–12:00 and 13:00–17:00, America/Chicago, with the given extra text.
pub fn seed_business(extra: &str) -> Business {
    business(
        "America/Chicago",
        &format!(
            r#"
[hours]
monday    = ["09:00-12:00", "13:00-17:00"]
tuesday   = ["09:00-12:00", "13:00-17:00"]
wednesday = ["09:00-12:00", "13:00-17:00"]
thursday  = ["09:00-12:00", "13:00-17:00"]
friday    = ["09:00-12:00", "13:00-17:00"]
closed_dates = ["2026-12-25"]
special = {{ "2026-12-24" = ["09:00-12:00"] }}

{extra}
"#
        ),
    )
}

/// An instant from local wall time in `tz` (must be unambiguous).
pub fn local(tz: &str, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    let tz: Tz = tz.parse().unwrap();
    tz.with_ymd_and_hms(y, mo, d, h, mi, 0).single().expect("unambiguous local time").with_timezone(&Utc)
}

/// Chicago wall time.
pub fn chicago(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    local("America/Chicago", y, mo, d, h, mi)
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn phone(text: &str) -> PhoneNumber {
    PhoneNumber::parse(text, Region::parse("US").unwrap()).unwrap()
}

/// A fresh, migrated database. Keeps its temp dir alive.
pub struct TestDb {
    pub url: String,
    pub label: &'static str,
    _dir: Option<tempfile::TempDir>,
    /// Set for the google backend: services built by [`service`] keep their calendars here.
    pub google: Option<Arc<google_emulator::GoogleEmulator>>,
    /// With the google backend: connect each staff calendar through OAuth, not the service account.
    pub oauth: bool,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = sqlite_url(&dir.path().join("test.db"));
        TestDb { url, label: "sqlite", _dir: Some(dir), google: None, oauth: false }
    }

    /// A new schema in `TEST_DATABASE_URL`'s database, or `None` when it is not set.
    pub async fn postgres() -> Option<TestDb> {
        let base = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        sqlx::any::install_default_drivers();
        let mut conn =
            <sqlx::AnyConnection as sqlx::Connection>::connect(&base).await.expect("connect TEST_DATABASE_URL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&mut conn).await.unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        Some(TestDb { url, label: "postgres", _dir: None, google: None, oauth: false })
    }

    /// SQLite always, PostgreSQL too when configured.
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite().await];
        dbs.extend(TestDb::postgres().await);
        dbs
    }

    /// SQLite with the google calendar backend on a fresh emulator.
    pub async fn sqlite_google() -> TestDb {
        let mut db = TestDb::sqlite().await;
        db.label = "sqlite+google";
        db.google = Some(Arc::new(google_emulator::GoogleEmulator::start(&[]).await));
        db
    }

    /// SQLite with the google backend, each staff calendar connected through OAuth.
    pub async fn sqlite_google_oauth() -> TestDb {
        let mut db = TestDb::sqlite_google().await;
        db.label = "sqlite+google-oauth";
        db.oauth = true;
        db
    }

    /// Every database with the local backend, and SQLite with the google backend (service account
    /// and OAuth): the booking service must behave the same on each.
    pub async fn all_backends() -> Vec<TestDb> {
        let mut dbs = TestDb::all().await;
        dbs.push(TestDb::sqlite_google().await);
        dbs.push(TestDb::sqlite_google_oauth().await);
        dbs
    }

    /// The SQLite database's folder.
    pub fn dir(&self) -> &std::path::Path {
        self._dir.as_ref().expect("a SQLite test database").path()
    }

    pub async fn store(&self) -> Store {
        Store::connect(&self.url).await.unwrap_or_else(|e| panic!("{}: {e}", self.label))
    }
}

/// A booking service over `biz` at a fixed `now`.
/// With the google backend, each staff member gets a calendar `<id>@staff.test` in the emulator.
pub async fn service(db: &TestDb, mut biz: Business, now: DateTime<Utc>) -> BookingService {
    let calendar: Arc<dyn appointment_setter::calendar::Calendar> = match &db.google {
        None => Arc::new(LocalCalendar),
        Some(emu) if db.oauth => {
            let dir = db._dir.as_ref().expect("sqlite dir").path();
            let store = db.store().await;
            let clock: Arc<dyn appointment_setter::clock::Clock> = Arc::new(FixedClock(now));
            let b = google_oauth::backend(emu, dir, &store, Arc::new(biz.clone()), clock, None);
            for staff in &biz.staff {
                let email = format!("{}@gmail.test", staff.id);
                emu.add_user(&email, &[]);
                google_oauth::connect(emu, &b.connector, staff.id.as_str(), &email).await;
            }
            b.calendar
        }
        Some(emu) => {
            for staff in &mut biz.staff {
                let id = format!("{}@staff.test", staff.id);
                emu.share(&id);
                staff.calendar_id = Some(id);
            }
            let dir = db._dir.as_ref().expect("sqlite dir").path();
            let google = appointment_setter::calendar::google::GoogleCalendar::connect(
                &emu.key_file(dir),
                Some(&emu.api_base()),
                Arc::new(biz.clone()),
            )
            .await
            .unwrap()
            .with_rate_limit(200);
            Arc::new(google)
        }
    };
    BookingService::new(Arc::new(biz), db.store().await, calendar, Arc::new(FixedClock(now)))
}

/// An appointment record (not stored) for template and invite tests.
pub fn appointment(service: &str, staff: &str, start: DateTime<Utc>) -> appointment_setter::domain::Appointment {
    appointment_setter::domain::Appointment {
        id: "0f8fad5b-d9cb-469f-a165-70867728950e".parse().unwrap(),
        service_id: service.parse().unwrap(),
        staff_id: staff.parse().unwrap(),
        start,
        end: start + chrono::Duration::minutes(30),
        buffer_minutes: 15,
        customer_name: "Jane Doe".into(),
        customer_phone: phone("+13125550123"),
        customer_email: None,
        notes: None,
        status: appointment_setter::domain::Status::Confirmed,
        booked_via: Channel::Voice,
        external_event_id: None,
        idempotency_key: None,
        conversation: None,
        created_at: start,
        updated_at: start,
        sequence: 0,
        customer_confirmed_at: None,
    }
}

/// A staff booking request for `service` at `start`.
pub fn request(service: &str, start: DateTime<Utc>) -> BookRequest {
    BookRequest {
        service: service.parse().unwrap(),
        staff: None,
        start,
        customer_name: "Jane Doe".into(),
        customer_phone: phone("+13125550123"),
        notes: None,
        channel: Channel::Cli,
        actor: Actor::Customer { phone: phone("+13125550123") },
        idempotency_key: None,
        conversation: None,
        customer_email: None,
        tell: Tell::Nothing,
    }
}

/// The same request for a given staff member.
pub fn request_with(service: &str, staff: &str, start: DateTime<Utc>) -> BookRequest {
    BookRequest { staff: Some(staff.parse().unwrap()), ..request(service, start) }
}

/// A consultation for Jane at `who` with `staff` at `start`, booked by staff (notice and window
/// forced), telling no one.
pub fn staff_booking(who: &str, staff: &str, start: DateTime<Utc>) -> BookRequest {
    BookRequest {
        customer_name: "Jane".into(),
        customer_phone: phone(who),
        channel: Channel::Voice,
        actor: Actor::Staff { force: true },
        ..request_with("consultation", staff, start)
    }
}

pub mod browser;
pub mod chat_server;
pub mod console_server;
pub mod fake_llm;
pub mod fake_telnyx;
pub mod google_emulator;
pub mod google_oauth;
pub mod slow_calendar;
pub mod smtp_sink;
pub mod webhooks;

/// Waits until `check` holds, checking again whenever one of `signals` changes, for 10 s at most;
/// panics with `what` (and `context`'s account of the state) if it never holds.
pub async fn until(
    what: &str,
    signals: &mut [tokio::sync::watch::Receiver<u64>],
    mut check: impl AsyncFnMut() -> bool,
    context: impl Fn() -> String,
) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        // Marked seen before checking, so a change during the check wakes the wait below.
        for s in signals.iter_mut() {
            s.borrow_and_update();
        }
        if check().await {
            return;
        }
        let any = futures::future::select_all(signals.iter_mut().map(|s| Box::pin(s.changed())));
        if tokio::time::timeout_at(deadline, any).await.is_err() {
            panic!("timed out waiting for {what}; {}", context());
        }
    }
}

/// `text` percent-encoded for a URL query value.
pub fn url_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A directory holding the repository's example config switched to `calendar.backend = "google"`
/// (as `appointment-setter.toml`).
pub fn google_config_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let config =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml"))
            .unwrap()
            .replace(r#"backend = "local""#, r#"backend = "google""#);
    std::fs::write(dir.path().join("appointment-setter.toml"), config).unwrap();
    dir
}

//! The Google Calendar backend against the emulator: a real service-account token flow (the key's
//! `token_uri` points at the emulator), events created with our id and properties, moved and
//! deleted with the appointment, and staff's own Google events counted as busy time.

use crate::support;

use std::sync::Arc;

use appointment_setter::booking::{BookingService, Tell};
use appointment_setter::calendar::google::{GoogleCalendar, event_id};
use appointment_setter::clock::ManualClock;
use appointment_setter::domain::{Actor, Business};
use support::google_emulator::GoogleEmulator;
use support::{TestDb, chicago, request_with};

const SARAH: &str = "sarah@accuthink.example";

/// The emulator with `calendars` shared, and the backend signed in to it (the temp dir holds the
/// key). Busy time is not cached, so each search sees edits made in the emulator at once.
async fn google_backend(calendars: &[&str]) -> (GoogleEmulator, tempfile::TempDir, Arc<Business>, GoogleCalendar) {
    let emu = GoogleEmulator::start(calendars).await;
    let dir = tempfile::tempdir().unwrap();
    let (business, google) = emu.seed_backend(dir.path()).await;
    (emu, dir, business, google.with_busy_cache(std::time::Duration::ZERO))
}

/// A booking service on `google` at Monday 2026-12-07 08:00 in Chicago.
async fn booking_on(google: GoogleCalendar, business: Arc<Business>, db: &TestDb) -> BookingService {
    BookingService::new(
        business,
        db.store().await,
        Arc::new(google),
        Arc::new(ManualClock::new(chicago(2026, 12, 7, 8, 0))),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookings_appear_move_and_disappear_in_the_staff_calendar_and_google_busy_time_is_respected() {
    let (emu, _dir, business, google) =
        google_backend(&[SARAH, "miguel@accuthink.example", "priya@accuthink.example"]).await;
    let db = TestDb::sqlite().await;
    let clock = Arc::new(ManualClock::new(chicago(2026, 12, 7, 8, 0)));
    let booking = BookingService::new(business, db.store().await, Arc::new(google), clock);

    // Booked: the event is in Sarah's calendar with our id and properties.
    let a = booking.book(request_with("consultation", "sarah", chicago(2026, 12, 8, 9, 0))).await.unwrap().appointment;
    assert_eq!(a.external_event_id.as_deref(), Some(event_id(&a).as_str()));
    let event = emu.event(SARAH, &event_id(&a)).unwrap();
    assert_eq!(event["summary"], "Consultation - Jane Doe");
    assert_eq!(event["extendedProperties"]["private"]["appointment_id"], a.id.to_string());
    assert_eq!(event["start"]["dateTime"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap(), a.start);

    // Our own event is not counted against us; a human's event in Google is.
    let monday_slots = |b: &BookingService| {
        let b = b.clone();
        async move {
            b.find_slots(
                &"consultation".parse().unwrap(),
                Some(&"sarah".parse().unwrap()),
                chrono::NaiveDate::from_ymd_opt(2026, 12, 8).unwrap(),
                1,
            )
            .await
            .unwrap()
            .iter()
            .map(|s| s.start)
            .collect::<Vec<_>>()
        }
    };
    let before = monday_slots(&booking).await;
    assert!(before.contains(&chicago(2026, 12, 8, 10, 0)));
    emu.staff_add(SARAH, "dentist01", chicago(2026, 12, 8, 10, 0), chicago(2026, 12, 8, 11, 0));
    let after = monday_slots(&booking).await;
    assert!(!after.contains(&chicago(2026, 12, 8, 10, 0)), "10:00–11:00 CST is busy in Google");
    assert!(after.contains(&chicago(2026, 12, 8, 9, 0)) == before.contains(&chicago(2026, 12, 8, 9, 0)));

    // Moved and cancelled with the appointment.
    booking.reschedule(a.id, chicago(2026, 12, 8, 14, 0), &Actor::Staff { force: false }, Tell::Nothing).await.unwrap();
    let event = emu.event(SARAH, &event_id(&a)).unwrap();
    assert_eq!(
        event["start"]["dateTime"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap(),
        chicago(2026, 12, 8, 14, 0)
    );
    booking.cancel(a.id, &Actor::Staff { force: false }, Tell::Nothing).await.unwrap();
    assert_eq!(emu.event(SARAH, &event_id(&a)).unwrap()["status"], "cancelled");
}

#[tokio::test]
async fn an_unshared_calendar_is_a_clear_access_error_and_nothing_is_booked() {
    let (_emu, _dir, business, google) = google_backend(&["miguel@accuthink.example"]).await;
    let db = TestDb::sqlite().await;
    let booking = booking_on(google, business, &db).await;
    let err = booking.book(request_with("consultation", "sarah", chicago(2026, 12, 8, 9, 0))).await.unwrap_err();
    let message = err.to_string();
    assert!(message.contains("calendar_access") && message.contains("sarah@accuthink.example"), "{message}");
    let all = booking.list(&Default::default()).await.unwrap();
    assert!(all.is_empty(), "nothing half-done: {all:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_says_which_calendars_are_not_shared() {
    let emu = GoogleEmulator::start(&[SARAH]).await;
    emu.share_read_only("miguel@accuthink.example");
    let dir = tempfile::tempdir().unwrap();
    let config =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml"))
            .unwrap()
            .replace(r#"backend = "local""#, r#"backend = "google""#);
    let config_path = dir.path().join("appointment-setter.toml");
    std::fs::write(&config_path, config).unwrap();
    let key = emu.key_file(dir.path());
    let base = emu.api_base();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_appointment-setter"))
            .arg("--config")
            .arg(&config_path)
            .arg("check")
            .env("GOOGLE_SERVICE_ACCOUNT_FILE", &key)
            .env("GOOGLE_API_BASE", base)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("ok    calendar  Sarah Chen can read and write sarah@accuthink.example"), "{text}");
    assert!(
        text.contains("FAIL  calendar  Miguel Alvarez: calendar_access") && text.contains("can read but not write"),
        "{text}"
    );
    assert!(text.contains("booking@test-project.iam.gserviceaccount.com"), "names the account to share with: {text}");
    assert!(text.contains("FAIL  calendar  Priya Patel: calendar_access"), "{text}");
    assert!(
        text.lines().any(|l| l.contains("Priya Patel")
            && l.contains("priya@accuthink.example")
            && l.contains("booking@test-project.iam.gserviceaccount.com")),
        "says which calendar to share with which account: {text}"
    );
    assert!(text.contains("Make changes to events"), "{text}");
}

#[tokio::test]
async fn a_calendar_that_cannot_be_read_offers_no_slots_while_the_others_still_do() {
    let (_emu, _dir, business, google) = google_backend(&[SARAH, "miguel@accuthink.example"]).await;
    let db = TestDb::sqlite().await;
    let booking = BookingService::new(
        business.clone(),
        db.store().await,
        Arc::new(google),
        Arc::new(ManualClock::new(chicago(2026, 12, 7, 8, 0))),
    );
    let slots = booking
        .find_slots(&"consultation".parse().unwrap(), None, chrono::NaiveDate::from_ymd_opt(2026, 12, 8).unwrap(), 1)
        .await
        .unwrap();
    let staff: std::collections::BTreeSet<&str> = slots.iter().map(|s| business.staff[s.staff].id.as_str()).collect();
    assert_eq!(staff.into_iter().collect::<Vec<_>>(), ["miguel", "sarah"], "Priya's calendar is not shared");
    let only_priya = booking
        .find_slots(
            &"consultation".parse().unwrap(),
            Some(&"priya".parse().unwrap()),
            chrono::NaiveDate::from_ymd_opt(2026, 12, 8).unwrap(),
            1,
        )
        .await;
    assert!(only_priya.unwrap_err().to_string().contains("calendar_access"));
}

#[tokio::test]
async fn transient_google_failures_are_retried_a_bounded_number_of_times() {
    use support::google_emulator::Fault;
    let (emu, _dir, business, google) =
        google_backend(&[SARAH, "miguel@accuthink.example", "priya@accuthink.example"]).await;
    let db = TestDb::sqlite().await;
    let booking = booking_on(google, business, &db).await;
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
    let sarah = "sarah".parse().unwrap();

    emu.fail_next([
        Fault::status(503, "backendError"),
        Fault { retry_after: Some(0), ..Fault::status(429, "rateLimitExceeded") },
    ]);
    let before = emu.requests().len();
    let slots = booking.find_slots(&"consultation".parse().unwrap(), Some(&sarah), day, 1).await.unwrap();
    assert!(!slots.is_empty());
    assert_eq!(emu.requests().len() - before, 3, "two failures, then success");

    emu.fail_next(std::iter::repeat_n(Fault::status(500, "backendError"), 4));
    let before = emu.requests().len();
    let err = booking.find_slots(&"consultation".parse().unwrap(), Some(&sarah), day, 1).await.unwrap_err();
    assert!(err.to_string().contains("unavailable"), "{err}");
    assert_eq!(emu.requests().len() - before, 4, "one try and three retries");

    emu.fail_next([Fault::status(403, "forbidden")]);
    let before = emu.requests().len();
    assert!(booking.find_slots(&"consultation".parse().unwrap(), Some(&sarah), day, 1).await.is_err());
    assert_eq!(emu.requests().len() - before, 1, "a 403 forbidden is never retried");
}

#[tokio::test]
async fn an_event_someone_put_in_google_at_the_same_moment_makes_ours_step_back() {
    use appointment_setter::calendar::{Calendar, CalendarError};
    let (emu, _dir, business, google) = google_backend(&[SARAH]).await;
    // Sarah's own event lands just before ours (after our busy-time check).
    emu.staff_add(SARAH, "walkin01", chicago(2026, 12, 8, 9, 15), chicago(2026, 12, 8, 9, 45));
    let ours = appointment_setter::domain::Appointment {
        staff_id: "sarah".parse().unwrap(),
        ..support::appointment("consultation", "sarah", chicago(2026, 12, 8, 9, 0))
    };
    let sarah = business.staff_member(&"sarah".parse().unwrap()).unwrap().clone();
    let result = google.create_event(&sarah, &ours).await;
    assert!(matches!(result, Err(CalendarError::Conflict)), "{result:?}");
    assert_eq!(emu.event(SARAH, &event_id(&ours)).unwrap()["status"], "cancelled", "ours was taken back out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_ids_with_reserved_characters_reach_their_own_calendar_for_every_call() {
    // Google's holiday and resource calendars have `#`; ids may hold `/`, `?` or `%` too.
    let odd = "front desk/#1?x=%41@group.calendar.google.com";
    let others = ["miguel@accuthink.example", "priya@accuthink.example"];
    let emu = GoogleEmulator::start(&[odd, others[0], others[1], "front desk"]).await;
    let dir = tempfile::tempdir().unwrap();
    let (seed, _) = emu.seed_backend(dir.path()).await;
    let mut business = (*seed).clone();
    business.staff.iter_mut().find(|s| s.id.as_str() == "sarah").unwrap().calendar_id = Some(odd.to_string());
    let business = Arc::new(business);
    let google = GoogleCalendar::connect(&emu.key_file(dir.path()), Some(&emu.api_base()), business.clone())
        .await
        .unwrap()
        .with_busy_cache(std::time::Duration::ZERO);
    let db = TestDb::sqlite().await;
    let booking = booking_on(google, business, &db).await;

    let a = booking.book(request_with("consultation", "sarah", chicago(2026, 12, 8, 9, 0))).await.unwrap().appointment;
    assert!(emu.event(odd, &event_id(&a)).is_some(), "inserted into the calendar named by the whole id");
    let moved = booking
        .reschedule(a.id, chicago(2026, 12, 8, 10, 0), &Actor::Staff { force: false }, Tell::Nothing)
        .await
        .unwrap();
    let event = emu.event(odd, &event_id(&a)).unwrap();
    let start = event["start"]["dateTime"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    assert_eq!(start, moved.start, "moved there");
    booking.cancel(a.id, &Actor::Staff { force: false }, Tell::Nothing).await.unwrap();
    assert!(emu.event(odd, &event_id(&a)).is_none_or(|e| e["status"] == "cancelled"), "deleted there");
    assert!(emu.event("front desk", &event_id(&a)).is_none(), "never in a calendar named by a piece of the id");
}

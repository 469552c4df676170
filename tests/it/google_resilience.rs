//! The google backend under load and failure, against the emulator: one freeBusy round trip per
//! slot search and a short cache, at most three round trips per booking, retries within the
//! deadline (with `Retry-After`), a clear failure that leaves nothing half-written, a refreshed
//! token, a circuit that opens during an outage, and no double booking under concurrency.

use crate::support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use appointment_setter::booking::{BookingService, Tell};
use appointment_setter::calendar::google::GoogleCalendar;
use appointment_setter::clock::FixedClock;
use appointment_setter::domain::{Actor, Refusal, Status};
use appointment_setter::messaging::{ConfirmationSettings, Confirmations};
use support::google_emulator::{Fault, GoogleEmulator};
use support::{TestDb, chicago, phone, request_with};

const CALENDARS: [&str; 3] = ["sarah@accuthink.example", "miguel@accuthink.example", "priya@accuthink.example"];
const SARAH: &str = CALENDARS[0];

struct Setup {
    emu: GoogleEmulator,
    booking: BookingService,
    db: TestDb,
    _dir: tempfile::TempDir,
}

/// The seed business on the google backend at Monday 2026-12-07 08:00 Chicago; `tune` adjusts the
/// backend (cache, deadline).
async fn setup(tune: impl FnOnce(GoogleCalendar) -> GoogleCalendar) -> Setup {
    let emu = GoogleEmulator::start(&CALENDARS).await;
    let dir = tempfile::tempdir().unwrap();
    let (business, google) = emu.seed_backend(dir.path()).await;
    let google = google.with_rate_limit(500);
    let db = TestDb::sqlite().await;
    let booking = BookingService::new(
        business.clone(),
        db.store().await,
        Arc::new(tune(google)),
        Arc::new(FixedClock(chicago(2026, 12, 7, 8, 0))),
    )
    .with_confirmations(Confirmations::writer(business, ConfirmationSettings::default()));
    Setup { emu, booking, db, _dir: dir }
}

fn day(d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

async fn slots(b: &BookingService, days: u32) -> Result<Vec<appointment_setter::domain::Slot>, String> {
    b.find_slots(&"consultation".parse().unwrap(), None, day(8), days).await.map_err(|e| e.to_string())
}

#[tokio::test]
async fn slot_search_asks_once_for_all_calendars_reuses_it_briefly_and_a_booking_takes_three_round_trips() {
    let s = setup(|g| g).await;
    let before = s.emu.api_calls();
    let first = slots(&s.booking, 14).await.unwrap();
    let calls = &s.emu.requests()[before..];
    assert_eq!(calls, ["POST /calendar/v3/freeBusy"], "one query for all three staff calendars");
    assert!(first.iter().any(|slot| slot.staff == 2), "Priya's calendar was read too");

    let before = s.emu.api_calls();
    assert_eq!(slots(&s.booking, 14).await.unwrap(), first);
    assert_eq!(s.emu.api_calls(), before, "a warm cache answers without Google");

    let before = s.emu.api_calls();
    let booked = s.booking.book(request_with("consultation", "sarah", first[0].start)).await.unwrap();
    let calls = &s.emu.requests()[before..];
    assert_eq!(calls.len(), 3, "fresh busy check, insert, overlap check: {calls:?}");
    assert_eq!(booked.appointment.status, Status::Confirmed);

    // Our own write invalidates that calendar's cached answer, so the new booking shows at once.
    let after = slots(&s.booking, 14).await.unwrap();
    assert!(!after.iter().any(|slot| slot.start == first[0].start && slot.staff == 0));
}

#[tokio::test]
async fn bursts_of_429_and_503_are_retried_and_retry_after_is_honoured() {
    let s = setup(|g| g.with_busy_cache(Duration::ZERO)).await;
    // Our own first backoff is 200–400 ms; Google asks for 2 s.
    s.emu.fail_next([Fault { retry_after: Some(2), ..Fault::status(429, "rateLimitExceeded") }]);
    let started = Instant::now();
    let found = slots(&s.booking, 7).await.unwrap();
    assert!(!found.is_empty());
    assert!(started.elapsed() >= Duration::from_secs(2), "waited as long as Retry-After asked");

    s.emu.fail_next([
        Fault::status(503, "backendError"),
        Fault::status(403, "userRateLimitExceeded"),
        Fault::status(500, "backendError"),
    ]);
    let booked = s.booking.book(request_with("consultation", "sarah", found[0].start)).await.unwrap();
    assert_eq!(s.emu.live_events(SARAH).len(), 1);
    assert_eq!(booked.appointment.external_event_id.as_deref().map(str::len), Some(32));
}

#[tokio::test]
async fn a_persistent_server_error_fails_clearly_within_the_deadline_and_leaves_nothing_half_written() {
    let deadline = Duration::from_millis(1500);
    let s = setup(|g| g.with_deadline(deadline)).await;
    // The busy check goes through; every later call fails.
    s.emu.fail_next(
        std::iter::once(Fault::status(200, "")).chain(std::iter::repeat_n(Fault::status(500, "backendError"), 40)),
    );
    let started = Instant::now();
    let mut req = request_with("consultation", "sarah", chicago(2026, 12, 8, 9, 0));
    req.tell = appointment_setter::booking::Tell::Confirmation;
    let err = s.booking.book(req).await.unwrap_err();
    assert!(started.elapsed() < deadline * 3, "gave up within the deadline: {:?}", started.elapsed());
    assert!(err.to_string().contains("unavailable"), "{err}");
    assert!(err.refusal().is_none(), "an outage is not a refusal");
    s.emu.clear_faults();

    let store = s.db.store().await;
    let all = store
        .appointments()
        .list(&appointment_setter::store::AppointmentFilter { include_cancelled: true, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].status, Status::Cancelled, "the record does not claim a booking the calendar lacks");
    assert!(s.emu.live_events(SARAH).is_empty(), "and the calendar has no event without a booking");
    assert!(store.outbox().messages_to("+13125550123").await.unwrap().is_empty(), "nothing was confirmed");
    // The time is free again once Google is back.
    s.booking.book(request_with("consultation", "sarah", chicago(2026, 12, 8, 9, 0))).await.unwrap();
    assert_eq!(s.emu.live_events(SARAH).len(), 1);
}

#[tokio::test]
async fn an_expired_token_is_refreshed_and_the_call_goes_through() {
    let s = setup(|g| g.with_busy_cache(Duration::ZERO)).await;
    slots(&s.booking, 1).await.unwrap();
    assert_eq!(s.emu.tokens_issued(), 1);
    s.emu.expire_tokens();
    slots(&s.booking, 1).await.unwrap();
    assert_eq!(s.emu.tokens_issued(), 2, "one new token after the 401");
    s.booking.book(request_with("consultation", "sarah", chicago(2026, 12, 8, 9, 0))).await.unwrap();
    assert_eq!(s.emu.tokens_issued(), 2, "and it is reused");
}

#[tokio::test]
async fn a_key_google_refuses_is_a_clear_error_and_not_retried() {
    let s = setup(|g| g.with_busy_cache(Duration::ZERO)).await;
    s.emu.refuse_grants();
    let before = s.emu.api_calls();
    let err = slots(&s.booking, 1).await.unwrap_err();
    assert!(err.contains("calendar_access") && err.contains("GOOGLE_SERVICE_ACCOUNT_FILE"), "{err}");
    assert_eq!(s.emu.api_calls(), before, "no calendar call without a token");
}

#[tokio::test]
async fn during_an_outage_the_circuit_opens_and_searches_fail_fast_with_a_clear_message() {
    let s = setup(|g| g.with_busy_cache(Duration::ZERO).with_deadline(Duration::from_millis(300))).await;
    s.emu.fail_next(std::iter::repeat_n(Fault::status(503, "backendError"), 200));
    for _ in 0..5 {
        let err = slots(&s.booking, 1).await.unwrap_err();
        assert!(err.contains("unavailable"), "{err}");
    }
    let before = s.emu.api_calls();
    let started = Instant::now();
    let err = slots(&s.booking, 1).await.unwrap_err();
    assert_eq!(s.emu.api_calls(), before, "no call reached Google");
    assert!(started.elapsed() < Duration::from_millis(100), "{:?}", started.elapsed());
    assert!(err.contains("has been failing"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_bookings_of_one_slot_leave_exactly_one_event() {
    let s = setup(|g| g).await;
    let start = chicago(2026, 12, 8, 9, 0);
    let barrier = Arc::new(tokio::sync::Barrier::new(10));
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let (booking, barrier) = (s.booking.clone(), barrier.clone());
            tokio::spawn(async move {
                let mut req = request_with("consultation", "sarah", start);
                req.customer_phone = phone(&format!("+1312555{:04}", 100 + i));
                barrier.wait().await;
                booking.book(req).await
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(e) => assert_eq!(e.refusal(), Some(Refusal::SlotUnavailable), "{e}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(s.emu.live_events(SARAH).len(), 1, "exactly one event in Sarah's calendar");
}

#[tokio::test]
async fn cancelling_or_moving_during_an_outage_changes_nothing_and_works_once_google_is_back() {
    let s = setup(|g| g.with_deadline(Duration::from_millis(800))).await;
    let a =
        s.booking.book(request_with("consultation", "sarah", chicago(2026, 12, 9, 10, 0))).await.unwrap().appointment;
    let staff = Actor::Staff { force: false };
    let outage = || std::iter::repeat_n(Fault::status(503, "backendError"), 8);
    let store = s.db.store().await;
    let stored = || async { store.appointments().get(a.id).await.unwrap().unwrap() };

    s.emu.fail_next(std::iter::once(Fault::status(200, "")).chain(outage()));
    let err = s.booking.cancel(a.id, &staff, Tell::Confirmation).await.unwrap_err();
    assert!(err.to_string().contains("unavailable"), "{err}");
    s.emu.clear_faults();
    assert_eq!(stored().await.status, Status::Confirmed, "not cancelled while the event still stands");
    assert_eq!(s.emu.live_events(SARAH).len(), 1);

    let later = chicago(2026, 12, 9, 15, 0);
    s.emu.fail_next(std::iter::repeat_n(Fault::status(200, ""), 2).chain(outage()));
    let err = s.booking.reschedule(a.id, later, &staff, Tell::Confirmation).await.unwrap_err();
    assert!(err.to_string().contains("unavailable"), "{err}");
    s.emu.clear_faults();
    assert_eq!(stored().await.start, a.start, "not moved while the event did not move");

    assert_eq!(s.booking.reschedule(a.id, later, &staff, Tell::Confirmation).await.unwrap().start, later);
    s.booking.cancel(a.id, &staff, Tell::Confirmation).await.unwrap();
    assert!(s.emu.live_events(SARAH).is_empty());
    assert_eq!(stored().await.status, Status::Cancelled);
    let texts = s.db.store().await.outbox().messages_to("+13125550123").await.unwrap();
    assert_eq!(
        texts.len(),
        2,
        "one text per change that happened: {:?}",
        texts.iter().map(|m| &m.cause).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_repeated_request_gets_its_booking_while_google_is_down() {
    let s = setup(|g| g.with_deadline(Duration::from_millis(800))).await;
    let mut req = request_with("consultation", "sarah", chicago(2026, 12, 8, 9, 0));
    req.idempotency_key = Some("call-3:tool-2".into());
    let first = s.booking.book(req.clone()).await.unwrap();
    s.emu.fail_next(std::iter::repeat_n(Fault::status(503, "backendError"), 40));
    let again = s.booking.book(req).await.expect("the retry is answered from our record");
    assert!(!again.created);
    assert_eq!(again.appointment.id, first.appointment.id);
    s.emu.clear_faults();
    assert_eq!(s.emu.live_events(SARAH).len(), 1);
}

//! Edits staff make in Google win (SPEC §6): an event deleted there cancels the appointment, a
//! moved one moves it (and its reminder), before we list, cancel, move or remind. A booking whose
//! event never got created gets it on the next look. Our own moves are conditional on the etag.

use crate::support;

use std::sync::Arc;

use appointment_setter::booking::{BookingService, Tell};
use appointment_setter::calendar::google::{GoogleCalendar, event_id};
use appointment_setter::calendar::{Calendar, LocalCalendar};
use appointment_setter::clock::ManualClock;
use appointment_setter::domain::{Actor, Appointment, Business, Refusal, Status};
use appointment_setter::messaging::reminders::ReminderScheduler;
use appointment_setter::messaging::{ConfirmationSettings, Confirmations};
use appointment_setter::store::AppointmentFilter;
use appointment_setter::store::ReminderStatus;
use support::google_emulator::GoogleEmulator;
use support::{TestDb, chicago, phone, request_with};

const SARAH: &str = "sarah@accuthink.example";

struct Setup {
    emu: GoogleEmulator,
    google: Arc<GoogleCalendar>,
    booking: BookingService,
    business: Arc<Business>,
    clock: Arc<ManualClock>,
    db: TestDb,
    _dir: tempfile::TempDir,
}

/// The seed business on the google backend (no busy cache) at Monday 2026-12-07 08:00 Chicago.
async fn setup() -> Setup {
    let emu = GoogleEmulator::start(&[SARAH, "miguel@accuthink.example", "priya@accuthink.example"]).await;
    let dir = tempfile::tempdir().unwrap();
    let (business, google) = emu.seed_backend(dir.path()).await;
    let google = Arc::new(google.with_busy_cache(std::time::Duration::ZERO));
    let db = TestDb::sqlite().await;
    let clock = Arc::new(ManualClock::new(chicago(2026, 12, 7, 8, 0)));
    let booking = BookingService::new(business.clone(), db.store().await, google.clone(), clock.clone())
        .with_confirmations(Confirmations::writer(business.clone(), ConfirmationSettings::default()));
    Setup { emu, google, booking, business, clock, db, _dir: dir }
}

impl Setup {
    async fn book_sarah(&self, at: chrono::DateTime<chrono::Utc>) -> Appointment {
        self.booking.book(request_with("consultation", "sarah", at)).await.unwrap().appointment
    }

    async fn customers_list(&self) -> Vec<Appointment> {
        let filter = AppointmentFilter {
            phone: Some(phone("+13125550123")),
            from: Some(self.booking.now()),
            ..AppointmentFilter::default()
        };
        self.booking.list_current(&filter).await.unwrap()
    }

    async fn stored(&self, a: &Appointment) -> Appointment {
        self.db.store().await.appointments().get(a.id).await.unwrap().unwrap()
    }

    async fn texts(&self) -> Vec<String> {
        let store = self.db.store().await;
        store.outbox().messages_to("+13125550123").await.unwrap().into_iter().map(|m| m.cause).collect()
    }
}

#[tokio::test]
async fn an_event_deleted_in_google_cancels_the_appointment_before_we_list_or_cancel_it() {
    let s = setup().await;
    let a = s.book_sarah(chicago(2026, 12, 9, 10, 0)).await;
    let kept = s.book_sarah(chicago(2026, 12, 10, 10, 0)).await;
    s.emu.staff_delete(SARAH, &event_id(&a));

    let listed = s.customers_list().await;
    assert_eq!(listed.iter().map(|x| x.id).collect::<Vec<_>>(), [kept.id], "the deleted one is gone");
    assert_eq!(s.stored(&a).await.status, Status::Cancelled);
    let store = s.db.store().await;
    assert_eq!(store.reminders().status(a.id).await.unwrap().unwrap().0, ReminderStatus::Cancelled);
    assert_eq!(s.texts().await, [format!("appointment:{}:1:cancelled", a.id)], "the customer is told");

    let again = s.booking.cancel(a.id, &Actor::Customer { phone: phone("+13125550123") }, Tell::Confirmation).await;
    assert_eq!(again.unwrap_err().refusal(), Some(Refusal::AlreadyCancelled));
    assert_eq!(s.texts().await.len(), 1, "no second cancellation text");
}

#[tokio::test]
async fn a_customers_lookup_finds_their_events_by_phone_one_query_per_staff_calendar() {
    let s = setup().await;
    let a = s.book_sarah(chicago(2026, 12, 9, 10, 0)).await;
    let b = s.book_sarah(chicago(2026, 12, 10, 10, 0)).await;
    let c =
        s.booking.book(request_with("consultation", "miguel", chicago(2026, 12, 9, 11, 0))).await.unwrap().appointment;
    s.emu.staff_delete(SARAH, &event_id(&b));
    let before = s.emu.api_calls();
    let listed = s.customers_list().await;
    let calls = s.emu.requests()[before..].to_vec();
    assert_eq!(listed.iter().map(|x| x.id).collect::<Vec<_>>(), [a.id, c.id]);
    assert_eq!(calls.len(), 2, "one list per staff calendar, no per-event reads: {calls:?}");
    assert!(calls.iter().all(|c| c.starts_with("GET ") && c.ends_with("/events")), "{calls:?}");
}

#[tokio::test]
async fn an_event_moved_in_google_moves_the_appointment_and_its_reminder() {
    let s = setup().await;
    let a = s.book_sarah(chicago(2026, 12, 9, 10, 0)).await;
    let (to_start, to_end) = (chicago(2026, 12, 11, 14, 0), chicago(2026, 12, 11, 14, 30));
    s.emu.staff_move(SARAH, &event_id(&a), to_start, to_end);

    let listed = s.customers_list().await;
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].start, listed[0].end), (to_start, to_end));
    assert_eq!((s.stored(&a).await.start, s.stored(&a).await.sequence), (to_start, 1));
    let store = s.db.store().await;
    assert_eq!(
        store.reminders().status(a.id).await.unwrap().unwrap(),
        (ReminderStatus::Scheduled, to_start - chrono::Duration::hours(24))
    );
    assert_eq!(s.texts().await, [format!("appointment:{}:1:rescheduled", a.id)]);

    // The old time is free again, the new one is taken (no double counting of our own event).
    let free = s
        .booking
        .find_slots(
            &"consultation".parse().unwrap(),
            Some(&"sarah".parse().unwrap()),
            chrono::NaiveDate::from_ymd_opt(2026, 12, 9).unwrap(),
            3,
        )
        .await
        .unwrap();
    assert!(free.iter().any(|x| x.start == chicago(2026, 12, 9, 10, 0)));
    assert!(!free.iter().any(|x| x.start == to_start));

    // Our own later move works on the event as staff left it.
    let moved =
        s.booking.reschedule(a.id, chicago(2026, 12, 11, 9, 0), &Actor::Staff { force: false }, Tell::Nothing).await;
    assert_eq!(moved.unwrap().start, chicago(2026, 12, 11, 9, 0));
    let event = s.emu.event(SARAH, &event_id(&a)).unwrap();
    assert_eq!(
        event["start"]["dateTime"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap(),
        chicago(2026, 12, 11, 9, 0)
    );
}

#[tokio::test]
async fn reminders_follow_edits_made_in_google() {
    let s = setup().await;
    let moved = s.book_sarah(chicago(2026, 12, 9, 10, 0)).await;
    let deleted = s.book_sarah(chicago(2026, 12, 9, 11, 0)).await;
    let kept = s.book_sarah(chicago(2026, 12, 9, 14, 0)).await;
    s.emu.staff_move(SARAH, &event_id(&moved), chicago(2026, 12, 10, 10, 0), chicago(2026, 12, 10, 10, 30));
    s.emu.staff_delete(SARAH, &event_id(&deleted));

    let wake = Arc::new(tokio::sync::Notify::new());
    let store = s.db.store().await;
    let scheduler = ReminderScheduler::new(store.clone(), s.business.clone(), s.clock.clone(), wake.clone(), wake)
        .with_reconciler(s.booking.clone());
    s.clock.set(chicago(2026, 12, 8, 14, 30));
    assert_eq!(scheduler.tick().await.unwrap(), 1, "only the untouched appointment is reminded now");
    let reminders: Vec<String> = s.texts().await.into_iter().filter(|c| c.starts_with("reminder:")).collect();
    assert_eq!(reminders.len(), 1);
    assert!(reminders[0].contains(&kept.id.to_string()));
    assert_eq!(store.reminders().status(deleted.id).await.unwrap().unwrap().0, ReminderStatus::Cancelled);

    s.clock.set(chicago(2026, 12, 9, 10, 0));
    assert_eq!(scheduler.tick().await.unwrap(), 1, "the moved one a day later, for its new time");
    let reminded = store.outbox().messages_to("+13125550123").await.unwrap();
    let last = reminded.iter().find(|m| m.cause.starts_with(&format!("reminder:{}", moved.id))).unwrap();
    assert!(last.body.contains("Thu"), "names the new day: {}", last.body);
}

#[tokio::test]
async fn a_booking_whose_event_was_never_created_gets_it_on_the_next_look() {
    let s = setup().await;
    // Recorded by an instance that stopped before creating the event (as the local backend does).
    let half_done =
        BookingService::new(s.business.clone(), s.db.store().await, Arc::new(LocalCalendar), s.clock.clone());
    let a =
        half_done.book(request_with("consultation", "sarah", chicago(2026, 12, 9, 10, 0))).await.unwrap().appointment;
    assert!(s.emu.event(SARAH, &event_id(&a)).is_none());

    let listed = s.customers_list().await;
    assert_eq!(listed.iter().map(|x| x.status).collect::<Vec<_>>(), [Status::Confirmed]);
    let event = s.emu.event(SARAH, &event_id(&a)).expect("created now");
    assert_eq!(event["status"], "confirmed");
    assert_eq!(s.stored(&a).await.external_event_id.as_deref(), Some(event_id(&a).as_str()));
}

#[tokio::test]
async fn our_moves_are_conditional_on_the_etag_and_re_read_after_a_staff_edit() {
    let s = setup().await;
    let a = s.book_sarah(chicago(2026, 12, 9, 10, 0)).await;
    // Staff add a note in Google: the etag we kept from the insert is now stale.
    s.emu.staff_edit(SARAH, &event_id(&a), |e| e["description"] = "Bring the forms".into());
    let staff = s.business.staff_member(&"sarah".parse().unwrap()).unwrap();
    let mut later = a.clone();
    later.start = chicago(2026, 12, 9, 15, 0);
    later.end = chicago(2026, 12, 9, 15, 30);
    let before = s.emu.api_calls();
    s.google.move_event(staff, &later).await.unwrap();
    let calls = s.emu.requests()[before..].to_vec();
    assert_eq!(calls.iter().filter(|c| c.starts_with("PATCH")).count(), 2, "412, re-read, re-applied: {calls:?}");
    assert!(calls.iter().any(|c| c.starts_with("GET")));
    let event = s.emu.event(SARAH, &event_id(&a)).unwrap();
    assert_eq!(event["description"], "Bring the forms", "the staff's edit is kept");
    assert_eq!(
        event["start"]["dateTime"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap(),
        later.start
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_listing_of_a_customer_shows_what_staff_did_in_google() {
    let emu = GoogleEmulator::start(&[SARAH, "miguel@accuthink.example", "priya@accuthink.example"]).await;
    let dir = support::google_config_dir();
    let key = emu.key_file(dir.path());
    let run = |args: &'static [&'static str]| {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_appointment-setter"));
        cmd.arg("--config").arg(dir.path().join("appointment-setter.toml")).args(["--now", "2026-12-07T14:00:00Z"]);
        cmd.args(args).env("GOOGLE_SERVICE_ACCOUNT_FILE", &key).env("GOOGLE_API_BASE", emu.api_base());
        cmd.env_remove("DATABASE_URL").env_remove("APPOINTMENT_SETTER_CONFIG");
        async move {
            let out = cmd.output().await.unwrap();
            assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
            serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
        }
    };
    let booked = run(&[
        "appointments",
        "book",
        "--service",
        "standard",
        "--start",
        "2026-12-08T09:00",
        "--phone",
        "+13125550123",
        "--name",
        "Jane Doe",
        "--staff",
        "sarah",
        "--json",
    ])
    .await;
    // Our event id is the appointment's UUID as 32 hex digits.
    let event = booked["id"].as_str().unwrap().replace('-', "");
    assert!(emu.event(SARAH, &event).is_some());
    emu.staff_delete(SARAH, &event);
    let listed = run(&["appointments", "list", "--phone", "+13125550123", "--json"]).await;
    assert_eq!(listed.as_array().unwrap().len(), 0, "the event staff deleted is no longer listed: {listed}");
    let all = run(&["appointments", "list", "--phone", "+13125550123", "--include-cancelled", "--json"]).await;
    assert_eq!(all[0]["status"], "cancelled", "{all}");
}

//! Reminders with a clock the tests move: due exactly once, moved and cancelled with the
//! appointment, none inside the reminder window, sent late while still useful, exactly once across
//! a crash and across two instances.

use crate::support;

use std::sync::Arc;

use appointment_setter::booking::{BookingService, Tell};
use appointment_setter::calendar::LocalCalendar;
use appointment_setter::clock::ManualClock;
use appointment_setter::config::Config;
use appointment_setter::domain::{Actor, Appointment, Business};
use appointment_setter::messaging::reminders::ReminderScheduler;
use appointment_setter::messaging::{ConfirmationSettings, Confirmations};
use appointment_setter::store::Store;
use appointment_setter::store::{ReminderStatus, Then};
use chrono::{DateTime, Duration, Utc};
use support::{TestDb, chicago, phone};

struct Setup {
    clock: Arc<ManualClock>,
    booking: BookingService,
    store: Store,
    business: Arc<Business>,
}

async fn setup(db: &TestDb) -> Setup {
    let store = db.store().await;
    let config =
        Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml")).unwrap();
    let business = Arc::new(config.business);
    let clock = Arc::new(ManualClock::new(chicago(2026, 12, 7, 8, 0)));
    let booking = BookingService::new(business.clone(), store.clone(), Arc::new(LocalCalendar), clock.clone())
        .with_confirmations(Confirmations::writer(business.clone(), ConfirmationSettings::default()));
    Setup { clock, booking, store, business }
}

impl Setup {
    fn scheduler(&self) -> ReminderScheduler {
        let wake = Arc::new(tokio::sync::Notify::new());
        ReminderScheduler::new(self.store.clone(), self.business.clone(), self.clock.clone(), wake.clone(), wake)
    }

    async fn book(&self, who: &str, staff: &str, start: DateTime<Utc>) -> Appointment {
        let req = support::staff_booking(who, staff, start);
        self.booking.book(req).await.unwrap().appointment
    }

    async fn reminders_to(&self, who: &str) -> Vec<String> {
        self.store
            .outbox()
            .messages_to(who)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.cause.starts_with("reminder:"))
            .map(|m| m.body)
            .collect()
    }
}

#[tokio::test]
async fn a_reminder_is_due_exactly_once_24_hours_ahead() {
    for db in TestDb::all().await {
        let s = setup(&db).await;
        let scheduler = s.scheduler();
        let a = s.book("+13125550201", "sarah", chicago(2026, 12, 9, 10, 0)).await;
        assert_eq!(
            s.store.reminders().status(a.id).await.unwrap(),
            Some((ReminderStatus::Scheduled, chicago(2026, 12, 8, 10, 0)))
        );
        s.clock.set(chicago(2026, 12, 8, 9, 59));
        assert_eq!(scheduler.tick().await.unwrap(), 0, "{}: not yet", db.label);
        s.clock.set(chicago(2026, 12, 8, 10, 0));
        assert_eq!(scheduler.tick().await.unwrap(), 1, "{}", db.label);
        assert_eq!(scheduler.tick().await.unwrap(), 0, "{}: only once", db.label);
        let sent = s.reminders_to("+13125550201").await;
        assert_eq!(sent.len(), 1);
        assert!(
            sent[0].contains("reminder: Consultation with Sarah Chen on Wed, Dec 9 at 10:00 AM CST"),
            "{}",
            sent[0]
        );
    }
}

#[tokio::test]
async fn rescheduling_moves_the_reminder_and_cancelling_removes_it() {
    for db in TestDb::all().await {
        let s = setup(&db).await;
        let scheduler = s.scheduler();
        let moved = s.book("+13125550202", "sarah", chicago(2026, 12, 9, 10, 0)).await;
        let cancelled = s.book("+13125550203", "miguel", chicago(2026, 12, 9, 10, 0)).await;
        s.booking
            .reschedule(moved.id, chicago(2026, 12, 10, 10, 0), &Actor::Staff { force: false }, Tell::Nothing)
            .await
            .unwrap();
        s.booking.cancel(cancelled.id, &Actor::Staff { force: false }, Tell::Nothing).await.unwrap();
        s.clock.set(chicago(2026, 12, 8, 10, 0));
        assert_eq!(scheduler.tick().await.unwrap(), 0, "{}: the old time no longer reminds", db.label);
        assert_eq!(s.store.reminders().status(cancelled.id).await.unwrap().unwrap().0, ReminderStatus::Cancelled);
        s.clock.set(chicago(2026, 12, 9, 10, 0));
        assert_eq!(scheduler.tick().await.unwrap(), 1);
        let sent = s.reminders_to("+13125550202").await;
        assert!(sent[0].contains("Thu, Dec 10 at 10:00 AM"), "{}", sent[0]);
        assert!(s.reminders_to("+13125550203").await.is_empty());
    }
}

#[tokio::test]
async fn an_appointment_booked_three_hours_ahead_gets_no_reminder() {
    let db = TestDb::sqlite().await;
    let s = setup(&db).await;
    let a = s.book("+13125550204", "sarah", chicago(2026, 12, 7, 11, 0)).await;
    assert_eq!(s.store.reminders().status(a.id).await.unwrap().unwrap().0, ReminderStatus::Skipped);
    s.clock.set(chicago(2026, 12, 7, 10, 59));
    assert_eq!(s.scheduler().tick().await.unwrap(), 0);
    assert!(s.reminders_to("+13125550204").await.is_empty());
}

#[tokio::test]
async fn a_missed_reminder_is_sent_late_while_the_appointment_is_ahead_and_skipped_after() {
    let db = TestDb::sqlite().await;
    let s = setup(&db).await;
    let late = s.book("+13125550205", "sarah", chicago(2026, 12, 9, 10, 0)).await;
    let missed = s.book("+13125550206", "miguel", chicago(2026, 12, 8, 14, 0)).await;
    // The server was down from Monday until Tuesday 15:00.
    s.clock.set(chicago(2026, 12, 8, 15, 0));
    assert_eq!(s.scheduler().tick().await.unwrap(), 1);
    assert_eq!(s.reminders_to("+13125550205").await.len(), 1, "still ahead: sent late");
    assert!(s.reminders_to("+13125550206").await.is_empty(), "already started: skipped");
    assert_eq!(s.store.reminders().status(missed.id).await.unwrap().unwrap().0, ReminderStatus::Skipped);
    assert_eq!(s.store.reminders().status(late.id).await.unwrap().unwrap().0, ReminderStatus::Sent);
}

#[tokio::test]
async fn opted_out_numbers_get_no_reminder() {
    let db = TestDb::sqlite().await;
    let s = setup(&db).await;
    let a = s.book("+13125550207", "sarah", chicago(2026, 12, 9, 10, 0)).await;
    s.store.opt_outs().record(&phone("+13125550207"), "keyword", chrono::Utc::now()).await.unwrap();
    s.clock.set(chicago(2026, 12, 8, 10, 0));
    assert_eq!(s.scheduler().tick().await.unwrap(), 0);
    assert_eq!(s.store.reminders().status(a.id).await.unwrap().unwrap().0, ReminderStatus::Skipped);
}

#[tokio::test]
async fn a_crash_after_claiming_still_sends_exactly_once_after_the_lease() {
    for db in TestDb::all().await {
        let s = setup(&db).await;
        s.book("+13125550208", "sarah", chicago(2026, 12, 9, 10, 0)).await;
        let due = chicago(2026, 12, 8, 10, 0);
        s.clock.set(due);
        // Another instance claims the reminder and dies before finishing it.
        let claimed =
            s.store.reminders().claim_due("dead-instance", due, due + Duration::minutes(2), 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        let survivor = s.scheduler();
        assert_eq!(survivor.tick().await.unwrap(), 0, "{}: the claim is respected", db.label);
        s.clock.advance(Duration::minutes(3));
        assert_eq!(survivor.tick().await.unwrap(), 1, "{}: taken over after the lease", db.label);
        // The dead instance coming back cannot complete it again.
        assert!(!s.store.reminders().complete("dead-instance", &claimed[0], Then::Nothing, due).await.unwrap());
        assert_eq!(s.reminders_to("+13125550208").await.len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_send_each_reminder_exactly_once() {
    for db in TestDb::all().await {
        let s = setup(&db).await;
        // Every appointment within the next 24 hours, so every reminder is due and still useful.
        let times = [(9, 13, 0), (9, 13, 45), (9, 14, 30), (9, 15, 15), (9, 16, 0), (10, 10, 0), (10, 10, 45)];
        let phones = |i: usize, k: usize| format!("+1312555{:04}", 300 + i * 20 + k);
        let mut expected = 0;
        for (i, staff) in ["sarah", "miguel", "priya"].iter().enumerate() {
            for (k, (day, h, m)) in times.iter().enumerate() {
                s.book(&phones(i, k), staff, chicago(2026, 12, *day, *h, *m)).await;
                expected += 1;
            }
        }
        s.clock.set(chicago(2026, 12, 9, 12, 0));
        let (a, b) = (s.scheduler(), s.scheduler());
        let (ra, rb) = tokio::join!(a.tick(), b.tick());
        assert_eq!(ra.unwrap() + rb.unwrap(), expected, "{}", db.label);
        let mut total = 0;
        for i in 0..3 {
            for k in 0..times.len() {
                let got = s.reminders_to(&phones(i, k)).await.len();
                assert_eq!(got, 1, "{}: {}", db.label, phones(i, k));
                total += got;
            }
        }
        assert_eq!(total, expected);
    }
}

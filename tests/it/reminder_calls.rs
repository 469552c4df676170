//! Reminders by phone call (issue #17), with a clock the tests move and the Telnyx fake: a due
//! reminder becomes one call attempt and one dial — across two schedulers and two dialers — with
//! answering-machine detection, a signed `client_state` and a `command_id` made from the attempt;
//! calls ring only inside the call window, and a cancelled appointment's call never rings; a dial
//! Telnyx refuses is not tried again (a text instead with `call_then_sms`).

use crate::support;

use std::num::NonZeroU32;
use std::sync::Arc;

use appointment_setter::booking::{BookingService, Tell};
use appointment_setter::calendar::LocalCalendar;
use appointment_setter::clock::ManualClock;
use appointment_setter::config::Config;
use appointment_setter::domain::{Actor, Appointment, Business, ReminderChannel};
use appointment_setter::messaging::reminders::ReminderScheduler;
use appointment_setter::messaging::{ConfirmationSettings, Confirmations};
use appointment_setter::store::{CallStatus, Store};
use appointment_setter::telnyx::{ApiKey, CommandId, RetryPolicy, TelnyxClient};
use appointment_setter::voice::call_state::{CallStates, StateSays};
use appointment_setter::voice::dialer::{CallerLine, ReminderDialer, Wakes};
use chrono::{DateTime, Duration, Utc};
use support::fake_telnyx::{FakeTelnyx, Reply};
use support::{TestDb, chicago};

pub(crate) const KEY: [u8; 32] = [11; 32];
const CONNECTION: &str = "1494404757140276705";

pub(crate) struct World {
    pub clock: Arc<ManualClock>,
    pub booking: BookingService,
    pub store: Store,
    pub business: Arc<Business>,
    pub config: Config,
    pub telnyx: FakeTelnyx,
}

/// The example business reminding by call `hours` ahead.
pub(crate) async fn world(db: &TestDb, hours: i64) -> World {
    let store = db.store().await;
    let mut config =
        Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml")).unwrap();
    config.reminders.channel = ReminderChannel::Call;
    let business = Arc::new(config.business.clone());
    let clock = Arc::new(ManualClock::new(chicago(2026, 12, 7, 6, 0)));
    let booking = BookingService::new(business.clone(), store.clone(), Arc::new(LocalCalendar), clock.clone())
        .with_reminders(Some(Duration::hours(hours)))
        .with_confirmations(Confirmations::writer(business.clone(), ConfirmationSettings::default()));
    World { clock, booking, store, business, config, telnyx: FakeTelnyx::start().await }
}

impl World {
    pub(crate) fn scheduler(&self) -> ReminderScheduler {
        let wake = Arc::new(tokio::sync::Notify::new());
        ReminderScheduler::new(
            self.store.clone(),
            self.business.clone(),
            self.clock.clone(),
            wake.clone(),
            wake.clone(),
        )
        .with_calls(self.config.reminders.clone(), wake)
    }

    pub(crate) fn dialer(&self) -> ReminderDialer {
        let client = TelnyxClient::new(&self.telnyx.base, ApiKey::new("KEY-test"), RetryPolicy::default()).unwrap();
        let line = CallerLine {
            from: "+13125550100".into(),
            connection_id: CONNECTION.into(),
            per_second: NonZeroU32::new(30).unwrap(),
        };
        ReminderDialer::new(
            self.store.clone(),
            Arc::new(client),
            self.business.clone(),
            self.config.reminders.clone(),
            line,
            CallStates::new(&KEY),
            self.clock.clone(),
            Wakes::default(),
        )
    }

    pub(crate) async fn book(&self, who: &str, start: DateTime<Utc>) -> Appointment {
        let req = support::staff_booking(who, "sarah", start);
        self.booking.book(req).await.unwrap().appointment
    }

    pub(crate) fn dials(&self) -> Vec<serde_json::Value> {
        self.telnyx.received().into_iter().filter(|r| r.path.ends_with("/calls")).map(|r| r.body).collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_reminder_is_one_call_dialed_once_with_detection_a_signed_state_and_a_stable_command_id() {
    for db in TestDb::all().await {
        let w = world(&db, 48).await;
        let a = w.book("+13125550123", chicago(2026, 12, 9, 14, 0)).await;
        w.clock.set(chicago(2026, 12, 7, 14, 0));

        // Two instances' schedulers find it due at the same moment: one attempt, no text.
        let (s1, s2) = (w.scheduler(), w.scheduler());
        let (r1, r2) = tokio::join!(s1.tick(), s2.tick());
        assert_eq!(r1.unwrap() + r2.unwrap(), 1, "{}", db.label);
        let attempts = w.store.reminder_calls().of_appointment(a.id).await.unwrap();
        assert_eq!(attempts.len(), 1, "{}: {attempts:?}", db.label);
        assert_eq!((attempts[0].attempt, attempts[0].status), (1, CallStatus::Queued));
        assert!(
            w.store
                .outbox()
                .messages_to("+13125550123")
                .await
                .unwrap()
                .iter()
                .all(|m| !m.cause.starts_with("reminder:"))
        );

        // Two dialers: one dial.
        let (d1, d2) = (w.dialer(), w.dialer());
        let (p1, p2) = tokio::join!(d1.tick(), d2.tick());
        assert_eq!(p1.unwrap() + p2.unwrap(), 1, "{}", db.label);
        let dials = w.dials();
        assert_eq!(dials.len(), 1, "{}: {dials:?}", db.label);
        let dial = &dials[0];
        assert_eq!((dial["to"].as_str(), dial["from"].as_str()), (Some("+13125550123"), Some("+13125550100")));
        assert_eq!(dial["connection_id"], CONNECTION);
        assert_eq!(dial["answering_machine_detection"], "detect_beep");
        let attempt = &attempts[0].id;
        assert_eq!(dial["command_id"], CommandId::derive(attempt, "dial").to_string());
        let said = CallStates::new(&KEY).read(dial["client_state"].as_str());
        assert_eq!(said, StateSays::ReminderCall(attempt.clone()), "the state names the attempt, signed");

        let dialed = w.store.reminder_calls().of_appointment(a.id).await.unwrap();
        assert_eq!(dialed[0].status, CallStatus::Dialed);
        let handle = dialed[0].call_control_id.clone().expect("the call's handle is recorded");
        assert_eq!(w.store.reminder_calls().by_call(&handle).await.unwrap().map(|c| c.id), Some(attempt.clone()));

        // Later passes dial nothing more.
        assert_eq!(w.dialer().tick().await.unwrap(), 0);
        assert_eq!(w.scheduler().tick().await.unwrap(), 0);
        assert_eq!(w.dials().len(), 1, "{}", db.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_due_at_seven_rings_at_nine_and_a_cancelled_appointments_call_never_rings() {
    for db in TestDb::all().await {
        // 51 hours before Wednesday 10:00 and 11:00 is Monday 07:00 and 08:00, before the
        // 09:00-20:00 window.
        let w = world(&db, 51).await;
        let kept = w.book("+13125550123", chicago(2026, 12, 9, 10, 0)).await;
        let dropped = w.book("+13125550199", chicago(2026, 12, 9, 11, 0)).await;
        w.clock.set(chicago(2026, 12, 7, 8, 0));
        assert_eq!(w.scheduler().tick().await.unwrap(), 2, "{}", db.label);
        let queued = w.store.reminder_calls().of_appointment(kept.id).await.unwrap();
        assert_eq!(queued[0].dial_at, chicago(2026, 12, 7, 9, 0), "{}: the window's opening", db.label);

        assert_eq!(w.dialer().tick().await.unwrap(), 0, "{}: nothing rings before nine", db.label);
        assert!(w.dials().is_empty());

        w.booking.cancel(dropped.id, &Actor::Staff { force: true }, Tell::Nothing).await.unwrap();
        w.clock.set(chicago(2026, 12, 7, 9, 0));
        assert_eq!(w.dialer().tick().await.unwrap(), 1, "{}", db.label);
        let dials = w.dials();
        assert_eq!(dials.len(), 1, "{}: {dials:?}", db.label);
        assert_eq!(dials[0]["to"], "+13125550123");
        let skipped = w.store.reminder_calls().of_appointment(dropped.id).await.unwrap();
        assert_eq!(skipped[0].status, CallStatus::Skipped, "{}", db.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_found_after_the_window_closed_waits_for_the_next_morning() {
    let db = TestDb::sqlite().await;
    let w = world(&db, 48).await;
    let a = w.book("+13125550123", chicago(2026, 12, 9, 15, 30)).await;
    w.clock.set(chicago(2026, 12, 7, 15, 30));
    assert_eq!(w.scheduler().tick().await.unwrap(), 1);
    // The dialer was down until 20:30: the call waits for Tuesday 09:00 instead of ringing late.
    w.clock.set(chicago(2026, 12, 7, 20, 30));
    assert_eq!(w.dialer().tick().await.unwrap(), 0);
    let queued = w.store.reminder_calls().of_appointment(a.id).await.unwrap();
    assert_eq!((queued[0].status, queued[0].dial_at), (CallStatus::Queued, chicago(2026, 12, 8, 9, 0)));
    assert!(w.dials().is_empty());
    w.clock.set(chicago(2026, 12, 8, 9, 0));
    assert_eq!(w.dialer().tick().await.unwrap(), 1);
}

/// The reminder texts queued for `phone`.
async fn reminder_texts(w: &World, phone: &str) -> usize {
    let all = w.store.outbox().messages_to(phone).await.unwrap();
    all.iter().filter(|m| m.cause.starts_with("reminder:")).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dial_telnyx_refuses_is_not_tried_again_and_call_then_sms_texts_instead() {
    for db in TestDb::all().await {
        let cases =
            [(ReminderChannel::CallThenSms, "+13125550123", 14, 1), (ReminderChannel::Call, "+13125550124", 16, 0)];
        for (channel, phone, hour, texts) in cases {
            let mut w = world(&db, 48).await;
            w.config.reminders.channel = channel;
            let a = w.book(phone, chicago(2026, 12, 9, hour, 0)).await;
            w.clock.set(chicago(2026, 12, 7, hour, 0));
            assert_eq!(w.scheduler().tick().await.unwrap(), 1);
            // 422 "invalid to": not worth another try.
            w.telnyx.script([Reply::error(422, "40310")]);
            assert_eq!(w.dialer().tick().await.unwrap(), 0, "{}", db.label);
            let attempts = w.store.reminder_calls().of_appointment(a.id).await.unwrap();
            assert_eq!(attempts.len(), 1, "{}: no second attempt: {attempts:?}", db.label);
            assert_eq!(attempts[0].status, CallStatus::Failed, "{}", db.label);
            w.clock.set(chicago(2026, 12, 7, hour + 3, 0));
            assert_eq!(w.dialer().tick().await.unwrap(), 0);
            assert_eq!(w.dials().len(), 1, "{}: dialed once", db.label);
            w.scheduler().tick().await.unwrap();
            assert_eq!(reminder_texts(&w, phone).await, texts, "{}: {channel:?}", db.label);
        }
    }
}

//! Texts end to end on a real server with a fake Telnyx API: CANCEL in its spellings, several and
//! no appointments, the cancellation policy, opt-outs and opt-ins, replays, 40300 and 5xx sends.

use crate::support;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use appointment_setter::booking::{BookRequest, BookingService, Tell};
use appointment_setter::calendar::LocalCalendar;
use appointment_setter::clock::{Clock, SystemClock};
use appointment_setter::config::Config;
use appointment_setter::domain::{Actor, Appointment, Channel, Status};
use appointment_setter::ingest::Inbox;
use appointment_setter::ingest::Router;
use appointment_setter::messaging::{
    ConfirmationSettings, Confirmations, OutboxSettings, SmsHandler, WorkerExtras, Workers,
};
use appointment_setter::startup::{self, ServerParts};
use appointment_setter::store::{MessageStatus, Store};
use appointment_setter::telnyx::{ApiKey, PublicKey, RetryPolicy, TelnyxClient, Verifier};
use support::fake_telnyx::{FakeTelnyx, Reply};
use support::webhooks::{sample, signing_key};
use support::{TestDb, phone};

pub(crate) struct Texts {
    url: String,
    http: reqwest::Client,
    fake: FakeTelnyx,
    booking: BookingService,
    pub(crate) store: Store,
    stop: appointment_setter::http::StopHandle,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
    messaging: Workers,
    /// Changes whenever the outbox records a send.
    recorded: tokio::sync::watch::Sender<u64>,
    pub(crate) inbox: Inbox,
}

/// Real time shifted to Monday 2026-12-07 08:00 in Chicago, so business hours are predictable while
/// retries and leases still see time pass.
struct ShiftedClock(chrono::Duration);

impl Clock for ShiftedClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + self.0
    }
}

fn monday_morning() -> Arc<dyn Clock> {
    Arc::new(ShiftedClock(support::chicago(2026, 12, 7, 8, 0) - chrono::Utc::now()))
}

pub(crate) async fn start(db: &TestDb) -> Texts {
    let store = db.store().await;
    let config =
        Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml")).unwrap();
    let business = Arc::new(config.business);
    let clock = monday_morning();
    let wake = Arc::new(tokio::sync::Notify::new());
    let booking = BookingService::new(business.clone(), store.clone(), Arc::new(LocalCalendar), clock.clone())
        .with_confirmations(Confirmations::writer(business.clone(), ConfirmationSettings::default()))
        .with_change_signal(wake.clone());
    let fake = FakeTelnyx::start().await;
    let policy = RetryPolicy {
        request_timeout: Duration::from_secs(2),
        max_retries: 1,
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    };
    let client = TelnyxClient::new(&fake.base, ApiKey::new("KEY"), policy).unwrap();
    let settings = OutboxSettings { retry_base: Duration::from_millis(20), ..OutboxSettings::default() };
    let recorded = tokio::sync::watch::Sender::new(0);
    let extras = WorkerExtras { recorded: Some(recorded.clone()), ..WorkerExtras::default() };
    let messaging = Workers::start(
        store.clone(),
        business.clone(),
        Some(Arc::new(client)),
        clock.clone(),
        settings,
        wake.clone(),
        extras,
    );
    let sms = SmsHandler::new(booking.clone(), store.clone(), wake);
    let handler = Router::new(sms, business.region, clock.clone());
    let parts = ServerParts {
        listener: TcpListener::bind("127.0.0.1:0").unwrap(),
        verifier: Verifier::new(PublicKey::from_verifying_key(signing_key().verifying_key())),
        handler: Arc::new(handler),
        // Signatures are checked against real time.
        clock: Arc::new(SystemClock),
        workers: 2,
        capacity: 1000,
        chat: None,
        admin: None,
    };
    let app = startup::start(store.clone(), parts).await.unwrap();
    let url = format!("http://127.0.0.1:{}/webhooks/telnyx", app.port());
    let stop = app.stop_handle();
    let inbox = app.inbox();
    let done = tokio::spawn(app.run_until_stopped());
    Texts { url, http: reqwest::Client::new(), fake, booking, store, stop, done, messaging, recorded, inbox }
}

impl Texts {
    pub(crate) async fn text(&self, event_id: &str, from: &str, text: &str, autoresponse: Option<&str>) -> u16 {
        let mut body = serde_json::json!({
            "data": {"event_type": "message.received", "id": event_id, "record_type": "event",
                     "payload": {"from": {"phone_number": from}, "to": [{"phone_number": "+13125550100"}], "text": text}},
            "meta": {"attempt": 1}
        });
        if let Some(kind) = autoresponse {
            body["data"]["payload"]["autoresponse_type"] = kind.into();
        }
        self.post(&serde_json::to_vec(&body).unwrap()).await
    }

    pub(crate) async fn post(&self, body: &[u8]) -> u16 {
        let ts = chrono::Utc::now().timestamp().to_string();
        let sig = appointment_setter::telnyx::signature::sign(&signing_key(), &ts, body);
        let r = self
            .http
            .post(&self.url)
            .header("telnyx-timestamp", ts)
            .header("telnyx-signature-ed25519", sig)
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        r.status().as_u16()
    }

    /// Books the `nth` free consultation with Sarah from `days_ahead` days on, for `who`.
    async fn book(&self, who: &str, days_ahead: u64, nth: usize) -> Appointment {
        let from = self.booking.business().today(self.booking.now()) + chrono::Days::new(days_ahead);
        let slots = self
            .booking
            .find_slots(&"consultation".parse().unwrap(), Some(&"sarah".parse().unwrap()), from, 14)
            .await
            .unwrap();
        let slot = slots.iter().step_by(4).nth(nth).expect("free slot");
        self.book_at(who, slot.start, Tell::Nothing).await
    }

    pub(crate) async fn book_at(&self, who: &str, start: chrono::DateTime<chrono::Utc>, tell: Tell) -> Appointment {
        let req = BookRequest {
            service: "consultation".parse().unwrap(),
            staff: Some("sarah".parse().unwrap()),
            start,
            customer_name: "Jane".into(),
            customer_phone: phone(who),
            notes: None,
            channel: Channel::Cli,
            actor: Actor::Staff { force: true },
            idempotency_key: None,
            conversation: None,
            customer_email: None,
            tell,
        };
        self.booking.book(req).await.unwrap().appointment
    }

    /// Waits until `who` has `n` messages that are no longer pending.
    pub(crate) async fn settled(&self, who: &str, n: usize) -> Vec<appointment_setter::store::MessageRecord> {
        let mut signals = [self.recorded.subscribe()];
        let settled = async || {
            let messages = self.store.outbox().messages_to(who).await.unwrap();
            messages.len() >= n && messages.iter().all(|m| m.status != MessageStatus::Pending)
        };
        support::until(&format!("{n} settled messages to {who}"), &mut signals, settled, String::new).await;
        self.store.outbox().messages_to(who).await.unwrap()
    }

    fn texts_to(&self, who: &str) -> Vec<String> {
        self.fake
            .received()
            .iter()
            .filter(|r| r.path.ends_with("/messages") && r.body["to"] == who)
            .map(|r| r.body["text"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    async fn status(&self, a: &Appointment) -> Status {
        self.booking.get(a.id).await.unwrap().status
    }

    pub(crate) async fn stop(self) {
        self.stop.stop().await;
        self.done.await.unwrap().unwrap();
        self.messaging.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_in_its_spellings_with_one_two_and_no_appointments() {
    for db in TestDb::all().await {
        let t = start(&db).await;
        // One upcoming: a bare CANCEL (Telnyx also opted them out) still cancels and confirms once.
        let one = t.book("+13125550101", 3, 0).await;
        assert_eq!(t.text("e1", "+13125550101", "CANCEL", Some("STOP")).await, 200);
        let sent = t.settled("+13125550101", 1).await;
        assert_eq!(t.status(&one).await, Status::Cancelled, "{}", db.label);
        assert_eq!(sent.len(), 1);
        assert!(sent[0].body.contains("is cancelled"), "{}", sent[0].body);
        assert!(
            t.store.opt_outs().is_opted_out(&phone("+13125550101")).await.unwrap(),
            "the carrier keyword opted them out"
        );

        // Two upcoming, lower-case: the next one goes, the reply lists the other.
        let first = t.book("+13125550102", 3, 1).await;
        let second = t.book("+13125550102", 4, 2).await;
        assert_eq!(t.text("e2", "+13125550102", "cancel", None).await, 200);
        let sent = t.settled("+13125550102", 1).await;
        assert_eq!((t.status(&first).await, t.status(&second).await), (Status::Cancelled, Status::Confirmed));
        assert!(sent[0].body.contains("Still booked: C1"), "{}", sent[0].body);

        // Two upcoming, `C2`: the second goes.
        let a = t.book("+13125550103", 5, 3).await;
        let b = t.book("+13125550103", 6, 4).await;
        assert_eq!(t.text("e3", "+13125550103", "C2", None).await, 200);
        t.settled("+13125550103", 1).await;
        assert_eq!((t.status(&a).await, t.status(&b).await), (Status::Confirmed, Status::Cancelled), "{}", db.label);

        // None upcoming, with spaces and punctuation.
        assert_eq!(t.text("e4", "+13125550104", " Cancel. ", None).await, 200);
        let sent = t.settled("+13125550104", 1).await;
        assert!(sent[0].body.contains("no upcoming appointments"), "{}", sent[0].body);
        assert_eq!(t.texts_to("+13125550104").len(), 1);
        t.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_cancel_is_refused_with_the_number_to_call() {
    let db = TestDb::sqlite().await;
    let t = start(&db).await;
    let soon = t.book_at("+13125550111", support::chicago(2026, 12, 7, 11, 0), Tell::Nothing).await;
    assert_eq!(t.text("late-1", "+13125550111", "C", None).await, 200);
    let sent = t.settled("+13125550111", 1).await;
    assert_eq!(t.status(&soon).await, Status::Confirmed);
    assert!(
        sent[0].body.contains("can't be cancelled by text") && sent[0].body.contains("+13125550199"),
        "{}",
        sent[0].body
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opted_out_number_gets_nothing_until_start() {
    let db = TestDb::sqlite().await;
    let t = start(&db).await;
    let who = "+13125550121";
    assert_eq!(t.text("o1", who, "STOP", Some("STOP")).await, 200);
    // The text is handled after the webhook is acknowledged: wait until it has been.
    t.inbox.drain().await;
    assert!(t.store.opt_outs().is_opted_out(&phone(who)).await.unwrap(), "opt-out recorded");
    let a = t.book("+13125550121", 3, 0).await;
    t.booking.cancel(a.id, &Actor::Staff { force: false }, Tell::Confirmation).await.unwrap();
    let sent = t.settled(who, 1).await;
    assert_eq!(sent[0].status, MessageStatus::Blocked);
    assert!(t.texts_to(who).is_empty(), "nothing reached Telnyx");
    assert_eq!(t.text("o2", who, "START", None).await, 200);
    let sent = t.settled(who, 2).await;
    assert_eq!(sent[1].status, MessageStatus::Sent);
    assert!(!t.store.opt_outs().is_opted_out(&phone(who)).await.unwrap());
    let b = t.book("+13125550121", 4, 1).await;
    t.booking.cancel(b.id, &Actor::Staff { force: false }, Tell::Confirmation).await.unwrap();
    t.settled(who, 3).await;
    assert_eq!(t.texts_to(who).len(), 2, "the START reply and the new confirmation");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_inbound_sample_replayed_ten_times_gives_one_cancellation_and_one_reply() {
    for db in TestDb::all().await {
        let t = Arc::new(start(&db).await);
        let jane = "+13125550123";
        let appointment = t.book(jane, 3, 0).await;
        for name in ["10-message.received.json", "11-message.received.cancel.json", "12-message.received.stop.json"] {
            let body = sample(name);
            let posts: Vec<_> = (0..10)
                .map(|_| {
                    let (t, body) = (t.clone(), body.clone());
                    tokio::spawn(async move { t.post(&body).await })
                })
                .collect();
            for p in posts {
                assert_eq!(p.await.unwrap(), 200);
            }
        }
        let sent = t.settled(jane, 2).await;
        assert_eq!(t.status(&appointment).await, Status::Cancelled);
        let causes: Vec<&str> = sent.iter().map(|m| m.cause.as_str()).collect();
        assert_eq!(
            sent.len(),
            2,
            "{}: one answer to the question, one cancellation confirmation: {causes:?}",
            db.label
        );
        // The answer to the question races the STOP that follows it: sent, or blocked once the
        // opt-out is recorded. The cancellation confirmation always goes out (bare CANCEL).
        let to_telnyx = t.texts_to(jane);
        assert!(to_telnyx.iter().any(|text| text.contains("is cancelled")), "{}: {to_telnyx:?}", db.label);
        let blocked = sent.iter().filter(|m| m.status == MessageStatus::Blocked).count();
        assert_eq!(to_telnyx.len() + blocked, 2, "{}: each message sent or blocked exactly once", db.label);
        Arc::into_inner(t).unwrap().stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_40300_send_records_the_opt_out_and_is_not_retried() {
    let db = TestDb::sqlite().await;
    let t = start(&db).await;
    let who = "+13125550131";
    t.fake.script([Reply::error(403, "40300")]);
    assert_eq!(t.text("b1", who, "HELP", None).await, 200);
    let sent = t.settled(who, 1).await;
    assert_eq!((sent[0].status, sent[0].attempts), (MessageStatus::Blocked, 1));
    assert_eq!(t.texts_to(who).len(), 1, "one request, no retry");
    assert!(t.store.opt_outs().is_opted_out(&phone(who)).await.unwrap());
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_is_retried_with_backoff_and_sent_once() {
    let db = TestDb::sqlite().await;
    let t = start(&db).await;
    let who = "+13125550141";
    // The client tries twice per attempt; the outbox tries again later.
    t.fake.script([Reply::error(500, "x"), Reply::error(500, "x")]);
    assert_eq!(t.text("r1", who, "HELP", None).await, 200);
    let sent = t.settled(who, 1).await;
    assert_eq!((sent[0].status, sent[0].attempts), (MessageStatus::Sent, 2), "{sent:?}");
    assert_eq!(t.texts_to(who).len(), 3, "two failed requests and one success");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn booking_confirmations_reach_the_customer_once() {
    let db = TestDb::sqlite().await;
    let t = start(&db).await;
    let who = "+13125550151";
    let from = t.booking.business().today(t.booking.now()) + chrono::Days::new(3);
    let slot = t.booking.find_slots(&"consultation".parse().unwrap(), None, from, 7).await.unwrap()[0];
    let a = t.book_at(who, slot.start, Tell::Confirmation).await;
    let moved = t
        .booking
        .reschedule(a.id, slot.start + chrono::Duration::hours(1), &Actor::Staff { force: true }, Tell::Confirmation)
        .await;
    assert!(moved.is_ok(), "{moved:?}");
    let sent = t.settled(who, 2).await;
    assert!(sent[0].body.contains("booked for") && sent[1].body.contains("moved to"), "{sent:?}");
    assert_eq!(t.texts_to(who).len(), 2);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whatsapp_or_rcs_message_is_acknowledged_counted_and_not_answered_by_text() {
    let db = TestDb::sqlite().await;
    let t = start(&db).await;
    let who = "+13125550131";
    for (id, kind, from) in [
        ("wa-1", "WhatsApp", serde_json::json!({"phone_number": who})),
        ("rcs-1", "RCS", serde_json::json!({"agent_id": "someone"})),
    ] {
        let body = serde_json::json!({"data": {"event_type": "message.received", "id": id,
            "payload": {"type": kind, "from": from, "to": "+13125550100", "text": "HELP"}}});
        assert_eq!(t.post(&serde_json::to_vec(&body).unwrap()).await, 200, "{kind}");
    }
    t.inbox.drain().await;
    assert!(t.store.outbox().messages_to(who).await.unwrap().is_empty(), "no text goes back to a WhatsApp sender");
    let metrics = appointment_setter::observability::metrics().render();
    assert!(metrics.contains(r#"texts_unsupported_total{channel="whatsapp"}"#), "{metrics}");
    assert!(metrics.contains(r#"texts_unsupported_total{channel="rcs"}"#), "{metrics}");
    // The same words as a text are answered.
    assert_eq!(t.text("sms-1", who, "HELP", None).await, 200);
    assert_eq!(t.settled(who, 1).await.len(), 1);
}

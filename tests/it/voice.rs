//! A whole phone call end to end on a real server: webhooks in, Call Control commands out to a fake
//! Telnyx API, the agent thinking through a fake streaming LLM, the appointment in the store and the
//! SMS confirmation sent. Every webhook is delivered twice.

use crate::support;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use appointment_setter::booking::BookingService;
use appointment_setter::calendar::LocalCalendar;
use appointment_setter::clock::{Clock, SystemClock};
use appointment_setter::config::Config;
use appointment_setter::conversation::{Agent, OpenAiLlm, TurnSettings};
use appointment_setter::domain::Channel;
use appointment_setter::ingest::Inbox;
use appointment_setter::ingest::Router;
use appointment_setter::messaging::{ConfirmationSettings, Confirmations, OutboxSettings, SmsHandler, Workers};
use appointment_setter::startup::{self, ServerParts};
use appointment_setter::store::{AppointmentFilter, ConversationStatus, Store, StoredConversation};
use appointment_setter::telnyx::{ApiKey, PublicKey, RetryPolicy, TelnyxClient, Verifier};
use appointment_setter::voice::{CallTimeouts, SILENT_GOODBYE, STILL_THERE, VoiceHandler};
use serde_json::json;
use support::fake_llm::{FakeLlm, Script, Step, tool};
use support::fake_telnyx::{FakeTelnyx, Received};
use support::webhooks::signing_key;
use support::{TestDb, phone};

struct Phone {
    url: String,
    http: reqwest::Client,
    telnyx: FakeTelnyx,
    llm: FakeLlm,
    booking: BookingService,
    store: Store,
    _messaging: Workers,
    inbox: Inbox,
}

const CALL: &str = "v3:call-jane";
const JANE: &str = "+13125550123";

async fn start(db: &TestDb) -> Phone {
    start_with(db, CallTimeouts { silence: Duration::from_secs(60), max_call: Duration::from_secs(600) }).await
}

async fn start_with(db: &TestDb, timeouts: CallTimeouts) -> Phone {
    let store = db.store().await;
    let config =
        Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml")).unwrap();
    let business = Arc::new(config.business);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let wake = Arc::new(tokio::sync::Notify::new());
    let booking = BookingService::new(business.clone(), store.clone(), Arc::new(LocalCalendar), clock.clone())
        .with_confirmations(Confirmations::writer(business.clone(), ConfirmationSettings::default()))
        .with_change_signal(wake.clone());
    let telnyx_fake = FakeTelnyx::start().await;
    let policy = RetryPolicy { max_retries: 1, min_delay: Duration::from_millis(5), ..RetryPolicy::default() };
    let telnyx = Arc::new(TelnyxClient::new(&telnyx_fake.base, ApiKey::new("KEY"), policy).unwrap());
    let messaging = Workers::start(
        store.clone(),
        business.clone(),
        Some(telnyx.clone()),
        clock.clone(),
        OutboxSettings::default(),
        wake.clone(),
        Default::default(),
    );
    let llm = FakeLlm::start().await;
    let model = OpenAiLlm::new(&llm.base, "k", "fake", Duration::from_secs(5)).unwrap();
    let agent = Agent::new(Arc::new(model), booking.clone(), TurnSettings::default());
    let voice =
        VoiceHandler::new(Arc::new(agent), telnyx, config.voice, store.clone(), business.clone(), clock.clone())
            .with_timeouts(timeouts);
    let sms = SmsHandler::new(booking.clone(), store.clone(), wake);
    let handler = Router::new(sms, business.region, clock.clone()).with_voice(voice);
    let parts = ServerParts {
        listener: TcpListener::bind("127.0.0.1:0").unwrap(),
        verifier: Verifier::new(PublicKey::from_verifying_key(signing_key().verifying_key())),
        handler: Arc::new(handler),
        clock,
        workers: 2,
        capacity: 1000,
        chat: None,
        admin: None,
    };
    let app = startup::start(store.clone(), parts).await.unwrap();
    let url = format!("http://127.0.0.1:{}/webhooks/telnyx", app.port());
    let inbox = app.inbox();
    tokio::spawn(app.run_until_stopped());
    Phone { url, http: reqwest::Client::new(), telnyx: telnyx_fake, llm, booking, store, _messaging: messaging, inbox }
}

impl Phone {
    /// Posts a call event twice (a redelivery), signed like Telnyx.
    async fn event(&self, id: &str, event_type: &str, extra: serde_json::Value) {
        let mut payload =
            json!({"call_control_id": CALL, "call_session_id": "session-1", "from": JANE, "to": "+13125550100"});
        payload.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let body =
            serde_json::to_vec(&json!({"data": {"event_type": event_type, "id": id, "payload": payload}})).unwrap();
        for _ in 0..2 {
            let ts = chrono::Utc::now().timestamp().to_string();
            let sig = appointment_setter::telnyx::signature::sign(&signing_key(), &ts, &body);
            let status = self
                .http
                .post(&self.url)
                .header("telnyx-timestamp", ts)
                .header("telnyx-signature-ed25519", sig)
                .body(body.clone())
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, 200);
        }
    }

    fn commands(&self) -> Vec<Received> {
        self.telnyx.received().into_iter().filter(|r| r.path.contains("/actions/")).collect()
    }

    fn spoken(&self) -> Vec<String> {
        self.commands()
            .iter()
            .filter(|r| r.path.ends_with("/speak"))
            .map(|r| r.body["payload"].as_str().unwrap().to_string())
            .collect()
    }

    /// Waits until `check` holds, looking again whenever the fake Telnyx or the fake LLM receives a
    /// request (10 s at most).
    async fn until(&self, what: &str, check: impl Fn(&Phone) -> bool) {
        let mut signals = [self.telnyx.changes(), self.llm.changes()];
        support::until(what, &mut signals, async || check(self), || format!("commands: {:#?}", self.commands())).await;
    }

    /// The stored conversation once every event sent so far has been handled.
    async fn stored_when_handled(&self) -> Option<StoredConversation> {
        self.inbox.drain().await;
        self.store.conversations().get(CALL).await.unwrap()
    }
}

fn count(p: &Phone, action: &str) -> usize {
    p.commands().iter().filter(|r| r.path.ends_with(&format!("/actions/{action}"))).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_books_a_consultation_and_gets_a_text() {
    let db = TestDb::sqlite().await;
    let p = start(&db).await;
    let tomorrow = (p.booking.business().today(p.booking.now()) + chrono::Days::new(1)).to_string();
    p.llm.script([
        Script::Stream(vec![
            Step::Text("Let me check what we have. "),
            tool(
                "call_1",
                "find_available_slots",
                json!({"service": "consultation", "date_from": tomorrow, "date_to": tomorrow}),
            ),
        ]),
        Script::Stream(vec![Step::Text("I have a time tomorrow. Shall I book it for you?")]),
        Script::Stream(vec![tool("call_2", "book_appointment", json!({"slot_id": "s1", "customer_name": "Jane Doe"}))]),
        Script::Stream(vec![Step::Text("You're booked. You'll get a text with the details. Goodbye!")]),
    ]);

    p.event("e1", "call.initiated", json!({"direction": "incoming", "state": "parked"})).await;
    p.until("answer", |p| count(p, "answer") == 1).await;
    p.event("e2", "call.answered", json!({})).await;
    p.until("greeting and transcription", |p| count(p, "transcription_start") == 1 && count(p, "speak") == 1).await;
    assert!(p.spoken()[0].contains("Accuthink Clinic"), "{:?}", p.spoken());

    p.event(
        "e3",
        "call.transcription",
        json!({"transcription_data": {"transcript": "I'd like a consultation tomorrow", "is_final": true}}),
    )
    .await;
    p.until("the offer", |p| p.spoken().len() == 4).await;
    p.event("e4", "call.transcription", json!({"transcription_data": {"transcript": "I'd like a", "is_final": false}}))
        .await;
    p.event(
        "e5",
        "call.transcription",
        json!({"transcription_data": {"transcript": "Yes please, I'm Jane Doe", "is_final": true}}),
    )
    .await;
    p.until("the confirmation", |p| p.spoken().len() == 7).await;
    assert_eq!(p.spoken()[1..4], ["Let me check what we have.", "I have a time tomorrow.", "Shall I book it for you?"]);

    let booked = p.booking.list(&AppointmentFilter { phone: Some(phone(JANE)), ..Default::default() }).await.unwrap();
    assert_eq!(booked.len(), 1, "booked once although every event came twice");
    assert_eq!(booked[0].customer_name, "Jane Doe");
    assert_eq!(booked[0].conversation.as_deref(), Some(CALL), "the appointment names the call that booked it");
    p.until("the SMS confirmation", |p| {
        p.telnyx.received().iter().any(|r| r.path.ends_with("/messages") && r.body["to"] == JANE)
    })
    .await;

    p.event("e6", "call.hangup", json!({"hangup_cause": "normal_clearing", "hangup_source": "caller"})).await;
    let stored = p.stored_when_handled().await.unwrap();
    assert_eq!(stored.status, ConversationStatus::Ended);
    assert_eq!(stored.outcome.as_deref(), Some("normal_clearing"));
    assert!(stored.state.contains("Jane Doe"), "the transcript is kept");
    assert_eq!((stored.channel, stored.caller.as_ref().map(|c| c.as_str())), (Channel::Voice, Some(JANE)));
    assert_eq!((count(&p, "answer"), count(&p, "transcription_start")), (1, 1), "no command twice");
    let metrics = appointment_setter::observability::metrics().render();
    for name in [
        "bookings_total{channel=\"voice\"}",
        "agent_turn_seconds_count",
        "agent_first_sentence_seconds_count",
        "calls_total",
    ] {
        assert!(metrics.contains(name), "{name} in the metrics");
    }
    let requests = p.llm.requests();
    assert_eq!(requests.len(), 4, "the interim transcription started no turn");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_llm_is_down_the_caller_hears_an_apology_and_an_offer() {
    let db = TestDb::sqlite().await;
    let p = start(&db).await;
    // The client's bounded retries (3) all fail too.
    p.llm.script([Script::Fail(500), Script::Fail(500), Script::Fail(500), Script::Fail(500)]);
    p.event("f1", "call.initiated", json!({"direction": "incoming"})).await;
    p.event("f2", "call.answered", json!({})).await;
    p.event("f3", "call.transcription", json!({"transcription_data": {"transcript": "Hello?", "is_final": true}}))
        .await;
    p.until("the apology", |p| p.spoken().len() == 2).await;
    assert!(p.spoken()[1].starts_with("I'm sorry") && p.spoken()[1].contains("transfer"), "{:?}", p.spoken());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_talking_over_a_slow_answer_stops_it_and_starts_a_new_turn() {
    let db = TestDb::sqlite().await;
    let p = start(&db).await;
    p.llm.script([
        Script::Stream(vec![Step::Delay(Duration::from_secs(3)), Step::Text("This answer is never heard.")]),
        Script::Stream(vec![Step::Text("Sure, what day works for you?")]),
    ]);
    p.event("b1", "call.initiated", json!({"direction": "incoming"})).await;
    p.event("b2", "call.answered", json!({})).await;
    p.until("the greeting", |p| p.spoken().len() == 1).await;
    p.event("b2s", "call.speak.started", json!({})).await;
    p.event("b2e", "call.speak.ended", json!({"status": "completed"})).await;
    p.event(
        "b3",
        "call.transcription",
        json!({"transcription_data": {"transcript": "I want to book", "is_final": true}}),
    )
    .await;
    p.until("the first turn to start", |p| p.llm.requests().len() == 1).await;
    p.event(
        "b4",
        "call.transcription",
        json!({"transcription_data": {"transcript": "a consultation please", "is_final": true}}),
    )
    .await;
    p.until("the second answer", |p| p.spoken().iter().any(|s| s.contains("what day"))).await;
    assert_eq!(count(&p, "playback_stop"), 1, "our speech/thinking was interrupted");
    let history = p.llm.requests()[1]["messages"].as_array().unwrap().clone();
    let user: Vec<&str> =
        history.iter().filter(|m| m["role"] == "user").map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(user, ["I want to book", "a consultation please"], "history intact");
    assert!(!p.spoken().iter().any(|s| s.contains("never heard")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_talking_over_a_turn_keeps_what_the_turn_already_did() {
    let db = TestDb::sqlite().await;
    let p = start(&db).await;
    let tomorrow = (p.booking.business().today(p.booking.now()) + chrono::Days::new(1)).to_string();
    let search = json!({"service": "consultation", "date_from": tomorrow, "date_to": tomorrow});
    p.llm.script([
        Script::Stream(vec![Step::Text("Let me check. "), tool("call_1", "find_available_slots", search)]),
        Script::Stream(vec![Step::Delay(Duration::from_secs(3)), Step::Text("This answer is never heard.")]),
        Script::Stream(vec![Step::Text("Thursday then. Which time?")]),
    ]);
    p.event("k1", "call.initiated", json!({"direction": "incoming"})).await;
    p.event("k2", "call.answered", json!({})).await;
    p.until("the greeting", |p| p.spoken().len() == 1).await;
    p.event("k2e", "call.speak.ended", json!({"status": "completed"})).await;
    let said = |words: &str| json!({"transcription_data": {"transcript": words, "is_final": true}});
    p.event("k3", "call.transcription", said("What's free tomorrow?")).await;
    // The search ran and its answer is being thought about when the caller speaks again.
    p.until("the search's result to reach the model", |p| p.llm.requests().len() == 2).await;
    p.event("k4", "call.transcription", said("Actually, Thursday")).await;
    p.until("the new answer", |p| p.spoken().iter().any(|s| s.contains("Which time?"))).await;
    let history = p.llm.requests()[2]["messages"].as_array().unwrap().clone();
    let roles: Vec<&str> = history.iter().skip(1).map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["user", "assistant", "tool", "user"], "{history:#?}");
    assert_eq!(history[3]["tool_call_id"], "call_1", "the search the caller heard about stays");
    assert!(!p.spoken().iter().any(|s| s.contains("never heard")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_caller_is_prompted_once_then_told_goodbye_and_hung_up_on() {
    let db = TestDb::sqlite().await;
    let p =
        start_with(&db, CallTimeouts { silence: Duration::from_millis(100), max_call: Duration::from_secs(600) }).await;
    p.event("s1", "call.initiated", json!({"direction": "incoming"})).await;
    p.event("s2", "call.answered", json!({})).await;
    p.until("the greeting", |p| p.spoken().len() == 1).await;
    p.event("s3", "call.speak.ended", json!({"status": "completed"})).await;
    p.until("the prompt", |p| p.spoken().len() == 2).await;
    assert_eq!(p.spoken()[1], STILL_THERE);
    p.event("s4", "call.speak.ended", json!({"status": "completed"})).await;
    p.until("the goodbye", |p| p.spoken().len() == 3).await;
    assert_eq!(p.spoken()[2], SILENT_GOODBYE);
    assert_eq!(count(&p, "hangup"), 0, "not before the goodbye has been spoken");
    p.event("s5", "call.speak.ended", json!({"status": "completed"})).await;
    p.until("the hangup", |p| count(p, "hangup") == 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hangup_mid_turn_sends_nothing_more_and_late_events_are_ignored() {
    let db = TestDb::sqlite().await;
    let p = start(&db).await;
    let tomorrow = (p.booking.business().today(p.booking.now()) + chrono::Days::new(1)).to_string();
    p.llm.script([Script::Stream(vec![
        Step::Delay(Duration::from_millis(300)),
        tool("c1", "find_available_slots", json!({"service": "consultation", "date_from": tomorrow})),
    ])]);
    p.event("h1", "call.initiated", json!({"direction": "incoming"})).await;
    p.event("h2", "call.answered", json!({})).await;
    p.event(
        "h3",
        "call.transcription",
        json!({"transcription_data": {"transcript": "Any time tomorrow?", "is_final": true}}),
    )
    .await;
    p.until("the turn to start", |p| p.llm.requests().len() == 1).await;
    p.event("h4", "call.hangup", json!({"hangup_cause": "normal_clearing"})).await;
    let before = p.commands().len();
    // Late and out of order: speech ending and a transcription after the hangup.
    p.event("h5", "call.speak.ended", json!({"status": "call_hangup"})).await;
    p.event("h6", "call.transcription", json!({"transcription_data": {"transcript": "hello?", "is_final": true}}))
        .await;
    assert_eq!(p.stored_when_handled().await.map(|c| c.status), Some(ConversationStatus::Ended));
    assert_eq!(p.commands().len(), before, "no command after the hangup: {:#?}", p.commands());
    assert_eq!(p.llm.requests().len(), 1, "the cancelled turn went no further");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_instance_continues_a_call_from_the_store() {
    for db in TestDb::all().await {
        let a = start(&db).await;
        let b = start(&db).await;
        a.event("r1", "call.initiated", json!({"direction": "incoming"})).await;
        a.event("r2", "call.answered", json!({})).await;
        a.until("the greeting on A", |p| p.spoken().len() == 1).await;
        b.llm.script([Script::Stream(vec![Step::Text("Of course. Which day suits you?")])]);
        // The load balancer sends the next event to the other instance.
        b.event(
            "r3",
            "call.transcription",
            json!({"transcription_data": {"transcript": "I need an appointment", "is_final": true}}),
        )
        .await;
        b.until("B answers", |p| p.spoken().len() == 2).await;
        assert_eq!(b.spoken()[0], "Of course.", "{}", db.label);
        let system = b.llm.requests()[0]["messages"][0]["content"].as_str().unwrap().to_string();
        assert!(system.contains(JANE), "B knows the caller from the stored conversation");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_to_a_call_that_already_ended_are_harmless() {
    let db = TestDb::sqlite().await;
    let p = start(&db).await;
    p.event("x1", "call.initiated", json!({"direction": "incoming"})).await;
    p.until("answer", |p| count(p, "answer") == 1).await;
    p.telnyx
        .script([support::fake_telnyx::Reply::error(422, "90018"), support::fake_telnyx::Reply::error(422, "90018")]);
    p.event("x2", "call.answered", json!({})).await;
    p.until("both commands tried once", |p| p.commands().len() == 3).await;
    p.event("x3", "call.hangup", json!({"hangup_cause": "originator_cancel"})).await;
    assert_eq!(p.stored_when_handled().await.map(|c| c.status), Some(ConversationStatus::Ended));
    assert_eq!(p.commands().len(), 3, "90018 is not retried");
}

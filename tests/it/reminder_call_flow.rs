//! A reminder call once dialed (issue #17), driven by its webhooks through the router with the
//! Telnyx fake: a person confirms with 1 or cancels with 2 within the policy (one text), is
//! refused inside the notice; a machine gets the voicemail after the beep; no answer queues the
//! next attempt until `max_attempts`; every webhook delivered twice acts once; a forged state is
//! ignored.

use crate::reminder_calls::{KEY, World, world};
use crate::support;

use std::sync::Arc;

use appointment_setter::conversation::guided::GuidedDialog;
use appointment_setter::domain::{Appointment, Status};
use appointment_setter::ingest::{EventHandler, Router};
use appointment_setter::messaging::SmsHandler;
use appointment_setter::store::{CallStatus, ReminderCall};
use appointment_setter::telnyx::events::parse;
use appointment_setter::telnyx::{ApiKey, RetryPolicy, TelnyxApi, TelnyxClient};
use appointment_setter::voice::VoiceHandler;
use appointment_setter::voice::call_state::CallStates;
use appointment_setter::voice::dialer::Wakes;
use appointment_setter::voice::reminder_call::ReminderCallFlow;
use base64::Engine as _;
use support::{TestDb, chicago};

/// A dialed reminder call: its attempt, handle and signed state, and the router its events go to.
pub(crate) struct Call {
    pub router: Router,
    pub attempt: ReminderCall,
    pub handle: String,
    pub state: String,
    pub events: std::cell::Cell<u32>,
}

impl Call {
    /// Delivers `event_type` (with `extra` payload fields) twice, as Telnyx may.
    pub(crate) async fn event(&self, event_type: &str, extra: &str) {
        self.event_with_state(event_type, extra, &self.state.clone()).await;
    }

    async fn event_with_state(&self, event_type: &str, extra: &str, state: &str) {
        self.deliver(event_type, extra, state, 2).await;
    }

    /// Delivers an event `times` times (the receptionist's part of a call relies on the inbox
    /// for duplicates, as incoming calls do: its tests deliver once).
    pub(crate) async fn deliver(&self, event_type: &str, extra: &str, state: &str, times: usize) {
        let n = self.events.get() + 1;
        self.events.set(n);
        let body = format!(
            r#"{{"data": {{"event_type": "{event_type}", "id": "evt-{n}-{}", "occurred_at": "2026-12-07T20:00:00Z",
                "record_type": "event", "payload": {{"call_control_id": "{}", "call_leg_id": "leg", "client_state": "{state}",
                "connection_id": "1494404757140276705", "from": "+13125550100", "to": "+13125550123"{extra}}}}},
                "meta": {{"attempt": 1}}}}"#,
            self.attempt.id, self.handle
        );
        let event = parse(body.as_bytes()).unwrap();
        for _ in 0..times {
            self.router.handle(&event).await.unwrap();
        }
    }

    pub(crate) async fn status(&self, w: &World) -> CallStatus {
        w.store.reminder_calls().get(&self.attempt.id).await.unwrap().unwrap().status
    }
}

/// Every command sent on the call: `(action, body)` for each distinct command id.
pub(crate) fn all_commands(w: &World, handle: &str) -> Vec<(String, serde_json::Value)> {
    let mut seen = std::collections::HashSet::new();
    w.telnyx
        .received()
        .into_iter()
        .filter(|r| r.path.contains(&format!("/calls/{handle}/actions/")))
        .filter(|r| seen.insert(r.body["command_id"].as_str().unwrap_or_default().to_string()))
        .map(|r| (r.path.rsplit('/').next().unwrap().to_string(), r.body))
        .collect()
}

/// What the call said and did, without the listening (`transcription_start`, checked on its own).
pub(crate) fn commands(w: &World, handle: &str) -> Vec<(String, serde_json::Value)> {
    all_commands(w, handle).into_iter().filter(|(action, _)| action != "transcription_start").collect()
}

/// Books `start` for Jane, lets its reminder fall due at `due`, and dials it.
pub(crate) async fn dialed(
    w: &World,
    start: chrono::DateTime<chrono::Utc>,
    due: chrono::DateTime<chrono::Utc>,
) -> (Appointment, Call) {
    let a = w.book("+13125550123", start).await;
    w.clock.set(due);
    w.scheduler().tick().await.unwrap();
    assert_eq!(w.dialer().tick().await.unwrap(), 1);
    let attempt = w.store.reminder_calls().of_appointment(a.id).await.unwrap().pop().unwrap();
    let handle = attempt.call_control_id.clone().unwrap();
    let state = w.dials().last().unwrap()["client_state"].as_str().unwrap().to_string();
    let client = TelnyxClient::new(&w.telnyx.base, ApiKey::new("KEY-test"), RetryPolicy::default()).unwrap();
    let wake = Arc::new(tokio::sync::Notify::new());
    let telnyx: Arc<dyn TelnyxApi> = Arc::new(client);
    // The receptionist that takes over when the person asks for more than the keys offer.
    let receptionist = Arc::new(GuidedDialog::new(w.booking.clone()));
    let voice = VoiceHandler::new(
        receptionist,
        telnyx.clone(),
        w.config.voice.clone(),
        w.store.clone(),
        w.business.clone(),
        w.clock.clone(),
    );
    let flow = ReminderCallFlow::new(
        w.store.clone(),
        w.booking.clone(),
        telnyx,
        w.config.reminders.clone(),
        &w.config.voice,
        CallStates::new(&KEY),
        w.clock.clone(),
        Wakes { dialer: wake.clone(), texts: wake.clone() },
    )
    .with_receptionist(voice.clone());
    let sms = SmsHandler::new(w.booking.clone(), w.store.clone(), wake);
    let router = Router::new(sms, w.business.region, w.clock.clone()).with_reminder_calls(flow).with_voice(voice);
    (a, Call { router, attempt, handle, state, events: std::cell::Cell::new(0) })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_who_presses_1_is_confirmed_then_hears_goodbye_and_the_call_ends() {
    for db in TestDb::all().await {
        let w = world(&db, 48).await;
        let (a, call) = dialed(&w, chicago(2026, 12, 9, 14, 0), chicago(2026, 12, 7, 14, 0)).await;
        call.event("call.initiated", r#", "direction": "outgoing", "state": "bridging""#).await;
        call.event("call.answered", "").await;
        assert!(commands(&w, &call.handle).is_empty(), "nothing is said before detection ends");
        call.event("call.machine.detection.ended", r#", "result": "human""#).await;
        let sent = commands(&w, &call.handle);
        assert_eq!(sent.len(), 1, "{}: {sent:?}", db.label);
        let (action, gather) = &sent[0];
        assert_eq!(action, "gather_using_speak");
        let prompt = gather["payload"].as_str().unwrap();
        assert!(prompt.contains("Accuthink") && prompt.contains("Wednesday, December 9 at 2:00 PM"), "{prompt}");
        assert!(prompt.contains("Press 1") && prompt.contains("Press 2") && prompt.contains("Press 3"), "{prompt}");
        assert_eq!(gather["valid_digits"], "123");

        let listening = all_commands(&w, &call.handle);
        assert!(listening.iter().any(|(a, _)| a == "transcription_start"), "and it listens for words: {listening:?}");
        assert!(w.store.appointments().get(a.id).await.unwrap().unwrap().customer_confirmed_at.is_none());

        call.event("call.gather.ended", r#", "digits": "1", "status": "valid""#).await;
        assert_eq!(call.status(&w).await, CallStatus::Confirmed, "{}", db.label);
        let confirmed = w.store.appointments().get(a.id).await.unwrap().unwrap();
        assert_eq!(confirmed.customer_confirmed_at, Some(chicago(2026, 12, 7, 14, 0)), "marked on the appointment");
        assert_eq!(confirmed.sequence, 0, "not a change of the appointment");
        call.event("call.speak.ended", r#", "status": "completed""#).await;
        let sent = commands(&w, &call.handle);
        let actions: Vec<&str> = sent.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(actions, ["gather_using_speak", "speak", "hangup"], "{}: once each", db.label);
        assert!(sent[1].1["payload"].as_str().unwrap().contains("you're confirmed"));
        call.event("call.hangup", r#", "hangup_cause": "normal_clearing""#).await;
        assert_eq!(call.status(&w).await, CallStatus::Confirmed, "the hangup after goodbye changes nothing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pressing_2_cancels_within_the_policy_with_one_text_and_is_refused_inside_the_notice() {
    for db in TestDb::all().await {
        let w = world(&db, 48).await;
        let (a, call) = dialed(&w, chicago(2026, 12, 9, 14, 0), chicago(2026, 12, 7, 14, 0)).await;
        call.event("call.machine.detection.ended", r#", "result": "human""#).await;
        call.event("call.gather.ended", r#", "digits": "2", "status": "valid""#).await;
        assert_eq!(call.status(&w).await, CallStatus::Cancelled, "{}", db.label);
        assert_eq!(w.store.appointments().get(a.id).await.unwrap().unwrap().status, Status::Cancelled);
        let texts = w.store.outbox().messages_to("+13125550123").await.unwrap();
        assert_eq!(texts.len(), 1, "{}: one cancellation text: {texts:?}", db.label);
        assert!(commands(&w, &call.handle)[1].1["payload"].as_str().unwrap().contains("is cancelled"));

        // Offered at 24 hours and a minute ahead, pressed once the notice has begun: refused.
        let w = world(&db, 48).await;
        let (b, late) = dialed(&w, chicago(2026, 12, 10, 14, 0), chicago(2026, 12, 9, 13, 59)).await;
        late.event("call.machine.detection.ended", r#", "result": "not_sure""#).await;
        assert!(commands(&w, &late.handle)[0].1["payload"].as_str().unwrap().contains("Press 2"));
        w.clock.set(chicago(2026, 12, 9, 14, 1));
        late.event("call.gather.ended", r#", "digits": "2", "status": "valid""#).await;
        assert_eq!(
            w.store.appointments().get(b.id).await.unwrap().unwrap().status,
            Status::Confirmed,
            "nothing changed"
        );
        let said = commands(&w, &late.handle);
        assert!(said[1].1["payload"].as_str().unwrap().contains("only be cancelled up to 24 hours ahead"), "{said:?}");
        let texts = w.store.outbox().messages_to("+13125550123").await.unwrap();
        assert_eq!(texts.len(), 1, "{}: still only the first cancellation's text", db.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_machine_gets_a_voicemail_after_the_beep_without_the_customers_name() {
    for db in TestDb::all().await {
        let w = world(&db, 48).await;
        let (_, call) = dialed(&w, chicago(2026, 12, 9, 14, 0), chicago(2026, 12, 7, 14, 0)).await;
        call.event("call.machine.detection.ended", r#", "result": "machine""#).await;
        assert!(commands(&w, &call.handle).is_empty(), "{}: wait for the beep", db.label);
        call.event("call.machine.greeting.ended", r#", "result": "beep_detected""#).await;
        let sent = commands(&w, &call.handle);
        assert_eq!(sent.len(), 1, "{sent:?}");
        let message = sent[0].1["payload"].as_str().unwrap();
        assert!(message.contains("Accuthink") && message.contains("December 9 at 2:00 PM"), "{message}");
        assert!(!message.contains("Jane"), "no personal data on a machine: {message}");
        assert_eq!(call.status(&w).await, CallStatus::Voicemail);
        call.event("call.speak.ended", r#", "status": "completed""#).await;
        assert_eq!(commands(&w, &call.handle).last().unwrap().0, "hangup");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_queues_the_next_attempt_in_the_window_until_max_attempts() {
    for db in TestDb::all().await {
        let w = world(&db, 48).await;
        let (a, call) = dialed(&w, chicago(2026, 12, 9, 14, 0), chicago(2026, 12, 7, 14, 0)).await;
        call.event("call.hangup", r#", "hangup_cause": "timeout", "hangup_source": "caller""#).await;
        assert_eq!(call.status(&w).await, CallStatus::NoAnswer);
        let attempts = w.store.reminder_calls().of_appointment(a.id).await.unwrap();
        assert_eq!(attempts.len(), 2, "{}: one retry: {attempts:?}", db.label);
        assert_eq!((attempts[1].attempt, attempts[1].dial_at), (2, chicago(2026, 12, 7, 15, 0)));
        assert_eq!(w.dialer().tick().await.unwrap(), 0, "not before its time");
        w.clock.set(chicago(2026, 12, 7, 15, 0));
        assert_eq!(w.dialer().tick().await.unwrap(), 1);
        let second = w.store.reminder_calls().get(&attempts[1].id).await.unwrap().unwrap();
        let retry = Call { attempt: second.clone(), handle: second.call_control_id.clone().unwrap(), ..call };
        retry.event("call.hangup", r#", "hangup_cause": "user_busy""#).await;
        assert_eq!(w.store.reminder_calls().of_appointment(a.id).await.unwrap().len(), 2, "max_attempts = 2");
        assert_eq!(w.dials().len(), 2, "{}", db.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_or_borrowed_state_acts_on_nothing() {
    for db in TestDb::all().await {
        let w = world(&db, 48).await;
        let (_, call) = dialed(&w, chicago(2026, 12, 9, 14, 0), chicago(2026, 12, 7, 14, 0)).await;
        let engine = base64::engine::general_purpose::STANDARD;
        let forged = engine.encode(format!("rc1.{}.00112233445566778899aabbccddeeff", call.attempt.id));
        call.event_with_state("call.machine.detection.ended", r#", "result": "human""#, &forged).await;
        // The genuine state on a call we did not dial for it.
        let elsewhere = Call { handle: "v3:someone-else".into(), ..call };
        elsewhere.event("call.machine.detection.ended", r#", "result": "human""#).await;
        assert!(commands(&w, &elsewhere.handle).is_empty());
        assert_eq!(elsewhere.status(&w).await, CallStatus::Dialed, "{}: untouched", db.label);
        let all: Vec<_> = w.telnyx.received().into_iter().filter(|r| r.path.contains("/actions/")).collect();
        assert!(all.is_empty(), "{}: {all:?}", db.label);
    }
}

/// The reminder texts recorded for Jane.
async fn reminder_texts(w: &World) -> Vec<String> {
    let all = w.store.outbox().messages_to("+13125550123").await.unwrap();
    all.into_iter().filter(|m| m.cause.starts_with("reminder:")).map(|m| m.body).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_that_did_not_reach_the_customer_is_followed_by_one_text() {
    for db in TestDb::all().await {
        // call_then_sms: a voicemail, then the text.
        let mut w = world(&db, 48).await;
        w.config.reminders.channel = appointment_setter::domain::ReminderChannel::CallThenSms;
        let (_, call) = dialed(&w, chicago(2026, 12, 9, 14, 0), chicago(2026, 12, 7, 14, 0)).await;
        call.event("call.machine.detection.ended", r#", "result": "machine""#).await;
        call.event("call.machine.greeting.ended", r#", "result": "beep_detected""#).await;
        for _ in 0..2 {
            w.scheduler().tick().await.unwrap();
        }
        let texts = reminder_texts(&w).await;
        assert_eq!(texts.len(), 1, "{}: {texts:?}", db.label);
        assert!(texts[0].contains("reminder:") && texts[0].contains("Reply C to cancel"), "{}", texts[0]);

        // Calls only: a person who presses nothing is asked once more, then told it comes by text.
        let w = world(&db, 48).await;
        let (_, call) = dialed(&w, chicago(2026, 12, 10, 14, 0), chicago(2026, 12, 8, 14, 0)).await;
        call.event("call.machine.detection.ended", r#", "result": "human""#).await;
        call.event("call.gather.ended", r#", "status": "timeout""#).await;
        let sent = commands(&w, &call.handle);
        assert_eq!(sent.len(), 2, "{}: asked again: {sent:?}", db.label);
        assert!(sent[1].1["payload"].as_str().unwrap().starts_with("Sorry, I didn't hear a key. Hello"), "{sent:?}");
        assert!(reminder_texts(&w).await.len() == 1, "only the first reminder's text so far");
        call.event("call.gather.ended", r#", "digits": "9", "status": "invalid""#).await;
        let sent = commands(&w, &call.handle);
        assert!(sent.last().unwrap().1["payload"].as_str().unwrap().contains("by text"), "{sent:?}");
        assert_eq!(call.status(&w).await, CallStatus::Handled);
        w.scheduler().tick().await.unwrap();
        assert_eq!(reminder_texts(&w).await.len(), 2, "{}: this reminder's text", db.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pressing_3_puts_the_customer_through_and_nothing_hangs_up_on_them() {
    let db = TestDb::sqlite().await;
    let w = world(&db, 48).await;
    let (_, call) = dialed(&w, chicago(2026, 12, 9, 14, 0), chicago(2026, 12, 7, 14, 0)).await;
    call.event("call.machine.detection.ended", r#", "result": "human""#).await;
    call.event("call.gather.ended", r#", "digits": "3", "status": "valid""#).await;
    call.event("call.speak.ended", r#", "status": "completed""#).await;
    let sent = commands(&w, &call.handle);
    let actions: Vec<&str> = sent.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(actions, ["gather_using_speak", "transfer"], "{sent:?}");
    assert_eq!(sent[1].1["to"], "+13125550199", "the transfer number");
    assert_eq!(call.status(&w).await, CallStatus::Transferred);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_machine_that_hangs_up_before_the_message_is_tried_again_like_no_answer() {
    for db in TestDb::all().await {
        let w = world(&db, 48).await;
        let (a, call) = dialed(&w, chicago(2026, 12, 9, 14, 0), chicago(2026, 12, 7, 14, 0)).await;
        call.event("call.machine.detection.ended", r#", "result": "machine""#).await;
        call.event("call.hangup", r#", "hangup_cause": "normal_clearing", "hangup_source": "callee""#).await;
        assert_eq!(call.status(&w).await, CallStatus::NoAnswer, "{}: no one heard it", db.label);
        let attempts = w.store.reminder_calls().of_appointment(a.id).await.unwrap();
        assert_eq!(attempts.len(), 2, "{}: the next attempt is queued: {attempts:?}", db.label);
        // The greeting's end reported late: no voicemail on a call that is over.
        call.event("call.machine.greeting.ended", r#", "result": "beep_detected""#).await;
        assert!(commands(&w, &call.handle).is_empty(), "{}", db.label);
    }
}

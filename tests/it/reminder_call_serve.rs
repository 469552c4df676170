//! Reminder calls end to end on real `serve` processes (issue #17): two instances on one database
//! (SQLite file and PostgreSQL) with the Telnyx fake; their business clocks start a second before
//! three reminders fall due. Each reminder is dialed once in all; the call's webhooks, signed like
//! Telnyx's and sent to either instance, run them: a person answers, presses 1, and the appointment
//! is confirmed by the customer; a voicemail takes the other after the beep, then one text.

use crate::serve_processes::{Instance, start_with};
use crate::support;

use std::process::Command;

use appointment_setter::telnyx::signature::sign;
use support::TestDb;
use support::fake_telnyx::FakeTelnyx;
use support::webhooks::signing_key;

const BIN: &str = env!("CARGO_BIN_EXE_appointment-setter");

/// Books Wednesday 9 December at `hour` (Chicago) for `phone`, as the front desk.
fn book(config: &std::path::Path, db: &str, hour: u32, phone: &str, staff: &str) {
    let out = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(["--now", "2026-12-07T12:00:00Z", "appointments", "book", "--service", "standard"])
        .args(["--start", &format!("2026-12-09T{hour:02}:00"), "--phone", phone, "--name", "Jane Doe"])
        .args(["--staff", staff])
        .env("DATABASE_URL", db)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Posts a call webhook for `handle` (with the dial's `state`) to `instance`, signed now.
async fn post(instance: &Instance, id: &str, event_type: &str, handle: &str, state: &str, extra: &str) {
    let body = format!(
        r#"{{"data": {{"event_type": "{event_type}", "id": "{id}", "record_type": "event", "occurred_at": "2026-12-07T15:00:05Z",
            "payload": {{"call_control_id": "{handle}", "client_state": "{state}", "from": "+13125550100", "to": "+13125550123"{extra}}}}},
            "meta": {{"attempt": 1}}}}"#
    );
    let ts = chrono::Utc::now().timestamp().to_string();
    let response = reqwest::Client::new()
        .post(format!("{}/webhooks/telnyx", instance.url))
        .header("telnyx-timestamp", &ts)
        .header("telnyx-signature-ed25519", sign(&signing_key(), &ts, body.as_bytes()))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_dial_each_reminder_once_and_a_person_confirms_with_1() {
    for db in TestDb::all().await {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("appointment-setter.toml");
        let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml");
        let text = std::fs::read_to_string(example).unwrap();
        assert!(text.contains("channel = \"sms\""));
        std::fs::write(&config, text.replace("channel = \"sms\"", "channel = \"call_then_sms\"")).unwrap();
        book(&config, &db.url, 9, "(312) 555-0123", "sarah");
        book(&config, &db.url, 9, "(312) 555-0124", "miguel");
        book(&config, &db.url, 11, "(312) 555-0125", "sarah");

        // Due Monday 15:00 and 17:00 UTC (09:00 and 11:00 in Chicago, inside the window).
        let telnyx = FakeTelnyx::start().await;
        let env = [("TELNYX_API_KEY", "KEY-test"), ("TELNYX_API_BASE", telnyx.base.as_str())];
        let env = [env[0], env[1], ("TELNYX_CONNECTION_ID", "1494404757140276705")];
        let mut a = start_with(&config, &db.url, &["--now", "2026-12-07T14:59:59Z"], &env);
        let mut b = start_with(&config, &db.url, &["--now", "2026-12-07T14:59:59Z"], &env);
        let dials = || -> Vec<serde_json::Value> {
            telnyx.received().into_iter().filter(|r| r.path.ends_with("/v2/calls")).map(|r| r.body).collect()
        };
        support::until("two dials", &mut [telnyx.changes()], async || dials().len() >= 2, || format!("{:?}", dials()))
            .await;
        let first = dials().into_iter().find(|d| d["to"] == "+13125550123").expect("Jane's call");
        let state = first["client_state"].as_str().unwrap().to_string();

        // Telnyx's answer to each dial named the call; the attempt recorded its handle.
        let store = db.store().await;
        let booked = store.appointments().list(&Default::default()).await.unwrap();
        let handle_of = async |phone: &str| {
            let a = booked.iter().find(|x| x.customer_phone.as_str() == phone).unwrap();
            let attempt = store.reminder_calls().of_appointment(a.id).await.unwrap().pop().unwrap();
            (a.id, attempt.call_control_id.clone().expect("the dial was recorded"))
        };
        let (jane, handle) = handle_of("+13125550123").await;

        post(&a, "e2e-1", "call.initiated", &handle, &state, r#", "direction": "outgoing""#).await;
        post(&b, "e2e-2", "call.answered", &handle, &state, "").await;
        post(&a, "e2e-3", "call.machine.detection.ended", &handle, &state, r#", "result": "human""#).await;
        post(&b, "e2e-3", "call.machine.detection.ended", &handle, &state, r#", "result": "human""#).await;
        let on_call = |action: &str| {
            telnyx.received().iter().filter(|r| r.path.ends_with(&format!("/calls/{handle}/actions/{action}"))).count()
        };
        support::until(
            "the question",
            &mut [telnyx.changes()],
            async || on_call("gather_using_speak") >= 1,
            || format!("{:?}", telnyx.received()),
        )
        .await;
        post(&b, "e2e-4", "call.gather.ended", &handle, &state, r#", "digits": "1", "status": "valid""#).await;
        support::until(
            "the goodbye",
            &mut [telnyx.changes()],
            async || on_call("speak") >= 1,
            || format!("{:?}", telnyx.received()),
        )
        .await;
        let confirmed = store.appointments().get(jane).await.unwrap().unwrap();
        assert!(confirmed.customer_confirmed_at.is_some(), "{}: confirmed by the customer", db.label);
        assert_eq!(on_call("gather_using_speak"), 1, "{}: the redelivered detection asked nothing", db.label);

        // Miguel's phone goes to voicemail: the message after the beep, then the reminder by text.
        let other = dials().into_iter().find(|d| d["to"] == "+13125550124").expect("the second call");
        let state = other["client_state"].as_str().unwrap().to_string();
        let (_, handle) = handle_of("+13125550124").await;
        post(&b, "e2e-5", "call.machine.detection.ended", &handle, &state, r#", "result": "machine""#).await;
        post(&a, "e2e-6", "call.machine.greeting.ended", &handle, &state, r#", "result": "beep_detected""#).await;
        let texts = || -> Vec<serde_json::Value> {
            telnyx.received().into_iter().filter(|r| r.path.ends_with("/messages")).map(|r| r.body).collect()
        };
        support::until(
            "the text after the voicemail",
            &mut [telnyx.changes()],
            async || texts().iter().any(|t| t["to"] == "+13125550124"),
            || format!("{:?}", telnyx.received()),
        )
        .await;
        let voicemail =
            telnyx.received().into_iter().find(|r| r.path.ends_with(&format!("/calls/{handle}/actions/speak")));
        let voicemail = voicemail.expect("the voicemail").body["payload"].as_str().unwrap().to_string();
        assert!(voicemail.contains("December 9 at 9:00 AM") && !voicemail.contains("Jane"), "{voicemail}");

        for instance in [&mut a, &mut b] {
            let _ = instance.child.kill();
            let _ = instance.child.wait();
        }
        // Two dials for the two reminders due at 09:00, none twice (the 11:00 one is not due yet).
        let to: Vec<String> = dials().iter().map(|d| d["to"].as_str().unwrap().to_string()).collect();
        assert_eq!(to.len(), 2, "{}: {to:?}", db.label);
        assert!(to.contains(&"+13125550124".to_string()), "{to:?}");
        let reminders: Vec<_> =
            texts().into_iter().filter(|t| t["text"].as_str().unwrap().contains("reminder")).collect();
        assert_eq!(reminders.len(), 1, "{}: one text after the voicemail, none for Jane: {:?}", db.label, texts());
        assert_eq!(reminders[0]["to"], "+13125550124");
    }
}

//! The webhook server end to end, on a real port: statuses, dedupe across redeliveries, restarts
//! and instances, per-call ordering, back-pressure, recovery and garbage input.

use crate::support;

use std::collections::HashMap;
use std::sync::Arc;

use appointment_setter::store::{EventStatus, NewInboxEvent, Outcome};
use appointment_setter::telnyx::signature::sign;
use support::TestDb;
use support::webhooks::*;

#[tokio::test]
async fn each_sample_is_accepted_and_handled_once() {
    for db in TestDb::all().await {
        let server = spawn_server(db.store().await, 1000).await;
        for name in sample_names() {
            assert_eq!(server.post_signed(&sample(&name)).await, 200, "{}: {name}", db.label);
        }
        let recorder = server.stop().await;
        let types: Vec<String> = recorder.events.lock().unwrap().iter().map(|e| e.event_type.clone()).collect();
        assert_eq!(types.len(), 19, "{}", db.label);
        assert_eq!(types.iter().filter(|t| *t == "call.transcription").count(), 2);
        assert_eq!(types.iter().filter(|t| *t == "message.received").count(), 3);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_sample_replayed_ten_times_at_once_is_handled_once() {
    for db in TestDb::all().await {
        let server = Arc::new(spawn_server(db.store().await, 1000).await);
        for name in sample_names() {
            let body = sample(&name);
            let posts: Vec<_> = (0..10)
                .map(|_| {
                    let (server, body) = (server.clone(), body.clone());
                    tokio::spawn(async move { server.post_signed(&body).await })
                })
                .collect();
            for p in posts {
                assert_eq!(p.await.unwrap(), 200, "{}: {name}", db.label);
            }
        }
        let server = Arc::into_inner(server).unwrap();
        let recorder = server.stop().await;
        let mut ids = recorder.ids();
        assert_eq!(ids.len(), 19, "{}: one handling per event", db.label);
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 19);
    }
}

#[tokio::test]
async fn statuses_follow_the_spec() {
    let db = TestDb::sqlite().await;
    let server = spawn_server(db.store().await, 1000).await;
    let body = sample("10-message.received.json");
    let ts = chrono::Utc::now().timestamp().to_string();
    let sig = sign(&signing_key(), &ts, &body);
    assert_eq!(server.post(&body, None, None).await, 401, "unsigned");
    assert_eq!(server.post(&body, Some(&ts), None).await, 401, "no signature");
    assert_eq!(server.post(&body, None, Some(&sig)).await, 401, "no timestamp");
    let old = (chrono::Utc::now().timestamp() - 301).to_string();
    assert_eq!(server.post(&body, Some(&old), Some(&sign(&signing_key(), &old, &body))).await, 401, "stale");
    let mut tampered = body.clone();
    tampered[20] ^= 1;
    assert_eq!(server.post(&tampered, Some(&ts), Some(&sig)).await, 401, "tampered");
    assert_eq!(server.post_signed(b"{not json").await, 400, "malformed after a valid signature");
    assert_eq!(server.post_signed(br#"{"data":{"event_type":"message.received"}}"#).await, 400, "no event id");
    let big = vec![b' '; 64 * 1024 + 1];
    assert_eq!(server.post_signed(&big).await, 413, "too large");
    let unknown = br#"{"data":{"event_type":"fax.delivered","id":"fax-1","payload":{}}}"#;
    assert_eq!(server.post_signed(unknown).await, 200, "unknown types are acknowledged");
    assert_eq!(server.post(&body, Some(&ts), Some(&sig)).await, 200);
    assert_eq!(server.get("/healthz").await.0, 200);
    assert_eq!(server.get("/readyz").await.0, 200);
    let (status, missing) = server.get("/nope").await;
    assert_eq!(status, 404);
    assert!(missing.contains(r#""error":"not_found""#), "{missing}");
    // Metrics are process-wide and other tests run alongside, so counts are lower bounds.
    let (_, metrics) = server.get("/metrics").await;
    let value = |name: &str| -> f64 {
        metrics.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.trim().parse().ok()).unwrap_or(0.0)
    };
    for (reason, at_least) in [
        ("missing_signature", 2.0),
        ("stale_timestamp", 1.0),
        ("signature_mismatch", 1.0),
        ("malformed", 2.0),
        ("too_large", 1.0),
    ] {
        let line = format!(r#"webhooks_rejected_total{{reason="{reason}"}}"#);
        assert!(value(&line) >= at_least, "{line} ≥ {at_least} in\n{metrics}");
    }
    let recorder = server.stop().await;
    assert_eq!(recorder.count(), 2, "only the two accepted events were handled");
}

#[tokio::test]
async fn every_signed_object_with_an_event_id_is_recorded_and_acknowledged_however_odd_its_payload() {
    let db = TestDb::sqlite().await;
    let store = db.store().await;
    let server = spawn_server(store.clone(), 1000).await;
    let odd: [&[u8]; 5] = [
        br#"{"data":{"id":"odd-1"}}"#,
        br#"{"data":{"event_type":"call.answered","id":"odd-2"}}"#,
        br#"{"data":{"event_type":"message.received","id":"odd-3","payload":{"type":"WhatsApp","from":{"phone_number":"+13125550123"},"to":"+13125550100","text":"hola","errors":null,"media":null}}}"#,
        br#"{"data":{"event_type":"message.received","id":"odd-4","payload":{"type":"RCS","from":{"agent_id":"a"},"to":[{"agent_id":"b"}],"text":"hi"}}}"#,
        br#"{"data":{"event_type":"call.transcription","id":"odd-5","payload":{"call_control_id":"v3:c","transcription_data":{"transcript":null,"is_final":null}}}}"#,
    ];
    for body in odd {
        assert_eq!(server.post_signed(body).await, 200, "{}", String::from_utf8_lossy(body));
    }
    let (_, metrics) = server.get("/metrics").await;
    assert!(
        metrics.contains(r#"webhooks_not_understood_total{event_type="call.answered",reason="no payload"}"#),
        "{metrics}"
    );
    let recorder = server.stop().await;
    assert_eq!(recorder.count(), 5, "every one was recorded and handed on");
    for n in 1..=5 {
        assert!(store.inbox().status(&format!("odd-{n}")).await.unwrap().is_some(), "odd-{n} is in the inbox");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_of_one_call_are_handled_in_arrival_order_and_calls_run_side_by_side() {
    let db = TestDb::sqlite().await;
    let server = Arc::new(spawn_server(db.store().await, 1000).await);
    let calls = ["v3:call-a", "v3:call-b", "v3:call-c"];
    let types = ["call.initiated", "call.answered", "call.speak.started", "call.speak.ended", "call.hangup"];
    // Each call's events are posted in order; the three calls are posted concurrently.
    let tasks: Vec<_> = calls
        .iter()
        .map(|call| {
            let server = server.clone();
            let call = call.to_string();
            tokio::spawn(async move {
                for (i, t) in types.iter().enumerate() {
                    for j in 0..4 {
                        let body = call_event(&format!("{call}-{i}-{j}"), &call, t);
                        assert_eq!(server.post_signed(&body).await, 200);
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let recorder = Arc::into_inner(server).unwrap().stop().await;
    let mut per_call: HashMap<String, Vec<String>> = HashMap::new();
    for e in recorder.events.lock().unwrap().iter() {
        let call = e.kind.call().unwrap().call_control_id.to_string();
        per_call.entry(call).or_default().push(e.id.to_string());
    }
    for call in calls {
        let expected: Vec<String> =
            (0..types.len()).flat_map(|i| (0..4).map(move |j| format!("{call}-{i}-{j}"))).collect();
        assert_eq!(per_call[call], expected, "{call}");
    }
}

#[tokio::test]
async fn a_redelivery_after_a_restart_is_still_a_duplicate() {
    for db in TestDb::all().await {
        let body = sample("11-message.received.cancel.json");
        let first = spawn_server(db.store().await, 1000).await;
        assert_eq!(first.post_signed(&body).await, 200);
        assert_eq!(first.stop().await.count(), 1);
        let second = spawn_server(db.store().await, 1000).await;
        assert_eq!(second.post_signed(&body).await, 200);
        assert_eq!(second.stop().await.count(), 0, "{}: not handled again", db.label);
    }
}

#[tokio::test]
async fn too_much_in_flight_answers_503_and_nothing_is_lost() {
    let db = TestDb::sqlite().await;
    let recorder = Arc::new(Recorder::default());
    recorder.hold.store(true, std::sync::atomic::Ordering::SeqCst);
    let server = spawn_server_with(db.store().await, 2, recorder.clone()).await;
    assert_eq!(server.post_signed(&text_event("e1", "+13125550001", "hi")).await, 200);
    assert_eq!(server.post_signed(&text_event("e2", "+13125550002", "hi")).await, 200);
    assert_eq!(server.post_signed(&text_event("e3", "+13125550003", "hi")).await, 503, "capacity of 2 is full");
    assert_eq!(server.post_signed(&text_event("e1", "+13125550001", "hi")).await, 200, "duplicates are still cheap");
    recorder.open();
    recorder.wait_for(2).await;
    assert_eq!(server.post_signed(&text_event("e3", "+13125550003", "hi")).await, 200, "Telnyx's retry gets in");
    let recorder = server.stop().await;
    let mut ids = recorder.ids();
    ids.sort();
    assert_eq!(ids, ["e1", "e2", "e3"]);
}

#[tokio::test]
async fn events_left_unfinished_by_a_dead_instance_are_recovered_at_start() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let now = chrono::Utc::now();
        let expired = now - chrono::Duration::seconds(1);
        let text = text_event("orphan-text", "+13125550001", "hello");
        let fresh_call = call_event("orphan-call-fresh", "v3:live", "call.hangup");
        let old_call = call_event("orphan-call-old", "v3:gone", "call.hangup");
        let owned = text_event("owned-elsewhere", "+13125550002", "hi");
        let row = |id: &'static str, body: &'static [u8], received, lease| NewInboxEvent {
            id,
            event_type: "x",
            order_key: None,
            body: std::str::from_utf8(body).unwrap(),
            received_at: received,
            lease_until: lease,
        };
        let (text, fresh_call, old_call, owned) = (text.leak(), fresh_call.leak(), old_call.leak(), owned.leak());
        store
            .inbox()
            .insert(
                &[
                    row("orphan-text", text, now - chrono::Duration::minutes(20), expired),
                    row("orphan-call-fresh", fresh_call, now - chrono::Duration::minutes(1), expired),
                    row("orphan-call-old", old_call, now - chrono::Duration::minutes(20), expired),
                    row("owned-elsewhere", owned, now, now + chrono::Duration::minutes(10)),
                ],
                "dead-instance",
            )
            .await
            .unwrap();
        let server = spawn_server(store.clone(), 1000).await;
        let recorder = server.stop().await;
        let mut ids = recorder.ids();
        ids.sort();
        assert_eq!(ids, ["orphan-call-fresh", "orphan-text"], "{}", db.label);
        assert_eq!(
            store.inbox().status("orphan-call-old").await.unwrap(),
            Some(EventStatus::Finished(Outcome::Skipped))
        );
        assert_eq!(store.inbox().status("orphan-text").await.unwrap(), Some(EventStatus::Finished(Outcome::Done)));
        assert_eq!(
            store.inbox().status("owned-elsewhere").await.unwrap(),
            Some(EventStatus::Pending),
            "lease respected"
        );
    }
}

/// A small deterministic generator for the garbage test.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_garbled_requests_get_only_4xx_or_200_and_the_server_stays_healthy() {
    let db = TestDb::sqlite().await;
    let server = spawn_server(db.store().await, 10_000).await;
    let samples: Vec<Vec<u8>> = sample_names().iter().map(|n| sample(n)).collect();
    let mut rng = Lcg(7);
    let mut seen: HashMap<u16, usize> = HashMap::new();
    for i in 0..3000 {
        let now = chrono::Utc::now().timestamp();
        let body = match rng.next() % 5 {
            0 => {
                let n = (rng.next() % 300) as usize;
                rng.bytes(n)
            }
            1 => {
                // A sample with a few bytes changed.
                let mut b = samples[i % samples.len()].clone();
                for _ in 0..1 + rng.next() % 4 {
                    let at = (rng.next() as usize) % b.len();
                    b[at] = rng.next() as u8;
                }
                b
            }
            2 => {
                let mut b = samples[i % samples.len()].clone();
                b.truncate((rng.next() as usize) % b.len());
                b
            }
            3 => format!(
                r#"{{"data":{{"event_type":"call.hangup","id":"g-{i}","payload":{{"call_control_id":{}}}}}}}"#,
                rng.next()
            )
            .into_bytes(),
            _ => samples[i % samples.len()].clone(),
        };
        let ts = match rng.next() % 6 {
            0 => None,
            1 => Some(format!("{}", rng.next())),
            2 => Some(String::from_utf8_lossy(&rng.bytes(8)).into_owned()),
            _ => Some(now.to_string()),
        };
        let sig = match (rng.next() % 4, &ts) {
            (0, _) => None,
            (1, _) => Some(String::from_utf8_lossy(&rng.bytes(88)).into_owned()),
            (_, Some(ts)) => Some(sign(&signing_key(), ts, &body)),
            (_, None) => Some(sign(&signing_key(), &now.to_string(), &body)),
        };
        // Header values must be visible ASCII to be sent at all.
        let clean = |s: Option<String>| s.map(|s| s.chars().filter(|c| c.is_ascii_graphic()).collect::<String>());
        let status = server.post(&body, clean(ts).as_deref(), clean(sig).as_deref()).await;
        assert!(matches!(status, 200 | 400 | 401 | 413), "request {i}: status {status}");
        *seen.entry(status).or_default() += 1;
    }
    assert!(seen[&401] > 100 && seen[&400] > 10 && seen[&200] > 10, "a mix of outcomes: {seen:?}");
    assert_eq!(server.get("/healthz").await.0, 200);
    assert_eq!(server.get("/readyz").await.0, 200);
    assert_eq!(server.post_signed(&text_event("after-garbage", "+13125550009", "ok")).await, 200);
    let recorder = server.stop().await;
    assert!(recorder.ids().contains(&"after-garbage".to_string()));
}

#[tokio::test]
async fn finished_events_are_purged_after_retention_and_pending_ones_are_kept() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let now = chrono::Utc::now();
        let long_ago = now - chrono::Duration::days(40);
        let body = String::from_utf8(text_event("x", "+13125550001", "hi")).unwrap();
        let row = |id: &'static str, at| NewInboxEvent {
            id,
            event_type: "message.received",
            order_key: None,
            body: &body,
            received_at: at,
            lease_until: at,
        };
        store
            .inbox()
            .insert(&[row("old-done", long_ago), row("old-pending", long_ago), row("new-done", now)], "i")
            .await
            .unwrap();
        store
            .inbox()
            .finish(&[("old-done".into(), Outcome::Done), ("new-done".into(), Outcome::Done)], now)
            .await
            .unwrap();
        assert_eq!(store.inbox().purge(now - chrono::Duration::days(30)).await.unwrap(), 1, "{}", db.label);
        assert_eq!(store.inbox().status("old-done").await.unwrap(), None);
        assert_eq!(store.inbox().status("old-pending").await.unwrap(), Some(EventStatus::Pending));
        assert_eq!(store.inbox().status("new-done").await.unwrap(), Some(EventStatus::Finished(Outcome::Done)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_prints_the_servers_reason_for_every_refused_sample() {
    let db = TestDb::sqlite().await;
    let server = spawn_server(db.store().await, 1000).await;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("other-key");
    let bin = env!("CARGO_BIN_EXE_appointment-setter");
    let made = tokio::process::Command::new(bin).arg("keygen").arg("--out").arg(&key).output().await.unwrap();
    assert!(made.status.success());
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("webhooks-samples/10-message.received.json");
    let url = format!("{}/webhooks/telnyx", server.url);
    let out = tokio::process::Command::new(bin)
        .args(["replay", "--url", &url, "--key-file"])
        .arg(&key)
        .arg(&sample)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "a refused sample fails the command");
    assert!(stdout.contains("10-message.received.json") && stdout.contains("401 invalid_signature: "), "{stdout}");
    server.stop().await;
}

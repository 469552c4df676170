//! A reminder call's webhook to its next Call Control command (issue #17 target: ≤ 5 ms p99 with a
//! fake Telnyx): verify → parse → dedupe insert → router → the attempt's store step → the command.
//! Two steps of a call: a person answers (detection → `gather_using_speak` + `transcription_start`)
//! and presses 1 (gather → the customer's confirmation on the appointment → `speak`). SQLite; the
//! fake Telnyx is in process, so only our overhead is measured. p50/p99 are printed at the end.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use appointment_setter::booking::{BookRequest, BookingService};
use appointment_setter::calendar::LocalCalendar;
use appointment_setter::clock::FixedClock;
use appointment_setter::config::Config;
use appointment_setter::domain::PhoneNumber;
use appointment_setter::domain::phone::Region;
use appointment_setter::ingest::{EventHandler as _, Router};
use appointment_setter::messaging::SmsHandler;
use appointment_setter::store::{NewInboxEvent, Store, sqlite_url};
use appointment_setter::telnyx::events::parse;
use appointment_setter::telnyx::signature::sign;
use appointment_setter::telnyx::{
    CallAction, CallControlId, CommandId, Dial, Dialed, OutgoingMessage, PublicKey, SentMessage, TelnyxApi,
    TelnyxError, Verifier,
};
use appointment_setter::voice::call_state::CallStates;
use appointment_setter::voice::dialer::Wakes;
use appointment_setter::voice::reminder_call::ReminderCallFlow;
use async_trait::async_trait;
use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;

/// Counts the commands it is sent.
#[derive(Default)]
struct Telnyx {
    commands: Mutex<Vec<&'static str>>,
}

#[async_trait]
impl TelnyxApi for Telnyx {
    async fn call_action(&self, _: &CallControlId, action: &CallAction, _: &CommandId) -> Result<(), TelnyxError> {
        let name = match action {
            CallAction::GatherUsingSpeak { .. } => "gather",
            CallAction::Speak { .. } => "speak",
            _ => "other",
        };
        self.commands.lock().unwrap().push(name);
        Ok(())
    }

    async fn send_message(&self, _: &OutgoingMessage) -> Result<SentMessage, TelnyxError> {
        Ok(SentMessage { id: "m".into() })
    }

    async fn dial(&self, _: &Dial, _: &CommandId) -> Result<Dialed, TelnyxError> {
        unreachable!("the calls are dialed before the bench")
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn bench(c: &mut Criterion) {
    let staff: String = (0..20).map(|i| format!("[[staff]]\nid = \"s{i}\"\nname = \"Staff {i}\"\n")).collect();
    let text = format!(
        "[business]\nname = \"Bench\"\ntimezone = \"UTC\"\nphone_number = \"+13125550100\"\n[hours]\n{}\n[booking]\nmax_days_ahead = 3650\n\
         [reminders]\nchannel = \"call\"\ncall_window = \"00:00-24:00\"\n\
         [[services]]\nid = \"c\"\nname = \"C\"\nduration_minutes = 30\n{staff}",
        ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
            .map(|d| format!("{d} = [\"00:00-24:00\"]"))
            .join("\n")
    );
    let config = Config::parse(&text).unwrap();
    let biz = Arc::new(config.business.clone());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let now: chrono::DateTime<chrono::Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
    let clock = Arc::new(FixedClock(now));
    let (store, booking) = rt.block_on(async {
        let store = Store::connect(&sqlite_url(&dir.path().join("bench.db"))).await.unwrap();
        let booking = BookingService::new(biz.clone(), store.clone(), Arc::new(LocalCalendar), clock.clone());
        (store, booking)
    });
    let telnyx = Arc::new(Telnyx::default());
    let states = CallStates::new(&[7; 32]);
    let flow = ReminderCallFlow::new(
        store.clone(),
        booking.clone(),
        telnyx.clone(),
        config.reminders.clone(),
        &config.voice,
        states.clone(),
        clock.clone(),
        Wakes::default(),
    );
    let sms = SmsHandler::new(booking.clone(), store.clone(), Arc::new(tokio::sync::Notify::new()));
    let router = Arc::new(Router::new(sms, biz.region, clock.clone()).with_reminder_calls(flow));
    let key = SigningKey::from_bytes(&[42u8; 32]);
    let verifier = Verifier::new(PublicKey::from_verifying_key(key.verifying_key()));
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let mut next = 0u64;

    let mut group = c.benchmark_group("reminder_call");
    for (name, event_type, extra, expect) in [
        ("person_answers_to_gather", "call.machine.detection.ended", r#","result":"human""#, "gather"),
        ("key_1_to_speak", "call.gather.ended", r#","digits":"1","status":"valid""#, "speak"),
    ] {
        latencies.lock().unwrap().clear();
        group.bench_function(name, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let (store, booking, router, verifier, key, states, telnyx, latencies) = (
                    store.clone(),
                    booking.clone(),
                    router.clone(),
                    verifier.clone(),
                    key.clone(),
                    states.clone(),
                    telnyx.clone(),
                    latencies.clone(),
                );
                let first = next;
                next += iters;
                async move {
                    // Untimed: a booked appointment per call, its attempt dialed (and, for the key,
                    // its person already asked), and the signed webhook.
                    let mut requests = Vec::with_capacity(iters as usize);
                    for n in first..first + iters {
                        let who = format!("+1312{}{:04}", 200 + (n / 10_000) % 700, n % 10_000);
                        let start = now
                            + chrono::Duration::days(3 + (n / 960) as i64)
                            + chrono::Duration::minutes(30 * ((n / 20) % 48) as i64);
                        let staff = format!("s{}", n % 20).parse().unwrap();
                        let phone = PhoneNumber::parse(&who, Region::parse("US").unwrap()).unwrap();
                        let req = BookRequest::front_desk("c".parse().unwrap(), staff, start, "Bench", phone, true);
                        let a = booking.book(req).await.unwrap().appointment;
                        let calls = store.reminder_calls();
                        assert!(calls.queue(a.id, now, 1, now, now).await.unwrap());
                        let attempt = calls.of_appointment(a.id).await.unwrap().pop().unwrap();
                        let handle = format!("v3:bench-{name}-{n}");
                        calls.claim_due("bench", now, now + chrono::Duration::minutes(2), 1).await.unwrap();
                        assert!(calls.dialed(&attempt.id, "bench", &handle, now).await.unwrap());
                        if expect == "speak" {
                            let human = [appointment_setter::store::CallStatus::Dialed];
                            let to = appointment_setter::store::CallStatus::Human;
                            assert!(calls.advance(&attempt.id, &human, to, None, now).await.unwrap());
                        }
                        let state = states.sign(&attempt.id);
                        let body = format!(
                            r#"{{"data":{{"event_type":"{event_type}","id":"{name}-{n}","payload":{{"call_control_id":"{handle}","client_state":"{state}","from":"+13125550100","to":"{who}"{extra}}}}}}}"#
                        );
                        let ts = chrono::Utc::now().timestamp().to_string();
                        let sig = sign(&key, &ts, body.as_bytes());
                        requests.push((ts, sig, Bytes::from(body)));
                    }
                    let mut total = Duration::ZERO;
                    for (ts, sig, body) in requests {
                        let sent = telnyx.commands.lock().unwrap().iter().filter(|c| **c == expect).count();
                        let started = Instant::now();
                        let now_secs = chrono::Utc::now().timestamp();
                        let verified = verifier.verify(Some(ts.as_bytes()), Some(sig.as_bytes()), body, now_secs).unwrap();
                        let event = parse(verified.body()).unwrap();
                        let row = NewInboxEvent {
                            id: event.id.as_str(),
                            event_type: &event.event_type,
                            order_key: None,
                            body: std::str::from_utf8(verified.body()).unwrap(),
                            received_at: now,
                            lease_until: now,
                        };
                        assert_eq!(store.inbox().insert(&[row], "bench").await.unwrap(), [true]);
                        router.handle(&event).await.unwrap();
                        let took = started.elapsed();
                        let after = telnyx.commands.lock().unwrap().iter().filter(|c| **c == expect).count();
                        assert_eq!(after, sent + 1, "{name}: the next command went out");
                        latencies.lock().unwrap().push(took);
                        total += took;
                    }
                    total
                }
            })
        });
        let mut all = latencies.lock().unwrap().clone();
        all.sort();
        println!(
            "{name}: {} webhooks, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            all.len(),
            percentile(&all, 0.50).as_secs_f64() * 1e3,
            percentile(&all, 0.99).as_secs_f64() * 1e3,
            all.last().unwrap().as_secs_f64() * 1e3
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);

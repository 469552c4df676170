//! Handling one inbound CANCEL on SQLite: verify → parse → dedupe insert → cancel through the
//! booking service → outbox row (issue target: ≤ 5 ms server time).

use std::sync::Arc;
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
use appointment_setter::telnyx::events::{EventKind, parse};
use appointment_setter::telnyx::signature::sign;
use appointment_setter::telnyx::{PublicKey, Verifier};
use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;

fn bench(c: &mut Criterion) {
    let staff: String = (0..20).map(|i| format!("[[staff]]\nid = \"s{i}\"\nname = \"Staff {i}\"\n")).collect();
    let text = format!(
        "[business]\nname = \"Bench\"\ntimezone = \"UTC\"\nphone_number = \"+13125550100\"\n[hours]\n{}\n[booking]\nmax_days_ahead = 3650\n\
         [[services]]\nid = \"c\"\nname = \"C\"\nduration_minutes = 30\n{staff}",
        ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
            .map(|d| format!("{d} = [\"00:00-24:00\"]"))
            .join("\n")
    );
    let biz = Arc::new(Config::parse(&text).unwrap().business);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let now: chrono::DateTime<chrono::Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
    let (store, booking) = rt.block_on(async {
        let store = Store::connect(&sqlite_url(&dir.path().join("bench.db"))).await.unwrap();
        let booking =
            BookingService::new(biz.clone(), store.clone(), Arc::new(LocalCalendar), Arc::new(FixedClock(now)));
        (store, booking)
    });
    let sms = SmsHandler::new(booking.clone(), store.clone(), Arc::new(tokio::sync::Notify::new()));
    let router = Arc::new(Router::new(sms, biz.region, Arc::new(FixedClock(now))));
    let key = SigningKey::from_bytes(&[42u8; 32]);
    let verifier = Verifier::new(PublicKey::from_verifying_key(key.verifying_key()));
    let mut next = 0u64;

    c.bench_function("inbound_cancel_sqlite", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (store, booking, router, verifier, key) = (store.clone(), booking.clone(), router.clone(), verifier.clone(), key.clone());
            let first = next;
            next += iters;
            async move {
                // Untimed: one upcoming appointment per customer, and their signed CANCEL webhook.
                let mut requests = Vec::with_capacity(iters as usize);
                for n in first..first + iters {
                    let who = format!("+1312{}{:04}", 200 + (n / 10_000) % 700, n % 10_000);
                    let start = now + chrono::Duration::days(2 + (n / 960) as i64) + chrono::Duration::minutes(30 * ((n / 20) % 48) as i64);
                    let staff = format!("s{}", n % 20).parse().unwrap();
                    let phone = PhoneNumber::parse(&who, Region::parse("US").unwrap()).unwrap();
                    let req = BookRequest::front_desk("c".parse().unwrap(), staff, start, "Bench", phone, true);
                    booking.book(req).await.unwrap();
                    let body = format!(
                        r#"{{"data":{{"event_type":"message.received","id":"cancel-{n}","payload":{{"from":{{"phone_number":"{who}"}},"to":[{{"phone_number":"+13125550100"}}],"text":"CANCEL","autoresponse_type":"STOP"}}}}}}"#
                    );
                    let ts = chrono::Utc::now().timestamp().to_string();
                    let sig = sign(&key, &ts, body.as_bytes());
                    requests.push((ts, sig, Bytes::from(body)));
                }
                let started = Instant::now();
                for (ts, sig, body) in requests {
                    let verified = verifier.verify(Some(ts.as_bytes()), Some(sig.as_bytes()), body, chrono::Utc::now().timestamp()).unwrap();
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
                    assert!(matches!(event.kind, EventKind::MessageReceived(_)));
                    router.handle(&event).await.unwrap();
                }
                started.elapsed()
            }
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);

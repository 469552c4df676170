//! A real server on port 0 with a recording handler, and a client that signs like Telnyx.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use appointment_setter::clock::SystemClock;
use appointment_setter::http::StopHandle;
use appointment_setter::ingest::{EventHandler, HandlerError};
use appointment_setter::startup::{self, ServerParts};
use appointment_setter::store::Store;
use appointment_setter::telnyx::signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER, sign};
use appointment_setter::telnyx::{PublicKey, TelnyxEvent, Verifier};
use async_trait::async_trait;
use ed25519_dalek::SigningKey;
use tokio::sync::Notify;

/// Records every event it is given; can be held closed to simulate slow handling.
#[derive(Default)]
pub struct Recorder {
    pub events: Mutex<Vec<TelnyxEvent>>,
    changed: Notify,
    /// While set, `handle` waits for `release`.
    pub hold: std::sync::atomic::AtomicBool,
    release: Notify,
}

impl Recorder {
    pub fn ids(&self) -> Vec<String> {
        self.events.lock().unwrap().iter().map(|e| e.id.to_string()).collect()
    }

    pub fn count(&self) -> usize {
        self.events.lock().unwrap().len()
    }

    /// Waits (up to 10 s) until at least `n` events were handled.
    pub async fn wait_for(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.changed.notified();
            if self.count() >= n {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("timed out waiting for {n} events; handled {}", self.count());
            }
        }
    }

    pub fn open(&self) {
        self.hold.store(false, std::sync::atomic::Ordering::SeqCst);
        self.release.notify_waiters();
    }
}

#[async_trait]
impl EventHandler for Recorder {
    async fn handle(&self, event: &TelnyxEvent) -> Result<(), HandlerError> {
        while self.hold.load(std::sync::atomic::Ordering::SeqCst) {
            let released = self.release.notified();
            if !self.hold.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
            released.await;
        }
        // Give other tasks a chance to overtake, so ordering bugs would show.
        tokio::task::yield_now().await;
        self.events.lock().unwrap().push(event.clone());
        self.changed.notify_waiters();
        Ok(())
    }
}

/// A deterministic test signing key.
pub fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[42u8; 32])
}

pub struct TestServer {
    pub url: String,
    pub handle: StopHandle,
    pub recorder: Arc<Recorder>,
    pub http: reqwest::Client,
    pub store: Store,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub async fn spawn_server(store: Store, capacity: usize) -> TestServer {
    spawn_server_with(store, capacity, Arc::new(Recorder::default())).await
}

pub async fn spawn_server_with(store: Store, capacity: usize, recorder: Arc<Recorder>) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let parts = ServerParts {
        listener,
        verifier: Verifier::new(PublicKey::from_verifying_key(signing_key().verifying_key())),
        handler: recorder.clone(),
        clock: Arc::new(SystemClock),
        workers: 2,
        capacity,
        chat: None,
        admin: None,
    };
    let app = startup::start(store.clone(), parts).await.unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    let handle = app.stop_handle();
    let done = tokio::spawn(app.run_until_stopped());
    TestServer { url, handle, recorder, http: reqwest::Client::new(), store, done }
}

impl TestServer {
    /// Posts `body` signed now with the test key.
    pub async fn post_signed(&self, body: &[u8]) -> u16 {
        let ts = chrono::Utc::now().timestamp().to_string();
        let sig = sign(&signing_key(), &ts, body);
        self.post(body, Some(&ts), Some(&sig)).await
    }

    pub async fn post(&self, body: &[u8], ts: Option<&str>, sig: Option<&str>) -> u16 {
        let mut req = self.http.post(format!("{}/webhooks/telnyx", self.url)).body(body.to_vec());
        if let Some(ts) = ts {
            req = req.header(TIMESTAMP_HEADER, ts);
        }
        if let Some(sig) = sig {
            req = req.header(SIGNATURE_HEADER, sig);
        }
        req.send().await.unwrap().status().as_u16()
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self.http.get(format!("{}{path}", self.url)).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Stops gracefully: waits for every accepted event to be handled and recorded.
    pub async fn stop(self) -> Arc<Recorder> {
        self.handle.stop().await;
        self.done.await.unwrap().unwrap();
        self.recorder
    }
}

/// A sample from `webhooks-samples/`.
pub fn sample(name: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("webhooks-samples").join(name)).unwrap()
}

/// All sample file names in order.
pub fn sample_names() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("webhooks-samples");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

/// A message.received event with a given id, sender and text.
pub fn text_event(id: &str, from: &str, text: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "data": {"event_type": "message.received", "id": id, "occurred_at": "2026-12-07T16:10:12.588Z", "record_type": "event",
                 "payload": {"from": {"phone_number": from}, "to": [{"phone_number": "+13125550100"}], "text": text, "id": format!("m-{id}")}},
        "meta": {"attempt": 1}
    }))
    .unwrap()
}

/// A call event of `call` with a given id and type.
pub fn call_event(id: &str, call: &str, event_type: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "data": {"event_type": event_type, "id": id, "occurred_at": "2026-12-07T16:10:12.588Z", "record_type": "event",
                 "payload": {"call_control_id": call, "from": "+13125550123", "to": "+13125550100", "direction": "incoming"}},
        "meta": {"attempt": 1}
    }))
    .unwrap()
}

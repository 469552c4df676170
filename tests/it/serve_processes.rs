//! `serve` as real processes: two instances on one database receive the same event at the same
//! moment, and it is processed once; SIGTERM shuts down cleanly.

use crate::support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use appointment_setter::telnyx::signature::sign;
use base64::Engine as _;
use support::TestDb;
use support::webhooks::{signing_key, text_event};

const BIN: &str = env!("CARGO_BIN_EXE_appointment-setter");

struct Instance {
    child: Child,
    url: String,
}

fn start(config: &std::path::Path, database_url: &str) -> Instance {
    let public = base64::engine::general_purpose::STANDARD.encode(signing_key().verifying_key().to_bytes());
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("BIND", "127.0.0.1:0")
        .env("TELNYX_PUBLIC_KEY", public)
        .env("RUST_LOG", "warn")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        let line = lines.next().expect("serve exited before listening").unwrap();
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Instance { child, url }
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit_once(' ').and_then(|(_, v)| v.parse::<f64>().ok()))
        .sum()
}

async fn metrics(http: &reqwest::Client, instance: &Instance) -> String {
    http.get(format!("{}/metrics", instance.url)).send().await.unwrap().text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_database_process_a_doubly_delivered_event_once() {
    for db in TestDb::all().await {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("appointment-setter.toml");
        std::fs::copy(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml"), &config)
            .unwrap();
        let a = start(&config, &db.url);
        let b = start(&config, &db.url);
        let http = reqwest::Client::new();
        for round in 0..20 {
            let body = text_event(&format!("double-{round}"), "+13125550123", "CANCEL");
            let post = |url: String| {
                let ts = chrono::Utc::now().timestamp().to_string();
                let sig = sign(&signing_key(), &ts, &body);
                http.post(format!("{url}/webhooks/telnyx"))
                    .header("telnyx-timestamp", ts)
                    .header("telnyx-signature-ed25519", sig)
                    .body(body.clone())
                    .send()
            };
            let (ra, rb) = tokio::join!(post(a.url.clone()), post(b.url.clone()));
            assert_eq!((ra.unwrap().status().as_u16(), rb.unwrap().status().as_u16()), (200, 200));
        }
        // Both answered before replying, so the split is already decided.
        let (ma, mb) = (metrics(&http, &a).await, metrics(&http, &b).await);
        let new = metric(&ma, "webhooks_received_total") + metric(&mb, "webhooks_received_total");
        let dup = metric(&ma, "webhooks_duplicate_total") + metric(&mb, "webhooks_duplicate_total");
        assert_eq!((new, dup), (20.0, 20.0), "{}: each event new on exactly one instance", db.label);
        // And handled exactly once in total.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let (ma, mb) = (metrics(&http, &a).await, metrics(&http, &b).await);
            let handled = metric(&ma, "events_processed_total") + metric(&mb, "events_processed_total");
            assert!(handled <= 20.0, "{}: handled {handled} times", db.label);
            if handled == 20.0 {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "{}: only {handled} handled", db.label);
            tokio::task::yield_now().await;
        }
        for mut instance in [a, b] {
            Command::new("kill").arg("-TERM").arg(instance.child.id().to_string()).status().unwrap();
            let status = tokio::task::spawn_blocking(move || instance.child.wait()).await.unwrap().unwrap();
            assert!(status.success(), "{}: clean exit on SIGTERM, got {status}", db.label);
        }
    }
}

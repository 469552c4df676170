//! `serve` as real processes: two instances on one database receive the same event at the same
//! moment, and it is processed once; SIGTERM shuts down cleanly; `--now` starts one business
//! clock that runs on (a reminder falls due while the server runs).

use crate::support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use appointment_setter::telnyx::signature::sign;
use base64::Engine as _;
use support::TestDb;
use support::fake_telnyx::FakeTelnyx;
use support::webhooks::{signing_key, text_event};

const BIN: &str = env!("CARGO_BIN_EXE_appointment-setter");

pub(crate) struct Instance {
    pub child: Child,
    pub url: String,
}

fn start(config: &std::path::Path, database_url: &str) -> Instance {
    start_with(config, database_url, &[], &[])
}

/// `serve` with `args` before the command and `env` added.
pub(crate) fn start_with(
    config: &std::path::Path,
    database_url: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Instance {
    let public = base64::engine::general_purpose::STANDARD.encode(signing_key().verifying_key().to_bytes());
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .arg("serve")
        .envs(env.iter().copied())
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_now_starts_a_business_clock_that_runs_on_while_signatures_keep_the_real_clock() {
    let db = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("appointment-setter.toml");
    std::fs::copy(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml"), &config).unwrap();
    // Booked on Monday 7 December for Wednesday 09:00 in Chicago (15:00 UTC): its reminder is due
    // 48 hours before, on Monday at 15:00 UTC.
    let booked = Command::new(BIN)
        .arg("--config")
        .arg(&config)
        .args(["--now", "2026-12-07T12:00:00Z", "appointments", "book", "--service", "standard"])
        .args(["--start", "2026-12-09T09:00", "--phone", "(312) 555-0123", "--name", "Jane Doe", "--staff", "sarah"])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(booked.status.success(), "{}", String::from_utf8_lossy(&booked.stderr));

    // The server's business clock starts a second before the reminder is due (the real date is
    // days earlier: a system clock would never reach it during this test).
    let telnyx = FakeTelnyx::start().await;
    let mut server = start_with(
        &config,
        &db.url,
        &["--now", "2026-12-07T14:59:59Z"],
        &[("TELNYX_API_KEY", "KEY-test"), ("TELNYX_API_BASE", &telnyx.base)],
    );
    let reminder = || {
        telnyx
            .received()
            .iter()
            .any(|r| r.path.ends_with("/messages") && r.body["text"].as_str().unwrap_or("").contains("reminder:"))
    };
    support::until(
        "the reminder text",
        &mut [telnyx.changes()],
        async || reminder(),
        || format!("{:?}", telnyx.received()),
    )
    .await;

    // A webhook signed at the real time is accepted although the business clock is days ahead.
    let body = text_event("real-time-1", "+13125550123", "HELLO");
    let ts = chrono::Utc::now().timestamp().to_string();
    let response = reqwest::Client::new()
        .post(format!("{}/webhooks/telnyx", server.url))
        .header("telnyx-timestamp", &ts)
        .header("telnyx-signature-ed25519", sign(&signing_key(), &ts, &body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let _ = server.child.kill();
    let _ = server.child.wait();
}

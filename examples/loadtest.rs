//! Load generator for `serve` (see scripts/loadtest.sh): posts signed webhooks over loopback with
//! a fixed number of concurrent connections and reports throughput and latency percentiles.
//!
//! `cargo run --release --example loadtest -- --url URL --key-file PATH --mode unique|duplicate|invalid
//!  --requests N --concurrency C`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use appointment_setter::telnyx::signature::sign;
use base64::Engine as _;
use ed25519_dalek::SigningKey;

struct Args {
    url: String,
    key: SigningKey,
    mode: String,
    requests: u64,
    concurrency: usize,
}

fn args() -> Args {
    let mut a = std::env::args().skip(1);
    let (mut url, mut key_file, mut mode, mut requests, mut concurrency) = (
        "http://127.0.0.1:8080/webhooks/telnyx".to_string(),
        "telnyx-test-key".to_string(),
        "unique".to_string(),
        50_000,
        64,
    );
    while let Some(flag) = a.next() {
        let value = a.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => url = value,
            "--key-file" => key_file = value,
            "--mode" => mode = value,
            "--requests" => requests = value.parse().expect("--requests N"),
            "--concurrency" => concurrency = value.parse().expect("--concurrency N"),
            other => panic!("unknown flag {other}"),
        }
    }
    let text = std::fs::read_to_string(&key_file).expect("key file");
    let line = text.lines().find(|l| !l.trim().is_empty() && !l.starts_with('#')).expect("key line");
    let seed = base64::engine::general_purpose::STANDARD.decode(line.trim()).expect("base64 key");
    let key = SigningKey::from_bytes(seed[..32].try_into().expect("32-byte key"));
    Args { url, key, mode, requests, concurrency }
}

fn body(run: u128, n: u64) -> Vec<u8> {
    format!(
        r#"{{"data":{{"event_type":"message.received","id":"load-{run}-{n}","occurred_at":"2026-12-07T16:10:12.588Z","record_type":"event","payload":{{"direction":"inbound","from":{{"phone_number":"+1312555{:04}"}},"id":"m-{n}","text":"What time is my appointment?","to":[{{"phone_number":"+13125550100","status":"webhook_delivered"}}],"type":"SMS"}}}},"meta":{{"attempt":1,"delivered_to":"http://127.0.0.1/webhooks/telnyx"}}}}"#,
        n % 10_000
    )
    .into_bytes()
}

#[tokio::main]
async fn main() {
    let args = Arc::new(args());
    let run = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let http = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency).build().unwrap();
    // Duplicate and invalid modes reuse one pre-signed request: only the server's work is measured.
    let fixed_ts = chrono::Utc::now().timestamp().to_string();
    let fixed_body = body(run, 0);
    let fixed_sig = match args.mode.as_str() {
        "invalid" => sign(&args.key, &fixed_ts, b"something else"),
        _ => sign(&args.key, &fixed_ts, &fixed_body),
    };
    if args.mode == "duplicate" {
        let r = http
            .post(&args.url)
            .header("telnyx-timestamp", &fixed_ts)
            .header("telnyx-signature-ed25519", &fixed_sig)
            .body(fixed_body.clone())
            .send()
            .await
            .expect("server reachable");
        assert!(r.status().is_success(), "priming request: {}", r.status());
    }
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..args.concurrency)
        .map(|_| {
            let (args, http, next) = (args.clone(), http.clone(), next.clone());
            let (fixed_ts, fixed_body, fixed_sig) = (fixed_ts.clone(), fixed_body.clone(), fixed_sig.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut statuses = std::collections::BTreeMap::<u16, u64>::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= args.requests {
                        break;
                    }
                    let (ts, b, sig) = if args.mode == "unique" {
                        let ts = chrono::Utc::now().timestamp().to_string();
                        let b = body(run, n + 1);
                        let sig = sign(&args.key, &ts, &b);
                        (ts, b, sig)
                    } else {
                        (fixed_ts.clone(), fixed_body.clone(), fixed_sig.clone())
                    };
                    let t = Instant::now();
                    let status = match http
                        .post(&args.url)
                        .header("telnyx-timestamp", ts)
                        .header("telnyx-signature-ed25519", sig)
                        .body(b)
                        .send()
                        .await
                    {
                        Ok(r) => r.status().as_u16(),
                        Err(_) => 0,
                    };
                    latencies.push(t.elapsed());
                    *statuses.entry(status).or_default() += 1;
                }
                (latencies, statuses)
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = Vec::new();
    let mut statuses = std::collections::BTreeMap::<u16, u64>::new();
    for w in workers {
        let (l, s) = w.await.unwrap();
        latencies.extend(l);
        for (k, v) in s {
            *statuses.entry(k).or_default() += v;
        }
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "mode={} requests={} concurrency={} seconds={:.2} rate={:.0}/s p50={:.2}ms p99={:.2}ms max={:.2}ms statuses={:?}",
        args.mode,
        latencies.len(),
        args.concurrency,
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
        statuses
    );
}

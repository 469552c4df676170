//! The chat endpoint over real HTTP on 127.0.0.1 (issue #14 targets): a non-streaming turn of the
//! guided receptionist (no booking), and the time from sending a streaming request to its first
//! content chunk with the LLM agent behind the endpoint and a fake OpenAI-compatible server that
//! waits 300 ms before its first token (target ≤ 320 ms). Every request is a new conversation, so
//! none is answered from the record of an earlier one.

use std::net::TcpListener;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use appointment_setter::booking::BookingService;
use appointment_setter::calendar::LocalCalendar;
use appointment_setter::chat::ChatService;
use appointment_setter::clock::{ManualClock, SystemClock};
use appointment_setter::config::Config;
use appointment_setter::conversation::guided::GuidedDialog;
use appointment_setter::conversation::{Agent, OpenAiLlm, Receptionist, TurnSettings};
use appointment_setter::http::{ChatAccess, ChatEndpoint};
use appointment_setter::ingest::{EventHandler, HandlerError};
use appointment_setter::startup::{self, ServerParts};
use appointment_setter::store::{Store, sqlite_url};
use appointment_setter::telnyx::{PublicKey, TelnyxEvent, Verifier};
use async_trait::async_trait;
use criterion::{Criterion, criterion_group, criterion_main};
use futures::StreamExt as _;

/// How long the fake model waits before its first token.
const FIRST_TOKEN: Duration = Duration::from_millis(300);

struct NoEvents;

#[async_trait]
impl EventHandler for NoEvents {
    async fn handle(&self, _: &TelnyxEvent) -> Result<(), HandlerError> {
        Ok(())
    }
}

/// An OpenAI-compatible server: 300 ms, then two sentences as SSE chunks.
async fn slow_model() -> String {
    async fn completions() -> HttpResponse {
        tokio::time::sleep(FIRST_TOKEN).await;
        let chunk = |delta: serde_json::Value, finish: Option<&str>| {
            let body = serde_json::json!({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "fake",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
            format!("data: {body}\n\n")
        };
        let body = [
            chunk(serde_json::json!({"role": "assistant", "content": "Sure, I can help with that. "}), None),
            chunk(serde_json::json!({"content": "What day would suit you?"}), None),
            chunk(serde_json::json!({}), Some("stop")),
            "data: [DONE]\n\n".to_string(),
        ]
        .concat();
        HttpResponse::Ok().content_type("text/event-stream").body(body)
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(|| App::new().route("/v1/chat/completions", web::post().to(completions)))
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
    tokio::spawn(server);
    format!("http://127.0.0.1:{port}/v1")
}

/// A server with the chat endpoint (anonymous) and `receptionist` behind it; its base URL.
async fn serve(dir: &std::path::Path, receptionist: impl FnOnce(BookingService) -> Arc<dyn Receptionist>) -> String {
    let config =
        Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml")).unwrap();
    let store = Store::connect(&sqlite_url(&dir.join("chat.db"))).await.unwrap();
    let clock = Arc::new(ManualClock::new("2026-12-07T14:00:00Z".parse().unwrap()));
    let booking = BookingService::new(Arc::new(config.business), store.clone(), Arc::new(LocalCalendar), clock);
    let service = ChatService::new(receptionist(booking.clone()), booking, store.clone(), Duration::from_secs(10));
    let chat = ChatEndpoint::new(service, ChatAccess::Anonymous, NonZeroU32::new(u32::MAX).unwrap());
    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let parts = ServerParts {
        listener: TcpListener::bind("127.0.0.1:0").unwrap(),
        verifier: Verifier::new(PublicKey::from_verifying_key(key.verifying_key())),
        handler: Arc::new(NoEvents),
        clock: Arc::new(SystemClock),
        workers: 2,
        capacity: 100,
        chat: Some(chat),
        admin: None,
    };
    let app = startup::start(store, parts).await.unwrap();
    let url = format!("http://127.0.0.1:{}/v1/chat/completions", app.port());
    tokio::spawn(app.run_until_stopped());
    url
}

fn body(n: u64, stream: bool) -> serde_json::Value {
    serde_json::json!({"model": "receptionist", "stream": stream,
        "messages": [{"role": "user", "content": format!("What times are available on Tuesday? ({n})")}]})
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let n = AtomicU64::new(0);

    let guided_dir = dir.path().join("guided");
    std::fs::create_dir_all(&guided_dir).unwrap();
    let guided = rt.block_on(serve(&guided_dir, |booking| Arc::new(GuidedDialog::new(booking))));
    c.bench_function("chat/guided_turn_http", |b| {
        b.to_async(&rt).iter(|| async {
            let i = n.fetch_add(1, Ordering::Relaxed);
            let r = http.post(&guided).json(&body(i, false)).send().await.unwrap();
            assert!(r.status().is_success());
            std::hint::black_box(r.bytes().await.unwrap());
        })
    });

    let llm_dir = dir.path().join("llm");
    std::fs::create_dir_all(&llm_dir).unwrap();
    let agent = rt.block_on(async {
        let model = Arc::new(OpenAiLlm::new(&slow_model().await, "k", "fake", Duration::from_secs(5)).unwrap());
        serve(&llm_dir, move |booking| Arc::new(Agent::new(model, booking, TurnSettings::default()))).await
    });
    let mut group = c.benchmark_group("chat");
    group.sample_size(10).measurement_time(Duration::from_secs(20)).warm_up_time(Duration::from_secs(1));
    group.bench_function("first_streamed_chunk_300ms_ttft", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let (http, agent, n) = (http.clone(), agent.clone(), &n);
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let i = n.fetch_add(1, Ordering::Relaxed);
                    let sent = Instant::now();
                    let r = http.post(&agent).json(&body(i, true)).send().await.unwrap();
                    let mut stream = r.bytes_stream();
                    let mut seen = String::new();
                    // The role delta comes first; the first words are the chunk that counts.
                    while let Some(bytes) = stream.next().await {
                        seen.push_str(&String::from_utf8_lossy(&bytes.unwrap()));
                        if seen.contains("\"content\":\"Sure") {
                            break;
                        }
                    }
                    total += sent.elapsed();
                    assert!(seen.contains("Sure, I can help"), "{seen}");
                    while stream.next().await.is_some() {}
                }
                total
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

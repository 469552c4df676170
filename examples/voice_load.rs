//! Voice turn latency, in process (no network): our overhead from a final transcription to the
//! first `speak` command, with a fake LLM and a fake Telnyx API (issue #6 targets).
//!
//! `cargo run --release --example voice_load -- [CALLS] [FIRST_TOKEN_MS]`
//!   CALLS concurrent calls, each taking one turn that streams a sentence and calls
//!   `find_available_slots` once; FIRST_TOKEN_MS delays the model's first token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use appointment_setter::booking::BookingService;
use appointment_setter::calendar::LocalCalendar;
use appointment_setter::clock::ManualClock;
use appointment_setter::config::Config;
use appointment_setter::conversation::{Agent, Message, TurnSettings};
use appointment_setter::conversation::{Delta, DeltaStream, Llm, LlmError, ToolSpec};
use appointment_setter::ingest::call_event;
use appointment_setter::store::{Store, sqlite_url};
use appointment_setter::telnyx::events::parse;
use appointment_setter::telnyx::{
    CallAction, CallControlId, CommandId, Dial, Dialed, OutgoingMessage, SentMessage, TelnyxApi, TelnyxError,
};
use appointment_setter::voice::VoiceHandler;
use async_trait::async_trait;
use futures::StreamExt as _;
use tokio::sync::Notify;

/// Streams one sentence and a slot search, then a final sentence after the tool result.
struct ScriptedLlm {
    first_token: Duration,
}

#[async_trait]
impl Llm for ScriptedLlm {
    async fn stream(&self, _: &str, history: &[Message], _: &[ToolSpec]) -> Result<DeltaStream, LlmError> {
        tokio::time::sleep(self.first_token).await;
        let after_tool = matches!(history.last(), Some(Message::Tool { .. }));
        let deltas = if after_tool {
            vec![Ok(Delta::Text("I have nine tomorrow morning. Does that work?".into()))]
        } else {
            vec![
                Ok(Delta::Text("Sure, let me check. ".into())),
                Ok(Delta::ToolCall {
                    index: 0,
                    id: Some("t1".into()),
                    name: Some("find_available_slots".into()),
                    arguments: Some(r#"{"service":"consultation","date_from":"2026-12-08"}"#.into()),
                }),
            ]
        };
        Ok(futures::stream::iter(deltas).boxed())
    }
}

/// Records when each call was first asked to speak after being armed.
#[derive(Default)]
struct Telnyx {
    armed: Mutex<HashMap<String, Instant>>,
    first_speak: Mutex<HashMap<String, Duration>>,
    spoken: Mutex<Vec<(String, String)>>,
    done: Notify,
}

#[async_trait]
impl TelnyxApi for Telnyx {
    async fn call_action(&self, call: &CallControlId, action: &CallAction, _: &CommandId) -> Result<(), TelnyxError> {
        if let CallAction::Speak { text, .. } = action {
            self.spoken.lock().unwrap().push((call.to_string(), text.clone()));
            if let Some(t0) = self.armed.lock().unwrap().remove(call.as_str()) {
                self.first_speak.lock().unwrap().insert(call.to_string(), t0.elapsed());
                self.done.notify_waiters();
            }
        }
        Ok(())
    }

    async fn send_message(&self, _: &OutgoingMessage) -> Result<SentMessage, TelnyxError> {
        Ok(SentMessage { id: "m".into() })
    }

    async fn dial(&self, _: &Dial, _: &CommandId) -> Result<Dialed, TelnyxError> {
        let detail = "this load test only answers calls".to_string();
        Err(TelnyxError::Rejected { status: 422, code: "voice_load".into(), detail })
    }
}

fn telnyx_event(id: &str, kind: &str, call: &str, extra: &str) -> appointment_setter::telnyx::TelnyxEvent {
    let body = format!(
        r#"{{"data":{{"event_type":"{kind}","id":"{id}","payload":{{"call_control_id":"{call}","from":"+13125550123","to":"+13125550100","direction":"incoming"{extra}}}}}}}"#
    );
    parse(body.as_bytes()).unwrap()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let calls: usize = args.next().map_or(200, |a| a.parse().expect("CALLS"));
    let first_token = Duration::from_millis(args.next().map_or(0, |a| a.parse().expect("FIRST_TOKEN_MS")));

    let config =
        Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&sqlite_url(&dir.path().join("voice.db"))).await.unwrap();
    let clock = Arc::new(ManualClock::new("2026-12-07T14:00:00Z".parse().unwrap()));
    let business = Arc::new(config.business);
    let region = business.region;
    let booking = BookingService::new(business.clone(), store.clone(), Arc::new(LocalCalendar), clock.clone());
    let agent = Agent::new(Arc::new(ScriptedLlm { first_token }), booking, TurnSettings::default());
    let telnyx = Arc::new(Telnyx::default());
    let voice = VoiceHandler::new(Arc::new(agent), telnyx.clone(), config.voice, store, business, clock);
    let event = |id: &str, kind: &str, call: &str, extra: &str| {
        call_event(&telnyx_event(id, kind, call, extra), region).expect("a call event the voice layer acts on")
    };

    for i in 0..calls {
        let call = format!("v3:load-{i}");
        voice.handle(&event(&format!("{call}-1"), "call.initiated", &call, "")).await;
        voice.handle(&event(&format!("{call}-2"), "call.answered", &call, "")).await;
    }
    let transcript = r#","transcription_data":{"transcript":"Can I come in tomorrow?","is_final":true}"#;
    let events: Vec<_> = (0..calls)
        .map(|i| event(&format!("t-{i}"), "call.transcription", &format!("v3:load-{i}"), transcript))
        .collect();
    // SEQUENTIAL=1: one turn at a time (the single-call overhead); otherwise all at once.
    let sequential = std::env::var("SEQUENTIAL").is_ok_and(|v| v == "1");
    let started = Instant::now();
    for (i, e) in events.iter().enumerate() {
        telnyx.armed.lock().unwrap().insert(format!("v3:load-{i}"), Instant::now());
        voice.handle(e).await;
        while sequential && telnyx.first_speak.lock().unwrap().len() <= i {
            let waiting = telnyx.done.notified();
            if telnyx.first_speak.lock().unwrap().len() > i {
                break;
            }
            tokio::time::timeout(Duration::from_secs(30), waiting).await.expect("the call speaks");
        }
    }
    while telnyx.first_speak.lock().unwrap().len() < calls {
        let waiting = telnyx.done.notified();
        if telnyx.first_speak.lock().unwrap().len() >= calls {
            break;
        }
        tokio::time::timeout(Duration::from_secs(30), waiting).await.expect("every call speaks");
    }
    let mut latencies: Vec<Duration> = telnyx.first_speak.lock().unwrap().values().copied().collect();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    // Wait for every turn to finish (the final sentence after the tool), then check for cross-talk.
    let deadline = Instant::now() + Duration::from_secs(30);
    while telnyx.spoken.lock().unwrap().iter().filter(|(_, t)| t.starts_with("I have nine")).count() < calls {
        assert!(Instant::now() < deadline, "every turn finishes");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let spoken = telnyx.spoken.lock().unwrap().clone();
    for i in 0..calls {
        let mine: Vec<&str> =
            spoken.iter().filter(|(c, _)| *c == format!("v3:load-{i}")).map(|(_, t)| t.as_str()).collect();
        assert_eq!(mine.len(), 4, "greeting, two sentences, answer for call {i}: {mine:?}");
    }
    println!(
        "calls={calls} sequential={sequential} first_token={}ms first_speak: p50={:.2}ms p99={:.2}ms max={:.2}ms all_turns_done_in={:.2}s cross_talk=none",
        first_token.as_millis(),
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
        started.elapsed().as_secs_f64()
    );
}

//! Agent turn overhead excluding the LLM (SPEC §14): one turn with an in-process model that
//! streams a sentence, calls `find_available_slots` once and answers, spoken to a no-op speaker.

use std::sync::Arc;

use appointment_setter::booking::BookingService;
use appointment_setter::calendar::LocalCalendar;
use appointment_setter::clock::ManualClock;
use appointment_setter::config::Config;
use appointment_setter::conversation::{Agent, Conversation, Message, Receptionist as _, Speaker, Turn, TurnSettings};
use appointment_setter::conversation::{Delta, DeltaStream, Llm, LlmError, ToolSpec};
use appointment_setter::domain::Channel;
use appointment_setter::domain::PhoneNumber;
use appointment_setter::domain::phone::Region;
use appointment_setter::store::{Store, sqlite_url};
use async_trait::async_trait;
use criterion::{Criterion, criterion_group, criterion_main};
use futures::StreamExt as _;

struct InstantLlm;

#[async_trait]
impl Llm for InstantLlm {
    async fn stream(&self, _: &str, history: &[Message], _: &[ToolSpec]) -> Result<DeltaStream, LlmError> {
        let deltas = if matches!(history.last(), Some(Message::Tool { .. })) {
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

struct Quiet;

#[async_trait]
impl Speaker for Quiet {
    async fn say(&self, sentence: &str) {
        std::hint::black_box(sentence);
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config =
        Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (agent, booking) = rt.block_on(async {
        let store = Store::connect(&sqlite_url(&dir.path().join("agent.db"))).await.unwrap();
        let clock = Arc::new(ManualClock::new("2026-12-07T14:00:00Z".parse().unwrap()));
        let booking = BookingService::new(Arc::new(config.business), store, Arc::new(LocalCalendar), clock);
        (Agent::new(Arc::new(InstantLlm), booking.clone(), TurnSettings::default()), booking)
    });
    let caller = PhoneNumber::parse("+13125550123", Region::parse("US").unwrap()).unwrap();
    let guided = appointment_setter::conversation::guided::GuidedDialog::new(booking);
    c.bench_function("guided_dialog_turn_with_one_slot_search", |b| {
        b.to_async(&rt).iter(|| async {
            use appointment_setter::conversation::Receptionist as _;
            let mut conversation = Conversation::default();
            guided
                .turn(
                    &mut conversation,
                    Turn {
                        caller: Some(&caller),
                        words: "I'd like a consultation tomorrow at 9 am, I'm Jane",
                        cause: "bench",
                        conversation: "conversation-1",
                        channel: Channel::Voice,
                        speaker: &Quiet,
                    },
                )
                .await
                .unwrap()
        })
    });
    c.bench_function("agent_turn_with_one_slot_search", |b| {
        b.to_async(&rt).iter(|| async {
            let mut conversation = Conversation::default();
            agent
                .turn(
                    &mut conversation,
                    Turn {
                        caller: Some(&caller),
                        words: "Can I come in tomorrow?",
                        cause: "bench",
                        conversation: "conversation-1",
                        channel: Channel::Voice,
                        speaker: &Quiet,
                    },
                )
                .await
                .unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

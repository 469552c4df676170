//! The agent books through every streaming dialect of the OpenAI-compatible servers people run:
//! each test scripts the fake LLM with the chunks such a server sends (through the real client)
//! for a slot search, a booking and a closing sentence, and checks that the appointment exists and
//! that every tool call went back to the model under the id the server gave it.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use appointment_setter::booking::BookingService;
use appointment_setter::calendar::LocalCalendar;
use appointment_setter::clock::ManualClock;
use appointment_setter::config::Config;
use appointment_setter::conversation::{
    Agent, Conversation, OpenAiLlm, Receptionist as _, Speaker, Turn, TurnSettings,
};
use appointment_setter::domain::Channel;
use appointment_setter::store::AppointmentFilter;
use async_trait::async_trait;
use serde_json::{Value, json};
use support::fake_llm::{FakeLlm, Script, Step, raw_chunk, raw_delta};
use support::{TestDb, chicago, phone};

struct Quiet;

#[async_trait]
impl Speaker for Quiet {
    async fn say(&self, _: &str) {}
}

const FIND: &str = r#"{"service":"consultation","date_from":"2026-12-08","staff":"sarah"}"#;
const BOOK: &str = r#"{"slot_id":"s1","customer_name":"Jane Doe"}"#;

/// Books with the model's turns scripted as `turns` (a search, a booking, a closing sentence) and
/// returns what the model was sent back.
async fn book_through(turns: [Vec<Step>; 3]) -> Vec<Value> {
    let db = TestDb::sqlite().await;
    let llm = FakeLlm::start().await;
    llm.script(turns.map(Script::Stream));
    let config =
        Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml")).unwrap();
    let clock = Arc::new(ManualClock::new(chicago(2026, 12, 7, 8, 0)));
    let booking = BookingService::new(Arc::new(config.business), db.store().await, Arc::new(LocalCalendar), clock);
    let model = OpenAiLlm::new(&llm.base, "k", "m", Duration::from_secs(5)).unwrap();
    let agent = Agent::new(Arc::new(model), booking.clone(), TurnSettings::default());
    let caller = phone("+13125550123");
    let turn = Turn {
        caller: Some(&caller),
        words: "a consultation with Sarah on Tuesday, I'm Jane Doe",
        cause: "evt",
        conversation: "conversation-1",
        channel: Channel::Voice,
        speaker: &Quiet,
    };
    agent.turn(&mut Conversation::default(), turn).await.unwrap();
    let booked = booking.list(&AppointmentFilter { phone: Some(caller), ..Default::default() }).await.unwrap();
    assert_eq!(booked.len(), 1, "the agent booked: {:#?}", llm.requests());
    assert_eq!((booked[0].start, booked[0].staff_id.as_str()), (chicago(2026, 12, 8, 9, 0), "sarah"));
    llm.requests()
}

/// The ids of the tool calls the assistant made in request `n`'s history, and the ids its tool
/// results answer, in order.
fn ids_sent_back(requests: &[Value], n: usize) -> (Vec<String>, Vec<String>) {
    let messages = requests[n]["messages"].as_array().unwrap();
    let text = |v: &Value| v.as_str().unwrap().to_string();
    let asked = messages.iter().filter_map(|m| m["tool_calls"].as_array()).flatten().map(|c| text(&c["id"])).collect();
    let answered = messages.iter().filter(|m| m["role"] == "tool").map(|m| text(&m["tool_call_id"])).collect();
    (asked, answered)
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn text(words: &'static str) -> Vec<Step> {
    vec![Step::Text(words)]
}

#[tokio::test]
async fn openai_ids_first_and_arguments_over_many_deltas() {
    let call = |id: &str, name: &str, args: &str| {
        let mut steps = vec![raw_delta(
            json!({"tool_calls": [{"index": 0, "id": id, "type": "function", "function": {"name": name, "arguments": ""}}]}),
        )];
        for piece in args.as_bytes().chunks(7) {
            let piece = std::str::from_utf8(piece).unwrap();
            steps.push(raw_delta(json!({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})));
        }
        steps
    };
    let requests = book_through([
        call("call_find", "find_available_slots", FIND),
        call("call_book", "book_appointment", BOOK),
        text("Booked."),
    ])
    .await;
    assert_eq!(ids_sent_back(&requests, 2), (ids(&["call_find", "call_book"]), ids(&["call_find", "call_book"])));
}

#[tokio::test]
async fn ollama_whole_calls_in_one_chunk_and_parallel_calls_all_at_index_zero() {
    let whole = |id: &str, name: &str, args: &str| json!({"index": 0, "id": id, "type": "function", "function": {"name": name, "arguments": args}});
    let search = vec![raw_delta(json!({"role": "assistant", "content": "", "tool_calls": [
        whole("call_a", "find_available_slots", FIND),
        whole("call_b", "find_my_appointments", "{}"),
    ]}))];
    let book = vec![raw_delta(json!({"tool_calls": [whole("call_c", "book_appointment", BOOK)]}))];
    let requests = book_through([search, book, text("Booked.")]).await;
    assert_eq!(
        ids_sent_back(&requests, 1),
        (ids(&["call_a", "call_b"]), ids(&["call_a", "call_b"])),
        "two calls, not one merged"
    );
}

#[tokio::test]
async fn vllm_empty_ids_and_null_arguments_after_the_first_delta_keep_the_original_id() {
    let call = |id: &str, name: &str, args: &str| {
        let (a, b) = args.split_at(args.len() / 2);
        vec![
            raw_delta(
                json!({"tool_calls": [{"index": 0, "id": id, "type": "function", "function": {"name": name, "arguments": null}}]}),
            ),
            raw_delta(json!({"tool_calls": [{"index": 0, "id": "", "function": {"arguments": a}}]})),
            raw_delta(json!({"tool_calls": [{"index": 0, "id": "", "function": {"arguments": null}}]})),
            raw_delta(json!({"tool_calls": [{"index": 0, "id": "", "function": {"arguments": b}}]})),
        ]
    };
    let requests = book_through([
        call("chatcmpl-tool-1a", "find_available_slots", FIND),
        call("chatcmpl-tool-2b", "book_appointment", BOOK),
        text("Booked."),
    ])
    .await;
    let sent = ids(&["chatcmpl-tool-1a", "chatcmpl-tool-2b"]);
    assert_eq!(ids_sent_back(&requests, 2), (sent.clone(), sent));
}

#[tokio::test]
async fn lm_studio_empty_function_names_after_the_first_chunk() {
    let call = |id: &str, name: &str, args: &str| {
        vec![
            raw_delta(
                json!({"tool_calls": [{"index": 0, "id": id, "type": "function", "function": {"name": name, "arguments": ""}}]}),
            ),
            raw_delta(json!({"tool_calls": [{"index": 0, "function": {"name": "", "arguments": args}}]})),
        ]
    };
    let requests = book_through([
        call("381", "find_available_slots", FIND),
        call("382", "book_appointment", BOOK),
        text("Booked."),
    ])
    .await;
    assert_eq!(ids_sent_back(&requests, 2).0, ids(&["381", "382"]));
}

#[tokio::test]
async fn groq_empty_tool_call_lists_on_content_and_a_last_chunk_without_choices() {
    let call = |id: &str, name: &str, args: &str| {
        vec![
            raw_delta(json!({"role": "assistant", "content": "One moment. ", "tool_calls": []})),
            raw_delta(
                json!({"tool_calls": [{"index": 0, "id": id, "type": "function", "function": {"name": name, "arguments": args}}]}),
            ),
            raw_chunk(json!([]), "\n"),
        ]
    };
    let closing = vec![raw_delta(json!({"content": "Booked.", "tool_calls": []})), raw_chunk(json!([]), "\n")];
    let requests = book_through([
        call("call_g1", "find_available_slots", FIND),
        call("call_g2", "book_appointment", BOOK),
        closing,
    ])
    .await;
    assert_eq!(ids_sent_back(&requests, 2).1, ids(&["call_g1", "call_g2"]));
}

#[tokio::test]
async fn a_first_call_at_index_one_ending_with_finish_reason_stop() {
    // The fake closes every scripted stream with `finish_reason: "stop"` here: the calls decide.
    let call = |id: &str, name: &str, args: &str| {
        vec![raw_delta(
            json!({"tool_calls": [{"index": 1, "id": id, "type": "function", "function": {"name": name, "arguments": args}}]}),
        )]
    };
    let requests =
        book_through([call("c1", "find_available_slots", FIND), call("c2", "book_appointment", BOOK), text("Booked.")])
            .await;
    assert_eq!(ids_sent_back(&requests, 2).0, ids(&["c1", "c2"]));
}

#[tokio::test]
async fn server_sent_events_with_crlf_line_ends_and_comment_keep_alives() {
    let call = |id: &str, name: &str, args: &str| {
        vec![
            Step::Raw(": keep-alive\r\n\r\n".into()),
            raw_chunk(
                json!([{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": id, "type": "function", "function": {"name": name, "arguments": args}}]}, "finish_reason": null}]),
                "\r\n",
            ),
            Step::Raw(": ping\r\n\r\n".into()),
        ]
    };
    let requests =
        book_through([call("k1", "find_available_slots", FIND), call("k2", "book_appointment", BOOK), text("Booked.")])
            .await;
    assert_eq!(ids_sent_back(&requests, 2).0, ids(&["k1", "k2"]));
}

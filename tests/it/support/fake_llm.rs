//! A fake OpenAI-compatible server: `POST /v1/chat/completions` streams scripted SSE chunks (text,
//! tool-call deltas split across chunks, delays, errors), one script per request in order, and
//! records every request body.

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use bytes::Bytes;
use serde_json::{Value, json};

/// One step of a streamed reply.
#[derive(Debug, Clone)]
pub enum Step {
    /// Text, sent as one chunk.
    Text(&'static str),
    /// A tool call, its arguments split into parts across chunks.
    Tool { index: u32, id: &'static str, name: &'static str, args: Vec<String> },
    /// Wait before the next chunk.
    Delay(Duration),
    /// Bytes sent as they are (a server's own dialect: odd chunks, CRLF, comments).
    Raw(String),
}

/// A chunk with the usual envelope around `choices` (which may be empty), as one SSE event
/// ending in `eol` (`"\n"` or `"\r\n"`).
pub fn raw_chunk(choices: Value, eol: &str) -> Step {
    let body = json!({
        "id": "chatcmpl-raw", "object": "chat.completion.chunk", "created": 1_800_000_000u32, "model": "fake",
        "choices": choices
    });
    Step::Raw(format!("data: {body}{eol}{eol}"))
}

/// A delta in the first choice.
pub fn raw_delta(delta: Value) -> Step {
    raw_chunk(json!([{"index": 0, "delta": delta, "finish_reason": null}]), "\n")
}

/// A scripted answer to one request.
#[derive(Debug, Clone)]
pub enum Script {
    /// Stream these steps.
    Stream(Vec<Step>),
    /// Answer with an HTTP error.
    Fail(u16),
}

/// A tool call with its arguments split in two chunks.
pub fn tool(id: &'static str, name: &'static str, args: Value) -> Step {
    let text = args.to_string();
    let (a, b) = text.split_at(text.len() / 2);
    Step::Tool { index: 0, id, name, args: vec![a.to_string(), b.to_string()] }
}

#[derive(Default)]
struct State {
    /// Bumped after every request is recorded.
    changed: tokio::sync::watch::Sender<u64>,
    scripts: Mutex<VecDeque<Script>>,
    requests: Mutex<Vec<Value>>,
}

pub struct FakeLlm {
    /// Base URL including `/v1`.
    pub base: String,
    state: Arc<State>,
}

fn chunk(delta: Value, finish: Option<&str>) -> Bytes {
    let body = json!({
        "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_800_000_000u32, "model": "fake",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
    });
    Bytes::from(format!("data: {body}\n\n"))
}

async fn completions(body: web::Json<Value>, state: web::Data<Arc<State>>) -> HttpResponse {
    state.requests.lock().unwrap().push(body.into_inner());
    state.changed.send_modify(|n| *n += 1);
    let script = state.scripts.lock().unwrap().pop_front().unwrap_or(Script::Stream(vec![Step::Text("Okay.")]));
    let steps = match script {
        Script::Fail(status) => {
            return HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                .json(json!({"error": {"message": "scripted failure", "type": "server_error"}}));
        }
        Script::Stream(steps) => steps,
    };
    let has_tools = steps.iter().any(|s| matches!(s, Step::Tool { .. }));
    let stream = futures::stream::unfold(
        (steps.into_iter(), false, has_tools),
        |(mut steps, done, has_tools)| async move {
            if done {
                return None;
            }
            let out = loop {
                match steps.next() {
                    Some(Step::Delay(d)) => tokio::time::sleep(d).await,
                    Some(Step::Raw(bytes)) => break vec![Bytes::from(bytes)],
                    Some(Step::Text(t)) => break vec![chunk(json!({"role": "assistant", "content": t}), None)],
                    Some(Step::Tool { index, id, name, args }) => {
                        let mut parts = vec![chunk(
                            json!({"tool_calls": [{"index": index, "id": id, "type": "function", "function": {"name": name, "arguments": ""}}]}),
                            None,
                        )];
                        parts.extend(args.iter().map(|a| {
                            chunk(json!({"tool_calls": [{"index": index, "function": {"arguments": a}}]}), None)
                        }));
                        break parts;
                    }
                    None => {
                        let finish = chunk(json!({}), Some(if has_tools { "tool_calls" } else { "stop" }));
                        return Some((
                            Ok::<_, actix_web::Error>(Bytes::from(
                                [finish, Bytes::from_static(b"data: [DONE]\n\n")].concat(),
                            )),
                            (steps, true, has_tools),
                        ));
                    }
                }
            };
            Some((Ok(Bytes::from(out.concat())), (steps, false, has_tools)))
        },
    );
    HttpResponse::Ok().content_type("text/event-stream").streaming(stream)
}

impl FakeLlm {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State::default());
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::JsonConfig::default().limit(4 * 1024 * 1024))
                .route("/v1/chat/completions", web::post().to(completions))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        FakeLlm { base: format!("http://127.0.0.1:{port}/v1"), state }
    }

    pub fn script(&self, scripts: impl IntoIterator<Item = Script>) {
        self.state.scripts.lock().unwrap().extend(scripts);
    }

    /// Changes whenever a request has been recorded.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.state.changed.subscribe()
    }

    pub fn requests(&self) -> Vec<Value> {
        self.state.requests.lock().unwrap().clone()
    }
}

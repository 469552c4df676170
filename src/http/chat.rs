//! `POST /v1/chat/completions` (and `/chat/completions`), `GET /v1/models`: the receptionist as an
//! OpenAI-compatible model. Off (404) unless `CHAT_API_KEYS` or `CHAT_ALLOW_ANONYMOUS=true`; bearer
//! keys, a per-key rate limit, body and message limits, OpenAI's error shape and statuses, and
//! streaming as `text/event-stream` chunks, one sentence per content delta.

use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use async_trait::async_trait;
use futures::StreamExt as _;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::AppState;
use super::chat_wire::{self as wire, CompletionRequest};
use crate::chat::{ChatError, ChatRequest, ChatService};
use crate::conversation::Speaker;

/// Largest request body accepted.
const MAX_CHAT_BODY: usize = 512 * 1024;
/// The model name `/v1/models` lists (any requested name is accepted and echoed).
pub(crate) const MODEL: &str = "receptionist";
/// The header a client may name the customer's number in.
pub(crate) const CALLER_HEADER: &str = "x-caller-phone";

/// Who may use the endpoint.
#[derive(Clone)]
pub enum ChatAccess {
    /// Bearer tokens (`CHAT_API_KEYS`).
    Keys(Vec<String>),
    /// Anyone (`CHAT_ALLOW_ANONYMOUS=true`, for local use).
    Anonymous,
}

/// The chat endpoint: the service behind it, who may use it, and how often.
#[derive(Clone)]
pub struct ChatEndpoint {
    service: ChatService,
    /// SHA-256 of each accepted key (compared digest to digest; keys are never kept or logged).
    keys: Option<Arc<Vec<[u8; 32]>>>,
    limiter: Arc<DefaultKeyedRateLimiter<String>>,
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

impl ChatEndpoint {
    /// The endpoint for `service`, open to `access`, each key (or all anonymous clients together)
    /// at most `per_minute` requests a minute.
    pub fn new(service: ChatService, access: ChatAccess, per_minute: NonZeroU32) -> Self {
        let keys = match access {
            ChatAccess::Keys(keys) => Some(Arc::new(keys.iter().map(|k| digest(k.trim())).collect())),
            ChatAccess::Anonymous => None,
        };
        Self { service, keys, limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))) }
    }

    /// The client a request comes from (a label derived from its key), or why it may not come in.
    fn client(&self, req: &HttpRequest) -> Result<String, Refused> {
        let Some(keys) = &self.keys else { return Ok("anonymous".into()) };
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim);
        let Some(key) = bearer else {
            return Err(Refused(401, "no API key: send Authorization: Bearer <key>", "missing_api_key"));
        };
        let d = digest(key);
        if !keys.contains(&d) {
            return Err(Refused(401, "the API key is not valid", "invalid_api_key"));
        }
        Ok(d.iter().take(8).map(|b| format!("{b:02x}")).collect())
    }
}

/// A request turned away before it reaches the receptionist.
struct Refused(u16, &'static str, &'static str);

impl Refused {
    fn response(&self) -> HttpResponse {
        error(self.0, self.1, "invalid_request_error", self.2)
    }
}

fn error(status: u16, message: &str, kind: &str, code: &str) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
    HttpResponse::build(status).json(wire::error_body(message, kind, code))
}

/// The endpoint is off: the server's ordinary 404.
fn off() -> HttpResponse {
    super::error(404, "not_found", "no such endpoint")
}

/// `GET /v1/models`.
pub(super) async fn models(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let Some(chat) = &state.chat else { return off() };
    if let Err(refused) = chat.client(&req) {
        return refused.response();
    }
    HttpResponse::Ok().json(json!({
        "object": "list",
        "data": [{"id": MODEL, "object": "model", "created": 0, "owned_by": "appointment-setter"}],
    }))
}

/// `POST /v1/chat/completions`.
pub(super) async fn completions(
    state: web::Data<AppState>,
    req: HttpRequest,
    mut payload: web::Payload,
) -> HttpResponse {
    let Some(chat) = state.chat.clone() else { return off() };
    let client = match chat.client(&req) {
        Ok(client) => client,
        Err(refused) => return refused.response(),
    };
    if chat.limiter.check_key(&client).is_err() {
        let mut response =
            error(429, "too many requests for this key; retry shortly", "requests", "rate_limit_exceeded");
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        return response;
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            return error(400, "the request body could not be read", "invalid_request_error", "bad_body");
        };
        if body.len() + chunk.len() > MAX_CHAT_BODY {
            let message = format!("the request body is larger than {} KiB", MAX_CHAT_BODY / 1024);
            return error(413, &message, "invalid_request_error", "request_too_large");
        }
        body.extend_from_slice(&chunk);
    }
    let request: CompletionRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return error(
                400,
                &format!("not a chat completion request: {e}"),
                "invalid_request_error",
                "invalid_request",
            );
        }
    };
    let messages = match request.conversation() {
        Ok(m) => m,
        Err(message) => return error(400, &message, "invalid_request_error", "invalid_request"),
    };
    let header_hint = req.headers().get(CALLER_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string);
    let chat_request = ChatRequest { messages, caller_hint: header_hint.or(request.user.clone()), client };
    let model = request.model.clone().filter(|m| !m.is_empty()).unwrap_or_else(|| MODEL.to_string());
    let prompt: u64 = chat_request.messages.iter().map(|m| wire::tokens(&m.text)).sum();
    let id = format!(
        "chatcmpl-{}",
        crate::chat::turn_key(&chat_request.client, chat_request.caller_hint.as_deref(), &chat_request.messages)
    );
    let created = chrono::Utc::now().timestamp();
    if request.stream.unwrap_or(false) {
        // Refused before the 200 of a stream is sent.
        if let Err(e) = crate::chat::check(&chat_request.messages) {
            return failure(&e);
        }
        return stream(chat, chat_request, id, model, created);
    }
    match chat.service.answer(&chat_request, &Quiet).await {
        Ok(answer) => {
            HttpResponse::Ok().json(wire::completion(&id, &model, created, prompt, &answer, chat.service.business()))
        }
        Err(e) => failure(&e),
    }
}

/// The HTTP answer to a failed turn.
fn failure(e: &ChatError) -> HttpResponse {
    match e {
        ChatError::Invalid(message) => error(400, message, "invalid_request_error", "invalid_request"),
        ChatError::Timeout => error(503, &e.to_string(), "server_error", "timeout"),
        ChatError::Receptionist(_) | ChatError::Store(_) => {
            tracing::warn!(error = %e, "chat turn failed");
            error(503, "the receptionist cannot answer right now; retry shortly", "server_error", "unavailable")
        }
    }
}

struct Quiet;

#[async_trait]
impl Speaker for Quiet {
    async fn say(&self, _: &str) {}
}

/// Sends each sentence as it is said.
struct Sentences(tokio::sync::mpsc::UnboundedSender<String>);

#[async_trait]
impl Speaker for Sentences {
    async fn say(&self, sentence: &str) {
        let _ = self.0.send(sentence.to_string());
    }
}

fn event(value: &Value) -> web::Bytes {
    web::Bytes::from(format!("data: {value}\n\n"))
}

/// `stream: true`: a role delta, a content delta per sentence, a final chunk with
/// `finish_reason` (and the extension), then `data: [DONE]`.
fn stream(chat: ChatEndpoint, request: ChatRequest, id: String, model: String, created: i64) -> HttpResponse {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<web::Bytes>();
    tokio::spawn(async move {
        let _ = tx.send(event(&wire::chunk(&id, &model, created, json!({"role": "assistant", "content": ""}), None)));
        let (said_tx, mut said_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let speaker = Sentences(said_tx);
        let turn = chat.service.answer(&request, &speaker);
        tokio::pin!(turn);
        let mut first = true;
        let result = loop {
            tokio::select! {
                Some(sentence) = said_rx.recv() => {
                    let text = if first { sentence } else { format!(" {sentence}") };
                    first = false;
                    let _ = tx.send(event(&wire::chunk(&id, &model, created, json!({"content": text}), None)));
                }
                result = &mut turn => break result,
            }
        };
        while let Ok(sentence) = said_rx.try_recv() {
            let text = if first { sentence } else { format!(" {sentence}") };
            first = false;
            let _ = tx.send(event(&wire::chunk(&id, &model, created, json!({"content": text}), None)));
        }
        match result {
            Ok(answer) => {
                let mut last = wire::chunk(&id, &model, created, json!({}), Some("stop"));
                last["receptionist"] = wire::receptionist(&answer, chat.service.business());
                let _ = tx.send(event(&last));
            }
            Err(e) => {
                let (kind, code) = match &e {
                    ChatError::Invalid(_) => ("invalid_request_error", "invalid_request"),
                    ChatError::Timeout => ("server_error", "timeout"),
                    _ => ("server_error", "unavailable"),
                };
                let _ = tx.send(event(&wire::error_body(&e.to_string(), kind, code)));
            }
        }
        let _ = tx.send(web::Bytes::from_static(b"data: [DONE]\n\n"));
    });
    let body =
        futures::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|b| (Ok::<_, actix_web::Error>(b), rx)) },
        );
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .streaming(body)
}

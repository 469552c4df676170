//! OpenAI Chat Completions on the wire: the request as clients send it, the answer as
//! `chat.completion` or `chat.completion.chunk` objects, errors as `{"error": {…}}`. Only here is
//! the chat endpoint JSON; the rest of the crate sees `chat::ChatRequest` and `ChatAnswer`.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::chat::{Change, ChatAnswer, ChatMessage, Role};
use crate::domain::Business;

/// At most this many messages per request.
pub(super) const MAX_MESSAGES: usize = 200;
/// At most this many characters per message.
pub(super) const MAX_CHARS: usize = 8_000;

/// A request as clients send it; every other field (temperature, tools, …) is accepted and
/// ignored.
#[derive(Deserialize)]
pub(super) struct CompletionRequest {
    #[serde(default)]
    pub model: Option<String>,
    pub messages: Vec<WireMessage>,
    #[serde(default)]
    pub stream: Option<bool>,
    #[serde(default)]
    pub user: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct WireMessage {
    pub role: String,
    #[serde(default)]
    pub content: Option<Content>,
}

/// `content` is a string, or a list of parts of which only text is understood.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum Content {
    Text(String),
    Parts(Vec<Part>),
}

#[derive(Deserialize)]
pub(super) struct Part {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub text: Option<String>,
}

impl CompletionRequest {
    /// The typed conversation, or what is wrong with it (a 400).
    pub(super) fn conversation(&self) -> Result<Vec<ChatMessage>, String> {
        if self.messages.len() > MAX_MESSAGES {
            return Err(format!("at most {MAX_MESSAGES} messages per request"));
        }
        self.messages
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let role = match m.role.as_str() {
                    "system" | "developer" => Role::System,
                    "user" => Role::User,
                    "assistant" => Role::Assistant,
                    "tool" | "function" => {
                        return Err(format!(
                            "messages[{i}]: role {:?} is not accepted: the receptionist runs its own tools",
                            m.role
                        ));
                    }
                    other => return Err(format!("messages[{i}]: unknown role {other:?}")),
                };
                let text = match &m.content {
                    None if role == Role::Assistant => String::new(),
                    None => return Err(format!("messages[{i}]: content is missing")),
                    Some(Content::Text(t)) => t.clone(),
                    Some(Content::Parts(parts)) => {
                        let mut text = Vec::new();
                        for p in parts {
                            match (p.kind.as_str(), &p.text) {
                                ("text", Some(t)) => text.push(t.as_str()),
                                (kind, _) => {
                                    return Err(format!(
                                        "messages[{i}]: content of type {kind:?} is not accepted (text only)"
                                    ));
                                }
                            }
                        }
                        text.join("\n")
                    }
                };
                if text.chars().count() > MAX_CHARS {
                    return Err(format!("messages[{i}]: content is longer than {MAX_CHARS} characters"));
                }
                Ok(ChatMessage { role, text })
            })
            .collect()
    }
}

/// The OpenAI error body.
pub(super) fn error_body(message: &str, kind: &str, code: &str) -> Value {
    json!({"error": {"message": message, "type": kind, "code": code, "param": null}})
}

/// Tokens, estimated: about four characters each (documented in the README; no tokenizer runs).
pub(super) fn tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

/// The documented extension: what the turn changed, and whether the conversation ended.
pub(super) fn receptionist(answer: &ChatAnswer, biz: &Business) -> Value {
    let changes: Vec<Value> = answer.changes.iter().map(|c| change(c, biz)).collect();
    json!({"changes": changes, "ended": answer.ended, "replayed": answer.replayed})
}

fn change(c: &Change, biz: &Business) -> Value {
    let a = &c.appointment;
    let tz = biz.timezone;
    json!({
        "what": c.what,
        "appointment": {
            "id": a.id.to_string(),
            "service": a.service_id.as_str(),
            "staff": a.staff_id.as_str(),
            "start": a.start.with_timezone(&tz).to_rfc3339(),
            "end": a.end.with_timezone(&tz).to_rfc3339(),
            "customer_name": a.customer_name,
            "status": a.status.as_str(),
        }
    })
}

/// A whole `chat.completion`.
pub(super) fn completion(
    id: &str,
    model: &str,
    created: i64,
    prompt: u64,
    answer: &ChatAnswer,
    biz: &Business,
) -> Value {
    let completion_tokens = tokens(&answer.reply);
    json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": answer.reply},
            "finish_reason": "stop",
            "logprobs": null,
        }],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion_tokens, "total_tokens": prompt + completion_tokens},
        "receptionist": receptionist(answer, biz),
    })
}

/// One `chat.completion.chunk` with `delta`, and `finish_reason` on the last.
pub(super) fn chunk(id: &str, model: &str, created: i64, delta: Value, finish: Option<&str>) -> Value {
    json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": null}],
    })
}

//! The LLM behind a trait: a streaming chat completion with tools. The real implementation uses
//! `async-openai` against any OpenAI-compatible server (`OPENAI_BASE_URL`, `LLM_MODEL`); tests
//! point it at a local fake that streams scripted chunks.

use std::time::Duration;

use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::types::chat::{
    ChatCompletionMessageToolCall, ChatCompletionMessageToolCalls, ChatCompletionRequestAssistantMessageArgs,
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessageArgs, ChatCompletionRequestToolMessageArgs,
    ChatCompletionRequestUserMessageArgs, ChatCompletionTool, ChatCompletionTools, CreateChatCompletionRequestArgs,
    FunctionCall, FunctionObjectArgs,
};
use async_trait::async_trait;
use futures::StreamExt as _;
use futures::stream::BoxStream;

use super::history::Message;

/// A tool offered to the model.
#[derive(Debug, Clone)]
pub struct ToolSpec {
    /// Name.
    pub name: &'static str,
    /// What it does (for the model).
    pub description: &'static str,
    /// JSON schema of the arguments.
    pub parameters: serde_json::Value,
}

/// One piece of a streamed reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Delta {
    /// More text.
    Text(String),
    /// Part of a tool call; parts with the same index belong together.
    ToolCall {
        /// Which call.
        index: u32,
        /// Set on the first part.
        id: Option<String>,
        /// Set on the first part.
        name: Option<String>,
        /// Appended across parts.
        arguments: Option<String>,
    },
}

/// Why the model could not answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LlmError {
    /// The request failed (network, status, bad stream).
    #[error("LLM request failed: {0}")]
    Request(String),
}

/// A stream of deltas.
pub type DeltaStream = BoxStream<'static, Result<Delta, LlmError>>;

/// A streaming chat model.
#[async_trait]
pub trait Llm: Send + Sync {
    /// Starts a completion of `history` after `system`, offering `tools`.
    async fn stream(&self, system: &str, history: &[Message], tools: &[ToolSpec]) -> Result<DeltaStream, LlmError>;
}

/// An OpenAI-compatible server.
pub struct OpenAiLlm {
    client: Client<OpenAIConfig>,
    model: String,
}

impl OpenAiLlm {
    /// A client for `base_url` (including `/v1`) and `model`.
    pub fn new(base_url: &str, api_key: &str, model: &str, timeout: Duration) -> Result<Self, LlmError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .read_timeout(timeout)
            .build()
            .map_err(|e| LlmError::Request(e.to_string()))?;
        let config = OpenAIConfig::new().with_api_base(base_url.trim_end_matches('/')).with_api_key(api_key);
        Ok(Self { client: Client::with_config(config).with_http_client(http), model: model.to_string() })
    }
}

fn wire(system: &str, history: &[Message]) -> Result<Vec<ChatCompletionRequestMessage>, LlmError> {
    let err = |e: async_openai::error::OpenAIError| LlmError::Request(e.to_string());
    let mut out: Vec<ChatCompletionRequestMessage> =
        vec![ChatCompletionRequestSystemMessageArgs::default().content(system).build().map_err(err)?.into()];
    for m in history {
        out.push(match m {
            Message::User { text } => {
                ChatCompletionRequestUserMessageArgs::default().content(text.as_str()).build().map_err(err)?.into()
            }
            Message::Assistant { text, tool_calls } => {
                let mut b = ChatCompletionRequestAssistantMessageArgs::default();
                if !text.is_empty() {
                    b.content(text.as_str());
                }
                if !tool_calls.is_empty() {
                    b.tool_calls(
                        tool_calls
                            .iter()
                            .map(|c| {
                                ChatCompletionMessageToolCalls::Function(ChatCompletionMessageToolCall {
                                    id: c.id.clone(),
                                    function: FunctionCall { name: c.name.clone(), arguments: c.arguments.clone() },
                                })
                            })
                            .collect::<Vec<_>>(),
                    );
                }
                b.build().map_err(err)?.into()
            }
            Message::Tool { call_id, content } => ChatCompletionRequestToolMessageArgs::default()
                .tool_call_id(call_id.as_str())
                .content(content.as_str())
                .build()
                .map_err(err)?
                .into(),
        });
    }
    Ok(out)
}

#[async_trait]
impl Llm for OpenAiLlm {
    async fn stream(&self, system: &str, history: &[Message], tools: &[ToolSpec]) -> Result<DeltaStream, LlmError> {
        let err = |e: async_openai::error::OpenAIError| LlmError::Request(e.to_string());
        let tools: Vec<ChatCompletionTools> = tools
            .iter()
            .map(|t| {
                let function = FunctionObjectArgs::default()
                    .name(t.name)
                    .description(t.description)
                    .parameters(t.parameters.clone())
                    .build()
                    .map_err(err)?;
                Ok(ChatCompletionTools::Function(ChatCompletionTool { function }))
            })
            .collect::<Result<_, LlmError>>()?;
        let request = CreateChatCompletionRequestArgs::default()
            .model(self.model.as_str())
            .messages(wire(system, history)?)
            .tools(tools)
            .temperature(0.3)
            .build()
            .map_err(err)?;
        let stream = self.client.chat().create_stream(request).await.map_err(err)?;
        Ok(stream
            .flat_map(|chunk| {
                let deltas: Vec<Result<Delta, LlmError>> = match chunk {
                    Err(e) => vec![Err(LlmError::Request(e.to_string()))],
                    Ok(chunk) => chunk
                        .choices
                        .into_iter()
                        .flat_map(|choice| {
                            let mut out = Vec::new();
                            if let Some(text) = choice.delta.content.filter(|t| !t.is_empty()) {
                                out.push(Ok(Delta::Text(text)));
                            }
                            for call in choice.delta.tool_calls.unwrap_or_default() {
                                let (name, arguments) = call.function.map_or((None, None), |f| (f.name, f.arguments));
                                out.push(Ok(Delta::ToolCall { index: call.index, id: call.id, name, arguments }));
                            }
                            out
                        })
                        .collect(),
                };
                futures::stream::iter(deltas)
            })
            .boxed())
    }
}

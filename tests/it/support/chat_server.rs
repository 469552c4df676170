//! A running server with the chat endpoint on a fresh SQLite database (clock at Monday
//! 2026-12-07 08:00 in Chicago), and the official OpenAI client (async-openai) to talk to it.

use std::net::TcpListener;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use appointment_setter::booking::BookingService;
use appointment_setter::calendar::LocalCalendar;
use appointment_setter::chat::ChatService;
use appointment_setter::clock::{ManualClock, SystemClock};
use appointment_setter::config::Config;
use appointment_setter::conversation::guided::GuidedDialog;
use appointment_setter::conversation::{Agent, OpenAiLlm, Receptionist, TurnSettings, WithFallback};
use appointment_setter::http::{ChatAccess, ChatEndpoint};
use appointment_setter::startup::{self, ServerParts};
use appointment_setter::store::Store;
use appointment_setter::telnyx::{PublicKey, Verifier};
use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::types::chat::{
    ChatCompletionRequestAssistantMessageArgs, ChatCompletionRequestMessage, ChatCompletionRequestUserMessageArgs,
    CreateChatCompletionRequestArgs,
};
use futures::StreamExt as _;

use super::{TestDb, chicago};

/// The API key the servers here accept.
pub const KEY: &str = "sk-test-receptionist";

/// A server with the chat endpoint.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its booking service (to look at or set up appointments).
    pub booking: BookingService,
    /// Its store.
    pub store: Store,
    _db: TestDb,
}

/// The guided dialog behind the endpoint.
pub async fn serve(access: ChatAccess, per_minute: u32) -> Server {
    serve_with(access, per_minute, TURN, |booking| Arc::new(GuidedDialog::new(booking))).await
}

/// The LLM agent (with the guided dialog as its fallback, as `serve` runs it) behind the endpoint,
/// talking to the OpenAI-compatible server at `llm_base`.
pub async fn serve_llm(access: ChatAccess, llm_base: &str) -> Server {
    let model = Arc::new(OpenAiLlm::new(llm_base, "test-key", "fake-model", Duration::from_secs(5)).unwrap());
    serve_with(access, 1000, TURN, move |booking| {
        Arc::new(WithFallback {
            agent: Agent::new(model, booking.clone(), TurnSettings::default()),
            guided: GuidedDialog::new(booking),
        })
    })
    .await
}

/// How long the servers here give a turn.
const TURN: Duration = Duration::from_secs(10);

/// `receptionist` (made for the server's booking service) behind the endpoint, given `deadline`
/// to answer a turn.
pub async fn serve_with(
    access: ChatAccess,
    per_minute: u32,
    deadline: Duration,
    receptionist: impl FnOnce(BookingService) -> Arc<dyn Receptionist>,
) -> Server {
    let db = TestDb::sqlite().await;
    let config =
        Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml")).unwrap();
    let store = db.store().await;
    let clock = Arc::new(ManualClock::new(chicago(2026, 12, 7, 8, 0)));
    let booking = BookingService::new(Arc::new(config.business), store.clone(), Arc::new(LocalCalendar), clock);
    let service = ChatService::new(receptionist(booking.clone()), booking.clone(), store.clone(), deadline);
    let chat = ChatEndpoint::new(service, access, NonZeroU32::new(per_minute).unwrap());
    let parts = ServerParts {
        listener: TcpListener::bind("127.0.0.1:0").unwrap(),
        verifier: Verifier::new(PublicKey::from_verifying_key(super::webhooks::signing_key().verifying_key())),
        handler: Arc::new(super::webhooks::Recorder::default()),
        clock: Arc::new(SystemClock),
        workers: 2,
        capacity: 100,
        chat: Some(chat),
        admin: None,
    };
    let app = startup::start(store.clone(), parts).await.unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    Server { url, booking, store, _db: db }
}

/// The official client, pointed at `server` with `key`.
pub fn client(server: &Server, key: &str) -> Client<OpenAIConfig> {
    Client::with_config(OpenAIConfig::new().with_api_base(format!("{}/v1", server.url)).with_api_key(key))
}

/// A customer's message.
pub fn user(text: &str) -> ChatCompletionRequestMessage {
    ChatCompletionRequestUserMessageArgs::default().content(text).build().unwrap().into()
}

/// The receptionist's message, as the client shows it back.
pub fn assistant(text: &str) -> ChatCompletionRequestMessage {
    ChatCompletionRequestAssistantMessageArgs::default().content(text).build().unwrap().into()
}

/// One `chat.completion`'s text (the model name asked for is echoed).
pub async fn ask(client: &Client<OpenAIConfig>, messages: Vec<ChatCompletionRequestMessage>) -> String {
    let request = CreateChatCompletionRequestArgs::default().model("gpt-4o-mini").messages(messages).build().unwrap();
    let response = client.chat().create(request).await.unwrap();
    assert_eq!(response.model, "gpt-4o-mini", "the requested model name is echoed");
    response.choices[0].message.content.clone().unwrap_or_default()
}

/// A streamed answer's text, put together from its chunks (the last carries a finish reason).
pub async fn ask_streaming(client: &Client<OpenAIConfig>, messages: Vec<ChatCompletionRequestMessage>) -> String {
    let request = CreateChatCompletionRequestArgs::default()
        .model("gpt-4o-mini")
        .messages(messages)
        .stream(true)
        .build()
        .unwrap();
    let mut stream = client.chat().create_stream(request).await.unwrap();
    let (mut text, mut finished) = (String::new(), None);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        for choice in chunk.choices {
            text.push_str(choice.delta.content.as_deref().unwrap_or_default());
            finished = finished.or(choice.finish_reason);
        }
    }
    assert!(finished.is_some(), "the last chunk carries a finish_reason");
    text
}

/// [`ask_streaming`] or [`ask`].
pub async fn ask_either(
    streaming: bool,
    client: &Client<OpenAIConfig>,
    messages: Vec<ChatCompletionRequestMessage>,
) -> String {
    if streaming { ask_streaming(client, messages).await } else { ask(client, messages).await }
}

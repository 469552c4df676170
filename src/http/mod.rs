//! The HTTP edge (SPEC §10): actix-web routes and error mapping. No actix type leaves this module.
//!
//! [`Application::build`] binds a listener (port 0 in tests) and returns the running server with
//! its port; [`Application::run_until_stopped`] serves until SIGTERM/Ctrl-C or a stop request,
//! then drains in-flight events and flushes the inbox.

mod admin;
mod api;
mod chat;
mod chat_wire;
mod health;
mod manage;
mod webhook;

pub use admin::AdminConsole;
pub use api::openapi_document;
pub use chat::{ChatAccess, ChatEndpoint};

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpResponse, HttpServer, web};
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::json;

use crate::ingest::Inbox;
use crate::store::Store;
use crate::telnyx::Verifier;

/// Largest webhook body accepted (SPEC §7).
pub(crate) const MAX_BODY: usize = 64 * 1024;

/// Shared state of the HTTP handlers, built once.
#[derive(Clone)]
pub(crate) struct AppState {
    /// Checks webhook signatures.
    pub verifier: Arc<Verifier>,
    /// Records and dispatches events.
    pub inbox: Inbox,
    /// For `/readyz`.
    pub store: Store,
    /// Renders `/metrics`.
    pub metrics: PrometheusHandle,
    /// The OpenAI-compatible chat endpoint, when it is on.
    pub chat: Option<ChatEndpoint>,
    /// The owner's console (`/admin`), when this server has one.
    pub admin: Option<AdminConsole>,
}

/// Stops a running server (what SIGTERM does): no new connections, in-flight requests finish.
#[derive(Clone)]
pub struct StopHandle(ServerHandle);

impl StopHandle {
    /// Stops gracefully; [`Application::run_until_stopped`] then drains in-flight events.
    pub async fn stop(&self) {
        self.0.stop(true).await;
    }
}

/// A running server.
pub struct Application {
    port: u16,
    server: Server,
    inbox: Inbox,
}

impl Application {
    /// Starts serving on `listener` with `workers` HTTP worker threads.
    pub(crate) fn build(listener: TcpListener, state: AppState, workers: usize) -> std::io::Result<Self> {
        let port = listener.local_addr()?.port();
        let inbox = state.inbox.clone();
        let data = web::Data::new(state);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/webhooks/telnyx", web::post().to(webhook::telnyx))
                .route("/healthz", web::get().to(health::healthz))
                .route("/readyz", web::get().to(health::readyz))
                .route("/metrics", web::get().to(health::metrics))
                .route("/v1/chat/completions", web::post().to(chat::completions))
                .route("/chat/completions", web::post().to(chat::completions))
                .route("/v1/models", web::get().to(chat::models))
                .configure(admin::routes)
                .configure(manage::routes)
                .configure(api::routes)
                .default_service(web::to(|| async { error(404, "not_found", "no such endpoint") }))
        })
        .workers(workers.max(1))
        .backlog(2048)
        .shutdown_timeout(30)
        .listen(listener)?
        .run();
        Ok(Self { port, server, inbox })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The inbox behind the server (its `drain` waits until every event received so far is handled).
    pub fn inbox(&self) -> Inbox {
        self.inbox.clone()
    }

    /// A handle to stop the server gracefully.
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle(self.server.handle())
    }

    /// Serves until stopped, then finishes every accepted event before returning.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        tracing::info!("server stopped accepting; finishing in-flight events");
        if tokio::time::timeout(Duration::from_secs(30), self.inbox.drain()).await.is_err() {
            tracing::warn!("in-flight events did not finish within 30 s; they will be recovered at next start");
        }
        result
    }
}

/// The JSON error body of SPEC §10: `{"error": code, "message": text}`.
pub(crate) fn error(status: u16, code: &str, message: &str) -> HttpResponse {
    let status =
        actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status).json(json!({"error": code, "message": message}))
}

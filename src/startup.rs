//! Wiring for `serve`: store → inbox writer → dispatcher → inbox → HTTP application, plus the
//! recovery sweep. Tests call [`start`] with a port-0 listener and their own handler.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::http::{AppState, Application};
use crate::ingest::{Dispatcher, EventHandler, Inbox};
use crate::store::Store;
use crate::telnyx::Verifier;

/// How often orphaned events (an instance died mid-way) are looked for, and old events and chat
/// turns purged.
pub(crate) const RECOVERY_INTERVAL: Duration = Duration::from_secs(60);

/// Server settings that are not in the config file.
pub struct ServerParts {
    /// Where to listen (bind port 0 in tests).
    pub listener: TcpListener,
    /// Signature checking.
    pub verifier: Verifier,
    /// Who handles events.
    pub handler: Arc<dyn EventHandler>,
    /// The clock (signature window, leases).
    pub clock: Arc<dyn Clock>,
    /// HTTP worker threads.
    pub workers: usize,
    /// Events recorded but not yet handled, at most.
    pub capacity: usize,
    /// The chat endpoint, when it is on.
    pub chat: Option<crate::http::ChatEndpoint>,
    /// The owner's console, when this server has one.
    pub admin: Option<crate::http::AdminConsole>,
}

/// Starts the server: recovers unfinished events, then serves. Must run inside a tokio runtime.
pub async fn start(store: Store, parts: ServerParts) -> std::io::Result<Application> {
    let writer = Inbox::writer(&store);
    let dispatcher = Dispatcher::new(parts.handler, writer.clone());
    let inbox = Inbox::new(store.clone(), writer, dispatcher, parts.capacity, parts.clock.clone());
    match inbox.recover().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(count = n, "recovered unfinished events"),
        Err(e) => tracing::error!(error = %e, "could not look for unfinished events"),
    }
    crate::observability::spawn_metrics_upkeep();
    let sweeper = inbox.clone();
    let (turns, clock) = (store.clone(), parts.clock.clone());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(RECOVERY_INTERVAL);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = sweeper.recover().await {
                tracing::warn!(error = %e, "recovery sweep failed");
            }
            match sweeper.purge().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(count = n, "purged old webhook events"),
                Err(e) => tracing::warn!(error = %e, "purging old webhook events failed"),
            }
            match turns.chats().purge(clock.now() - crate::chat::TURN_RETENTION).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(count = n, "purged old chat turns"),
                Err(e) => tracing::warn!(error = %e, "purging old chat turns failed"),
            }
            match turns.outbox().purge_inbound(clock.now() - crate::store::INBOUND_RETENTION).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(count = n, "purged old inbound texts"),
                Err(e) => tracing::warn!(error = %e, "purging old inbound texts failed"),
            }
        }
    });
    let state = AppState {
        verifier: Arc::new(parts.verifier),
        inbox,
        store,
        metrics: crate::observability::metrics(),
        chat: parts.chat,
        admin: parts.admin,
    };
    Application::build(parts.listener, state, parts.workers)
}

//! Group commit for the inbox: one task owns inbox writes and commits whatever has queued up in a
//! single transaction, so thousands of webhooks per second cost a few commits, not thousands.

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot};

use crate::store::{NewInboxEvent, Outcome, Store, StoreError};

/// Largest batch in one transaction.
const MAX_BATCH: usize = 512;

/// An event to record.
#[derive(Debug, Clone)]
pub(crate) struct InboxRecord {
    /// `data.id`.
    pub id: String,
    /// `data.event_type`.
    pub event_type: String,
    /// Ordering key.
    pub order_key: Option<String>,
    /// Raw body.
    pub body: String,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// Until when this instance owns it.
    pub lease_until: DateTime<Utc>,
}

enum Command {
    Insert(InboxRecord, oneshot::Sender<Result<bool, String>>),
    Finish(String, Outcome),
    Flush(oneshot::Sender<()>),
}

/// Handle on the writer task.
#[derive(Clone)]
pub(crate) struct InboxWriter {
    tx: mpsc::Sender<Command>,
    instance: std::sync::Arc<str>,
}

impl InboxWriter {
    /// Spawns the writer task on the current runtime, with a queue of `queue` commands.
    pub(crate) fn spawn(store: Store, queue: usize) -> Self {
        let (tx, rx) = mpsc::channel(queue);
        let instance: std::sync::Arc<str> = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()).into();
        tokio::spawn(run(store, rx, instance.clone()));
        Self { tx, instance }
    }

    /// Records an event; true when it is new.
    pub(crate) async fn insert(&self, record: InboxRecord) -> Result<bool, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx.send(Command::Insert(record, reply)).await.map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?.map_err(StoreError::Batch)
    }

    /// Records how processing ended (best effort; failures are logged).
    pub(crate) async fn finish(&self, id: String, outcome: Outcome) {
        if self.tx.send(Command::Finish(id, outcome)).await.is_err() {
            tracing::warn!("inbox writer stopped; completion not recorded");
        }
    }

    /// Waits until everything queued so far is written.
    pub(crate) async fn flush(&self) {
        let (reply, done) = oneshot::channel();
        if self.tx.send(Command::Flush(reply)).await.is_ok() {
            let _ = done.await;
        }
    }

    /// The owner id written on recorded events.
    pub(crate) fn instance(&self) -> &str {
        &self.instance
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Command>, instance: std::sync::Arc<str>) {
    while let Some(first) = rx.recv().await {
        let mut inserts = Vec::new();
        let mut finishes = Vec::new();
        let mut flushes = Vec::new();
        let mut next = Some(first);
        while let Some(cmd) = next {
            match cmd {
                Command::Insert(record, reply) => inserts.push((record, reply)),
                Command::Finish(id, outcome) => finishes.push((id, outcome)),
                Command::Flush(reply) => flushes.push(reply),
            }
            next = if inserts.len() + finishes.len() < MAX_BATCH { rx.try_recv().ok() } else { None };
        }
        if !inserts.is_empty() {
            let rows: Vec<NewInboxEvent<'_>> = inserts
                .iter()
                .map(|(r, _)| NewInboxEvent {
                    id: &r.id,
                    event_type: &r.event_type,
                    order_key: r.order_key.as_deref(),
                    body: &r.body,
                    received_at: r.received_at,
                    lease_until: r.lease_until,
                })
                .collect();
            let result = store.inbox().insert(&rows, &instance).await;
            metrics::histogram!("inbox_batch_size").record(rows.len() as f64);
            drop(rows);
            match result {
                Ok(fresh) => {
                    for ((_, reply), fresh) in inserts.into_iter().zip(fresh) {
                        let _ = reply.send(Ok(fresh));
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "recording webhooks failed");
                    let message = e.to_string();
                    for (_, reply) in inserts {
                        let _ = reply.send(Err(message.clone()));
                    }
                }
            }
        }
        if !finishes.is_empty()
            && let Err(e) = store.inbox().finish(&finishes, Utc::now()).await
        {
            tracing::error!(error = %e, count = finishes.len(), "recording event completion failed");
        }
        for reply in flushes {
            let _ = reply.send(());
        }
    }
}

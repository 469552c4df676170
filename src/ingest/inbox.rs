//! The durable inbox in front of the dispatcher (SPEC §7): a verified webhook is parsed, checked
//! against recently seen ids, given a capacity permit, recorded in the store (insert-if-absent on
//! `data.id`, group-committed) and only then acknowledged and dispatched. A 200 therefore never
//! loses an event, and a redelivery, replay or concurrent delivery to another instance has no
//! effect.

use std::sync::Arc;
use std::time::Duration;

use super::writer::{InboxRecord, InboxWriter};
use tokio::sync::Semaphore;

use super::dispatch::{Dispatcher, Job, metric_type};
use super::recent::RecentIds;
use crate::clock::Clock;
use crate::store::{Store, StoreError};
use crate::telnyx::events::{self, ParseError};
use crate::telnyx::{EventKind, VerifiedWebhook};

/// How long an instance owns an event it recorded before others may take it over.
pub(crate) const LEASE: Duration = Duration::from_secs(600);
/// Call events recovered after this long are skipped: the call is over or has moved on.
pub(crate) const CALL_EVENT_MAX_AGE: Duration = Duration::from_secs(300);
/// Finished events are kept this long for dedupe, then purged.
pub(crate) const RETENTION: chrono::Duration = chrono::Duration::days(30);

/// What happened to a webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accepted {
    /// New: recorded and dispatched.
    New,
    /// Seen before: acknowledged, nothing done.
    Duplicate,
}

/// Why a verified webhook was not accepted.
#[derive(Debug, thiserror::Error)]
pub(crate) enum IngestError {
    /// The body is not a Telnyx v2 event (400).
    #[error(transparent)]
    Malformed(#[from] ParseError),
    /// Too much work in flight; Telnyx should retry later (503).
    #[error("too many events in flight")]
    Busy,
    /// The store failed; nothing was recorded (500, Telnyx retries).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The ingest pipeline.
#[derive(Clone)]
pub struct Inbox {
    store: Store,
    writer: InboxWriter,
    dispatcher: Dispatcher,
    recent: Arc<RecentIds>,
    capacity: Arc<Semaphore>,
    clock: Arc<dyn Clock>,
}

impl Inbox {
    /// Builds the pipeline; `capacity` bounds events recorded but not yet handled.
    pub(crate) fn new(
        store: Store,
        writer: InboxWriter,
        dispatcher: Dispatcher,
        capacity: usize,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            writer,
            dispatcher,
            recent: Arc::new(RecentIds::new(65_536)),
            capacity: Arc::new(Semaphore::new(capacity)),
            clock,
        }
    }

    /// Parses, records and dispatches one verified webhook.
    pub(crate) async fn accept(&self, webhook: VerifiedWebhook) -> Result<Accepted, IngestError> {
        let event = events::parse(webhook.body())?;
        let not_understood = match &event.kind {
            EventKind::Unknown => Some("unknown_event_type"),
            EventKind::Unreadable { reason } => Some(*reason),
            _ => None,
        };
        if let Some(reason) = not_understood {
            let event_type = metric_type(&event.event_type);
            metrics::counter!("webhooks_not_understood_total", "event_type" => event_type, "reason" => reason)
                .increment(1);
        }
        if self.recent.contains(event.id.as_str()) {
            return Ok(Accepted::Duplicate);
        }
        let permit = self.capacity.clone().try_acquire_owned().map_err(|_| IngestError::Busy)?;
        let body = std::str::from_utf8(webhook.body()).map_err(|e| ParseError::Malformed(e.to_string()))?;
        let order_key = event.kind.order_key().map(|k| k.to_string());
        let now = self.clock.now();
        let record = InboxRecord {
            id: event.id.to_string(),
            event_type: event.event_type.clone(),
            order_key,
            body: body.to_string(),
            received_at: now,
            lease_until: now + LEASE,
        };
        let fresh = self.writer.insert(record).await?;
        self.recent.insert(event.id.as_str());
        if !fresh {
            return Ok(Accepted::Duplicate);
        }
        self.dispatcher.submit(Job { event, permit, skip: false });
        Ok(Accepted::New)
    }

    /// Spawns the group-commit writer for `store` and returns its handle.
    pub(crate) fn writer(store: &Store) -> InboxWriter {
        InboxWriter::spawn(store.clone(), 8192)
    }

    /// Takes over events recorded but never finished by a crashed or stopped instance (or this
    /// one before a restart) and dispatches them; call events too old to matter are skipped.
    /// Returns how many were recovered.
    pub(crate) async fn recover(&self) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let now = self.clock.now();
            let batch = self.store.inbox().claim_orphaned(self.writer.instance(), now, now + LEASE, 256).await?;
            if batch.is_empty() {
                return Ok(total);
            }
            total += batch.len();
            for pending in batch {
                let event = match events::parse(pending.body.as_bytes()) {
                    Ok(e) => e,
                    Err(e) => {
                        tracing::warn!(event_id = %pending.id, error = %e, "stored event no longer parses; marked failed");
                        self.writer.finish(pending.id, crate::store::Outcome::Failed).await;
                        continue;
                    }
                };
                let too_old = (now - pending.received_at).to_std().unwrap_or_default() > CALL_EVENT_MAX_AGE;
                let skip = event.kind.call().is_some() && too_old;
                // Recovery may wait for capacity: nothing is waiting on it but the sweep itself.
                let permit = self.capacity.clone().acquire_owned().await.expect("capacity semaphore is never closed");
                self.recent.insert(event.id.as_str());
                self.dispatcher.submit(Job { event, permit, skip });
            }
        }
    }

    /// Removes finished events older than [`RETENTION`].
    pub(crate) async fn purge(&self) -> Result<u64, StoreError> {
        self.store.inbox().purge(self.clock.now() - RETENTION).await
    }

    /// The current time by the inbox clock, in Unix seconds (for signature windows).
    pub(crate) fn now_unix(&self) -> i64 {
        self.clock.now().timestamp()
    }

    /// Waits until every dispatched event is handled and recorded as finished.
    pub async fn drain(&self) {
        self.dispatcher.drain().await;
        self.writer.flush().await;
    }
}

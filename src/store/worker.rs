//! The loop shared by the workers over due rows (outbox, reminders, reminder calls): do a pass,
//! then sleep until the next due item, a wake-up, or an idle limit — never polling every second —
//! until stopped. A pass in progress is always finished before stopping.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::StoreError;
use crate::clock::Clock;

/// A worker driven by [`run_loop`].
#[async_trait]
pub(crate) trait Worker: Send + Sync {
    /// Does everything due now; returns how many items it handled.
    async fn pass(&self) -> Result<usize, StoreError>;
    /// When work is next due, if any is known.
    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
}

/// Runs `worker` until `stop` is cancelled; `idle` bounds the sleep so work written by other
/// instances is noticed.
pub(crate) async fn run_loop(
    name: &'static str,
    worker: &dyn Worker,
    wake: &Notify,
    stop: &CancellationToken,
    clock: &dyn Clock,
    idle: Duration,
) {
    while !stop.is_cancelled() {
        // Registered before the pass, so a wake-up during it is not lost.
        let woken = wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        if let Err(e) = worker.pass().await {
            tracing::error!(worker = name, error = %e, "background pass failed");
        }
        let wait = match worker.next_due().await {
            Ok(Some(due)) => (due - clock.now()).to_std().unwrap_or(Duration::ZERO).min(idle),
            _ => idle,
        };
        tokio::select! {
            _ = woken => {}
            _ = stop.cancelled() => {}
            _ = tokio::time::sleep(wait.max(Duration::from_millis(50))) => {}
        }
    }
}

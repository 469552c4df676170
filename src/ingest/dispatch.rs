//! Dispatch: events go to handlers after the HTTP response. Events sharing an [`OrderKey`] (one
//! call, one phone number) are handled strictly one at a time in arrival order; different keys run
//! concurrently. Memory is bounded by the caller's capacity permits: every queued job holds one.
//!
//! Each active key has a lane: a FIFO and one task draining it. The task exits when its lane is
//! empty, so idle calls cost nothing.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::handler::EventHandler;
use tokio::runtime::Handle;
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::task::TaskTracker;

use super::writer::InboxWriter;
use crate::store::Outcome;
use crate::telnyx::{OrderKey, TelnyxEvent};

/// One event to handle, holding its share of the inbox capacity until it is done.
pub(crate) struct Job {
    /// The event.
    pub event: TelnyxEvent,
    /// Released when the job is finished.
    pub permit: OwnedSemaphorePermit,
    /// Skip instead of handling (a call event recovered too late to matter).
    pub skip: bool,
}

struct Shared {
    handler: Arc<dyn EventHandler>,
    writer: InboxWriter,
    lanes: Mutex<HashMap<OrderKey, VecDeque<Job>>>,
    tracker: TaskTracker,
    runtime: Handle,
}

/// Hands events to the handler, per key in order.
#[derive(Clone)]
pub(crate) struct Dispatcher {
    shared: Arc<Shared>,
}

impl Dispatcher {
    /// A dispatcher whose tasks run on the current runtime.
    pub(crate) fn new(handler: Arc<dyn EventHandler>, writer: InboxWriter) -> Self {
        Self {
            shared: Arc::new(Shared {
                handler,
                writer,
                lanes: Mutex::new(HashMap::new()),
                tracker: TaskTracker::new(),
                runtime: Handle::current(),
            }),
        }
    }

    /// Queues a job behind earlier jobs of its key.
    pub(crate) fn submit(&self, job: Job) {
        let Some(key) = job.event.kind.order_key() else {
            let shared = self.shared.clone();
            self.shared.tracker.spawn_on(async move { process(&shared, job).await }, &self.shared.runtime);
            return;
        };
        {
            let mut lanes = self.shared.lanes.lock().expect("lanes lock");
            if let Some(lane) = lanes.get_mut(&key) {
                lane.push_back(job);
                return;
            }
            lanes.insert(key.clone(), VecDeque::new());
        }
        let shared = self.shared.clone();
        self.shared.tracker.spawn_on(
            async move {
                let mut next = Some(job);
                while let Some(job) = next {
                    process(&shared, job).await;
                    let mut lanes = shared.lanes.lock().expect("lanes lock");
                    next = lanes.get_mut(&key).and_then(VecDeque::pop_front);
                    if next.is_none() {
                        lanes.remove(&key);
                    }
                }
            },
            &self.shared.runtime,
        );
    }

    /// Waits for every queued job to finish (graceful shutdown). New jobs may still be submitted
    /// while waiting; call after the HTTP server has stopped accepting.
    pub(crate) async fn drain(&self) {
        self.shared.tracker.close();
        self.shared.tracker.wait().await;
        self.shared.tracker.reopen();
    }
}

async fn process(shared: &Shared, job: Job) {
    let event = &job.event;
    let span = tracing::info_span!("event", event_type = %event.event_type, event_id = %event.id);
    let _enter = span.enter();
    let outcome = if job.skip {
        tracing::info!("skipped: recovered too late to act on");
        Outcome::Skipped
    } else {
        let started = Instant::now();
        let result = shared.handler.handle(event).await;
        metrics::histogram!("event_processing_seconds").record(started.elapsed().as_secs_f64());
        match result {
            Ok(()) => Outcome::Done,
            Err(e) => {
                tracing::warn!(error = %e, "event handler failed");
                Outcome::Failed
            }
        }
    };
    metrics::counter!("events_processed_total", "event_type" => metric_type(&event.event_type), "outcome" => outcome.as_str())
        .increment(1);
    shared.writer.finish(event.id.to_string(), outcome).await;
    drop(job.permit);
}

/// Event types as metric labels: known ones verbatim, anything else as `other` (bounded labels).
pub(crate) fn metric_type(event_type: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "call.initiated",
        "call.answered",
        "call.transcription",
        "call.speak.started",
        "call.speak.ended",
        "call.playback.started",
        "call.playback.ended",
        "call.dtmf.received",
        "call.machine.detection.ended",
        "call.machine.premium.detection.ended",
        "call.machine.greeting.ended",
        "call.machine.premium.greeting.ended",
        "call.gather.ended",
        "call.hangup",
        "message.received",
        "message.sent",
        "message.finalized",
    ];
    KNOWN.iter().find(|k| **k == event_type).copied().unwrap_or("other")
}

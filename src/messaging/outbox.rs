//! The outbox worker: sends recorded messages. Due rows are claimed with a lease (and `SKIP LOCKED`
//! on PostgreSQL), sent with bounded concurrency under a messages-per-second limit, and their final
//! status recorded: `sent`, `blocked` (opted out: never retried), `failed`, or back to `pending` with
//! a later attempt time for 429/5xx/timeouts. The loop sleeps until the next due row or a wake-up.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::email::{EmailError, EmailSender};
use super::opt_out::{self, OptOutSignal};
use crate::clock::Clock;
use crate::domain::PhoneNumber;
use crate::store::{MessageChannel, OutboxMessage, SendOutcome, Store, StoreError};
use crate::store::{Worker, run_loop};
use crate::telnyx::{OutgoingMessage, TelnyxApi, TelnyxError};

/// Outbox worker settings.
#[derive(Debug, Clone, Copy)]
pub struct OutboxSettings {
    /// Sends in flight at once.
    pub concurrency: usize,
    /// Messages per second at most (Telnyx's account default is 50).
    pub per_second: NonZeroU32,
    /// Attempts before a retryable failure becomes `failed`.
    pub max_attempts: i64,
    /// Delay before the first retry; doubles each time.
    pub retry_base: Duration,
    /// How long a claim lasts before another instance may take the row.
    pub lease: Duration,
    /// Longest sleep between checks (rows written by other instances).
    pub idle_check: Duration,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self {
            concurrency: 16,
            per_second: NonZeroU32::new(50).expect("non-zero"),
            max_attempts: 5,
            retry_base: Duration::from_secs(30),
            lease: Duration::from_secs(120),
            idle_check: Duration::from_secs(30),
        }
    }
}

/// Sends what the outbox holds.
pub struct OutboxWorker {
    store: Store,
    /// Sends texts; without it texts stay pending (recorded, not sent) and only email goes out.
    telnyx: Option<Arc<dyn TelnyxApi>>,
    sender: Option<PhoneNumber>,
    clock: Arc<dyn Clock>,
    settings: OutboxSettings,
    limiter: DefaultDirectRateLimiter,
    wake: Arc<Notify>,
    instance: String,
    email: Option<Arc<dyn EmailSender>>,
    /// Bumped after every send outcome is recorded (whoever watches the outbox: tests, monitors).
    recorded: Option<tokio::sync::watch::Sender<u64>>,
}

impl OutboxWorker {
    /// A worker sending SMS from `sender` (the business number) through `telnyx`.
    pub fn new(
        store: Store,
        telnyx: Arc<dyn TelnyxApi>,
        sender: Option<PhoneNumber>,
        clock: Arc<dyn Clock>,
        settings: OutboxSettings,
        wake: Arc<Notify>,
    ) -> Self {
        Self::build(store, Some(telnyx), sender, clock, settings, wake)
    }

    /// A worker that sends only email (no Telnyx API key): texts are left pending for a worker
    /// that can send them.
    pub(crate) fn email_only(store: Store, clock: Arc<dyn Clock>, settings: OutboxSettings, wake: Arc<Notify>) -> Self {
        Self::build(store, None, None, clock, settings, wake)
    }

    fn build(
        store: Store,
        telnyx: Option<Arc<dyn TelnyxApi>>,
        sender: Option<PhoneNumber>,
        clock: Arc<dyn Clock>,
        settings: OutboxSettings,
        wake: Arc<Notify>,
    ) -> Self {
        Self {
            store,
            telnyx,
            sender,
            clock,
            limiter: RateLimiter::direct(Quota::per_second(settings.per_second)),
            settings,
            wake,
            instance: format!("outbox-{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
            email: None,
            recorded: None,
        }
    }

    /// What this worker can send: email always (it fails as not configured without a sender), texts
    /// only with Telnyx.
    fn channels(&self) -> &'static [MessageChannel] {
        if self.telnyx.is_some() { &[MessageChannel::Sms, MessageChannel::Email] } else { &[MessageChannel::Email] }
    }

    /// Bumps `recorded` after every send outcome is recorded.
    pub(crate) fn with_recorded_signal(mut self, recorded: tokio::sync::watch::Sender<u64>) -> Self {
        self.recorded = Some(recorded);
        self
    }

    /// Sends email messages through `sender` (without one they fail as not configured).
    pub fn with_email(mut self, sender: Arc<dyn EmailSender>) -> Self {
        self.email = Some(sender);
        self
    }

    /// Sends everything due now; returns how many messages were attempted.
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let now = self.clock.now();
            let lease = chrono::Duration::from_std(self.settings.lease).unwrap_or_default();
            let batch = self.store.outbox().claim_due(self.channels(), &self.instance, now, now + lease, 256).await?;
            if batch.is_empty() {
                return Ok(total);
            }
            total += batch.len();
            // One customer's messages go out one after another, in the order they were recorded;
            // different customers' concurrently.
            let mut by_recipient: Vec<Vec<OutboxMessage>> = Vec::new();
            for m in batch {
                match by_recipient.iter_mut().find(|g| g[0].message.recipient == m.message.recipient) {
                    Some(group) => group.push(m),
                    None => by_recipient.push(vec![m]),
                }
            }
            futures::stream::iter(by_recipient)
                .for_each_concurrent(self.settings.concurrency, |group| async move {
                    for m in group {
                        self.send_and_record(m).await;
                    }
                })
                .await;
        }
    }

    async fn send_and_record(&self, m: OutboxMessage) {
        let outcome = self.attempt(&m).await;
        let status = match &outcome {
            SendOutcome::Sent { .. } => "sent",
            SendOutcome::Blocked => "blocked",
            SendOutcome::Failed { .. } => "failed",
            SendOutcome::Retry { .. } => "retry",
        };
        metrics::counter!("messages_total", "outcome" => status).increment(1);
        if let Err(e) = self.store.outbox().record_send(&m.id, &outcome, self.clock.now()).await {
            tracing::error!(error = %e, cause = %m.message.cause, "could not record a send; it will be retried after its lease");
        }
        if let Some(recorded) = &self.recorded {
            recorded.send_modify(|n| *n += 1);
        }
    }

    async fn attempt(&self, m: &OutboxMessage) -> SendOutcome {
        if m.message.channel == MessageChannel::Email {
            let Some(sender) = &self.email else {
                return SendOutcome::Failed { error: "email is not configured (SMTP_URL)".into() };
            };
            let subject = m.message.subject.as_deref().unwrap_or("Your appointment");
            return match sender
                .send(&m.message.recipient, subject, &m.message.body, m.message.attachment.as_deref())
                .await
            {
                Ok(()) => SendOutcome::Sent { provider_id: None },
                Err(EmailError::Transient(e)) => self.retry(m, e),
                Err(EmailError::Permanent(e)) => SendOutcome::Failed { error: e },
            };
        }
        let phone = PhoneNumber::from_stored(m.message.recipient.clone());
        if !m.message.ignore_opt_out {
            match self.store.opt_outs().is_opted_out(&phone).await {
                Ok(true) => return SendOutcome::Blocked,
                Ok(false) => {}
                Err(e) => return self.retry(m, format!("opt-out lookup failed: {e}")),
            }
        }
        let Some(from) = &self.sender else {
            return SendOutcome::Failed { error: "business.phone_number is not configured".into() };
        };
        let Some(telnyx) = &self.telnyx else {
            // Not claimed without Telnyx (see `channels`); a row here means the claim changed.
            return self.retry(m, "TELNYX_API_KEY is not set".into());
        };
        self.limiter.until_ready().await;
        let message =
            OutgoingMessage { from: from.to_string(), to: m.message.recipient.clone(), text: m.message.body.clone() };
        match telnyx.send_message(&message).await {
            Ok(sent) => SendOutcome::Sent { provider_id: Some(sent.id).filter(|id| !id.is_empty()) },
            Err(TelnyxError::OptedOut) => {
                if let Err(e) = opt_out::record(&self.store, &phone, OptOutSignal::SendRefused, self.clock.now()).await
                {
                    tracing::error!(error = %e, "could not record an opt-out");
                }
                tracing::info!(to = %phone.masked(), "recipient has opted out; message blocked");
                SendOutcome::Blocked
            }
            Err(e) if e.is_retryable() => self.retry(m, e.to_string()),
            Err(e) => SendOutcome::Failed { error: e.to_string() },
        }
    }

    fn retry(&self, m: &OutboxMessage, error: String) -> SendOutcome {
        if m.attempts + 1 >= self.settings.max_attempts {
            return SendOutcome::Failed { error };
        }
        let delay = self.settings.retry_base * 2u32.saturating_pow(m.attempts.clamp(0, 16) as u32);
        SendOutcome::Retry { at: self.clock.now() + chrono::Duration::from_std(delay).unwrap_or_default(), error }
    }

    /// Runs until `stop` is cancelled (a pass in progress is finished first): sends what is due,
    /// then sleeps until the next due message, a wake-up, or `idle_check`.
    pub(crate) async fn run(self, stop: CancellationToken) {
        let (wake, clock, idle) = (self.wake.clone(), self.clock.clone(), self.settings.idle_check);
        run_loop("outbox", &self, &wake, &stop, clock.as_ref(), idle).await;
    }
}

#[async_trait::async_trait]
impl Worker for OutboxWorker {
    async fn pass(&self) -> Result<usize, StoreError> {
        self.run_once().await
    }

    async fn next_due(&self) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        self.store.outbox().next_due(self.channels()).await
    }
}

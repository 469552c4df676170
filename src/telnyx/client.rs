//! The Telnyx API client (reqwest): Call Control actions and `POST /v2/messages`.
//!
//! Every request has a timeout; 429, 5xx, timeouts and connection failures are retried a bounded
//! number of times with jittered exponential backoff (honouring `Retry-After`); nothing else is
//! retried. Call commands carry a `command_id` derived from the triggering event, so a retry or a
//! redelivered webhook is ignored by Telnyx instead of acting twice.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use backon::{ExponentialBuilder, Retryable};
use serde::Serialize;

use super::actions::{CallAction, Dial, Dialed};
use super::command::CommandId;
use super::error::TelnyxError;
use super::events::CallControlId;

/// Telnyx's v2 API.
pub(crate) const DEFAULT_API_BASE: &str = "https://api.telnyx.com/v2";

/// The Telnyx API key; never printed.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

/// An SMS to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutgoingMessage {
    /// Our number (E.164).
    pub from: String,
    /// The customer (E.164).
    pub to: String,
    /// The text.
    pub text: String,
}

/// Telnyx's acceptance of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// Telnyx's message id (matches later `message.sent`/`message.finalized`).
    pub id: String,
}

/// What the voice and SMS features need from Telnyx. The real client talks HTTP; tests point it at
/// a local fake by base URL.
#[async_trait]
pub trait TelnyxApi: Send + Sync {
    /// Sends a Call Control command. `CallEnded` means the call is gone (treat as done).
    async fn call_action(
        &self,
        call: &CallControlId,
        action: &CallAction,
        command_id: &CommandId,
    ) -> Result<(), TelnyxError>;

    /// Sends an SMS. No idempotency key exists for messages: callers must record the send first.
    async fn send_message(&self, message: &OutgoingMessage) -> Result<SentMessage, TelnyxError>;

    /// Places an outbound call (`POST /v2/calls`); Telnyx ignores a second dial with the same
    /// `command_id`. The outcome arrives as webhooks.
    async fn dial(&self, dial: &Dial, command_id: &CommandId) -> Result<Dialed, TelnyxError>;
}

/// Retry and timeout settings.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Timeout of one HTTP attempt.
    pub request_timeout: Duration,
    /// Retries after the first attempt (retryable errors only).
    pub max_retries: usize,
    /// First backoff delay.
    pub min_delay: Duration,
    /// Largest backoff delay (and cap on `Retry-After`).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(5),
            max_retries: 3,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

/// The real Telnyx client.
#[derive(Debug, Clone)]
pub struct TelnyxClient {
    http: reqwest::Client,
    base: String,
    key: ApiKey,
    policy: RetryPolicy,
}

impl TelnyxClient {
    /// A client for `base` (e.g. [`DEFAULT_API_BASE`], or a local fake in tests).
    pub fn new(base: &str, key: ApiKey, policy: RetryPolicy) -> Result<Self, TelnyxError> {
        let http = reqwest::Client::builder()
            .timeout(policy.request_timeout)
            .connect_timeout(policy.request_timeout.min(Duration::from_secs(3)))
            .user_agent(concat!("appointment-setter/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TelnyxError::Transient(format!("cannot build HTTP client: {e}")))?;
        Ok(Self { http, base: base.trim_end_matches('/').to_string(), key, policy })
    }

    async fn post_once(&self, url: &str, body: &serde_json::Value) -> Result<serde_json::Value, TelnyxError> {
        let response = self.http.post(url).bearer_auth(&self.key.0).json(body).send().await.map_err(|e| {
            TelnyxError::Transient(if e.is_timeout() {
                "request timed out".into()
            } else {
                format!("request failed: {e}")
            })
        })?;
        let status = response.status().as_u16();
        let retry_after = crate::net::retry_after(response.headers());
        let bytes = response.bytes().await.map_err(|e| TelnyxError::Transient(format!("reading response: {e}")))?;
        if (200..300).contains(&status) {
            return Ok(serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null));
        }
        Err(TelnyxError::from_response(status, retry_after, &bytes))
    }

    /// POSTs with bounded, jittered retries of retryable failures only.
    async fn post(
        &self,
        what: &'static str,
        url: String,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, TelnyxError> {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.policy.min_delay)
            .with_max_delay(self.policy.max_delay)
            .with_max_times(self.policy.max_retries)
            .with_jitter();
        let max_delay = self.policy.max_delay;
        let result = (|| self.post_once(&url, &body))
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(TelnyxError::is_retryable)
            .adjust(move |e, planned| match e {
                TelnyxError::RateLimited { retry_after: Some(wait) } => planned.map(|_| (*wait).min(max_delay)),
                _ => planned,
            })
            .notify(|e, wait| tracing::debug!(what, error = %e, ?wait, "retrying Telnyx request"))
            .await;
        metrics::counter!("telnyx_requests_total", "what" => what, "outcome" => match &result {
            Ok(_) => "ok",
            Err(e) => e.kind(),
        })
        .increment(1);
        result
    }
}

#[async_trait]
impl TelnyxApi for TelnyxClient {
    async fn call_action(
        &self,
        call: &CallControlId,
        action: &CallAction,
        command_id: &CommandId,
    ) -> Result<(), TelnyxError> {
        let id = percent_encode_segment(call.as_str());
        let url = format!("{}/calls/{id}/actions/{}", self.base, action.name());
        self.post(action.name(), url, action.body(command_id)).await.map(|_| ())
    }

    async fn send_message(&self, message: &OutgoingMessage) -> Result<SentMessage, TelnyxError> {
        let url = format!("{}/messages", self.base);
        let body = serde_json::to_value(message).expect("serializable");
        let reply = self.post("message", url, body).await?;
        let id = reply["data"]["id"].as_str().unwrap_or_default().to_string();
        Ok(SentMessage { id })
    }

    async fn dial(&self, dial: &Dial, command_id: &CommandId) -> Result<Dialed, TelnyxError> {
        let url = format!("{}/calls", self.base);
        let reply = self.post("dial", url, dial.body(command_id)).await?;
        Dialed::from_reply(&reply)
    }
}

/// Call control ids are opaque and may contain `/`, `=` or `:`; encode them as one path segment.
fn percent_encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_control_ids_are_one_path_segment() {
        assert_eq!(percent_encode_segment("v2:abc-DEF_1"), "v2:abc-DEF_1");
        assert_eq!(percent_encode_segment("a/b=c+d"), "a%2Fb%3Dc%2Bd");
    }

    #[test]
    fn the_api_key_never_prints() {
        assert_eq!(format!("{:?}", ApiKey::new("KEY123")), "ApiKey(***)");
    }
}

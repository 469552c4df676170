//! How every Google Calendar call is made (SPEC §6, reference/google-calendar.md §4–5): a
//! client-side rate limit under the service account's per-user quota, a circuit breaker so an
//! outage fails fast instead of stalling calls, one token refresh on 401, and bounded retries of
//! transient failures (exponential backoff with full jitter, `Retry-After` honoured) within the
//! caller's deadline. Failures are classified from Google's JSON error (`error.code` and
//! `error.errors[0].reason`), which google-calendar3 hands over even for 5xx.

use std::future::Future;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use failsafe::{StateMachine, backoff, failure_policy};
use google_calendar3::common::{Delegate, Response, Retry};

use super::super::CalendarError;
use super::access::Principal;

/// A plain service account is one quota "user": Google allows 600 requests a minute. We stay
/// below it with room for a sliding window: 9 a second, bursts of 30 (at most 570 in any minute).
pub(crate) const DEFAULT_PER_SECOND: u32 = 9;
const BURST: u32 = 30;
/// How long one logical call (all its attempts) may take: a caller on the phone cannot wait.
pub(crate) const DEFAULT_DEADLINE: Duration = Duration::from_secs(8);

/// One failed call, classified.
#[derive(Debug)]
pub(super) struct Failure {
    /// HTTP status (0 = no answer: connection trouble, deadline).
    pub code: u16,
    /// Google's `errors[0].reason`.
    pub reason: String,
    /// The server's `Retry-After`, if it sent one.
    pub retry_after: Option<Duration>,
    /// What it means for the caller.
    pub error: CalendarError,
}

impl Failure {
    /// A failure without a `Retry-After`.
    pub(crate) fn new(code: u16, reason: &str, error: CalendarError) -> Self {
        Self { code, reason: reason.to_string(), retry_after: None, error }
    }

    fn transient(&self) -> bool {
        retryable(self.code, &self.reason)
    }
}

/// Google's transient failures: rate limits, server errors, connection trouble.
pub(super) fn retryable(code: u16, reason: &str) -> bool {
    matches!((code, reason), (403, "rateLimitExceeded" | "userRateLimitExceeded") | (429, _) | (500..=599, _) | (0, _))
}

/// Google's code and reason from an error value.
pub(super) fn code_and_reason(e: &google_calendar3::Error) -> (u16, String) {
    match e {
        google_calendar3::Error::BadRequest(v) => (
            v["error"]["code"].as_u64().unwrap_or(0) as u16,
            v["error"]["errors"][0]["reason"].as_str().unwrap_or_default().to_string(),
        ),
        google_calendar3::Error::Failure(r) => (r.status().as_u16(), String::new()),
        // Google's token endpoint refused the key itself: retrying cannot help.
        google_calendar3::Error::MissingToken(e)
            if ["invalid_grant", "invalid_client", "unauthorized_client"].iter().any(|r| e.to_string().contains(r)) =>
        {
            (400, "invalid_grant".to_string())
        }
        _ => (0, String::new()),
    }
}

/// What a failure means for a call on `calendar` (`what` names the staff member for messages,
/// `account` is who the call was made as).
pub(super) fn classify(
    what: &str,
    calendar: &str,
    account: &Principal,
    code: u16,
    reason: &str,
    detail: &str,
) -> CalendarError {
    if retryable(code, reason) {
        return CalendarError::Unavailable(
            format!("Google Calendar: HTTP {code} {reason} {detail}").trim().to_string(),
        );
    }
    match (code, reason) {
        (_, "invalid_grant" | "reconnect") if account.oauth => {
            CalendarError::Access { staff: what.to_string(), detail: super::access::reconnect_hint(&account.name) }
        }
        (401, _) if account.oauth => CalendarError::Access {
            staff: what.to_string(),
            detail: format!("Google refused {}'s token (HTTP 401): connect Google Calendar again", account.name),
        },
        (_, "invalid_grant") => CalendarError::Access {
            staff: what.to_string(),
            detail: format!(
                "Google refused the service account key ({detail}): check that GOOGLE_SERVICE_ACCOUNT_FILE is \
                 the current JSON key of an enabled service account"
            ),
        },
        (401, _) => CalendarError::Access {
            staff: what.to_string(),
            detail: "Google refused the service account's token (HTTP 401): check that the key in \
                     GOOGLE_SERVICE_ACCOUNT_FILE is current and not deleted"
                .into(),
        },
        (403 | 404, _) | (_, "notFound" | "forbidden" | "insufficientPermissions") => CalendarError::Access {
            staff: what.to_string(),
            detail: format!("Google answered HTTP {code} {reason}: {}", account.share_hint(calendar)),
        },
        _ => CalendarError::Unavailable(format!("Google Calendar HTTP {code} {reason}")),
    }
}

/// Catches `Retry-After` from a failed response (google-calendar3 keeps only the body).
pub(super) struct RetryAfter(pub Arc<Mutex<Option<Duration>>>);

impl Delegate for RetryAfter {
    fn http_failure(&mut self, response: &Response, _err: Option<&serde_json::Value>) -> Retry {
        *self.0.lock().expect("retry-after slot") = crate::net::retry_after(response.headers());
        Retry::Abort
    }
}

/// Counts and logs the breaker's state changes.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct BreakerEvents;

impl failsafe::Instrument for BreakerEvents {
    fn on_call_rejected(&self) {
        metrics::counter!("calendar_calls_rejected_total").increment(1);
    }
    fn on_open(&self) {
        tracing::warn!("Google Calendar keeps failing; not calling it for a while (circuit open)");
        metrics::gauge!("calendar_circuit_open").set(1.0);
    }
    fn on_half_open(&self) {
        tracing::info!("trying Google Calendar again (circuit half-open)");
    }
    fn on_closed(&self) {
        tracing::info!("Google Calendar answers again (circuit closed)");
        metrics::gauge!("calendar_circuit_open").set(0.0);
    }
}

type Breaker = StateMachine<failure_policy::ConsecutiveFailures<backoff::Exponential>, BreakerEvents>;
/// One principal's client-side rate limit.
pub(super) type Limiter = governor::DefaultDirectRateLimiter;

/// Shared by every call of one backend.
pub(super) struct Guard {
    breaker: Breaker,
    deadline: Duration,
    per_second: u32,
}

/// A rate limiter for `per_second` requests (one per principal: Google's quota is per user).
pub(super) fn limiter(per_second: u32) -> Limiter {
    let rate = NonZeroU32::new(per_second.max(1)).expect("at least one");
    let burst = NonZeroU32::new(BURST.max(per_second)).expect("at least one");
    governor::RateLimiter::direct(governor::Quota::per_second(rate).allow_burst(burst))
}

impl Guard {
    pub(crate) fn new() -> Self {
        // Five logical calls in a row failing (each already retried) opens the circuit for 10 s,
        // growing to a minute while the outage lasts.
        let policy = failure_policy::consecutive_failures(
            5,
            backoff::exponential(Duration::from_secs(10), Duration::from_secs(60)),
        );
        let breaker = failsafe::Config::new().failure_policy(policy).instrument(BreakerEvents).build();
        Self { breaker, deadline: DEFAULT_DEADLINE, per_second: DEFAULT_PER_SECOND }
    }

    /// Requests per second allowed per principal (tests and accounts with a raised quota).
    pub(crate) fn set_rate(&mut self, per_second: u32) {
        self.per_second = per_second;
    }

    /// The rate each principal's limiter allows.
    pub(crate) fn rate(&self) -> u32 {
        self.per_second
    }

    /// How long one logical call may take, retries included.
    pub(crate) fn set_deadline(&mut self, deadline: Duration) {
        self.deadline = deadline;
    }

    /// Runs `attempt` as `who` under its rate limit, the breaker and the deadline, retrying
    /// transient failures with backoff and refreshing the token once on 401. `attempt` gets a slot
    /// for the response's `Retry-After`.
    pub(crate) async fn run<T, Fut>(
        &self,
        who: &Principal,
        mut attempt: impl FnMut(Arc<Mutex<Option<Duration>>>) -> Fut,
    ) -> Result<T, Failure>
    where
        Fut: Future<Output = Result<T, Failure>>,
    {
        use backon::Retryable as _;
        if !self.breaker.is_call_permitted() {
            return Err(Failure::new(
                0,
                "circuit_open",
                CalendarError::Unavailable(
                    "Google Calendar has been failing; not trying again for a few seconds".into(),
                ),
            ));
        }
        let refreshed = std::sync::atomic::AtomicBool::new(false);
        let once = || {
            let hint = Arc::new(Mutex::new(None));
            let fut = attempt(hint.clone());
            let refreshed = &refreshed;
            // Which token generation this attempt uses: a 401 refreshes only if nobody has since.
            let seen = who.tokens.generation();
            async move {
                who.limiter.until_ready().await;
                let mut result = fut.await;
                if let Err(f) = &mut result {
                    f.retry_after = f.retry_after.or(*hint.lock().expect("retry-after slot"));
                    // A 401 means our cached token is no longer accepted: get a new one and let the
                    // retry use it (once; again only if the token endpoint itself was down).
                    if f.code == 401 && !refreshed.swap(true, std::sync::atomic::Ordering::SeqCst) {
                        match who.tokens.refresh(seen).await {
                            Ok(()) => f.reason = "refreshed".into(),
                            Err(e @ CalendarError::Access { .. }) => f.error = e,
                            Err(e) => {
                                tracing::warn!(error = %e, "cannot refresh the Google token");
                                refreshed.store(false, std::sync::atomic::Ordering::SeqCst);
                                f.reason = "refresh_unavailable".into();
                            }
                        }
                    }
                }
                result
            }
        };
        let backoff = backon::ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(200))
            .with_max_delay(Duration::from_secs(4))
            .with_max_times(3)
            .with_jitter();
        let retried = once
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(|f: &Failure| f.transient() || (f.code == 401 && matches!(&*f.reason, "refreshed" | "refresh_unavailable")))
            .adjust(|f: &Failure, planned| match (f.retry_after, planned) {
                (Some(after), Some(_)) => Some(after.min(self.deadline)),
                _ => planned,
            })
            .notify(|f: &Failure, wait| tracing::debug!(code = f.code, reason = %f.reason, ?wait, "retrying Google Calendar"));
        let result = match tokio::time::timeout(self.deadline, retried).await {
            Ok(result) => result,
            Err(_) => Err(Failure::new(
                0,
                "deadline",
                CalendarError::Unavailable(format!(
                    "Google Calendar did not answer within {} s",
                    self.deadline.as_secs_f32()
                )),
            )),
        };
        match &result {
            Err(f) if f.transient() => self.breaker.on_error(),
            _ => self.breaker.on_success(),
        }
        metrics::counter!("calendar_api_calls_total", "outcome" => match &result {
            Ok(_) => "ok",
            Err(f) if f.transient() => "unavailable",
            Err(_) => "error",
        })
        .increment(1);
        result
    }
}

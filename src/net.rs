//! Small helpers shared by our HTTP clients (Telnyx, Google Calendar).

use std::time::Duration;

/// The wait a `Retry-After` header asks for, in its delay-seconds form (the form these APIs send).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

//! Telnyx API errors, typed from the `errors[]` body (reference/telnyx.md §3–§4) so callers can
//! tell "call already gone" and "customer opted out" from failures worth retrying.

use std::time::Duration;

/// The Telnyx error code for "the recipient opted out" (a send refused, or a delivery report).
pub(crate) const OPTED_OUT_CODE: &str = "40300";

/// Why a Telnyx API call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TelnyxError {
    /// `90018`: the call has already ended. Commands on it are no-ops.
    #[error("call has already ended (90018)")]
    CallEnded,
    /// `40300`: the recipient opted out (STOP/CANCEL); never retried.
    #[error("recipient has opted out (40300)")]
    OptedOut,
    /// 429 after the bounded retries.
    #[error("rate limited by Telnyx")]
    RateLimited {
        /// What Telnyx asked us to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// 5xx, timeout or connection failure after the bounded retries.
    #[error("Telnyx unavailable: {0}")]
    Transient(String),
    /// Any other 4xx: the request itself is wrong; never retried.
    #[error("rejected by Telnyx: HTTP {status} {code}: {detail}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// First `errors[].code`.
        code: String,
        /// First `errors[].title`/`detail`.
        detail: String,
    },
}

impl TelnyxError {
    /// Worth another try (429, 5xx, timeouts).
    pub fn is_retryable(&self) -> bool {
        matches!(self, TelnyxError::RateLimited { .. } | TelnyxError::Transient(_))
    }

    /// A short label for metrics and logs.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            TelnyxError::CallEnded => "call_ended",
            TelnyxError::OptedOut => "opted_out",
            TelnyxError::RateLimited { .. } => "rate_limited",
            TelnyxError::Transient(_) => "transient",
            TelnyxError::Rejected { .. } => "rejected",
        }
    }

    /// Maps an HTTP error response (status, `Retry-After`, body) to an error.
    pub(crate) fn from_response(status: u16, retry_after: Option<Duration>, body: &[u8]) -> Self {
        #[derive(serde::Deserialize)]
        struct Body {
            #[serde(default)]
            errors: Vec<Item>,
        }
        #[derive(serde::Deserialize)]
        struct Item {
            #[serde(default)]
            code: Option<serde_json::Value>,
            #[serde(default)]
            title: Option<String>,
            #[serde(default)]
            detail: Option<String>,
        }
        let first = serde_json::from_slice::<Body>(body).ok().and_then(|b| b.errors.into_iter().next());
        let code = first
            .as_ref()
            .and_then(|i| i.code.as_ref())
            .map(|c| match c {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default();
        match (status, code.as_str()) {
            (_, "90018") => TelnyxError::CallEnded,
            (_, OPTED_OUT_CODE) => TelnyxError::OptedOut,
            (429, _) | (_, "10011") => TelnyxError::RateLimited { retry_after },
            (500..=599, _) => TelnyxError::Transient(format!("HTTP {status} {code}")),
            _ => TelnyxError::Rejected {
                status,
                detail: first.and_then(|i| i.detail.or(i.title)).unwrap_or_default(),
                code,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_map_to_kinds() {
        let body = |code: &str| format!(r#"{{"errors":[{{"code":"{code}","title":"t","detail":"d"}}]}}"#).into_bytes();
        assert_eq!(TelnyxError::from_response(422, None, &body("90018")), TelnyxError::CallEnded);
        assert_eq!(TelnyxError::from_response(403, None, &body("40300")), TelnyxError::OptedOut);
        assert!(matches!(TelnyxError::from_response(429, None, b""), TelnyxError::RateLimited { .. }));
        assert!(TelnyxError::from_response(503, None, b"<html>").is_retryable());
        let rejected = TelnyxError::from_response(422, None, &body("90010"));
        assert!(!rejected.is_retryable());
        assert_eq!(rejected, TelnyxError::Rejected { status: 422, code: "90010".into(), detail: "d".into() });
        assert_eq!(TelnyxError::from_response(400, None, br#"{"errors":[{"code":40300}]}"#), TelnyxError::OptedOut);
    }
}

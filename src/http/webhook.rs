//! `POST /webhooks/telnyx` (SPEC §7): read at most 64 KiB of raw body, verify the signature over
//! those exact bytes, then parse, record and acknowledge. The response never waits for handling.
//! Statuses: 401 bad or missing signature, 400 when a verified body is not a JSON object with
//! `data.id` (any such object is recorded, however odd its payload: SPEC §7), 413 too large,
//! 503 when too much is in flight (Telnyx retries), 500 when the store fails (Telnyx retries),
//! 200 otherwise (new, duplicate or unknown event type).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, web};
use bytes::BytesMut;
use futures::StreamExt as _;

use super::{AppState, MAX_BODY, error};
use crate::ingest::{Accepted, IngestError};
use crate::telnyx::signature::{SIGNATURE_HEADER, TIMESTAMP_HEADER};

/// How often one rejection reason is logged at most (a flood of bad requests must not flood the log).
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Counts a rejected request and logs its reason (never the body, never a number or a text): the
/// first of each reason at once, then at most once per [`LOG_EVERY`] with how many came between.
fn reject(reason: &'static str) {
    metrics::counter!("webhooks_rejected_total", "reason" => reason).increment(1);
    static LAST: OnceLock<Mutex<HashMap<&'static str, (Instant, u64)>>> = OnceLock::new();
    let report = {
        let mut last = LAST.get_or_init(Default::default).lock().expect("rejection log lock");
        let now = Instant::now();
        match last.get_mut(reason) {
            Some((at, skipped)) if now.duration_since(*at) < LOG_EVERY => {
                *skipped += 1;
                None
            }
            Some((at, skipped)) => {
                *at = now;
                Some(std::mem::take(skipped))
            }
            None => {
                last.insert(reason, (now, 0));
                Some(0)
            }
        }
    };
    if let Some(also) = report {
        tracing::info!(reason, also_since_last_report = also, "webhook rejected");
    }
}

pub(super) async fn telnyx(req: HttpRequest, mut payload: web::Payload, state: web::Data<AppState>) -> HttpResponse {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        reject("too_large");
        return error(413, "payload_too_large", "webhook bodies are limited to 64 KiB");
    }
    let mut body = BytesMut::with_capacity(declared.unwrap_or(4096).min(MAX_BODY));
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            reject("bad_body");
            return error(400, "bad_body", "the request body could not be read");
        };
        if body.len() + chunk.len() > MAX_BODY {
            reject("too_large");
            return error(413, "payload_too_large", "webhook bodies are limited to 64 KiB");
        }
        body.extend_from_slice(&chunk);
    }

    let headers = req.headers();
    let timestamp = headers.get(TIMESTAMP_HEADER).map(|v| v.as_bytes());
    let signature = headers.get(SIGNATURE_HEADER).map(|v| v.as_bytes());
    let verified = match state.verifier.verify(timestamp, signature, body.freeze(), state.inbox.now_unix()) {
        Ok(v) => v,
        Err(e) => {
            reject(e.reason());
            return error(401, "invalid_signature", &e.to_string());
        }
    };

    match state.inbox.accept(verified).await {
        Ok(Accepted::New) => {
            metrics::counter!("webhooks_received_total").increment(1);
            HttpResponse::Ok().finish()
        }
        Ok(Accepted::Duplicate) => {
            metrics::counter!("webhooks_duplicate_total").increment(1);
            HttpResponse::Ok().finish()
        }
        Err(IngestError::Malformed(e)) => {
            reject("malformed");
            tracing::debug!(error = %e, "malformed webhook");
            error(400, "malformed_event", "the body is not a JSON object with data.id (a Telnyx v2 webhook event)")
        }
        Err(IngestError::Busy) => {
            reject("busy");
            let mut response = error(503, "busy", "too many events in flight; retry shortly");
            response
                .headers_mut()
                .insert(actix_web::http::header::RETRY_AFTER, actix_web::http::header::HeaderValue::from_static("1"));
            response
        }
        Err(IngestError::Store(e)) => {
            reject("store_error");
            tracing::error!(error = %e, "could not record webhook");
            error(500, "store_error", "the event could not be recorded; retry")
        }
    }
}

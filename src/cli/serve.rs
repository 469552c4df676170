//! `serve`: the webhook server (SPEC §10, §11).

use std::net::TcpListener;
use std::sync::Arc;

use anyhow::Context as _;

use super::{CliError, Context};
use crate::clock::SystemClock;
use crate::dispatch::LoggingHandler;
use crate::startup::{self, ServerParts};
use crate::telnyx::{PublicKey, Verifier};

/// Default listen address.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

fn verifier() -> Result<Verifier, CliError> {
    let disabled = std::env::var("TELNYX_VERIFY_SIGNATURES").is_ok_and(|v| v.eq_ignore_ascii_case("false"));
    if disabled {
        tracing::warn!("TELNYX_VERIFY_SIGNATURES=false: webhook signatures are NOT checked (local testing only)");
        return Ok(Verifier::disabled());
    }
    let key = std::env::var("TELNYX_PUBLIC_KEY").map_err(|_| {
        CliError::Usage(
            "TELNYX_PUBLIC_KEY is not set: copy the public key from the Telnyx portal (Keys & Credentials → Public Key), \
             or for a local test key run `appointment-setter keygen`"
                .into(),
        )
    })?;
    PublicKey::from_base64(&key).map(Verifier::new).map_err(|e| CliError::Usage(e.to_string()))
}

pub(super) async fn run(ctx: &Context) -> Result<(), CliError> {
    let verifier = verifier()?;
    let bind = std::env::var("BIND").unwrap_or_else(|_| DEFAULT_BIND.to_string());
    let listener = TcpListener::bind(&bind).map_err(|e| CliError::Usage(format!("BIND={bind}: cannot listen: {e}")))?;
    let workers = std::env::var("HTTP_WORKERS").ok().and_then(|w| w.parse().ok()).unwrap_or(2);
    let parts = ServerParts {
        listener,
        verifier,
        handler: Arc::new(LoggingHandler),
        clock: Arc::new(SystemClock),
        workers,
        capacity: 10_000,
    };
    let app = startup::start(ctx.store.clone(), parts).await.context("starting the server")?;
    let addr = format!("{}:{}", bind.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h), app.port());
    tracing::info!(%addr, "listening");
    eprintln!("appointment-setter listening on http://{addr} (POST /webhooks/telnyx, GET /healthz /readyz /metrics)");
    app.run_until_stopped().await.context("serving")?;
    Ok(())
}

//! `serve`: the webhook server with texts, confirmations and reminders (SPEC §7, §8, §10, §11).

use std::net::TcpListener;
use std::num::NonZeroU32;
use std::sync::Arc;

use anyhow::Context as _;

use super::context::Database;
use super::{CliError, Context};
use crate::booking::BookingService;
use crate::chat::ChatService;
use crate::clock::{Clock, SystemClock};
use crate::conversation::Receptionist;
use crate::http::{ChatAccess, ChatEndpoint};
use crate::ingest::Router;
use crate::messaging::email::{EmailSender, SmtpSender};
use crate::messaging::{OutboxSettings, SmsHandler, WorkerExtras, Workers};
use crate::startup::{self, ServerParts};
use crate::telnyx::client::DEFAULT_API_BASE;
use crate::telnyx::{ApiKey, PublicKey, RetryPolicy, TelnyxApi, TelnyxClient, Verifier};
use crate::voice::VoiceHandler;
use crate::voice::call_state::CallStates;
use crate::voice::dialer::{CallerLine, DEFAULT_DIALS_PER_SECOND, ReminderDialer, Wakes};
use crate::voice::reminder_call::ReminderCallFlow;

/// Default listen address.
pub(crate) const DEFAULT_BIND: &str = "127.0.0.1:8080";

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

fn env_number<T: std::str::FromStr>(name: &str) -> Result<Option<T>, CliError> {
    match std::env::var(name) {
        Ok(v) => v.trim().parse().map(Some).map_err(|_| CliError::Usage(format!("{name}={v:?} is not a valid number"))),
        Err(_) => Ok(None),
    }
}

/// The SMTP sender when `SMTP_URL` is set (then `SMTP_FROM` is required).
fn email_sender() -> Result<Option<Arc<dyn EmailSender>>, CliError> {
    let Some(url) = std::env::var("SMTP_URL").ok().filter(|u| !u.trim().is_empty()) else { return Ok(None) };
    let from = std::env::var("SMTP_FROM")
        .map_err(|_| CliError::Usage("SMTP_URL is set but SMTP_FROM (the sender address) is not".into()))?;
    let sender = SmtpSender::new(&url, &from).map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(Some(Arc::new(sender)))
}

/// The receptionist configured by the environment (see [`crate::conversation::from_env`]).
pub(super) fn receptionist(booking: BookingService) -> Result<Arc<dyn Receptionist>, CliError> {
    crate::conversation::from_env(booking).map_err(|e| CliError::Usage(e.to_string()))
}

/// The chat endpoint when `CHAT_API_KEYS` (comma-separated bearer tokens) is set, or
/// `CHAT_ALLOW_ANONYMOUS=true` (local use); off otherwise. `CHAT_MAX_PER_MINUTE` (default 120) per
/// key, `CHAT_TURN_SECONDS` (default 20) per answer.
fn chat_endpoint(ctx: &Context, booking: &BookingService) -> Result<Option<ChatEndpoint>, CliError> {
    let keys: Vec<String> = std::env::var("CHAT_API_KEYS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(String::from)
        .collect();
    let anonymous = std::env::var("CHAT_ALLOW_ANONYMOUS").is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    let access = match (keys.is_empty(), anonymous) {
        (false, _) => ChatAccess::Keys(keys),
        (true, true) => {
            tracing::warn!("CHAT_ALLOW_ANONYMOUS=true: anyone who reaches this server can talk to the receptionist");
            ChatAccess::Anonymous
        }
        (true, false) => return Ok(None),
    };
    let per_minute: u32 = env_number("CHAT_MAX_PER_MINUTE")?.unwrap_or(120);
    let per_minute =
        NonZeroU32::new(per_minute).ok_or_else(|| CliError::Usage("CHAT_MAX_PER_MINUTE must be at least 1".into()))?;
    let seconds: u64 = env_number("CHAT_TURN_SECONDS")?.unwrap_or(20);
    let service = ChatService::new(
        receptionist(booking.clone())?,
        booking.clone(),
        ctx.store.clone(),
        std::time::Duration::from_secs(seconds.max(1)),
    );
    Ok(Some(ChatEndpoint::new(service, access, per_minute)))
}

pub(super) async fn run(ctx: &Context) -> Result<(), CliError> {
    let verifier = verifier()?;
    let bind = std::env::var("BIND").unwrap_or_else(|_| DEFAULT_BIND.to_string());
    let listener = TcpListener::bind(&bind).map_err(|e| CliError::Usage(format!("BIND={bind}: cannot listen: {e}")))?;
    let workers = env_number("HTTP_WORKERS")?.unwrap_or(2);
    let per_second: u32 = env_number("SMS_MAX_PER_SECOND")?.unwrap_or(50);
    // The business clock (`--now` runs on from its instant) drives rules, reminders, texts and
    // calls; the real clock guards webhook signatures (replays are refused whatever the business
    // time) and the inbox's leases.
    let clock = ctx.clock.clone();
    let real: Arc<dyn Clock> = Arc::new(SystemClock);
    let wake = Arc::new(tokio::sync::Notify::new());
    let booking = ctx.booking.clone().with_change_signal(wake.clone());

    let telnyx: Option<Arc<TelnyxClient>> = match std::env::var("TELNYX_API_KEY").ok().filter(|k| !k.trim().is_empty())
    {
        Some(key) => {
            let base = std::env::var("TELNYX_API_BASE").unwrap_or_else(|_| DEFAULT_API_BASE.to_string());
            let client = TelnyxClient::new(&base, ApiKey::new(key), RetryPolicy::default())
                .map_err(|e| CliError::Failed(anyhow::anyhow!("{e}")))?;
            Some(Arc::new(client))
        }
        None => {
            tracing::warn!(
                "TELNYX_API_KEY is not set: texts are recorded in the outbox but not sent, calls are not answered"
            );
            None
        }
    };
    // Texts need Telnyx, email needs SMTP: the senders run when either is configured (without
    // Telnyx, texts are recorded and stay pending; email still goes out).
    let email = email_sender()?;
    let mut reminder_calls = None;
    let messaging = if telnyx.is_some() || email.is_some() {
        let settings = OutboxSettings {
            per_second: NonZeroU32::new(per_second)
                .ok_or_else(|| CliError::Usage("SMS_MAX_PER_SECOND must be at least 1".into()))?,
            ..OutboxSettings::default()
        };
        let business = Arc::new(ctx.config.business.clone());
        // Reminders first read the event back (staff edits in Google win; free on the local backend).
        let reconciler = Some(booking.clone());
        let texts = telnyx.clone().map(|client| client as Arc<dyn TelnyxApi>);
        let dialer = match &texts {
            Some(telnyx) => reminder_dialer(ctx, telnyx.clone(), clock.clone(), wake.clone())?,
            None => None,
        };
        let calls = dialer.as_ref().map(|(_, wake, _)| (ctx.config.reminders.clone(), wake.clone()));
        let extras = WorkerExtras { email, reconciler, recorded: None, calls };
        let mut workers =
            Workers::start(ctx.store.clone(), business, texts, clock.clone(), settings, wake.clone(), extras);
        if let Some((dialer, wake, states)) = dialer {
            workers.spawn(|stop| dialer.run(stop));
            reminder_calls = Some((wake, states));
        }
        Some(workers)
    } else {
        None
    };

    let chat = chat_endpoint(ctx, &booking)?;
    let console_booking = booking.clone();
    let chat_on = chat.is_some();
    let business = Arc::new(ctx.config.business.clone());
    let sms = SmsHandler::new(booking.clone(), ctx.store.clone(), wake.clone());
    let mut handler = Router::new(sms, business.region, clock.clone());
    if let Some(telnyx) = telnyx {
        let receptionist = receptionist(booking.clone())?;
        tracing::info!("calls are answered by {}", receptionist.describe());
        let voice = ctx.config.voice.clone();
        let voice = VoiceHandler::new(receptionist, telnyx.clone(), voice, ctx.store.clone(), business, clock.clone());
        if let Some((dialer, states)) = reminder_calls {
            let flow = ReminderCallFlow::new(
                ctx.store.clone(),
                booking.clone(),
                telnyx,
                ctx.config.reminders.clone(),
                &ctx.config.voice,
                states,
                clock.clone(),
                Wakes { dialer, texts: wake.clone() },
            )
            .with_receptionist(voice.clone());
            handler = handler.with_reminder_calls(flow);
        }
        handler = handler.with_voice(voice);
    }
    let port = listener.local_addr().map_err(|e| CliError::Failed(e.into()))?.port();
    let addr = format!("{}:{port}", bind.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h));
    let public_url = super::context::public_url().unwrap_or_else(|| format!("http://{addr}"));
    // The console's try-it box: the same receptionist on a throwaway database (removed on exit).
    let sandbox = Context::open(Some(ctx.config_path.clone()), None, Database::Throwaway).await?;
    let try_it = ChatService::new(
        receptionist(sandbox.booking.clone())?,
        sandbox.booking.clone(),
        sandbox.store.clone(),
        std::time::Duration::from_secs(20),
    );
    let admin = Some(super::console::admin_console(ctx, &console_booking, &public_url).await?.with_try_it(try_it));
    let handler = Arc::new(handler);
    let parts = ServerParts { listener, verifier, handler, clock: real, workers, capacity: 10_000, chat, admin };
    let app = startup::start(ctx.store.clone(), parts).await.context("starting the server")?;
    tracing::info!(%addr, "listening");
    let chat_routes = if chat_on { ", POST /v1/chat/completions, GET /v1/models" } else { "" };
    eprintln!(
        "appointment-setter listening on http://{addr} (POST /webhooks/telnyx, GET /healthz /readyz /metrics, the console /admin, the admin API /api/v1, customer links /m{chat_routes})"
    );
    let served = app.run_until_stopped().await;
    if let Some(messaging) = messaging {
        messaging.shutdown().await;
    }
    sandbox.close().await;
    served.context("serving")?;
    Ok(())
}

/// The dialer, the signal that wakes it and the calls' state signer (see [`reminder_dialer`]).
type ReminderCalls = (ReminderDialer, Arc<tokio::sync::Notify>, CallStates);

/// The reminder-call dialer when `[reminders] channel` calls (it needs `TELNYX_CONNECTION_ID`).
fn reminder_dialer(
    ctx: &Context,
    telnyx: Arc<dyn TelnyxApi>,
    clock: Arc<dyn Clock>,
    reminders_wake: Arc<tokio::sync::Notify>,
) -> Result<Option<ReminderCalls>, CliError> {
    let settings = &ctx.config.reminders;
    if !settings.channel.calls() {
        return Ok(None);
    }
    let connection_id =
        std::env::var("TELNYX_CONNECTION_ID").ok().filter(|v| !v.trim().is_empty()).ok_or_else(|| {
            CliError::Usage(format!(
                "reminders.channel = \"{}\" needs TELNYX_CONNECTION_ID: the id of the Call Control application (Telnyx \
             portal → Voice → Programmable Voice) whose webhook URL points at this server",
                settings.channel
            ))
        })?;
    let per_second = env_number("TELNYX_DIALS_PER_SECOND")?.unwrap_or(DEFAULT_DIALS_PER_SECOND);
    let per_second = NonZeroU32::new(per_second)
        .filter(|n| n.get() <= 30)
        .ok_or_else(|| CliError::Usage("TELNYX_DIALS_PER_SECOND must be between 1 and 30 (Telnyx's limit)".into()))?;
    let from = ctx.config.business.phone_number.as_ref().map(|p| p.to_string()).ok_or_else(|| {
        CliError::Usage("reminder calls need business.phone_number (the number they come from)".into())
    })?;
    let key = super::context::session_secret(&ctx.config_path)?.derive("reminder-calls");
    let wake = Arc::new(tokio::sync::Notify::new());
    let states = CallStates::new(&key);
    let dialer = ReminderDialer::new(
        ctx.store.clone(),
        telnyx,
        Arc::new(ctx.config.business.clone()),
        settings.clone(),
        CallerLine { from, connection_id, per_second },
        states.clone(),
        clock,
        Wakes { dialer: wake.clone(), texts: reminders_wake },
    );
    Ok(Some((dialer, wake, states)))
}

//! `demo`: the whole product in a few seconds with no accounts. The real server runs in-process on
//! a free port with a temporary SQLite database; this module plays Telnyx (signed webhooks with a
//! fresh key, a recording fake of the Call Control and Messaging API) and a caller who books on the
//! phone and then texts `C` to cancel. Everything goes through the production code paths.

mod fake_telnyx;
pub(crate) mod reminder_call;

use std::fmt::Write as _;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use chrono::{DateTime, Days, Timelike, Utc};
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};

use crate::booking::BookingService;
use crate::calendar::LocalCalendar;
use crate::clock::Clock;
use crate::config::Config;
use crate::conversation::Message;
use crate::domain::time::{human, resolve_local};
use crate::domain::{Business, DayMinute};
use crate::http::StopHandle;
use crate::ingest::Router;
use crate::messaging::{ConfirmationSettings, Confirmations, OutboxSettings, SmsHandler, Workers};
use crate::startup::{self, ServerParts};
use crate::store::{AppointmentFilter, Store, sqlite_url};
use crate::telnyx::signature::sign;
use crate::telnyx::{ApiKey, PublicKey, RetryPolicy, TelnyxClient, Verifier};
use crate::voice::VoiceHandler;
pub(crate) use fake_telnyx::FakeTelnyx;

/// The caller in the demo.
pub(crate) const CALLER: &str = "+13125550123";
const CALL: &str = "v3:demo-call";

/// One line of a demo script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Line {
    /// Said on the call.
    Say(String),
    /// Texted after the call.
    Text(String),
}

/// The default caller: books a consultation tomorrow morning, hangs up, then texts `C`.
pub(crate) fn default_script() -> Vec<Line> {
    vec![
        Line::Say("Hi, I'd like to book a consultation tomorrow morning.".into()),
        Line::Say("The first one, please.".into()),
        Line::Say("My name is Jane Doe.".into()),
        Line::Say("Yes, that's right.".into()),
        Line::Say("No, that's all. Bye!".into()),
        Line::Text("C".into()),
    ]
}

/// Reads a script: one caller line per line; lines starting with `sms:` are texts sent after the
/// call; `#` starts a comment.
pub(crate) fn parse_script(text: &str) -> Vec<Line> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.strip_prefix("sms:").or_else(|| l.strip_prefix("SMS:")) {
            Some(t) => Line::Text(t.trim().to_string()),
            None => Line::Say(l.to_string()),
        })
        .collect()
}

struct Driver {
    url: String,
    http: reqwest::Client,
    key: SigningKey,
    clock: Arc<dyn Clock>,
    fake: FakeTelnyx,
    store: Store,
    events: usize,
}

impl Driver {
    async fn post(&mut self, event_type: &str, payload: Value) -> anyhow::Result<()> {
        self.events += 1;
        let body = serde_json::to_vec(&json!({
            "data": {"event_type": event_type, "id": format!("demo-event-{}", self.events), "record_type": "event",
                     "occurred_at": self.clock.now().to_rfc3339(), "payload": payload},
            "meta": {"attempt": 1}
        }))?;
        let ts = self.clock.now().timestamp().to_string();
        let sig = sign(&self.key, &ts, &body);
        let status = self
            .http
            .post(&self.url)
            .header("telnyx-timestamp", ts)
            .header("telnyx-signature-ed25519", sig)
            .body(body)
            .send()
            .await?
            .status();
        if !status.is_success() {
            bail!("the server answered {status} to {event_type}");
        }
        Ok(())
    }

    async fn call_event(&mut self, event_type: &str, extra: Value) -> anyhow::Result<()> {
        let mut payload = json!({"call_control_id": CALL, "call_session_id": "demo-session", "from": CALLER, "to": "+13125550100", "direction": "incoming"});
        if let (Some(p), Some(e)) = (payload.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        self.post(event_type, payload).await
    }

    /// Waits (up to 10 s) until `done` holds.
    async fn until(&self, what: &str, mut done: impl AsyncFnMut(&Self) -> bool) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done(self).await {
            if Instant::now() > deadline {
                bail!("timed out waiting for {what}");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        Ok(())
    }

    fn count(&self, action: &str) -> usize {
        self.fake.requests().iter().filter(|r| r.action == action).count()
    }

    /// The `field` of each `action` request sent after the first `*shown`; moves `shown` on.
    fn sent_since(&self, action: &str, field: &str, shown: &mut usize) -> Vec<String> {
        let all: Vec<String> = self
            .fake
            .requests()
            .iter()
            .filter(|r| r.action == action)
            .map(|r| r.body[field].as_str().unwrap_or_default().to_string())
            .collect();
        let new = all[*shown..].to_vec();
        *shown = all.len();
        new
    }

    /// The stored conversation history of the call.
    async fn history(&self) -> Vec<Message> {
        let Ok(Some(stored)) = self.store.conversations().get(CALL).await else { return Vec::new() };
        serde_json::from_str::<crate::conversation::Conversation>(&stored.state).map(|c| c.history).unwrap_or_default()
    }
}

/// When the story happens without `--now`: 08:00 on the first day from today whose next day opens
/// before noon, so the caller's "tomorrow morning" can be booked and, being a day ahead, cancelled
/// by text within the policy — on any day the demo is run. The transcript prints it.
pub(crate) fn story_time(biz: &Business, real_now: DateTime<Utc>) -> DateTime<Utc> {
    let today = biz.today(real_now);
    let eight = DayMinute::from_hm(8, 0).expect("08:00 is a time");
    let morning_opens = |date| {
        biz.staff
            .iter()
            .any(|s| biz.opening_ranges(s, date).any(|(open, _)| open.with_timezone(&biz.timezone).hour() < 12))
    };
    (0..28)
        .map(|n| today + Days::new(n))
        .find(|d| morning_opens(*d + Days::new(1)))
        .map_or(real_now, |d| resolve_local(biz.timezone, d, eight))
}

/// Starts the webhook server on a free local port, verifying with `key`'s public half: its
/// webhook URL, how to stop it, and the task serving it.
async fn serve(
    store: &Store,
    key: &SigningKey,
    handler: Router,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<(String, StopHandle, tokio::task::JoinHandle<std::io::Result<()>>)> {
    let parts = ServerParts {
        listener: TcpListener::bind("127.0.0.1:0")?,
        verifier: Verifier::new(PublicKey::from_verifying_key(key.verifying_key())),
        handler: Arc::new(handler),
        clock,
        workers: 1,
        capacity: 1000,
        chat: None,
        admin: None,
    };
    let app = startup::start(store.clone(), parts).await?;
    let url = format!("http://127.0.0.1:{}/webhooks/telnyx", app.port());
    let stop = app.stop_handle();
    Ok((url, stop, tokio::spawn(app.run_until_stopped())))
}

/// Runs the demo and returns the transcript.
pub(crate) async fn run(config: Config, clock: Arc<dyn Clock>, script: Vec<Line>) -> anyhow::Result<String> {
    let started = Instant::now();
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let store = Store::connect(&sqlite_url(&dir.path().join("demo.db"))).await?;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow!("no randomness: {e}"))?;
    let key = SigningKey::from_bytes(&seed);
    let fake = FakeTelnyx::start()?;
    let telnyx = Arc::new(TelnyxClient::new(&fake.base, ApiKey::new("demo"), RetryPolicy::default())?);

    let business = Arc::new(config.business.clone());
    let wake = Arc::new(tokio::sync::Notify::new());
    let booking = BookingService::new(business.clone(), store.clone(), Arc::new(LocalCalendar), clock.clone())
        .with_confirmations(Confirmations::writer(business.clone(), ConfirmationSettings::default()))
        .with_change_signal(wake.clone());
    let settings =
        OutboxSettings { per_second: std::num::NonZeroU32::new(1000).expect("non-zero"), ..OutboxSettings::default() };
    let messaging = Workers::start(
        store.clone(),
        business.clone(),
        Some(telnyx.clone()),
        clock.clone(),
        settings,
        wake.clone(),
        Default::default(),
    );
    let receptionist = crate::conversation::from_env(booking.clone())?;
    let who = receptionist.describe();
    let voice =
        VoiceHandler::new(receptionist, telnyx, config.voice.clone(), store.clone(), business.clone(), clock.clone());
    let sms = SmsHandler::new(booking.clone(), store.clone(), wake);
    let handler = Router::new(sms, business.region, clock.clone()).with_voice(voice);
    let (url, stop, served) = serve(&store, &key, handler, clock.clone()).await?;

    let mut out = String::new();
    let _ =
        writeln!(out, "appointment-setter demo: {} ({}), answered by {who}", business.name, business.timezone.name());
    let _ = writeln!(out, "now: {}\n", human(business.timezone, clock.now()));
    let mut d = Driver { url, http: reqwest::Client::new(), key, clock, fake, store: store.clone(), events: 0 };

    let _ = writeln!(
        out,
        "☎  {CALLER} calls {}",
        business.phone_number.as_ref().map_or("the business".into(), |n| n.to_string())
    );
    d.call_event("call.initiated", json!({"state": "parked"})).await?;
    d.until("the answer", async |d| d.count("answer") == 1).await?;
    d.call_event("call.answered", json!({})).await?;
    d.until("the greeting", async |d| d.count("transcription_start") == 1 && d.count("speak") == 1).await?;
    let mut spoken = 0;
    let mut heard = 0;
    let print_speech = |d: &Driver, out: &mut String, spoken: &mut usize| {
        for s in d.sent_since("speak", "payload", spoken) {
            let _ = writeln!(out, "receptionist: {s}");
        }
    };
    print_speech(&d, &mut out, &mut spoken);

    for line in script.iter().filter_map(|l| match l {
        Line::Say(s) => Some(s),
        Line::Text(_) => None,
    }) {
        let _ = writeln!(out, "caller:       {line}");
        let before = d.history().await.len();
        d.call_event(
            "call.transcription",
            json!({"transcription_data": {"transcript": line, "is_final": true, "confidence": 0.95}}),
        )
        .await?;
        // A turn is over when the conversation is saved with an answer after these words.
        d.until("the receptionist's answer", async |d| {
            let h = d.history().await;
            h.len() > before + 1
                && matches!(h.last(), Some(Message::Assistant { tool_calls, .. }) if tool_calls.is_empty())
        })
        .await?;
        let history = d.history().await;
        for (i, m) in history.iter().enumerate().skip(before) {
            if let Message::Assistant { tool_calls, .. } = m {
                for c in tool_calls {
                    let result = crate::conversation::result_of(&history[i..], &c.id);
                    let _ = writeln!(out, "  · {}", crate::conversation::describe_tool(c, result));
                }
            }
        }
        print_speech(&d, &mut out, &mut spoken);
        heard += 1;
    }
    if heard > 0 {
        d.call_event("call.hangup", json!({"hangup_cause": "normal_clearing", "hangup_source": "caller"})).await?;
        let _ = writeln!(out, "☎  call ended");
    }
    let print_texts = |d: &Driver, out: &mut String, shown: &mut usize| {
        for t in d.sent_since("message", "text", shown) {
            let _ = writeln!(out, "sms → {CALLER}: {t}");
        }
    };
    let mut texts_shown = 0;
    let booked = booking
        .list(&AppointmentFilter {
            phone: Some(crate::domain::PhoneNumber::from_stored(CALLER.into())),
            ..Default::default()
        })
        .await?;
    if !booked.is_empty() {
        d.until("the booking confirmation text", async |d| d.count("message") >= 1).await?;
    }
    print_texts(&d, &mut out, &mut texts_shown);
    for text in script.iter().filter_map(|l| match l {
        Line::Text(t) => Some(t),
        Line::Say(_) => None,
    }) {
        let _ = writeln!(out, "sms ← {CALLER}: {text}");
        let sent = d.count("message");
        d.post(
            "message.received",
            json!({"from": {"phone_number": CALLER}, "to": [{"phone_number": "+13125550100"}], "text": text, "id": format!("demo-sms-{sent}")}),
        )
        .await?;
        d.until("the reply text", async |d| d.count("message") > sent).await?;
        print_texts(&d, &mut out, &mut texts_shown);
    }

    let _ = writeln!(out, "\nappointments:");
    let all = booking.list(&AppointmentFilter { include_cancelled: true, ..Default::default() }).await?;
    if all.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for a in &all {
        let service = business.service(&a.service_id).map_or(a.service_id.as_str(), |s| s.name.as_str());
        let staff = business.staff_member(&a.staff_id).map_or(a.staff_id.as_str(), |s| s.name.as_str());
        let _ = writeln!(
            out,
            "  {}  {service} with {staff}  {} {}  {}",
            human(business.timezone, a.start),
            a.customer_name,
            a.customer_phone,
            a.status
        );
    }
    stop.stop().await;
    let _ = served.await;
    messaging.shutdown().await;
    d.fake.stop().await;
    store.close().await;
    tracing::info!(seconds = started.elapsed().as_secs_f64(), "demo finished");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_story_starts_at_eight_the_day_before_a_morning_opening_on_any_day() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml");
        let biz = Config::load(&path).unwrap().business;
        let tz = biz.timezone;
        for day in 0..14 {
            // Every hour of two weeks, Monday 2026-12-07 onwards.
            for hour in [0, 7, 8, 13, 23] {
                let real: DateTime<Utc> = "2026-12-07T06:00:00Z".parse::<DateTime<Utc>>().unwrap()
                    + chrono::Duration::days(day)
                    + chrono::Duration::hours(hour);
                let at = story_time(&biz, real);
                let local = at.with_timezone(&tz);
                assert_eq!((local.hour(), local.minute()), (8, 0), "{real}");
                assert!(local.date_naive() >= biz.today(real), "never before today: {real} → {local}");
                let next = local.date_naive() + Days::new(1);
                let opens = biz.staff.iter().flat_map(|s| biz.opening_ranges(s, next)).map(|(o, _)| o).min().unwrap();
                assert!(opens - at >= chrono::Duration::hours(24), "cancelling the next morning is allowed: {local}");
            }
        }
    }
}

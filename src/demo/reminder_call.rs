//! `demo --reminder-call`: the outbound story (issue #17). Jane has a consultation in two days; the
//! business clock moves to her reminder, the scheduler queues the call, the dialer rings her
//! through the fake Telnyx (with answering-machine detection and a signed `client_state`), a
//! person answers and says "yes" — and the appointment is confirmed by the customer. Signed
//! webhooks go to the real server, as Telnyx would send them; everything runs the production code.

use std::fmt::Write as _;
use std::num::NonZeroU32;
use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};

use super::{CALLER, Driver, FakeTelnyx};
use crate::booking::{BookRequest, BookingService};
use crate::calendar::LocalCalendar;
use crate::clock::{Clock, ManualClock};
use crate::config::Config;
use crate::domain::time::human;
use crate::domain::{PhoneNumber, ReminderChannel};
use crate::ingest::Router;
use crate::messaging::SmsHandler;
use crate::messaging::reminders::ReminderScheduler;
use crate::store::{Store, sqlite_url};
use crate::telnyx::{ApiKey, RetryPolicy, TelnyxApi, TelnyxClient};
use crate::voice::VoiceHandler;
use crate::voice::call_state::CallStates;
use crate::voice::dialer::{CallerLine, ReminderDialer, Wakes};
use crate::voice::reminder_call::ReminderCallFlow;

/// What Jane says when the reminder asks.
const ANSWER: &str = "Yes, I'll be there.";

/// Runs the outbound story from `now` and returns its transcript.
pub(crate) async fn run(mut config: Config, now: DateTime<Utc>) -> anyhow::Result<String> {
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let store = Store::connect(&sqlite_url(&dir.path().join("demo.db"))).await?;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| anyhow!("no randomness: {e}"))?;
    let (key, states) = (SigningKey::from_bytes(&seed), CallStates::new(&seed));
    let fake = FakeTelnyx::start()?;
    let telnyx: Arc<dyn TelnyxApi> =
        Arc::new(TelnyxClient::new(&fake.base, ApiKey::new("demo"), RetryPolicy::default())?);
    config.reminders.channel = ReminderChannel::Call;
    let (reminders, business) = (config.reminders.clone(), Arc::new(config.business.clone()));
    let clock = Arc::new(ManualClock::new(now));
    let hours = chrono::Duration::hours(i64::from(reminders.hours_before));
    let booking = BookingService::new(business.clone(), store.clone(), Arc::new(LocalCalendar), clock.clone())
        .with_reminders(Some(hours));

    // Jane's consultation, booked by the front desk, first free time two days from now.
    let from = business.today(now) + chrono::Days::new(2);
    let service = business.services.first().context("the config has no service")?.id.clone();
    let slot = booking.find_slots(&service, None, from, 7).await?.into_iter().next().context("no free time")?;
    let staff = business.staff[slot.staff].id.clone();
    let phone = PhoneNumber::from_stored(CALLER.into());
    let request = BookRequest::front_desk(service, staff, slot.start, "Jane Doe", phone, false);
    let a = booking.book(request).await?.appointment;

    let wake = Arc::new(tokio::sync::Notify::new());
    let voice = VoiceHandler::new(
        crate::conversation::from_env(booking.clone())?,
        telnyx.clone(),
        config.voice.clone(),
        store.clone(),
        business.clone(),
        clock.clone(),
    );
    let wakes = Wakes { dialer: wake.clone(), texts: wake.clone() };
    let (flow_states, settings) = (states.clone(), reminders.clone());
    let flow = ReminderCallFlow::new(
        store.clone(),
        booking.clone(),
        telnyx.clone(),
        settings,
        &config.voice,
        flow_states,
        clock.clone(),
        wakes.clone(),
    )
    .with_receptionist(voice.clone());
    let sms = SmsHandler::new(booking.clone(), store.clone(), wake.clone());
    let handler = Router::new(sms, business.region, clock.clone()).with_reminder_calls(flow).with_voice(voice);
    let (url, stop, served) = super::serve(&store, &key, handler, clock.clone()).await?;

    let mut out = String::new();
    let tz = business.timezone;
    let _ = writeln!(out, "appointment-setter demo: a reminder call from {} ({})", business.name, tz.name());
    let _ = writeln!(out, "booked: {} for Jane Doe {CALLER}", human(tz, a.start));

    // The reminder falls due; the call rings inside the window.
    let scheduler = ReminderScheduler::new(store.clone(), business.clone(), clock.clone(), wake.clone(), wake.clone())
        .with_calls(reminders.clone(), wake.clone());
    clock.set(a.start - hours);
    scheduler.tick().await?;
    let queued = store.reminder_calls().of_appointment(a.id).await?.pop().context("no call was queued")?;
    clock.set(queued.dial_at.max(clock.now()));
    let _ = writeln!(out, "now: {} (the reminder is due)", human(tz, clock.now()));
    let line = CallerLine {
        from: business.phone_number.as_ref().map_or_else(|| "+13125550100".into(), |n| n.to_string()),
        connection_id: "demo-connection".into(),
        per_second: NonZeroU32::new(10).expect("non-zero"),
    };
    let dialer = ReminderDialer::new(
        store.clone(),
        telnyx,
        business.clone(),
        reminders.clone(),
        line,
        states,
        clock.clone(),
        wakes,
    );
    dialer.tick().await?;
    let dial = fake.requests().into_iter().find(|r| r.action == "calls").context("no dial")?.body;
    let detection = dial["answering_machine_detection"].as_str().unwrap_or_default().to_string();
    let _ = writeln!(out, "☎  dialing {CALLER} (answering-machine detection: {detection})");

    let mut d =
        Driver { url, http: reqwest::Client::new(), key, clock: clock.clone(), fake, store: store.clone(), events: 0 };
    let attempt = store.reminder_calls().get(&queued.id).await?.context("the attempt is gone")?;
    let handle = attempt.call_control_id.clone().context("the dial recorded no call")?;
    let state = dial["client_state"].clone();
    let event = |extra: Value| {
        let mut p = json!({"call_control_id": handle, "client_state": state, "from": dial["from"], "to": CALLER,
                           "direction": "outgoing"});
        if let (Some(p), Some(e)) = (p.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        p
    };
    d.post("call.initiated", event(json!({"state": "bridging"}))).await?;
    d.post("call.answered", event(json!({}))).await?;
    d.post("call.machine.detection.ended", event(json!({"result": "human"}))).await?;
    d.until("the reminder", async |d| d.count("gather_using_speak") == 1).await?;
    let mut asked = 0;
    for prompt in d.sent_since("gather_using_speak", "payload", &mut asked) {
        let _ = writeln!(out, "receptionist: {prompt}");
    }
    let _ = writeln!(out, "customer:     {ANSWER}");
    let transcription = json!({"transcription_data": {"transcript": ANSWER, "is_final": true, "confidence": 0.95}});
    d.post("call.transcription", event(transcription)).await?;
    d.until("the answer", async |d| d.count("speak") == 1).await?;
    let mut said = 0;
    for reply in d.sent_since("speak", "payload", &mut said) {
        let _ = writeln!(out, "receptionist: {reply}");
    }
    d.post("call.speak.ended", event(json!({"status": "completed"}))).await?;
    d.until("the hang-up", async |d| d.count("hangup") == 1).await?;
    d.post("call.hangup", event(json!({"hangup_cause": "normal_clearing", "hangup_source": "caller"}))).await?;
    let _ = writeln!(out, "☎  call ended");

    let attempt = store.reminder_calls().get(&queued.id).await?.context("the attempt is gone")?;
    let a = store.appointments().get(a.id).await?.context("the appointment is gone")?;
    let _ = writeln!(out, "\nreminder call: attempt {} {}", attempt.attempt, attempt.status.as_str());
    let confirmed = a.customer_confirmed_at.map_or_else(|| "not confirmed".into(), |at| human(tz, at));
    let _ = writeln!(out, "appointment:   {} {}, confirmed by the customer: {confirmed}", human(tz, a.start), a.status);
    stop.stop().await;
    let _ = served.await;
    d.fake.stop().await;
    store.close().await;
    Ok(out)
}

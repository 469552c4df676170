//! The `google` backend (SPEC §6): each staff member's Google calendar, through a service account
//! (`yup-oauth2`, honouring the key's `token_uri`) and `google-calendar3` (base URL overridable with
//! `GOOGLE_API_BASE`, which must end in `calendar/v3/`).
//!
//! Busy time that is not ours comes from the calendar's events (opaque, not cancelled, without our
//! `appointment_id` property), so our own events are never counted twice or against themselves.
//! Events get a deterministic id (our appointment id in hex, valid base32hex), so a retried insert
//! answers 409 and is treated as done; deleting an already deleted event (410) is success.

use std::collections::HashMap;
use std::path::Path;

use async_trait::async_trait;
use google_calendar3::api::{Event, EventDateTime, EventExtendedProperties, Scope};
use google_calendar3::hyper_rustls::HttpsConnector;
use google_calendar3::hyper_util::client::legacy::Client;
use google_calendar3::hyper_util::client::legacy::connect::HttpConnector;
use google_calendar3::hyper_util::rt::TokioExecutor;
use google_calendar3::{CalendarHub, hyper_rustls, yup_oauth2};

use super::{Calendar, CalendarError};
use crate::domain::{Appointment, Business, Interval, StaffMember};

/// The private extended property that marks our events.
pub const APPOINTMENT_PROPERTY: &str = "appointment_id";

/// Google Calendar through a service account.
pub struct GoogleCalendar {
    hub: CalendarHub<HttpsConnector<HttpConnector>>,
    business: std::sync::Arc<Business>,
}

fn connect_error(e: impl std::fmt::Display) -> CalendarError {
    CalendarError::Unavailable(format!("cannot set up Google Calendar: {e}"))
}

/// Google's error code and reason from a failed call.
fn classify(staff: &StaffMember, e: google_calendar3::Error) -> (u16, String, CalendarError) {
    let (code, reason) = match &e {
        google_calendar3::Error::BadRequest(v) => (
            v["error"]["code"].as_u64().unwrap_or(0) as u16,
            v["error"]["errors"][0]["reason"].as_str().unwrap_or_default().to_string(),
        ),
        google_calendar3::Error::Failure(r) => (r.status().as_u16(), String::new()),
        _ => (0, String::new()),
    };
    let mapped = match (code, reason.as_str()) {
        (403, "rateLimitExceeded" | "userRateLimitExceeded") | (429, _) | (500..=599, _) | (0, _) => {
            CalendarError::Unavailable(format!("Google Calendar: {e}"))
        }
        (401 | 403 | 404, _) => CalendarError::Access {
            staff: staff.id.to_string(),
            detail: format!(
                "HTTP {code} {reason} on calendar {:?}: share it with the service account with \"Make changes to events\"",
                staff.calendar_id.as_deref().unwrap_or("")
            ),
        },
        _ => CalendarError::Unavailable(format!("Google Calendar HTTP {code} {reason}")),
    };
    (code, reason, mapped)
}

fn calendar_of(staff: &StaffMember) -> Result<&str, CalendarError> {
    staff.calendar_id.as_deref().ok_or_else(|| CalendarError::Access {
        staff: staff.id.to_string(),
        detail: "no calendar_id in the config for this staff member".into(),
    })
}

/// Google's transient failures: rate limits, server errors, connection trouble.
fn retryable(code: u16, reason: &str) -> bool {
    matches!((code, reason), (403, "rateLimitExceeded" | "userRateLimitExceeded") | (429, _) | (500..=599, _) | (0, _))
}

/// Runs `call` with bounded, jittered exponential backoff on transient failures, within a deadline
/// (a caller on the phone cannot wait half a minute). Returns Google's code and reason on failure.
async fn with_retries<T, Fut>(
    staff: &StaffMember,
    mut call: impl FnMut() -> Fut,
) -> Result<T, (u16, String, CalendarError)>
where
    Fut: std::future::Future<Output = Result<T, google_calendar3::Error>>,
{
    use backon::Retryable as _;
    let backoff = backon::ExponentialBuilder::default()
        .with_min_delay(std::time::Duration::from_millis(200))
        .with_max_delay(std::time::Duration::from_secs(2))
        .with_max_times(3)
        .with_jitter();
    let attempt = || {
        let fut = call();
        async move { fut.await.map_err(|e| classify(staff, e)) }
    };
    let retried = attempt
        .retry(backoff)
        .sleep(tokio::time::sleep)
        .when(|(code, reason, _)| retryable(*code, reason))
        .notify(|(code, reason, _), wait| tracing::debug!(code, reason, ?wait, "retrying Google Calendar"));
    match tokio::time::timeout(std::time::Duration::from_secs(8), retried).await {
        Ok(result) => {
            metrics::counter!("calendar_api_calls_total", "outcome" => if result.is_ok() { "ok" } else { "error" })
                .increment(1);
            result
        }
        Err(_) => {
            Err((0, "deadline".into(), CalendarError::Unavailable("Google Calendar did not answer in time".into())))
        }
    }
}

/// Our event id for an appointment: its UUID as 32 lowercase hex digits (valid base32hex).
pub fn event_id(a: &Appointment) -> String {
    a.id.uuid().simple().to_string()
}

impl GoogleCalendar {
    /// Reads the service-account key and builds the client; `api_base` overrides Google's URL.
    pub async fn connect(
        key_file: &Path,
        api_base: Option<&str>,
        business: std::sync::Arc<Business>,
    ) -> Result<Self, CalendarError> {
        let key = yup_oauth2::read_service_account_key(key_file)
            .await
            .map_err(|e| connect_error(format!("GOOGLE_SERVICE_ACCOUNT_FILE {}: {e}", key_file.display())))?;
        let auth = yup_oauth2::ServiceAccountAuthenticator::builder(key).build().await.map_err(connect_error)?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(connect_error)?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        let mut hub = CalendarHub::new(client, auth);
        if let Some(base) = api_base {
            let base = if base.ends_with('/') { base.to_string() } else { format!("{base}/") };
            hub.base_url(base);
        }
        Ok(Self { hub, business })
    }

    fn event(&self, a: &Appointment) -> Event {
        let biz = &self.business;
        let service = biz.service(&a.service_id).map_or(a.service_id.as_str(), |s| s.name.as_str());
        let when =
            |t| EventDateTime { date_time: Some(t), time_zone: Some(biz.timezone.name().to_string()), date: None };
        let mut private = HashMap::new();
        private.insert(APPOINTMENT_PROPERTY.to_string(), a.id.to_string());
        private.insert("customer_phone".to_string(), a.customer_phone.to_string());
        private.insert("service_id".to_string(), a.service_id.to_string());
        private.insert("booked_via".to_string(), a.booked_via.to_string());
        Event {
            id: Some(event_id(a)),
            summary: Some(format!("{service} - {}", a.customer_name)),
            description: Some(format!(
                "{service} for {} ({}), booked by {} through appointment-setter.{}",
                a.customer_name,
                a.customer_phone,
                a.booked_via,
                a.notes.as_deref().map(|n| format!("\nNotes: {n}")).unwrap_or_default()
            )),
            start: Some(when(a.start)),
            end: Some(when(a.end)),
            extended_properties: Some(EventExtendedProperties { private: Some(private), shared: None }),
            ..Event::default()
        }
    }
}

#[async_trait]
impl Calendar for GoogleCalendar {
    async fn external_busy(&self, staff: &StaffMember, range: Interval) -> Result<Vec<Interval>, CalendarError> {
        let calendar = calendar_of(staff)?;
        let mut busy = Vec::new();
        let mut page: Option<String> = None;
        loop {
            let list = || {
                let mut call = self
                    .hub
                    .events()
                    .list(calendar)
                    .time_min(range.start)
                    .time_max(range.end)
                    .single_events(true)
                    .max_results(2500)
                    .add_scope(Scope::Full);
                if let Some(token) = &page {
                    call = call.page_token(token);
                }
                call.doit()
            };
            let (_, events) = with_retries(staff, list).await.map_err(|e| e.2)?;
            for e in events.items.unwrap_or_default() {
                let ours = e
                    .extended_properties
                    .as_ref()
                    .and_then(|p| p.private.as_ref())
                    .is_some_and(|p| p.contains_key(APPOINTMENT_PROPERTY));
                let cancelled = e.status.as_deref() == Some("cancelled");
                let free = e.transparency.as_deref() == Some("transparent");
                if ours || cancelled || free {
                    continue;
                }
                if let (Some(start), Some(end)) = (e.start.and_then(|s| s.date_time), e.end.and_then(|s| s.date_time)) {
                    busy.push(Interval { start, end });
                }
            }
            match events.next_page_token {
                Some(token) if !token.is_empty() => page = Some(token),
                _ => return Ok(busy),
            }
        }
    }

    async fn create_event(
        &self,
        staff: &StaffMember,
        appointment: &Appointment,
    ) -> Result<Option<String>, CalendarError> {
        let calendar = calendar_of(staff)?;
        let insert = || {
            self.hub
                .events()
                .insert(self.event(appointment), calendar)
                .send_updates("none")
                .add_scope(Scope::Full)
                .doit()
        };
        match with_retries(staff, insert).await {
            // A 409 for our own id: an earlier attempt landed.
            Ok(_) | Err((409, _, _)) => {}
            Err((_, _, mapped)) => return Err(mapped),
        }
        // Google has no conditional insert: look again, and if someone else's event overlaps
        // ours now, take ours back out (SPEC §6).
        let wanted = Interval { start: appointment.start, end: appointment.end };
        if !self.external_busy(staff, wanted).await?.is_empty() {
            self.cancel_event(staff, appointment).await?;
            return Err(CalendarError::Conflict);
        }
        Ok(Some(event_id(appointment)))
    }

    async fn move_event(&self, staff: &StaffMember, appointment: &Appointment) -> Result<(), CalendarError> {
        let calendar = calendar_of(staff)?;
        let full = self.event(appointment);
        let id = event_id(appointment);
        let patch = || {
            let change = Event {
                start: full.start.clone(),
                end: full.end.clone(),
                summary: full.summary.clone(),
                ..Event::default()
            };
            self.hub.events().patch(change, calendar, &id).send_updates("none").add_scope(Scope::Full).doit()
        };
        with_retries(staff, patch).await.map(|_| ()).map_err(|e| e.2)
    }

    async fn cancel_event(&self, staff: &StaffMember, appointment: &Appointment) -> Result<(), CalendarError> {
        let calendar = calendar_of(staff)?;
        let id = event_id(appointment);
        let delete = || self.hub.events().delete(calendar, &id).send_updates("none").add_scope(Scope::Full).doit();
        match with_retries(staff, delete).await {
            Ok(_) => Ok(()),
            // Already gone: what we wanted.
            Err((404 | 410, _, _)) => Ok(()),
            Err((_, _, mapped)) => Err(mapped),
        }
    }
}

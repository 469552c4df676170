//! The `google` backend (SPEC §6): each staff member's Google calendar, through a service account
//! (`yup-oauth2`, honouring the key's `token_uri`) or the staff member's own Google account
//! connected through OAuth ([`oauth`], [`access`]; issue #16), and `google-calendar3` (base URL
//! overridable with `GOOGLE_API_BASE`, which must end in `calendar/v3/`). [`route`] picks who each
//! call is made as; everything below behaves the same for both.
//!
//! - Busy time: one `freeBusy` query for all calendars a search needs ([`busy`]), cached ≤ 30 s for
//!   slot search, asked again for every booking. It includes our own events; the booking service
//!   discounts its own appointments.
//! - Events get a deterministic id (our appointment id in hex, valid base32hex), so a retried insert
//!   answers 409 and is treated as done. After inserting we list the interval, and if someone
//!   else's event overlaps ours now, ours is taken back out. Deleting an already deleted event
//!   (404/410) is success. Moves are conditional on the event's etag (`If-Match`): google-calendar3
//!   cannot send that header, so that one call is made with reqwest.
//! - Staff edits in Google win: [`Calendar::event_state`] reads our event back.
//! - Every call goes through [`call::Guard`]: rate limit, circuit breaker, token refresh, retries.
//! - Reading and writing single events lives in `events`.

mod access;
mod busy;
mod call;
mod events;
pub mod oauth;
mod route;

pub use access::{Connection, Connections, token_context};

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use dashmap::DashMap;
use google_calendar3::api::Event;
use google_calendar3::hyper_rustls::HttpsConnector;
use google_calendar3::hyper_util::client::legacy::Client;
use google_calendar3::hyper_util::client::legacy::connect::HttpConnector;
use google_calendar3::hyper_util::rt::TokioExecutor;
use google_calendar3::{CalendarHub, hyper_rustls, yup_oauth2};

use self::access::{Principal, ServiceTokens};
use self::busy::BusyCache;
use self::call::{Failure, Guard, RetryAfter, classify, code_and_reason};
use self::route::{Route, Users};
use super::{Calendar, CalendarError, EventState, Freshness};
use crate::domain::{Appointment, Business, Interval, PhoneNumber, StaffMember};

/// The private extended property that marks our events.
pub(crate) const APPOINTMENT_PROPERTY: &str = "appointment_id";
/// The scope we ask for (SPEC §6).
pub(crate) const SCOPE: &str = "https://www.googleapis.com/auth/calendar";
const DEFAULT_BASE: &str = "https://www.googleapis.com/calendar/v3/";

/// The HTTP client every hub shares.
type HyperClient = Client<HttpsConnector<HttpConnector>, google_calendar3::common::Body>;

/// Google Calendar through a service account and/or connected user accounts.
pub struct GoogleCalendar {
    client: HyperClient,
    business: Arc<Business>,
    guard: Guard,
    cache: BusyCache,
    /// Last etag seen per event id (for conditional moves).
    etags: DashMap<String, String>,
    api_base: String,
    http: reqwest::Client,
    /// The service account, when `GOOGLE_SERVICE_ACCOUNT_FILE` is set.
    service: Option<Arc<Principal>>,
    /// Connected user accounts, when `GOOGLE_OAUTH_CLIENT_FILE` is set.
    users: Option<Users>,
    /// When access tokens expire is judged by this clock.
    clock: Arc<dyn crate::clock::Clock>,
}

/// What stays unencoded in a path segment: RFC 3986's unreserved characters (and `@`, common in
/// calendar ids and allowed there).
const SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'@');

/// A calendar or event id as one URL path segment. google-calendar3 pastes ids into its paths
/// unencoded (`calendars/{calendarId}/events`, a plain string replace), so a `#`, `?`, `/` or `%`
/// in a calendar id (Google's holiday and resource calendars have `#`) would address another
/// resource — an insert into `calendars/front`, a clean-up deleting a whole calendar. Every id we
/// hand the library, and every path we build ourselves, goes through here.
pub(super) fn path_segment(id: &str) -> String {
    percent_encoding::utf8_percent_encode(id, SEGMENT).to_string()
}

fn connect_error(e: impl std::fmt::Display) -> CalendarError {
    CalendarError::Unavailable(format!("cannot set up Google Calendar: {e}"))
}

/// A failed google-calendar3 call on `calendar`, classified.
fn failure(staff: &StaffMember, calendar: &str, account: &Principal, e: google_calendar3::Error) -> Failure {
    // A connected account's token source failed: it says what it means.
    if let google_calendar3::Error::MissingToken(inner) = &e
        && let Some(error) = inner.downcast_ref::<CalendarError>()
    {
        return match error {
            CalendarError::Access { detail, .. } => Failure::new(
                400,
                "reconnect",
                CalendarError::Access { staff: staff.id.to_string(), detail: detail.clone() },
            ),
            other => Failure::new(0, "token", other.clone()),
        };
    }
    let (code, reason) = code_and_reason(&e);
    let detail = if code == 0 || reason == "invalid_grant" { e.to_string() } else { String::new() };
    Failure::new(code, &reason, classify(staff.id.as_str(), calendar, account, code, &reason, &detail))
}

/// Our event id for an appointment: its UUID as 32 lowercase hex digits (valid base32hex).
pub fn event_id(a: &Appointment) -> String {
    a.id.uuid().simple().to_string()
}

fn is_ours(e: &Event) -> bool {
    e.extended_properties
        .as_ref()
        .and_then(|p| p.private.as_ref())
        .is_some_and(|p| p.contains_key(APPOINTMENT_PROPERTY))
}

impl GoogleCalendar {
    /// The backend without any principal yet: add the service account ([`Self::connect`]) and/or
    /// connected accounts ([`Self::with_oauth`]). `api_base` overrides Google's URL.
    pub fn new(api_base: Option<&str>, business: Arc<Business>) -> Result<Self, CalendarError> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(connect_error)?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        let api_base = match api_base {
            Some(base) if base.ends_with('/') => base.to_string(),
            Some(base) => format!("{base}/"),
            None => DEFAULT_BASE.to_string(),
        };
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().map_err(connect_error)?;
        Ok(Self {
            client,
            business,
            guard: Guard::new(),
            cache: BusyCache::new(busy::DEFAULT_TTL),
            etags: DashMap::new(),
            api_base,
            http,
            service: None,
            users: None,
            clock: Arc::new(crate::clock::SystemClock),
        })
    }

    /// Reads the service-account key and builds the client; `api_base` overrides Google's URL.
    pub async fn connect(
        key_file: &Path,
        api_base: Option<&str>,
        business: Arc<Business>,
    ) -> Result<Self, CalendarError> {
        Self::new(api_base, business)?.with_service_account(key_file).await
    }

    /// Adds the service account whose JSON key is `key_file`.
    pub async fn with_service_account(mut self, key_file: &Path) -> Result<Self, CalendarError> {
        let key = yup_oauth2::read_service_account_key(key_file)
            .await
            .map_err(|e| connect_error(format!("GOOGLE_SERVICE_ACCOUNT_FILE {}: {e}", key_file.display())))?;
        let name = key.client_email.clone();
        let auth = yup_oauth2::ServiceAccountAuthenticator::builder(key).build().await.map_err(connect_error)?;
        let mut hub = CalendarHub::new(self.client.clone(), auth.clone());
        hub.base_url(self.api_base.clone());
        let tokens = Arc::new(ServiceTokens(auth));
        let limiter = call::limiter(self.guard.rate());
        self.service = Some(Arc::new(Principal { name, oauth: false, hub, tokens, limiter }));
        Ok(self)
    }

    /// Judges access-token expiry by `clock` (tests move it on; the default is the system clock).
    pub fn with_token_clock(mut self, clock: Arc<dyn crate::clock::Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How long slot search may reuse a busy-time answer (at most 30 s; zero = never).
    pub fn with_busy_cache(mut self, ttl: Duration) -> Self {
        self.cache = BusyCache::new(ttl);
        self
    }

    /// Client-side request rate per account (default 9/s, under Google's 600/min per user).
    pub fn with_rate_limit(mut self, per_second: u32) -> Self {
        self.guard.set_rate(per_second);
        if let Some(service) = self.service.as_mut().and_then(Arc::get_mut) {
            service.limiter = call::limiter(per_second);
        }
        self
    }

    /// How long one call may take with its retries (default 8 s).
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.guard.set_deadline(deadline);
        self
    }

    /// Runs one google-calendar3 call on `at`'s calendar under the guard, as `at`'s principal.
    async fn call<T, Fut>(
        &self,
        staff: &StaffMember,
        at: &Route,
        make: impl Fn(RetryAfter) -> Fut,
    ) -> Result<T, Failure>
    where
        Fut: std::future::Future<Output = Result<T, google_calendar3::Error>>,
    {
        self.guard
            .run(&at.who, |hint| {
                let fut = make(RetryAfter(hint));
                async move { fut.await.map_err(|e| failure(staff, &at.calendar, &at.who, e)) }
            })
            .await
    }
}

#[async_trait]
impl Calendar for GoogleCalendar {
    async fn busy(
        &self,
        staff: &[&StaffMember],
        range: Interval,
        freshness: Freshness,
    ) -> Vec<Result<Vec<Interval>, CalendarError>> {
        self.busy_of(staff, range, freshness).await
    }

    async fn event_state(&self, staff: &StaffMember, appointment: &Appointment) -> Result<EventState, CalendarError> {
        let at = &self.route(staff).await?;
        let event = self.fetch(staff, at, appointment).await?;
        Ok(self.state_of(event.as_ref(), appointment))
    }

    async fn customer_event_states(
        &self,
        staff: &StaffMember,
        phone: &PhoneNumber,
        appointments: &[Appointment],
    ) -> Vec<Result<EventState, CalendarError>> {
        let Some(earliest) = appointments.iter().map(|a| a.start).min() else { return Vec::new() };
        let found = match self.route(staff).await {
            // Staff rarely move an appointment more than a week earlier; one that is not in the
            // list is read on its own below.
            Ok(at) => self.events_of_customer(staff, &at, phone, earliest - chrono::Duration::days(7)).await,
            Err(e) => Err(e),
        };
        let found = match found {
            Ok(found) => found,
            Err(e) => return appointments.iter().map(|_| Err(e.clone())).collect(),
        };
        let mut out = Vec::with_capacity(appointments.len());
        for a in appointments {
            out.push(match found.get(&event_id(a)) {
                Some(event) => Ok(self.state_of(Some(event), a)),
                None => self.event_state(staff, a).await,
            });
        }
        out
    }

    async fn create_event(
        &self,
        staff: &StaffMember,
        appointment: &Appointment,
    ) -> Result<Option<String>, CalendarError> {
        let at = &self.route(staff).await?;
        let event = &self.event(appointment);
        let inserted = self.insert(staff, at, event).await;
        self.cache.forget(&at.calendar);
        match inserted {
            Ok(e) => {
                if let Some(etag) = e.etag {
                    self.etags.insert(event_id(appointment), etag);
                }
            }
            // A 409 for our own id: an earlier attempt landed.
            Err(f) if f.code == 409 => {}
            Err(f) => return Err(f.error),
        }
        // Google has no conditional insert: look again, and if someone else's event overlaps
        // ours now, take ours back out (SPEC §6).
        if self.others_in(staff, at, appointment.interval()).await? {
            self.cancel_event(staff, appointment).await?;
            return Err(CalendarError::Conflict);
        }
        Ok(Some(event_id(appointment)))
    }

    async fn move_event(&self, staff: &StaffMember, appointment: &Appointment) -> Result<(), CalendarError> {
        let at = &self.route(staff).await?;
        let full = self.event(appointment);
        let id = event_id(appointment);
        let change = Event { start: full.start, end: full.end, summary: full.summary, ..Event::default() };
        self.cache.forget(&at.calendar);
        let etag = self.etags.get(&id).map(|e| e.clone());
        let moved = match self.patch_if_match(staff, at, &id, &change, etag).await {
            // Someone changed the event since we read it: read it again and re-apply (ERR).
            Err(f) if f.code == 412 => match self.fetch(staff, at, appointment).await? {
                Some(fresh) => self.patch_if_match(staff, at, &id, &change, fresh.etag).await,
                // Deleted meanwhile: nothing left to move.
                None => Err(f),
            },
            other => other,
        };
        match moved {
            Ok(event) => {
                if let Some(etag) = event.etag {
                    self.etags.insert(id, etag);
                }
                Ok(())
            }
            Err(f) => Err(f.error),
        }
    }

    async fn cancel_event(&self, staff: &StaffMember, appointment: &Appointment) -> Result<(), CalendarError> {
        let at = &self.route(staff).await?;
        let id = &event_id(appointment);
        let deleted = self.delete(staff, at, id).await;
        self.cache.forget(&at.calendar);
        self.etags.remove(id);
        match deleted {
            // Already gone (404/410): what we wanted.
            Ok(_) => Ok(()),
            Err(f) if f.code == 404 || f.code == 410 => Ok(()),
            Err(f) => Err(f.error),
        }
    }

    async fn check_write(&self, staff: &StaffMember) -> Result<(), CalendarError> {
        let at = &self.route(staff).await?;
        let calendar = &at.calendar;
        let start = chrono::Utc::now() + chrono::Duration::days(1);
        let id = &format!("check{}", uuid::Uuid::new_v4().simple());
        let probe = &Event {
            id: Some(id.clone()),
            summary: Some("appointment-setter access check (deleted at once)".into()),
            start: Some(self.when(start)),
            end: Some(self.when(start + chrono::Duration::minutes(1))),
            transparency: Some("transparent".into()),
            ..Event::default()
        };
        let write_access = |f: Failure| match f.error {
            CalendarError::Access { staff, .. } => CalendarError::Access {
                staff,
                detail: format!(
                    "can read but not write calendar {calendar:?} (HTTP {} {}): {}",
                    f.code,
                    f.reason,
                    at.who.share_hint(calendar)
                ),
            },
            other => other,
        };
        self.insert(staff, at, probe).await.map_err(write_access)?;
        self.delete(staff, at, id).await.map_err(write_access)?;
        Ok(())
    }
}

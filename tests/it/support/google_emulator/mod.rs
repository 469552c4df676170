//! A Google Calendar API v3 emulator on 127.0.0.1 with the semantics of reference/google-calendar.md:
//! a service-account token endpoint that verifies the RS256 JWT assertion (signature, `aud`,
//! `scope`, expiry), events insert/get/list/patch/delete (base32hex ids, 409 duplicates including
//! tombstones, 410 after delete, etags and 412, paging, timeMin/timeMax overlap, showDeleted,
//! privateExtendedProperty), freeBusy (opaque, non-cancelled, merged, per-calendar notFound), and
//! fault injection (status, reason, Retry-After, delay) in front of calendar calls. [`oauth`] adds
//! Google's OAuth endpoints for user accounts (consent, code and refresh grants, revocation,
//! calendarList); a user's token reaches only that user's calendars, the service account's only
//! the calendars shared with it.

// Handlers return ready-made error responses through `Result`; their size does not matter here.
#![allow(clippy::result_large_err)]

mod oauth;
#[allow(unused_imports)]
pub use oauth::{CLIENT_ID, OAuthFault};

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

/// The scope a booking service needs.
pub const SCOPE: &str = "https://www.googleapis.com/auth/calendar";

/// A fault to inject into the next calendar call.
#[derive(Debug, Clone)]
pub struct Fault {
    pub status: u16,
    pub reason: &'static str,
    pub retry_after: Option<u64>,
    pub delay: Duration,
}

impl Fault {
    pub fn status(status: u16, reason: &'static str) -> Self {
        Fault { status, reason, retry_after: None, delay: Duration::ZERO }
    }
}

#[derive(Default)]
struct Calendar {
    events: BTreeMap<String, (Value, u64)>,
}

#[derive(Default)]
struct State {
    calendars: HashMap<String, Calendar>,
    /// Live access tokens and who they belong to (`SERVICE_ACCOUNT` or a user's address).
    tokens: HashMap<String, String>,
    /// OAuth users, codes, refresh tokens and faults.
    oauth: oauth::OAuthState,
    faults: VecDeque<Fault>,
    requests: Vec<String>,
    next: u64,
    /// Added to every calendar call (simulated network distance).
    latency: Duration,
    /// Access tokens issued so far.
    issued: usize,
    /// The token endpoint refuses every assertion (a deleted or wrong key).
    refuse_grants: bool,
    /// Calendars shared with "See all event details" only: writes are refused.
    read_only: HashSet<String>,
}

pub struct GoogleEmulator {
    /// `http://127.0.0.1:PORT`
    pub origin: String,
    state: Arc<Mutex<State>>,
    public_key_pem: Vec<u8>,
}

fn error(status: u16, domain: &str, reason: &str, message: &str) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).json(json!({
        "error": {"errors": [{"domain": domain, "reason": reason, "message": message}], "code": status, "message": message}
    }))
}

fn valid_id(id: &str) -> bool {
    (5..=1024).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'v').contains(&b))
}

fn instant(v: &Value) -> Option<DateTime<Utc>> {
    v.get("dateTime").and_then(Value::as_str).and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|t| t.to_utc())
}

fn span(event: &Value) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    Some((instant(event.get("start")?)?, instant(event.get("end")?)?))
}

struct Shared {
    state: Arc<Mutex<State>>,
    key: jsonwebtoken::DecodingKey,
    token_uri: String,
}

/// Who the service account's tokens belong to.
const SERVICE_ACCOUNT: &str = "service-account";

async fn token(form: web::Form<HashMap<String, String>>, shared: web::Data<Shared>) -> HttpResponse {
    let bad = |d: &str| HttpResponse::BadRequest().json(json!({"error": "invalid_grant", "error_description": d}));
    if matches!(form.get("grant_type").map(String::as_str), Some("authorization_code" | "refresh_token")) {
        return oauth::grant(&form, &shared).await;
    }
    if form.get("grant_type").map(String::as_str) != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return HttpResponse::BadRequest().json(json!({"error": "unsupported_grant_type"}));
    }
    let Some(assertion) = form.get("assertion") else { return bad("missing assertion") };
    if shared.state.lock().unwrap().refuse_grants {
        return bad("Invalid JWT Signature.");
    }
    // yup-oauth2 pads its base64url segments and signs the padded text: verify over the text as
    // sent, decode the parts with or without padding.
    let mut parts = assertion.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return bad("Invalid JWT: malformed");
    };
    let message = format!("{header}.{payload}");
    let signature = signature.trim_end_matches('=');
    match jsonwebtoken::crypto::verify(signature, message.as_bytes(), &shared.key, jsonwebtoken::Algorithm::RS256) {
        Ok(true) => {}
        _ => return bad("Invalid JWT Signature."),
    }
    use base64::Engine as _;
    let decode = |part: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part.trim_end_matches('='))
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    };
    let (Some(head), Some(claims)) = (decode(header), decode(payload)) else { return bad("Invalid JWT: malformed") };
    if head["alg"] != "RS256" {
        return bad("Invalid JWT: algorithm");
    }
    if claims["aud"].as_str() != Some(shared.token_uri.as_str()) {
        return bad("Invalid JWT: audience");
    }
    if claims["iss"].as_str().is_none_or(str::is_empty) {
        return bad("Invalid JWT: issuer");
    }
    let now = Utc::now().timestamp();
    if claims["exp"].as_i64().is_none_or(|exp| exp < now - 60) {
        return bad("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe");
    }
    let (iat, exp) = (claims["iat"].as_i64().unwrap_or(0), claims["exp"].as_i64().unwrap_or(0));
    if exp - iat > 3600 {
        return bad("Invalid JWT: Token must be a short-lived token (60 minutes)");
    }
    let scopes = claims["scope"].as_str().unwrap_or("");
    if !scopes.split(' ').any(|s| s == SCOPE) {
        return bad("Invalid JWT: missing scope");
    }
    let mut state = shared.state.lock().unwrap();
    state.next += 1;
    let token = format!("emu-token-{}", state.next);
    state.tokens.insert(token.clone(), SERVICE_ACCOUNT.to_string());
    state.issued += 1;
    HttpResponse::Ok().json(json!({"access_token": token, "expires_in": 3599, "token_type": "Bearer"}))
}

impl State {
    /// Whether `principal` can see `calendar`: a user their own calendars, the service account
    /// those shared with it.
    fn may_use(&self, principal: &str, calendar: &str) -> bool {
        match self.oauth.owner_of(calendar) {
            Some(owner) => owner == principal,
            None => principal == SERVICE_ACCOUNT && self.calendars.contains_key(calendar),
        }
    }
}

/// Authorization and injected faults, in front of every calendar call; returns who is calling.
async fn gate(req: &HttpRequest, shared: &Shared) -> Result<String, HttpResponse> {
    let (principal, fault) = {
        let mut state = shared.state.lock().unwrap();
        state.requests.push(format!("{} {}", req.method(), req.path()));
        let principal = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .and_then(|t| state.tokens.get(t).cloned());
        let Some(principal) = principal else {
            return Err(error(401, "global", "authError", "Invalid Credentials"));
        };
        let calendar = req.path().strip_prefix("/calendar/v3/calendars/").and_then(|rest| rest.split('/').next());
        if calendar.is_some_and(|c| !state.may_use(&principal, &decode(c))) {
            return Err(error(404, "global", "notFound", "Not Found"));
        }
        if req.method() != actix_web::http::Method::GET
            && calendar.is_some_and(|c| state.read_only.contains(&decode(c)))
        {
            return Err(error(
                403,
                "global",
                "requiredAccessLevel",
                "You need to have writer access to this calendar.",
            ));
        }
        (principal, (state.latency, state.faults.pop_front()))
    };
    let (latency, fault) = fault;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(f) = fault {
        if !f.delay.is_zero() {
            tokio::time::sleep(f.delay).await;
        }
        if f.status >= 400 {
            let domain =
                if f.reason.contains("Limit") || f.reason == "quotaExceeded" { "usageLimits" } else { "global" };
            let mut response = error(f.status, domain, f.reason, "injected");
            if let Some(secs) = f.retry_after {
                response.headers_mut().insert(
                    actix_web::http::header::RETRY_AFTER,
                    actix_web::http::header::HeaderValue::from_str(&secs.to_string()).unwrap(),
                );
            }
            return Err(response);
        }
    }
    Ok(principal)
}

fn with_calendar<T>(shared: &Shared, id: &str, f: impl FnOnce(&mut Calendar, &mut u64) -> T) -> Option<T> {
    let mut state = shared.state.lock().unwrap();
    let state = &mut *state;
    state.calendars.get_mut(id).map(|c| f(c, &mut state.next))
}

fn stamp(event: &mut Value, etag: u64) {
    event["etag"] = json!(format!("\"{etag}\""));
    event["updated"] = json!(Utc::now().to_rfc3339());
    event["kind"] = json!("calendar#event");
}

async fn insert(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<Value>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    if let Err(r) = gate(&req, &shared).await {
        return r;
    }
    let mut event = body.into_inner();
    if event.get("attendees").and_then(Value::as_array).is_some_and(|a| !a.is_empty()) {
        return error(
            403,
            "calendar",
            "forbiddenForServiceAccounts",
            "Service accounts cannot invite attendees without Domain-Wide Delegation of Authority.",
        );
    }
    if span(&event).is_none() {
        return error(400, "global", "required", "Missing start or end time.");
    }
    let result = with_calendar(&shared, &path, |cal, next| {
        let id = match event.get("id").and_then(Value::as_str) {
            Some(id) if !valid_id(id) => return Err(error(400, "global", "invalid", "Invalid resource id value.")),
            Some(id) if cal.events.contains_key(id) => {
                return Err(error(409, "global", "duplicate", "The requested identifier already exists."));
            }
            Some(id) => id.to_string(),
            None => {
                *next += 1;
                format!("gen{:08}", next)
            }
        };
        event["id"] = json!(id);
        if event.get("status").is_none() {
            event["status"] = json!("confirmed");
        }
        event["created"] = json!(Utc::now().to_rfc3339());
        stamp(&mut event, 1);
        cal.events.insert(id, (event.clone(), 1));
        Ok(event)
    });
    match result {
        None => error(404, "global", "notFound", "Not Found"),
        Some(Err(r)) => r,
        Some(Ok(e)) => HttpResponse::Ok().json(e),
    }
}

async fn get(req: HttpRequest, path: web::Path<(String, String)>, shared: web::Data<Shared>) -> HttpResponse {
    if let Err(r) = gate(&req, &shared).await {
        return r;
    }
    let (cal, id) = path.into_inner();
    match with_calendar(&shared, &cal, |c, _| c.events.get(&id).map(|(e, _)| e.clone())) {
        Some(Some(e)) => HttpResponse::Ok().json(e),
        _ => error(404, "global", "notFound", "Not Found"),
    }
}

fn if_match(req: &HttpRequest, etag: u64) -> bool {
    req.headers().get("if-match").and_then(|v| v.to_str().ok()).is_none_or(|v| v == "*" || v == format!("\"{etag}\""))
}

async fn patch(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
    shared: web::Data<Shared>,
) -> HttpResponse {
    if let Err(r) = gate(&req, &shared).await {
        return r;
    }
    let (cal, id) = path.into_inner();
    let changes = body.into_inner();
    let result = with_calendar(&shared, &cal, |c, _| {
        let Some((event, etag)) = c.events.get_mut(&id) else {
            return Err(error(404, "global", "notFound", "Not Found"));
        };
        if !if_match(&req, *etag) {
            return Err(error(412, "global", "conditionNotMet", "Precondition Failed"));
        }
        if let Some(map) = changes.as_object() {
            for (k, v) in map {
                if k == "extendedProperties" {
                    for scope in ["private", "shared"] {
                        if let Some(props) = v.get(scope).and_then(Value::as_object) {
                            let target = event["extendedProperties"][scope].as_object().cloned().unwrap_or_default();
                            let mut merged: Map<String, Value> = target;
                            merged.extend(props.clone());
                            event["extendedProperties"][scope] = Value::Object(merged);
                        }
                    }
                } else {
                    event[k] = v.clone();
                }
            }
        }
        *etag += 1;
        stamp(event, *etag);
        Ok(event.clone())
    });
    match result {
        None => error(404, "global", "notFound", "Not Found"),
        Some(Err(r)) => r,
        Some(Ok(e)) => HttpResponse::Ok().json(e),
    }
}

async fn delete(req: HttpRequest, path: web::Path<(String, String)>, shared: web::Data<Shared>) -> HttpResponse {
    if let Err(r) = gate(&req, &shared).await {
        return r;
    }
    let (cal, id) = path.into_inner();
    let result = with_calendar(&shared, &cal, |c, _| {
        let Some((event, etag)) = c.events.get_mut(&id) else {
            return Err(error(404, "global", "notFound", "Not Found"));
        };
        if event["status"] == "cancelled" {
            return Err(error(410, "global", "deleted", "Resource has been deleted"));
        }
        if !if_match(&req, *etag) {
            return Err(error(412, "global", "conditionNotMet", "Precondition Failed"));
        }
        event["status"] = json!("cancelled");
        *etag += 1;
        stamp(event, *etag);
        Ok(())
    });
    match result {
        None => error(404, "global", "notFound", "Not Found"),
        Some(Err(r)) => r,
        Some(Ok(())) => HttpResponse::NoContent().finish(),
    }
}

async fn list(req: HttpRequest, path: web::Path<String>, shared: web::Data<Shared>) -> HttpResponse {
    if let Err(r) = gate(&req, &shared).await {
        return r;
    }
    let query: Vec<(String, String)> = url_pairs(req.query_string());
    let one = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let time = |k: &str| one(k).and_then(|v| DateTime::parse_from_rfc3339(&v).ok()).map(|t| t.to_utc());
    let (min, max) = (time("timeMin"), time("timeMax"));
    if let (Some(a), Some(b)) = (min, max)
        && a >= b
    {
        return error(400, "calendar", "timeRangeEmpty", "The specified time range is empty.");
    }
    if one("orderBy").as_deref() == Some("startTime") && one("singleEvents").as_deref() != Some("true") {
        return error(400, "global", "badRequest", "The requested ordering is not available for the particular query.");
    }
    let show_deleted = one("showDeleted").as_deref() == Some("true");
    let props: Vec<(String, String)> = query
        .iter()
        .filter(|(n, _)| n == "privateExtendedProperty")
        .filter_map(|(_, v)| v.split_once('=').map(|(a, b)| (a.to_string(), b.to_string())))
        .collect();
    let max_results = one("maxResults").and_then(|v| v.parse::<usize>().ok()).unwrap_or(250).min(2500);
    let offset =
        one("pageToken").and_then(|v| v.strip_prefix("page-").and_then(|n| n.parse::<usize>().ok())).unwrap_or(0);
    let matching = with_calendar(&shared, &path, |c, _| {
        let mut out: Vec<Value> = c
            .events
            .values()
            .map(|(e, _)| e.clone())
            .filter(|e| show_deleted || e["status"] != "cancelled")
            .filter(|e| {
                let Some((start, end)) = span(e) else { return false };
                min.is_none_or(|m| end > m) && max.is_none_or(|m| start < m)
            })
            .filter(|e| props.iter().all(|(k, v)| e["extendedProperties"]["private"][k].as_str() == Some(v.as_str())))
            .collect();
        out.sort_by_key(|e| span(e).map(|(s, _)| s));
        out
    });
    let Some(matching) = matching else { return error(404, "global", "notFound", "Not Found") };
    let page: Vec<Value> = matching.iter().skip(offset).take(max_results).cloned().collect();
    let mut body = json!({"kind": "calendar#events", "items": page});
    if offset + max_results < matching.len() {
        body["nextPageToken"] = json!(format!("page-{}", offset + max_results));
    }
    HttpResponse::Ok().json(body)
}

async fn free_busy(req: HttpRequest, body: web::Json<Value>, shared: web::Data<Shared>) -> HttpResponse {
    let principal = match gate(&req, &shared).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let parse = |k: &str| body[k].as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|t| t.to_utc());
    let (Some(min), Some(max)) = (parse("timeMin"), parse("timeMax")) else {
        return error(400, "global", "required", "timeMin and timeMax are required");
    };
    if min >= max {
        return error(400, "calendar", "timeRangeEmpty", "The specified time range is empty.");
    }
    if max - min > chrono::Duration::days(90) {
        return error(400, "global", "invalid", "The requested time range is too long.");
    }
    let mut calendars = Map::new();
    for item in body["items"].as_array().cloned().unwrap_or_default() {
        let id = item["id"].as_str().unwrap_or_default().to_string();
        let visible = shared.state.lock().unwrap().may_use(&principal, &id);
        let busy = if !visible {
            None
        } else {
            with_calendar(&shared, &id, |c, _| {
                let mut spans: Vec<(DateTime<Utc>, DateTime<Utc>)> = c
                    .events
                    .values()
                    .filter(|(e, _)| e["status"] != "cancelled" && e["transparency"] != "transparent")
                    .filter_map(|(e, _)| span(e))
                    .filter(|(s, e)| *e > min && *s < max)
                    .map(|(s, e)| (s.max(min), e.min(max)))
                    .collect();
                spans.sort();
                let mut merged: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
                for (s, e) in spans {
                    match merged.last_mut() {
                        Some(last) if s <= last.1 => last.1 = last.1.max(e),
                        _ => merged.push((s, e)),
                    }
                }
                merged
            })
        };
        calendars.insert(
            id,
            match busy {
                Some(busy) => json!({"busy": busy.iter().map(|(s, e)| json!({"start": s.to_rfc3339(), "end": e.to_rfc3339()})).collect::<Vec<_>>()}),
                None => json!({"busy": [], "errors": [{"domain": "global", "reason": "notFound"}]}),
            },
        );
    }
    HttpResponse::Ok().json(json!({"kind": "calendar#freeBusy", "timeMin": min.to_rfc3339(), "timeMax": max.to_rfc3339(), "calendars": calendars}))
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl GoogleEmulator {
    /// Starts with the given calendars shared with the service account.
    pub async fn start(calendars: &[&str]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let public_key_pem = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/google_sa_test_key.pub.pem"),
        )
        .unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        for c in calendars {
            state.lock().unwrap().calendars.insert(c.to_string(), Calendar::default());
        }
        let shared = web::Data::new(Shared {
            state: state.clone(),
            key: jsonwebtoken::DecodingKey::from_rsa_pem(&public_key_pem).unwrap(),
            token_uri: format!("{origin}/token"),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .route("/token", web::post().to(token))
                .route("/o/oauth2/auth", web::get().to(oauth::authorize))
                .route("/revoke", web::post().to(oauth::revoke))
                .route("/calendar/v3/users/me/calendarList", web::get().to(oauth::calendar_list))
                .route("/calendar/v3/freeBusy", web::post().to(free_busy))
                .route("/calendar/v3/calendars/{cal}/events", web::post().to(insert))
                .route("/calendar/v3/calendars/{cal}/events", web::get().to(list))
                .route("/calendar/v3/calendars/{cal}/events/{id}", web::get().to(get))
                .route("/calendar/v3/calendars/{cal}/events/{id}", web::patch().to(patch))
                .route("/calendar/v3/calendars/{cal}/events/{id}", web::delete().to(delete))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        GoogleEmulator { origin, state, public_key_pem }
    }

    /// The token endpoint (`token_uri` of the service-account key).
    pub fn token_uri(&self) -> String {
        format!("{}/token", self.origin)
    }

    /// The API base URL (ends in `calendar/v3/`).
    pub fn api_base(&self) -> String {
        format!("{}/calendar/v3/", self.origin)
    }

    /// Injects faults into the next calendar calls.
    pub fn fail_next(&self, faults: impl IntoIterator<Item = Fault>) {
        self.state.lock().unwrap().faults.extend(faults);
    }

    /// Shares `calendar` with the service account ("Make changes to events").
    pub fn share(&self, calendar: &str) {
        self.state.lock().unwrap().calendars.entry(calendar.to_string()).or_default();
    }

    /// Writes a service-account key file into `dir` whose `token_uri` is this emulator's.
    pub fn key_file(&self, dir: &std::path::Path) -> std::path::PathBuf {
        let pem = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/google_sa_test_key.pem"),
        )
        .unwrap();
        let key = json!({
            "type": "service_account", "project_id": "test-project", "private_key_id": "k1", "private_key": pem,
            "client_email": "booking@test-project.iam.gserviceaccount.com", "client_id": "1",
            "token_uri": self.token_uri(), "auth_uri": "http://127.0.0.1/auth"
        });
        let path = dir.join("sa.json");
        std::fs::write(&path, key.to_string()).unwrap();
        path
    }

    /// An event as the API would return it (`None` if the calendar has no such id).
    pub fn event(&self, calendar: &str, id: &str) -> Option<Value> {
        self.state.lock().unwrap().calendars.get(calendar)?.events.get(id).map(|(e, _)| e.clone())
    }

    /// Events of `calendar` that are not cancelled.
    pub fn live_events(&self, calendar: &str) -> Vec<Value> {
        let state = self.state.lock().unwrap();
        let Some(cal) = state.calendars.get(calendar) else { return Vec::new() };
        cal.events.values().map(|(e, _)| e.clone()).filter(|e| e["status"] != "cancelled").collect()
    }

    /// A staff member adds a busy event to `calendar` in Google.
    pub fn staff_add(&self, calendar: &str, id: &str, start: DateTime<Utc>, end: DateTime<Utc>) {
        let mut state = self.state.lock().unwrap();
        let mut event = json!({
            "id": id, "status": "confirmed", "summary": "Busy",
            "start": {"dateTime": start.to_rfc3339()}, "end": {"dateTime": end.to_rfc3339()},
        });
        stamp(&mut event, 1);
        state.calendars.entry(calendar.to_string()).or_default().events.insert(id.to_string(), (event, 1));
    }

    /// A staff member edits an event in Google (bumps its etag like the API does).
    pub fn staff_edit(&self, calendar: &str, id: &str, edit: impl FnOnce(&mut Value)) {
        let mut state = self.state.lock().unwrap();
        let (event, etag) = state.calendars.get_mut(calendar).unwrap().events.get_mut(id).expect("event exists");
        edit(event);
        *etag += 1;
        stamp(event, *etag);
    }

    /// A staff member moves an event in Google to `[start, end)`.
    pub fn staff_move(&self, calendar: &str, id: &str, start: DateTime<Utc>, end: DateTime<Utc>) {
        self.staff_edit(calendar, id, |e| {
            e["start"] = json!({"dateTime": start.to_rfc3339(), "timeZone": "America/Chicago"});
            e["end"] = json!({"dateTime": end.to_rfc3339(), "timeZone": "America/Chicago"});
        });
    }

    /// A staff member deletes an event in Google (kept as a cancelled tombstone, like Google).
    pub fn staff_delete(&self, calendar: &str, id: &str) {
        self.staff_edit(calendar, id, |e| e["status"] = json!("cancelled"));
    }

    /// The seed business (`appointment-setter.toml`) and the google backend signed in to this
    /// emulator with a key written into `dir`.
    pub async fn seed_backend(
        &self,
        dir: &std::path::Path,
    ) -> (Arc<appointment_setter::domain::Business>, appointment_setter::calendar::google::GoogleCalendar) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml");
        let business = Arc::new(appointment_setter::config::Config::load(&path).unwrap().business);
        let google = appointment_setter::calendar::google::GoogleCalendar::connect(
            &self.key_file(dir),
            Some(&self.api_base()),
            business.clone(),
        )
        .await
        .unwrap();
        (business, google)
    }

    /// Adds `latency` to every calendar call from now on.
    pub fn set_latency(&self, latency: Duration) {
        self.state.lock().unwrap().latency = latency;
    }

    /// Shares `calendar` read-only: reads work, writes get 403 `requiredAccessLevel`.
    pub fn share_read_only(&self, calendar: &str) {
        let mut state = self.state.lock().unwrap();
        state.calendars.entry(calendar.to_string()).or_default();
        state.read_only.insert(calendar.to_string());
    }

    /// How many access tokens the token endpoint has issued.
    pub fn tokens_issued(&self) -> usize {
        self.state.lock().unwrap().issued
    }

    /// From now on the token endpoint refuses the key (as Google does for a deleted key).
    pub fn refuse_grants(&self) {
        self.state.lock().unwrap().refuse_grants = true;
    }

    /// Drops faults not yet used.
    pub fn clear_faults(&self) {
        self.state.lock().unwrap().faults.clear();
    }

    /// Revokes every access token issued so far (they "expire"): the next call answers 401.
    pub fn expire_tokens(&self) {
        self.state.lock().unwrap().tokens.clear();
    }

    /// Calendar API requests seen so far (`METHOD /path`), token requests not included.
    pub fn api_calls(&self) -> usize {
        self.state.lock().unwrap().requests.len()
    }

    /// Requests seen (`METHOD /path`).
    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    /// The public key the emulator verifies assertions with (PEM).
    pub fn public_key_pem(&self) -> &[u8] {
        &self.public_key_pem
    }
}

/// `text` percent-encoded for a URL query value.
fn url_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

//! Connecting Google calendars from the console (issue #16): each staff member's status and
//! buttons (`/admin/google`, also on the set-up page), "Connect Google Calendar" (to Google's
//! consent page, `state` bound to this session), the callback, picking the calendar, disconnecting.
//! Staff handle their own calendar only; owners any, and can connect one account for several.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::actions::may_handle;
use super::views::Nav;
use super::{AdminConsole, csrf_ok, csrf_refused, nav, render_page, signed_in};
use crate::accounts::{Authenticated, Principal};
use crate::booking::google::{ConnectError, GoogleConnector};
use crate::calendar::google::oauth::CalendarEntry;
use crate::store::Role;

/// One staff member's line.
pub(crate) struct Row {
    pub staff_id: String,
    pub staff_name: String,
    /// `ok`, `warn` or `fail`.
    pub class: &'static str,
    pub label: &'static str,
    pub detail: String,
    pub connected: bool,
    pub account: String,
}

/// The Google Calendar card.
pub(crate) struct Card {
    pub available: bool,
    pub owner: bool,
    pub csrf: String,
    pub rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "admin/google.html")]
struct GooglePage {
    nav: Nav,
    google: Card,
    notice: Option<String>,
    error: Option<String>,
}

struct PickStaff {
    id: String,
    name: String,
    current: String,
    /// Only this staff member is being picked for: no "not from this account".
    single: bool,
}

#[derive(Template)]
#[template(path = "admin/google_pick.html")]
struct PickPage {
    nav: Nav,
    account: String,
    calendars: Vec<CalendarEntry>,
    staff: Vec<PickStaff>,
    notice: Option<String>,
}

/// The card for `p`: every staff member for owners, their own line for staff.
pub(crate) async fn card(console: &AdminConsole, p: &Principal) -> Card {
    let connected = console.store().google().calendars().await.unwrap_or_default();
    let service_account = console.google.as_ref().is_some_and(GoogleConnector::service_account);
    let rows = console
        .booking()
        .business()
        .staff
        .iter()
        .filter(|m| may_handle(p, &m.id))
        .map(|m| {
            let found = connected.iter().find(|c| c.staff_id == m.id.as_str());
            let (class, label, detail) = match (found, &m.calendar_id) {
                (Some(c), _) if c.account.lost_at.is_some() => (
                    "fail",
                    "needs reconnect",
                    format!("Google no longer accepts the connection of {}: connect again", c.account.email),
                ),
                (Some(c), _) => ("ok", "connected", format!("{} · {}", c.account.email, c.calendar_name)),
                (None, Some(id)) if service_account => ("ok", "service account", format!("service account · {id}")),
                (None, _) => ("warn", "not connected", String::new()),
            };
            Row {
                staff_id: m.id.to_string(),
                staff_name: m.name.clone(),
                class,
                label,
                detail,
                connected: found.is_some(),
                account: found.map(|c| c.account.email.clone()).unwrap_or_default(),
            }
        })
        .collect();
    Card { available: console.google.is_some(), owner: p.role == Role::Owner, csrf: p.csrf.clone(), rows }
}

/// `response` with the console's CSP, its `form-action` also allowing Google's consent page (the
/// connect form's answer redirects there, and browsers check redirects of form submissions).
pub(crate) fn allowing_consent(console: &AdminConsole, mut response: HttpResponse) -> HttpResponse {
    if let Some(google) = &console.google {
        let csp =
            super::CSP.replace("form-action 'self'", &format!("form-action 'self' {}", google.client().auth_origin()));
        if let Ok(value) = header::HeaderValue::from_str(&csp) {
            response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    response
}

fn to(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location.to_string())).finish()
}

async fn show(
    console: &AdminConsole,
    auth: &Authenticated,
    notice: Option<String>,
    error: Option<String>,
) -> HttpResponse {
    let google = card(console, &auth.principal).await;
    let page = render_page(console, auth, GooglePage { nav: nav(console, &auth.principal), google, notice, error });
    allowing_consent(console, page)
}

/// `GET /admin/google`.
pub(super) async fn page(req: HttpRequest) -> HttpResponse {
    let (console, auth) = match signed_in(&req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let query = web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let notice = query.get("done").map(|_| "Saved.".to_string());
    show(&console, &auth, notice, None).await
}

/// Where Google sends the browser back: `PUBLIC_URL/admin/google/callback`, else this request's
/// own address (fine for a console reached as `http://localhost:PORT`).
fn redirect_uri(console: &AdminConsole, req: &HttpRequest) -> String {
    let base = console.public_url().map(str::to_string).unwrap_or_else(|| {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    });
    format!("{base}/admin/google/callback")
}

#[derive(Deserialize)]
#[serde(default)]
#[derive(Default)]
pub(super) struct StaffForm {
    csrf: String,
    staff: String,
}

/// A signed-in request to a Google route: the console, who, and the connector.
struct Action {
    console: AdminConsole,
    auth: Authenticated,
    google: GoogleConnector,
}

/// Opens a Google route: signed in, the form's CSRF token when it changes something
/// (`csrf: Some`), Google set up on this server.
async fn open(req: &HttpRequest, csrf: Option<&str>) -> Result<Action, HttpResponse> {
    let (console, auth) = signed_in(req).await?;
    if csrf.is_some_and(|token| !csrf_ok(&auth.principal, token)) {
        return Err(csrf_refused());
    }
    let Some(google) = console.google.clone() else {
        return Err(HttpResponse::NotFound().body("Google calendars are not set up on this server."));
    };
    Ok(Action { console, auth, google })
}

/// `POST /admin/google/connect`: to Google's consent page.
pub(super) async fn connect(req: HttpRequest, form: web::Form<StaffForm>) -> HttpResponse {
    let Action { console, auth, google } = match open(&req, Some(&form.csrf)).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let p = &auth.principal;
    let staff = (!form.staff.is_empty()).then_some(form.staff.as_str());
    let allowed = match staff {
        Some(s) => console.booking().business().staff.iter().any(|m| m.id.as_str() == s && may_handle(p, &m.id)),
        None => p.role == Role::Owner,
    };
    if !allowed {
        return super::not_found(req).await;
    }
    match google.start(&p.session, &p.user_id, staff, &redirect_uri(&console, &req)).await {
        Ok(url) => to(&url),
        Err(e) => show(&console, &auth, None, Some(e.to_string())).await,
    }
}

#[derive(Deserialize)]
pub(super) struct Callback {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

/// `GET /admin/google/callback`: Google's answer.
pub(super) async fn callback(req: HttpRequest, query: web::Query<Callback>) -> HttpResponse {
    let Action { console, auth, google } = match open(&req, None).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let q = query.into_inner();
    let result = match (q.state, q.code, q.error) {
        (_, _, Some(error)) => Err(ConnectError::Denied(error)),
        (Some(state), Some(code), None) => google.finish(&auth.principal.session, &state, &code).await,
        _ => Err(ConnectError::BadState),
    };
    match result {
        Ok(connected) => {
            let staff = connected.staff.map(|s| format!("&staff={s}")).unwrap_or_default();
            let account: String = url_encode(&connected.email);
            to(&format!("/admin/google/pick?account={account}{staff}&connected=1"))
        }
        Err(e) => {
            tracing::warn!(error = %e, "a Google connection was refused");
            show(&console, &auth, None, Some(e.to_string())).await
        }
    }
}

/// What stays as it is in a query value here: unreserved characters and `@` (addresses read as they are).
const QUERY_VALUE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'@');

fn url_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, QUERY_VALUE).to_string()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct PickQuery {
    account: String,
    staff: Option<String>,
    connected: Option<String>,
}

/// The staff members `p` may pick for in `account`: owners all (or the one just connected),
/// staff only themselves and only in the account their calendar is already in.
async fn pickable(console: &AdminConsole, p: &Principal, account: &str, only: Option<&str>) -> Vec<PickStaff> {
    let connected = console.store().google().calendars().await.unwrap_or_default();
    console
        .booking()
        .business()
        .staff
        .iter()
        .filter(|m| may_handle(p, &m.id))
        .filter(|m| only.is_none_or(|o| o == m.id.as_str()))
        .filter(|m| {
            p.role == Role::Owner || connected.iter().any(|c| c.staff_id == m.id.as_str() && c.account.email == account)
        })
        .map(|m| PickStaff {
            id: m.id.to_string(),
            name: m.name.clone(),
            current: connected
                .iter()
                .find(|c| c.staff_id == m.id.as_str() && c.account.email == account)
                .map(|c| c.calendar_id.clone())
                .unwrap_or_default(),
            single: only.is_some() || p.role != Role::Owner,
        })
        .collect()
}

/// `GET /admin/google/pick?account=…`.
pub(super) async fn pick_form(req: HttpRequest, query: web::Query<PickQuery>) -> HttpResponse {
    let Action { console, auth, google } = match open(&req, None).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let staff = pickable(&console, &auth.principal, &query.account, query.staff.as_deref()).await;
    if staff.is_empty() {
        return super::not_found(req).await;
    }
    let calendars = match google.calendars(&query.account).await {
        Ok(c) => c,
        Err(e) => return show(&console, &auth, None, Some(e.to_string())).await,
    };
    let notice = query.connected.as_ref().map(|_| format!("Connected {}.", query.account));
    let page =
        PickPage { nav: nav(&console, &auth.principal), account: query.account.clone(), calendars, staff, notice };
    render_page(&console, &auth, page)
}

/// `POST /admin/google/pick`: `cal_<staff id>` = calendar id (empty: leave as it is).
pub(super) async fn pick(req: HttpRequest, form: web::Form<Vec<(String, String)>>) -> HttpResponse {
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let Action { console, auth, google } = match open(&req, Some(&get("csrf"))).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let account = get("account");
    let allowed = pickable(&console, &auth.principal, &account, None).await;
    for (name, calendar) in form.iter() {
        let Some(staff) = name.strip_prefix("cal_") else { continue };
        if calendar.is_empty() {
            continue;
        }
        if !allowed.iter().any(|s| s.id == staff) {
            return super::not_found(req).await;
        }
        if let Err(e) = google.pick(staff, &account, calendar).await {
            return show(&console, &auth, None, Some(e.to_string())).await;
        }
        console.accounts().audit(Some(&auth.principal), "google.pick", Some(staff), Some(calendar)).await;
    }
    to("/admin/google?done=1")
}

/// `POST /admin/google/disconnect`.
pub(super) async fn disconnect(req: HttpRequest, form: web::Form<StaffForm>) -> HttpResponse {
    let Action { console, auth, google } = match open(&req, Some(&form.csrf)).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let ok = console
        .booking()
        .business()
        .staff
        .iter()
        .any(|m| m.id.as_str() == form.staff && may_handle(&auth.principal, &m.id));
    if !ok {
        return super::not_found(req).await;
    }
    match google.disconnect(&form.staff).await {
        Ok(_) => {
            console.accounts().audit(Some(&auth.principal), "google.disconnect", Some(&form.staff), None).await;
            show(&console, &auth, Some("Disconnected: the token was revoked at Google and deleted here.".into()), None)
                .await
        }
        Err(e) => show(&console, &auth, None, Some(e.to_string())).await,
    }
}

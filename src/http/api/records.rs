//! `/api/v1/token` (sign in for a bearer token), and the records: calls and chats with their
//! transcripts (staff: those that booked theirs), messages, customers and the audit log (owners).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::DateTime;

use super::wire::{
    ApiAudit, ApiConversation, ApiCustomer, ApiError, ApiLine, ApiMessage, Page, PageQuery, TokenRequest, TokenResponse,
};
use super::{Problem, authorized, cursor, error, owner_only, page_size, problem, read_cursor, unavailable};
use crate::accounts::{LoginError, SESSION_LIFETIME};
use crate::conversation::Conversation;
use crate::http::admin::console;
use crate::http::admin::conversations::{booked_by, may_see, outcome, transcript};
use crate::store::StoredConversation;

/// `(instant, text)` from a two-part cursor, or the 400.
fn instant_cursor(c: &Option<String>) -> Result<Option<(DateTime<chrono::Utc>, String)>, Problem> {
    let Some(c) = c else { return Ok(None) };
    let parts = read_cursor(c, 2)?;
    let at = parts[0].parse::<i64>().ok().and_then(|s| DateTime::from_timestamp(s, 0));
    match at {
        Some(at) => Ok(Some((at, parts[1].clone()))),
        None => {
            Err(problem(StatusCode::BAD_REQUEST, "bad_cursor", "pass back a next_cursor exactly as a page gave it"))
        }
    }
}

/// A session token for `Authorization: Bearer` (the console's sign-in rules: lockout, rate limit).
#[utoipa::path(post, path = "/api/v1/token", request_body = TokenRequest, security(),
    responses((status = 200, body = TokenResponse), (status = 401, body = ApiError), (status = 423, body = ApiError), (status = 429, body = ApiError)))]
pub(super) async fn token(req: HttpRequest, bytes: web::Bytes) -> HttpResponse {
    let Some(console) = console(&req).cloned() else {
        return error(StatusCode::NOT_FOUND, "not_found", "no admin API");
    };
    let body: TokenRequest = try_response!(super::body(&bytes));
    let address = req.peer_addr().map_or(std::net::IpAddr::from([0, 0, 0, 0]), |a| a.ip());
    match console.accounts().login(&body.email, &body.password, address).await {
        Ok(signed) => HttpResponse::Ok().json(TokenResponse {
            access_token: signed.token,
            token_type: "Bearer",
            expires_in: SESSION_LIFETIME.num_seconds(),
        }),
        Err(e) => {
            let (status, code) = match &e {
                LoginError::Invalid => (StatusCode::UNAUTHORIZED, "unauthorized"),
                LoginError::Locked { .. } => (StatusCode::LOCKED, "locked"),
                LoginError::TooMany => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
                LoginError::Store(e) => {
                    tracing::error!(error = %e, "an API sign-in could not reach the store");
                    return unavailable();
                }
            };
            error(status, code, &e.to_string())
        }
    }
}

fn conversation_out(
    c: &StoredConversation,
    booked: &[crate::domain::Appointment],
    with_transcript: bool,
) -> ApiConversation {
    let state: Conversation = serde_json::from_str(&c.state).unwrap_or_default();
    let transcript =
        with_transcript.then(|| transcript(&state).into_iter().map(|(who, text)| ApiLine { who, text }).collect());
    ApiConversation {
        id: c.id.clone(),
        channel: c.channel.as_str().to_string(),
        caller: c.caller.as_ref().map(|p| p.masked()),
        started_at: super::wire::rfc3339(c.started_at),
        duration_seconds: (c.updated_at - c.started_at).num_seconds().max(0),
        outcome: outcome(c, &state, booked),
        appointments: booked.iter().map(|a| a.id.to_string()).collect(),
        transcript,
    }
}

/// Calls and chats, latest first (staff: those that booked one of theirs).
#[utoipa::path(get, path = "/api/v1/conversations", params(PageQuery),
    responses((status = 200, body = Page<ApiConversation>), (status = 401, body = ApiError)))]
pub(super) async fn conversations(req: HttpRequest) -> HttpResponse {
    let (console, p) = try_response!(authorized(&req).await);
    let q: PageQuery = try_response!(super::query(&req));
    let before = try_response!(instant_cursor(&q.cursor));
    let size = page_size(q.limit);
    let mut data = Vec::new();
    let mut next = before;
    // Staff skip others' conversations: read on until the page is full or nothing is left.
    loop {
        let after = next.as_ref().map(|(at, id)| (*at, id.as_str()));
        let found = match console.store().conversations().page(None, after, size + 1).await {
            Ok(found) => found,
            Err(e) => {
                tracing::error!(error = %e, "the API could not list conversations");
                return unavailable();
            }
        };
        let more = found.len() as i64 > size;
        for c in found.iter().take(size as usize) {
            next = Some((c.started_at, c.id.clone()));
            let booked = booked_by(&console, &c.id).await;
            if may_see(&p, &booked) {
                data.push(conversation_out(c, &booked, false));
            }
            if data.len() as i64 == size {
                break;
            }
        }
        let full = data.len() as i64 == size;
        if full || !more {
            let next_cursor = next.filter(|_| more || full).map(|(at, id)| cursor(&[&at.timestamp().to_string(), &id]));
            return HttpResponse::Ok().json(Page { data, next_cursor });
        }
    }
}

/// One call or chat with its transcript (tool calls said readably).
#[utoipa::path(get, path = "/api/v1/conversations/{id}", params(("id" = String, Path)),
    responses((status = 200, body = ApiConversation), (status = 404, body = ApiError)))]
pub(super) async fn conversation(req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (console, p) = try_response!(authorized(&req).await);
    let not_found = || error(StatusCode::NOT_FOUND, "not_found", "there is no such conversation of yours");
    let Ok(Some(c)) = console.store().conversations().get(&id).await else { return not_found() };
    let booked = booked_by(&console, &c.id).await;
    if !may_see(&p, &booked) {
        return not_found();
    }
    HttpResponse::Ok().json(conversation_out(&c, &booked, true))
}

/// Texts and emails, latest first, with their delivery status (owners).
#[utoipa::path(get, path = "/api/v1/messages", params(PageQuery),
    responses((status = 200, body = Page<ApiMessage>), (status = 403, body = ApiError)))]
pub(super) async fn messages(req: HttpRequest) -> HttpResponse {
    let (console, p) = try_response!(authorized(&req).await);
    let q: PageQuery = try_response!(super::query(&req));
    try_response!(owner_only(&p));
    let before = try_response!(instant_cursor(&q.cursor));
    let size = page_size(q.limit);
    let found = console.store().outbox().page(before.as_ref().map(|(a, c)| (*a, c.as_str())), size + 1).await;
    let Ok(mut found) = found else { return unavailable() };
    let more = found.len() as i64 > size;
    found.truncate(size as usize);
    let next_cursor = found.last().filter(|_| more).map(|m| cursor(&[&m.created_at.timestamp().to_string(), &m.cause]));
    let data = found
        .iter()
        .map(|m| ApiMessage {
            cause: m.cause.clone(),
            channel: m.channel.as_str().to_string(),
            recipient: m.recipient.clone(),
            body: m.body.clone(),
            status: m.state().to_string(),
            attempts: m.attempts,
            created_at: super::wire::rfc3339(m.created_at),
        })
        .collect();
    HttpResponse::Ok().json(Page { data, next_cursor })
}

/// Customers by number, with how many appointments and opt-out (owners).
#[utoipa::path(get, path = "/api/v1/customers", params(PageQuery),
    responses((status = 200, body = Page<ApiCustomer>), (status = 403, body = ApiError)))]
pub(super) async fn customers(req: HttpRequest) -> HttpResponse {
    let (console, p) = try_response!(authorized(&req).await);
    let q: PageQuery = try_response!(super::query(&req));
    try_response!(owner_only(&p));
    let after = match &q.cursor {
        Some(c) => Some(try_response!(read_cursor(c, 1)).remove(0)),
        None => None,
    };
    let size = page_size(q.limit);
    let found = console.store().appointments().customers_by_phone(after.as_deref(), size + 1).await;
    let Ok(mut found) = found else { return unavailable() };
    let more = found.len() as i64 > size;
    found.truncate(size as usize);
    let next_cursor = found.last().filter(|_| more).map(|(phone, _, _)| cursor(&[phone.as_str()]));
    let opted_out = match (found.first(), found.last()) {
        (Some(first), Some(last)) => {
            let Ok(numbers) = console.store().opt_outs().between(first.0.as_str(), last.0.as_str()).await else {
                return unavailable();
            };
            numbers
        }
        _ => Vec::new(),
    };
    let data = found
        .iter()
        .map(|(phone, name, n)| ApiCustomer {
            phone: phone.as_str().to_string(),
            name: name.clone(),
            appointments: *n,
            opted_out: opted_out.iter().any(|o| o == phone.as_str()),
        })
        .collect();
    HttpResponse::Ok().json(Page { data, next_cursor })
}

/// The audit log, latest first (owners).
#[utoipa::path(get, path = "/api/v1/audit", params(PageQuery),
    responses((status = 200, body = Page<ApiAudit>), (status = 403, body = ApiError)))]
pub(super) async fn audit(req: HttpRequest) -> HttpResponse {
    let (console, p) = try_response!(authorized(&req).await);
    let q: PageQuery = try_response!(super::query(&req));
    try_response!(owner_only(&p));
    let before = match &q.cursor {
        Some(c) => Some(try_response!(read_cursor(c, 1)).remove(0)),
        None => None,
    };
    let size = page_size(q.limit);
    let Ok(mut found) = console.store().users().audit_page(before.as_deref(), size + 1).await else {
        return unavailable();
    };
    let more = found.len() as i64 > size;
    found.truncate(size as usize);
    let next_cursor = found.last().filter(|_| more).map(|(id, _)| cursor(&[id]));
    let mut data = Vec::new();
    for (id, e) in &found {
        let who = match &e.user_id {
            Some(user) => console.store().users().by_id(user).await.ok().flatten().map(|u| u.email),
            None => None,
        };
        data.push(ApiAudit {
            id: id.clone(),
            at: super::wire::rfc3339(e.at),
            who,
            action: e.action.clone(),
            target: e.target.clone(),
            detail: e.detail.clone(),
        });
    }
    HttpResponse::Ok().json(Page { data, next_cursor })
}

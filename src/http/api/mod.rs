//! The admin API (`/api/v1`, SPEC §15): JSON over the same booking service and store as the
//! console, with the same visibility (staff see their own schedule; owners everything).
//!
//! Authentication is `Authorization: Bearer` with a session JWT from `POST /api/v1/token` or a
//! personal API token (`ast_…`); every other route answers 401 without one. Bearer tokens are
//! never sent by a browser on its own, so the API needs no CSRF token (it reads no cookie).
//! Errors are `{"code", "message"}` with a stable code (the booking refusal codes included).
//! Lists page by cursor (keyset: the next page starts after the last row, whatever was added
//! meanwhile). The OpenAPI document (`/api/v1/openapi.json`) is generated from these handlers.

/// The value of a `Result<T, HttpResponse>`, or return its response.
macro_rules! try_response {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(response) => return actix_web::HttpResponse::from(response),
        }
    };
}

mod appointments;
mod records;
pub(crate) mod wire;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use utoipa::OpenApi;

use super::admin::{AdminConsole, console};
use crate::accounts::Principal;
use crate::booking::BookingError;
use crate::store::Role;
use wire::ApiError;

/// The API's routes, under `/api/v1`.
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    let bytes = web::PayloadConfig::new(16 * 1024);
    cfg.service(
        web::scope("/api/v1")
            .app_data(bytes)
            .route("/token", web::post().to(records::token))
            .route("/openapi.json", web::get().to(openapi))
            .route("/appointments", web::get().to(appointments::list))
            .route("/appointments", web::post().to(appointments::book))
            .route("/appointments/{id}", web::get().to(appointments::get))
            .route("/appointments/{id}/cancel", web::post().to(appointments::cancel))
            .route("/appointments/{id}/reschedule", web::post().to(appointments::reschedule))
            .route("/slots", web::get().to(appointments::slots))
            .route("/conversations", web::get().to(records::conversations))
            .route("/conversations/{id}", web::get().to(records::conversation))
            .route("/messages", web::get().to(records::messages))
            .route("/customers", web::get().to(records::customers))
            .route("/audit", web::get().to(records::audit))
            .default_service(web::to(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })),
    );
}

#[derive(OpenApi)]
#[openapi(
    info(title = "appointment-setter admin API", description = "The receptionist's appointments, calls, texts and customers."),
    paths(
        records::token,
        appointments::list,
        appointments::get,
        appointments::book,
        appointments::cancel,
        appointments::reschedule,
        appointments::slots,
        records::conversations,
        records::conversation,
        records::messages,
        records::customers,
        records::audit,
    ),
    modifiers(&Bearer),
    security(("bearer" = []))
)]
struct Doc;

struct Bearer;

impl utoipa::Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT or ast_ token").build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The OpenAPI document (signed-in clients only, like every route but `/token`).
async fn openapi(req: HttpRequest) -> HttpResponse {
    if let Err(response) = authorized(&req).await {
        return response;
    }
    HttpResponse::Ok().content_type("application/json").body(Doc::openapi().to_pretty_json().unwrap_or_default())
}

/// The document, for tests and `check`.
pub fn openapi_document() -> String {
    Doc::openapi().to_pretty_json().unwrap_or_default()
}

/// An error answer not yet sent: small, so helpers can return it in a `Result`.
#[derive(Debug)]
pub(crate) struct Problem {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl From<Problem> for HttpResponse {
    fn from(p: Problem) -> Self {
        error(p.status, p.code, &p.message)
    }
}

/// A [`Problem`].
pub(crate) fn problem(status: StatusCode, code: &'static str, message: impl Into<String>) -> Problem {
    Problem { status, code, message: message.into() }
}

/// A JSON error.
pub(crate) fn error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(ApiError { code: code.into(), message: message.into() })
}

/// The console (for the services) and who the bearer token is, or the 401 to send.
pub(crate) async fn authorized(req: &HttpRequest) -> Result<(AdminConsole, Principal), HttpResponse> {
    let Some(console) = console(req).cloned() else {
        return Err(error(StatusCode::NOT_FOUND, "not_found", "this server has no admin API"));
    };
    let header = req.headers().get(actix_web::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let token = header.and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")));
    let unauthorized = || {
        let mut response = error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send Authorization: Bearer <token> (POST /api/v1/token, or `users token create`)",
        );
        response.headers_mut().insert(
            actix_web::http::header::WWW_AUTHENTICATE,
            actix_web::http::header::HeaderValue::from_static("Bearer"),
        );
        response
    };
    let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else { return Err(unauthorized()) };
    match console.accounts().authenticate_bearer(token).await {
        Ok(Some(principal)) => Ok((console, principal)),
        Ok(None) => Err(unauthorized()),
        Err(e) => {
            tracing::error!(error = %e, "could not check an API token");
            Err(unavailable())
        }
    }
}

/// The owner, or the 403 for staff.
pub(crate) fn owner_only(p: &Principal) -> Result<(), Problem> {
    match p.role {
        Role::Owner => Ok(()),
        Role::Staff => Err(problem(StatusCode::FORBIDDEN, "forbidden", "only an owner account may read this")),
    }
}

pub(crate) fn unavailable() -> HttpResponse {
    error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the database or calendar is not answering; try again")
}

/// A booking service error as the API says it: refusals 409 (`not_found` 404) with their code.
pub(crate) fn booking_error(e: &BookingError) -> HttpResponse {
    match e {
        BookingError::Refused { reason, message } => {
            let code = reason.to_string();
            let status = if code == "not_found" { StatusCode::NOT_FOUND } else { StatusCode::CONFLICT };
            error(status, &code, message)
        }
        BookingError::Invalid { field, problem } => {
            error(StatusCode::UNPROCESSABLE_ENTITY, "invalid", &format!("{field}: {problem}"))
        }
        e => {
            tracing::error!(error = %e, "an API change failed");
            unavailable()
        }
    }
}

/// The JSON body as `T` (read after authentication, so a request without a token is a 401
/// whatever its body), or the 400 to send. An empty body is `{}`.
pub(crate) fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { bytes };
    serde_json::from_slice(bytes)
        .map_err(|e| problem(StatusCode::BAD_REQUEST, "invalid", format!("the JSON body: {e}")))
}

/// The query string as `T` (read after authentication, like [`body`]), or the 400 to send.
pub(crate) fn query<T: serde::de::DeserializeOwned>(req: &HttpRequest) -> Result<T, Problem> {
    web::Query::<T>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| problem(StatusCode::BAD_REQUEST, "invalid", format!("the query: {e}")))
}

/// Page size from the query: 1–500, default 100.
pub(crate) fn page_size(limit: Option<i64>) -> i64 {
    limit.unwrap_or(100).clamp(1, 500)
}

/// A cursor: the parts of the last row's sort key, opaque to clients.
pub(crate) fn cursor(parts: &[&str]) -> String {
    URL_SAFE_NO_PAD.encode(parts.join("\n"))
}

/// The parts of a cursor (`n` of them), or the 400 to send.
pub(crate) fn read_cursor(cursor: &str, n: usize) -> Result<Vec<String>, Problem> {
    let bad = || problem(StatusCode::BAD_REQUEST, "bad_cursor", "pass back a next_cursor exactly as a page gave it");
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let parts: Vec<String> = text.split('\n').map(String::from).collect();
    if parts.len() == n { Ok(parts) } else { Err(bad()) }
}

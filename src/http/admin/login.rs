//! Signing in and out, and the one-time set-up link that creates the owner. A wrong address and
//! a wrong password get the same answer; a locked account says until when and what to do.

use std::net::{IpAddr, Ipv4Addr};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::views::{Expired, Login, Setup};
use super::{AdminConsole, DATABASE_DOWN, console, csrf_ok, csrf_refused, session_cookie, signed_in};
use crate::accounts::{AccountError, LoginError};

/// The sign-in form's CSRF cookie: there is no session yet, so the form's token is checked
/// against this cookie (double submit), which another site can neither read nor set.
const LOGIN_COOKIE: &str = "as_login";

#[derive(Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub(super) struct SetupForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    again: String,
}

fn html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body)
}

/// The address a request came from (the peer; a proxy in front makes it the proxy's).
fn address(req: &HttpRequest) -> IpAddr {
    req.peer_addr().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip())
}

fn render(template: impl askama::Template) -> String {
    template.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "a console template failed");
        "Something went wrong on our side.".into()
    })
}

fn business(console: &AdminConsole) -> &str {
    &console.booking.business().name
}

fn signed_in_redirect(console: &AdminConsole, token: &str) -> HttpResponse {
    HttpResponse::SeeOther().cookie(session_cookie(console, token)).insert_header((header::LOCATION, "/admin")).finish()
}

/// The sign-in page with a fresh CSRF token, set as the cookie too.
pub(super) async fn form(req: HttpRequest) -> HttpResponse {
    let Some(console) = console(&req) else { return HttpResponse::NotFound().finish() };
    let csrf = crate::accounts::random_token(16);
    let cookie = actix_web::cookie::Cookie::build(LOGIN_COOKIE, csrf.clone())
        .path("/admin")
        .http_only(true)
        .same_site(actix_web::cookie::SameSite::Strict)
        .secure(console.secure)
        .max_age(actix_web::cookie::time::Duration::hours(1))
        .finish();
    let page = render(Login { business: business(console), csrf: &csrf, email: "", error: None });
    let mut response = html(actix_web::http::StatusCode::OK, page);
    let _ = response.add_cookie(&cookie);
    response
}

pub(super) async fn submit(req: HttpRequest, form: web::Form<LoginForm>) -> HttpResponse {
    let Some(console) = console(&req) else { return HttpResponse::NotFound().finish() };
    let cookie = req.cookie(LOGIN_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    if !crate::secrets::same_secret(&cookie, &form.csrf) {
        return csrf_refused();
    }
    match console.accounts.login(&form.email, &form.password, address(&req)).await {
        Ok(signed) => signed_in_redirect(console, &signed.token),
        Err(e) => {
            let status = match &e {
                LoginError::Invalid => actix_web::http::StatusCode::UNAUTHORIZED,
                LoginError::Locked { .. } => actix_web::http::StatusCode::LOCKED,
                LoginError::TooMany => actix_web::http::StatusCode::TOO_MANY_REQUESTS,
                LoginError::Store(e) => {
                    tracing::error!(error = %e, "sign-in failed on the database");
                    actix_web::http::StatusCode::SERVICE_UNAVAILABLE
                }
            };
            let message = match e {
                LoginError::Store(_) => DATABASE_DOWN.to_string(),
                e => e.to_string(),
            };
            let page =
                Login { business: business(console), csrf: &form.csrf, email: form.email.trim(), error: Some(message) };
            html(status, render(page))
        }
    }
}

pub(super) async fn logout(req: HttpRequest, form: web::Form<CsrfForm>) -> HttpResponse {
    let (console, auth) = match signed_in(&req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if !csrf_ok(&auth.principal, &form.csrf) {
        return csrf_refused();
    }
    if let Err(e) = console.accounts.logout(&auth.principal).await {
        tracing::error!(error = %e, "could not end a console session");
    }
    HttpResponse::SeeOther()
        .cookie(session_cookie(&console, ""))
        .insert_header((header::LOCATION, "/admin/login"))
        .finish()
}

pub(super) async fn setup_form(req: HttpRequest, token: web::Path<String>) -> HttpResponse {
    let Some(console) = console(&req) else { return HttpResponse::NotFound().finish() };
    let business = business(console);
    match console.accounts.setup_token_valid(&token).await {
        Ok(true) => {
            html(actix_web::http::StatusCode::OK, render(Setup { business, token: &token, email: "", error: None }))
        }
        _ => html(actix_web::http::StatusCode::NOT_FOUND, render(Expired { business })),
    }
}

pub(super) async fn setup_submit(
    req: HttpRequest,
    token: web::Path<String>,
    form: web::Form<SetupForm>,
) -> HttpResponse {
    let Some(console) = console(&req) else { return HttpResponse::NotFound().finish() };
    let business = business(console);
    let again = |error: String| {
        let page = Setup { business, token: &token, email: form.email.trim(), error: Some(error) };
        html(actix_web::http::StatusCode::BAD_REQUEST, render(page))
    };
    if form.password != form.again {
        return again("The two passwords differ.".into());
    }
    match console.accounts.setup_owner(&token, &form.email, &form.password, address(&req)).await {
        Ok(signed) => signed_in_redirect(console, &signed.token),
        Err(AccountError::SetupLink) => html(actix_web::http::StatusCode::NOT_FOUND, render(Expired { business })),
        Err(AccountError::Store(e)) => {
            tracing::error!(error = %e, "owner set-up failed on the database");
            again(DATABASE_DOWN.into())
        }
        Err(e) => again(format!("{}.", capitalize(&e.to_string()))),
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

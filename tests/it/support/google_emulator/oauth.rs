//! Google's OAuth 2.0 endpoints for user accounts, as the emulator plays them: the consent page
//! (auto-consents as the configured test user, or refuses), the token endpoint's
//! `authorization_code` grant (client, redirect URI, PKCE S256 verifier, one use per code) and
//! `refresh_token` grant, revocation (the refresh token and every access token from it), the
//! user's `calendarList`, and faults on the token endpoint (`invalid_grant`, `invalid_client`, 5xx).

use std::collections::{HashMap, VecDeque};

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use serde_json::{Value, json};
use sha2::Digest as _;

use super::{GoogleEmulator, Shared, error, url_pairs};

/// The OAuth client the emulator knows.
pub const CLIENT_ID: &str = "test-client.apps.googleusercontent.com";
pub const CLIENT_SECRET: &str = "test-client-secret";

/// A fault for the next token-endpoint request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthFault {
    /// 400 `invalid_grant`.
    InvalidGrant,
    /// 401 `invalid_client`.
    InvalidClient,
    /// This HTTP status with an HTML page.
    Status(u16),
}

struct Code {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    email: String,
    scope: String,
    used: bool,
}

#[derive(Default)]
pub(super) struct OAuthState {
    /// Each user's calendars: id, name, access role, primary.
    users: HashMap<String, Vec<(String, String, &'static str, bool)>>,
    /// Who the consent page signs in as (`None`: the user refuses).
    consent_as: Option<String>,
    codes: HashMap<String, Code>,
    /// Live refresh tokens and their user.
    refresh_tokens: HashMap<String, String>,
    /// Access token → the refresh token it came from.
    access_from: HashMap<String, String>,
    faults: VecDeque<OAuthFault>,
    /// Every authorization request's query.
    pub(super) authorizations: Vec<HashMap<String, String>>,
    /// Grants answered: (grant type, outcome).
    pub(super) grants: Vec<(String, String)>,
    revoked: Vec<String>,
    lifetime: i64,
}

impl OAuthState {
    /// The user owning `calendar`, if a user does.
    pub(super) fn owner_of(&self, calendar: &str) -> Option<&str> {
        self.users.iter().find(|(_, cals)| cals.iter().any(|(id, ..)| id == calendar)).map(|(u, _)| u.as_str())
    }
}

fn challenge_of(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

fn oauth_error(status: u16, code: &str, description: &str) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
        .json(json!({"error": code, "error_description": description}))
}

/// `GET /o/oauth2/auth`: consents (or refuses) at once and redirects back.
pub(super) async fn authorize(req: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    let q: HashMap<String, String> = url_pairs(req.query_string()).into_iter().collect();
    let mut state = shared.state.lock().unwrap();
    state.oauth.authorizations.push(q.clone());
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    if get("client_id") != CLIENT_ID {
        return HttpResponse::BadRequest().body("Error 401: invalid_client (The OAuth client was not found.)");
    }
    let redirect = get("redirect_uri");
    if redirect.is_empty() || get("response_type") != "code" {
        return HttpResponse::BadRequest().body("Error 400: invalid_request");
    }
    if get("code_challenge_method") != "S256" || get("code_challenge").len() < 43 {
        return HttpResponse::BadRequest().body("Error 400: invalid_request (PKCE S256 required by this emulator)");
    }
    let sep = if redirect.contains('?') { '&' } else { '?' };
    let state_param = super::url_encode(&get("state"));
    let Some(email) = state.oauth.consent_as.clone() else {
        let to = format!("{redirect}{sep}error=access_denied&state={state_param}");
        return HttpResponse::Found().insert_header(("location", to)).finish();
    };
    state.next += 1;
    let code = format!("4/emu-code-{}", state.next);
    state.oauth.codes.insert(
        code.clone(),
        Code {
            client_id: get("client_id"),
            redirect_uri: redirect.clone(),
            challenge: get("code_challenge"),
            email,
            scope: get("scope"),
            used: false,
        },
    );
    let to = format!("{redirect}{sep}code={}&state={state_param}&scope=x", super::url_encode(&code));
    HttpResponse::Found().insert_header(("location", to)).finish()
}

/// `POST /token` with `grant_type=authorization_code` or `refresh_token`.
pub(super) async fn grant(form: &HashMap<String, String>, shared: &Shared) -> HttpResponse {
    let mut state = shared.state.lock().unwrap();
    let grant_type = form.get("grant_type").cloned().unwrap_or_default();
    let answer = |state: &mut super::State, outcome: &str, r: HttpResponse| {
        state.oauth.grants.push((grant_type.clone(), outcome.to_string()));
        r
    };
    match state.oauth.faults.pop_front() {
        Some(OAuthFault::InvalidGrant) => {
            return answer(
                &mut state,
                "invalid_grant",
                oauth_error(400, "invalid_grant", "Token has been expired or revoked."),
            );
        }
        Some(OAuthFault::InvalidClient) => {
            return answer(
                &mut state,
                "invalid_client",
                oauth_error(401, "invalid_client", "The OAuth client was not found."),
            );
        }
        Some(OAuthFault::Status(status)) => {
            let page = HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                .content_type("text/html")
                .body("<html><body>Server Error</body></html>");
            return answer(&mut state, "5xx", page);
        }
        None => {}
    }
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    if get("client_id") != CLIENT_ID || get("client_secret") != CLIENT_SECRET {
        return answer(&mut state, "invalid_client", oauth_error(401, "invalid_client", "Unauthorized"));
    }
    let (email, refresh, scope) = if grant_type == "authorization_code" {
        let Some(code) = state.oauth.codes.get_mut(&get("code")) else {
            return answer(&mut state, "invalid_grant", oauth_error(400, "invalid_grant", "Malformed auth code."));
        };
        if code.used {
            return answer(&mut state, "invalid_grant", oauth_error(400, "invalid_grant", "Bad Request"));
        }
        // Google burns a code on its first use, right or wrong.
        code.used = true;
        if code.redirect_uri != get("redirect_uri") || code.client_id != get("client_id") {
            return answer(&mut state, "invalid_grant", oauth_error(400, "redirect_uri_mismatch", "Bad Request"));
        }
        if challenge_of(&get("code_verifier")) != code.challenge {
            return answer(&mut state, "invalid_grant", oauth_error(400, "invalid_grant", "Invalid code verifier."));
        }
        let (email, scope) = (code.email.clone(), code.scope.clone());
        state.next += 1;
        let refresh = format!("1//emu-refresh-{}", state.next);
        state.oauth.refresh_tokens.insert(refresh.clone(), email.clone());
        (email, Some(refresh), scope)
    } else {
        let token = get("refresh_token");
        let Some(email) = state.oauth.refresh_tokens.get(&token).cloned() else {
            return answer(
                &mut state,
                "invalid_grant",
                oauth_error(400, "invalid_grant", "Token has been expired or revoked."),
            );
        };
        (email, None, String::new())
    };
    state.next += 1;
    let access = format!("ya29.emu-{}", state.next);
    state.tokens.insert(access.clone(), email);
    let from = refresh.clone().unwrap_or_else(|| get("refresh_token"));
    state.oauth.access_from.insert(access.clone(), from);
    let lifetime = if state.oauth.lifetime > 0 { state.oauth.lifetime } else { 3599 };
    let mut body = json!({"access_token": access, "expires_in": lifetime, "token_type": "Bearer", "scope": scope});
    if let Some(refresh) = refresh {
        body["refresh_token"] = json!(refresh);
    }
    answer(&mut state, "ok", HttpResponse::Ok().json(body))
}

/// `POST /revoke`: the token and, for a refresh token, every access token from it.
pub(super) async fn revoke(form: web::Form<HashMap<String, String>>, shared: web::Data<Shared>) -> HttpResponse {
    let token = form.get("token").cloned().unwrap_or_default();
    let mut state = shared.state.lock().unwrap();
    state.oauth.revoked.push(token.clone());
    if state.oauth.refresh_tokens.remove(&token).is_some() {
        let from: Vec<String> =
            state.oauth.access_from.iter().filter(|(_, r)| **r == token).map(|(a, _)| a.clone()).collect();
        for a in from {
            state.tokens.remove(&a);
        }
        return HttpResponse::Ok().finish();
    }
    if state.tokens.remove(&token).is_some() {
        return HttpResponse::Ok().finish();
    }
    oauth_error(400, "invalid_token", "Token expired or revoked")
}

/// `GET /calendar/v3/users/me/calendarList` (`minAccessRole` honoured).
pub(super) async fn calendar_list(req: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    let principal = match super::gate(&req, &shared).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let q: HashMap<String, String> = url_pairs(req.query_string()).into_iter().collect();
    let rank =
        |role: &str| ["freeBusyReader", "reader", "writer", "owner"].iter().position(|r| *r == role).unwrap_or(0);
    let min = q.get("minAccessRole").map_or(0, |r| rank(r));
    let state = shared.state.lock().unwrap();
    let Some(calendars) = state.oauth.users.get(&principal) else {
        return error(403, "global", "insufficientPermissions", "Request had insufficient authentication scopes.");
    };
    let items: Vec<Value> = calendars
        .iter()
        .filter(|(_, _, role, _)| rank(role) >= min)
        .map(|(id, summary, role, primary)| json!({"kind": "calendar#calendarListEntry", "id": id, "summary": summary, "accessRole": role, "primary": primary}))
        .collect();
    HttpResponse::Ok().json(json!({"kind": "calendar#calendarList", "items": items}))
}

impl GoogleEmulator {
    /// A Google user whose primary calendar is their address, plus `others` (id, name, role).
    pub fn add_user(&self, email: &str, others: &[(&str, &str, &'static str)]) {
        let mut state = self.state.lock().unwrap();
        let mut calendars = vec![(email.to_string(), email.to_string(), "owner", true)];
        calendars.extend(others.iter().map(|(id, name, role)| (id.to_string(), name.to_string(), *role, false)));
        for (id, ..) in &calendars {
            state.calendars.entry(id.clone()).or_default();
        }
        state.oauth.users.insert(email.to_string(), calendars);
    }

    /// The consent page signs in as `email` and allows access (`None`: the user refuses).
    pub fn consent_as(&self, email: Option<&str>) {
        self.state.lock().unwrap().oauth.consent_as = email.map(str::to_string);
    }

    /// Faults for the next token-endpoint requests (OAuth grants only).
    pub fn fail_next_grants(&self, faults: impl IntoIterator<Item = OAuthFault>) {
        self.state.lock().unwrap().oauth.faults.extend(faults);
    }

    /// Drops token-endpoint faults not yet used.
    pub fn clear_grant_faults(&self) {
        self.state.lock().unwrap().oauth.faults.clear();
    }

    /// Lifetime of the access tokens issued from now on (seconds).
    pub fn set_token_lifetime(&self, seconds: i64) {
        self.state.lock().unwrap().oauth.lifetime = seconds;
    }

    /// The user revokes the app's access in their Google account.
    pub fn user_revokes(&self, email: &str) {
        let mut state = self.state.lock().unwrap();
        let mine: Vec<String> =
            state.oauth.refresh_tokens.iter().filter(|(_, u)| *u == email).map(|(t, _)| t.clone()).collect();
        for t in &mine {
            state.oauth.refresh_tokens.remove(t);
        }
        state.tokens.retain(|_, who| who != email);
    }

    /// The OAuth client JSON Google's console would download (`kind` = `web` or `installed`).
    pub fn oauth_client_file(&self, dir: &std::path::Path, kind: &str) -> std::path::PathBuf {
        let file = json!({kind: {
            "client_id": CLIENT_ID, "project_id": "test-project", "client_secret": CLIENT_SECRET,
            "auth_uri": format!("{}/o/oauth2/auth", self.origin), "token_uri": self.token_uri(),
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "redirect_uris": ["http://127.0.0.1"]
        }});
        let path = dir.join(format!("oauth-{kind}.json"));
        std::fs::write(&path, file.to_string()).unwrap();
        path
    }

    /// Every authorization request's query so far.
    pub fn authorizations(&self) -> Vec<HashMap<String, String>> {
        self.state.lock().unwrap().oauth.authorizations.clone()
    }

    /// Token-endpoint grants so far: (grant type, outcome).
    pub fn grants(&self) -> Vec<(String, String)> {
        self.state.lock().unwrap().oauth.grants.clone()
    }

    /// How many `refresh_token` grants were asked for.
    pub fn refreshes(&self) -> usize {
        self.grants().iter().filter(|(g, _)| g == "refresh_token").count()
    }

    /// Tokens sent to the revocation endpoint.
    pub fn revoked(&self) -> Vec<String> {
        self.state.lock().unwrap().oauth.revoked.clone()
    }

    /// Refresh tokens Google still honours.
    pub fn live_refresh_tokens(&self) -> Vec<String> {
        self.state.lock().unwrap().oauth.refresh_tokens.keys().cloned().collect()
    }
}

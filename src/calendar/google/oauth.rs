//! Google's OAuth 2.0 endpoints for user calendars (issue #16), through the `oauth2` crate: the
//! client file Google's console downloads (`web` or `installed`, honouring its `auth_uri` and
//! `token_uri`), the authorization URL with PKCE (`S256`) and offline access, the code exchange,
//! access-token refresh, revocation, and the account's writable calendars (`calendarList`).
//!
//! Nothing here stores anything: callers keep the refresh token sealed (`secrets`) in the store.

use std::path::Path;
use std::time::Duration;

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RefreshToken, RequestTokenError, RevocationUrl, TokenResponse, TokenUrl,
};
use serde::Deserialize;

/// The scopes we ask for, the narrowest that cover what the booking service does with a user's
/// calendar: `calendar.events` (read and write events on the calendars the account can write; not
/// sharing, settings or deleting calendars), `calendar.freebusy` (busy time only) and
/// `calendar.calendarlist.readonly` (the list to pick the calendar from).
pub const SCOPES: &[&str] = &[
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.freebusy",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
];

/// Which kind of client the file describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// "Web application": redirects to `PUBLIC_URL/admin/google/callback`.
    Web,
    /// "Desktop app": redirects to a loopback port (`connect google` on a server).
    Installed,
}

/// Why an OAuth step failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OAuthError {
    /// The client file is missing or wrong.
    #[error("GOOGLE_OAUTH_CLIENT_FILE {0}")]
    Config(String),
    /// Google refused the grant for good (`invalid_grant`: revoked, expired, password changed, a
    /// used or wrong code or verifier): the user must connect again.
    #[error("Google refused the grant (invalid_grant{0})")]
    InvalidGrant(String),
    /// Google refused our client (`invalid_client`, `unauthorized_client`): the client file is
    /// deleted, disabled or wrong; connecting again will not help until it is fixed.
    #[error("Google refused the OAuth client ({0}): check GOOGLE_OAUTH_CLIENT_FILE")]
    InvalidClient(String),
    /// Google's token endpoint did not answer usefully; try again later.
    #[error("Google's token endpoint is unavailable: {0}")]
    Unavailable(String),
}

impl OAuthError {
    /// Whether trying again later may work.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// A short-lived access token.
#[derive(Clone)]
pub struct AccessToken {
    /// The bearer token (never log it).
    pub secret: String,
    /// How long Google accepts it from now.
    pub lifetime: Duration,
}

/// What the code exchange gave.
pub struct Grant {
    /// The long-lived refresh token (seal it before storing).
    pub refresh_token: String,
    /// The first access token.
    pub access: AccessToken,
    /// The scopes granted (space-separated).
    pub scopes: String,
}

/// The start of one authorization: send the user to `url`, keep `state` and `verifier`.
pub struct Authorization {
    /// Google's consent page.
    pub url: String,
    /// The `state` value (random, 128 bits).
    pub state: String,
    /// The PKCE code verifier (keep it secret until the exchange).
    pub verifier: String,
}

/// One of the account's calendars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEntry {
    /// Its id (the primary calendar's id is the account's address).
    pub id: String,
    /// Its name.
    pub summary: String,
    /// Whether it is the account's primary calendar.
    pub primary: bool,
}

#[derive(Deserialize)]
struct ClientFile {
    web: Option<ClientSection>,
    installed: Option<ClientSection>,
}

#[derive(Deserialize)]
struct ClientSection {
    client_id: String,
    client_secret: Option<String>,
    auth_uri: String,
    token_uri: String,
}

/// Google's OAuth client for user calendars.
pub struct OAuthClient {
    kind: ClientKind,
    client_id: String,
    client_secret: Option<String>,
    auth_uri: String,
    token_uri: String,
    revoke_uri: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient").field("kind", &self.kind).field("client_id", &self.client_id).finish()
    }
}

/// Google's revocation endpoint. The client file does not name one: for Google's token endpoint
/// it is Google's documented `/revoke`; for any other token endpoint (an emulator) the sibling
/// path `…/revoke`.
fn revoke_uri(token_uri: &str) -> String {
    match token_uri.rsplit_once('/') {
        _ if token_uri.starts_with("https://oauth2.googleapis.com/") => "https://oauth2.googleapis.com/revoke".into(),
        _ if token_uri.starts_with("https://accounts.google.com/") => "https://oauth2.googleapis.com/revoke".into(),
        Some((base, _)) => format!("{base}/revoke"),
        None => token_uri.to_string(),
    }
}

/// One HTTP failure talking to Google's OAuth endpoints.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Transport(String);

/// The `oauth2` crate's HTTP client: our reqwest (the crate's own reqwest support is for another
/// reqwest version). Redirects are not followed.
struct Http<'a>(&'a reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for Http<'_> {
    type Error = Transport;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<oauth2::HttpResponse, Transport>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(send(self.0, request))
    }
}

/// Sends one request for the `oauth2` crate.
async fn send(http: &reqwest::Client, request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, Transport> {
    let request = reqwest::Request::try_from(request).map_err(|e| Transport(e.to_string()))?;
    let response = http.execute(request).await.map_err(|e| Transport(e.to_string()))?;
    let mut builder = oauth2::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let body = response.bytes().await.map_err(|e| Transport(e.to_string()))?;
    builder.body(body.to_vec()).map_err(|e| Transport(e.to_string()))
}

fn token_error(e: RequestTokenError<Transport, oauth2::basic::BasicErrorResponse>) -> OAuthError {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let detail = r.error_description().map(|d| format!(": {d}")).unwrap_or_default();
            match r.error() {
                BasicErrorResponseType::InvalidGrant => OAuthError::InvalidGrant(detail),
                BasicErrorResponseType::InvalidClient | BasicErrorResponseType::UnauthorizedClient => {
                    OAuthError::InvalidClient(format!("{}{detail}", r.error()))
                }
                other => OAuthError::Unavailable(format!("{other}{detail}")),
            }
        }
        RequestTokenError::Request(e) => OAuthError::Unavailable(e.to_string()),
        // A 5xx page that is not an OAuth error body, or a body we cannot read.
        RequestTokenError::Parse(_, body) => {
            OAuthError::Unavailable(format!("unreadable answer ({} bytes)", body.len()))
        }
        RequestTokenError::Other(e) => OAuthError::Unavailable(e),
    }
}

fn access(token: &oauth2::basic::BasicTokenResponse) -> AccessToken {
    let lifetime = token.expires_in().unwrap_or(Duration::from_secs(3600));
    AccessToken { secret: token.access_token().secret().clone(), lifetime }
}

impl OAuthClient {
    /// Reads the client JSON file (its `web` or `installed` section).
    pub fn load(path: &Path) -> Result<Self, OAuthError> {
        let text = std::fs::read_to_string(path).map_err(|e| OAuthError::Config(format!("{}: {e}", path.display())))?;
        Self::parse(&text).map_err(|e| match e {
            OAuthError::Config(why) => OAuthError::Config(format!("{}: {why}", path.display())),
            other => other,
        })
    }

    /// Parses the client JSON.
    pub fn parse(json: &str) -> Result<Self, OAuthError> {
        let file: ClientFile = serde_json::from_str(json)
            .map_err(|e| OAuthError::Config(format!("is not an OAuth client file from Google's console ({e})")))?;
        let (kind, section) = match (file.web, file.installed) {
            (Some(web), _) => (ClientKind::Web, web),
            (None, Some(installed)) => (ClientKind::Installed, installed),
            (None, None) => {
                return Err(OAuthError::Config(
                    "has neither a \"web\" nor an \"installed\" section: download the OAuth client's JSON \
                     (Credentials → OAuth 2.0 Client IDs → Download JSON)"
                        .into(),
                ));
            }
        };
        for (name, url) in [("auth_uri", &section.auth_uri), ("token_uri", &section.token_uri)] {
            reqwest::Url::parse(url).map_err(|e| OAuthError::Config(format!("has a bad {name} {url:?}: {e}")))?;
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| OAuthError::Config(format!("cannot build an HTTP client: {e}")))?;
        Ok(Self {
            kind,
            revoke_uri: revoke_uri(&section.token_uri),
            client_id: section.client_id,
            client_secret: section.client_secret,
            auth_uri: section.auth_uri,
            token_uri: section.token_uri,
            http,
        })
    }

    /// The consent page's origin (`https://accounts.google.com`): pages whose forms lead there
    /// must allow it in their CSP's `form-action`, which browsers also apply to redirects.
    pub fn auth_origin(&self) -> String {
        reqwest::Url::parse(&self.auth_uri).map(|u| u.origin().ascii_serialization()).unwrap_or_default()
    }

    /// Which kind of client this is.
    pub fn kind(&self) -> ClientKind {
        self.kind
    }

    fn client(
        &self,
        redirect_uri: &str,
    ) -> Result<
        BasicClient<
            oauth2::EndpointSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointSet,
            oauth2::EndpointSet,
        >,
        OAuthError,
    > {
        let bad = |what: &str, e: oauth2::url::ParseError| OAuthError::Config(format!("has a bad {what}: {e}"));
        let mut client = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_auth_uri(AuthUrl::new(self.auth_uri.clone()).map_err(|e| bad("auth_uri", e))?)
            .set_token_uri(TokenUrl::new(self.token_uri.clone()).map_err(|e| bad("token_uri", e))?)
            .set_revocation_url(RevocationUrl::new(self.revoke_uri.clone()).map_err(|e| bad("token_uri", e))?)
            .set_redirect_uri(RedirectUrl::new(redirect_uri.to_string()).map_err(|e| bad("redirect URI", e))?)
            // Google documents the secret in the form body.
            .set_auth_type(AuthType::RequestBody);
        if let Some(secret) = &self.client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.clone()));
        }
        Ok(client)
    }

    /// A new authorization for `redirect_uri`: offline access (a refresh token), the consent
    /// screen every time (so Google sends a refresh token again), earlier grants kept, PKCE S256.
    pub fn authorize(&self, redirect_uri: &str, login_hint: Option<&str>) -> Result<Authorization, OAuthError> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.client(redirect_uri)?;
        let mut request = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(SCOPES.iter().map(|s| oauth2::Scope::new(s.to_string())))
            .set_pkce_challenge(challenge)
            .add_extra_param("access_type", "offline")
            .add_extra_param("prompt", "consent")
            .add_extra_param("include_granted_scopes", "true");
        if let Some(hint) = login_hint {
            request = request.add_extra_param("login_hint", hint);
        }
        let (url, state) = request.url();
        Ok(Authorization { url: url.to_string(), state: state.secret().clone(), verifier: verifier.secret().clone() })
    }

    /// Exchanges an authorization code (one use) for tokens.
    pub async fn exchange(&self, code: &str, verifier: &str, redirect_uri: &str) -> Result<Grant, OAuthError> {
        let client = self.client(redirect_uri)?;
        let http = Http(&self.http);
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_string()))
            .request_async(&http)
            .await
            .map_err(token_error)?;
        let refresh_token = token.refresh_token().map(|t| t.secret().clone()).ok_or_else(|| {
            OAuthError::InvalidGrant(
                ": Google sent no refresh token (remove the app's access in the Google account and connect again)"
                    .into(),
            )
        })?;
        let scopes = token.scopes().map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "));
        Ok(Grant { refresh_token, access: access(&token), scopes: scopes.unwrap_or_else(|| SCOPES.join(" ")) })
    }

    /// A new access token from a refresh token.
    pub async fn refresh(&self, refresh_token: &str) -> Result<AccessToken, OAuthError> {
        // The redirect URI is not sent with a refresh; any valid one builds the client.
        let client = self.client("http://127.0.0.1/")?;
        let http = Http(&self.http);
        let token = client
            .exchange_refresh_token(&RefreshToken::new(refresh_token.to_string()))
            .request_async(&http)
            .await
            .map_err(token_error)?;
        Ok(access(&token))
    }

    /// Revokes a refresh token at Google (already revoked or unknown counts as done).
    ///
    /// Sent with reqwest rather than the `oauth2` crate: the crate refuses a revocation endpoint
    /// that is not https (`ConfigurationError::InsecureUrl`), which a loopback emulator is. The
    /// request is Google's documented form POST (`token=…`, RFC 7009).
    pub async fn revoke(&self, refresh_token: &str) -> Result<(), OAuthError> {
        let response = self
            .http
            .post(&self.revoke_uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                oauth2::url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("token", refresh_token)
                    .append_pair("token_type_hint", "refresh_token")
                    .finish(),
            )
            .send()
            .await
            .map_err(|e| OAuthError::Unavailable(format!("revocation: {e}")))?;
        match response.status().as_u16() {
            200..=299 => Ok(()),
            // Google answers 400 invalid_token for a token it no longer knows: gone is what we wanted.
            400 => Ok(()),
            status => Err(OAuthError::Unavailable(format!("revocation answered HTTP {status}"))),
        }
    }

    /// The calendars the account may write to (`calendarList`, `minAccessRole=writer`), primary
    /// first. `api_base` ends in `calendar/v3/`.
    pub async fn writable_calendars(&self, api_base: &str, token: &str) -> Result<Vec<CalendarEntry>, OAuthError> {
        #[derive(Deserialize)]
        struct Item {
            id: String,
            summary: Option<String>,
            #[serde(rename = "summaryOverride")]
            summary_override: Option<String>,
            #[serde(default)]
            primary: bool,
        }
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            items: Vec<Item>,
            #[serde(rename = "nextPageToken")]
            next_page_token: Option<String>,
        }
        let mut out = Vec::new();
        let mut page: Option<String> = None;
        loop {
            let url = format!("{}/users/me/calendarList", api_base.trim_end_matches('/'));
            let mut request = self.http.get(url).bearer_auth(token).query(&[("minAccessRole", "writer")]);
            if let Some(p) = &page {
                request = request.query(&[("pageToken", p)]);
            }
            let response = request.send().await.map_err(|e| OAuthError::Unavailable(format!("calendarList: {e}")))?;
            let status = response.status();
            if status.as_u16() == 401 {
                return Err(OAuthError::InvalidGrant(": calendarList answered 401".into()));
            }
            if !status.is_success() {
                return Err(OAuthError::Unavailable(format!("calendarList answered HTTP {status}")));
            }
            let body: Page =
                response.json().await.map_err(|e| OAuthError::Unavailable(format!("calendarList: {e}")))?;
            out.extend(body.items.into_iter().map(|i| CalendarEntry {
                summary: i.summary_override.or(i.summary).unwrap_or_else(|| i.id.clone()),
                id: i.id,
                primary: i.primary,
            }));
            match body.next_page_token {
                Some(p) if !p.is_empty() => page = Some(p),
                _ => break,
            }
        }
        out.sort_by_key(|c| !c.primary);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEB: &str = r#"{"web":{"client_id":"id.apps.googleusercontent.com","client_secret":"s3cr3t",
        "auth_uri":"http://127.0.0.1:9/auth","token_uri":"http://127.0.0.1:9/token",
        "redirect_uris":["https://example.com/admin/google/callback"]}}"#;

    #[test]
    fn the_authorization_url_asks_for_offline_access_with_pkce_s256() {
        let client = OAuthClient::parse(WEB).unwrap();
        assert_eq!(client.kind(), ClientKind::Web);
        let a = client.authorize("https://example.com/admin/google/callback", None).unwrap();
        let url = reqwest::Url::parse(&a.url).unwrap();
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["access_type"], "offline");
        assert_eq!(q["prompt"], "consent");
        assert_eq!(q["include_granted_scopes"], "true");
        assert_eq!(q["state"], a.state);
        assert_eq!(q["scope"], SCOPES.join(" "));
        assert!(a.state.len() >= 16 && a.verifier.len() >= 43);
        assert!(!a.url.contains(&a.verifier), "the verifier stays here");
    }

    #[test]
    fn client_files_without_a_known_section_are_named() {
        let e = OAuthClient::parse(r#"{"type":"service_account"}"#).unwrap_err();
        assert!(e.to_string().contains("neither a \"web\" nor an \"installed\""), "{e}");
        let installed = WEB.replace("\"web\"", "\"installed\"");
        assert_eq!(OAuthClient::parse(&installed).unwrap().kind(), ClientKind::Installed);
    }

    #[test]
    fn revocation_goes_to_googles_endpoint_or_beside_the_token_endpoint() {
        assert_eq!(revoke_uri("https://oauth2.googleapis.com/token"), "https://oauth2.googleapis.com/revoke");
        assert_eq!(revoke_uri("http://127.0.0.1:5/token"), "http://127.0.0.1:5/revoke");
    }
}

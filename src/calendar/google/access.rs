//! Who a Google call is made as (issue #16): the service account, or a staff member's own Google
//! account connected through OAuth. Each such principal has its own hub (its own bearer tokens) and
//! its own rate limiter, because Google's per-user quota is per account.
//!
//! A connected account's access token is cached in memory and refreshed before it expires; one
//! refresh is in flight per account however many calls need it (the others wait for it and use
//! its token). The refresh token stays sealed (`secrets`) until the moment it is sent to Google.
//! `invalid_grant` is final: the account is marked "needs reconnect" through [`Connections`] and
//! calls for it fail without asking Google again.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};

use async_trait::async_trait;
use google_calendar3::CalendarHub;
use google_calendar3::hyper_rustls::HttpsConnector;
use google_calendar3::hyper_util::client::legacy::connect::HttpConnector;
use google_calendar3::yup_oauth2;

use super::call::Limiter;
use super::oauth::{AccessToken, OAuthClient, OAuthError};
use crate::calendar::CalendarError;
use crate::clock::Clock;
use crate::secrets::SecretBox;

/// The hub type every principal uses.
pub(super) type Hub = CalendarHub<HttpsConnector<HttpConnector>>;

/// Refresh this long before Google's expiry (yup-oauth2 uses the same minute).
const EARLY: Duration = Duration::from_secs(60);

/// A staff member's OAuth connection as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The Google account (its address).
    pub email: String,
    /// The calendar picked for this staff member.
    pub calendar_id: String,
    /// The refresh token, sealed with [`token_context`].
    pub sealed_refresh_token: String,
    /// Google refused the grant for good: connect again.
    pub needs_reconnect: bool,
}

/// What a refresh token is sealed to: its account.
pub fn token_context(email: &str) -> String {
    format!("google-refresh-token:{email}")
}

/// Where OAuth connections are kept (the store, through `booking`).
#[async_trait]
pub trait Connections: Send + Sync {
    /// `staff`'s connection, if they connected a Google account.
    async fn connection(&self, staff: &str) -> Result<Option<Connection>, CalendarError>;
    /// Google refused `email`'s grant for good (`why` is safe to log): mark it "needs reconnect"
    /// and tell the owner once.
    async fn lost(&self, email: &str, why: &str);
}

/// What to do when a connected account no longer works.
pub(super) fn reconnect_hint(email: &str) -> String {
    format!(
        "Google no longer accepts the connection of {email} (revoked, expired or the password changed): \
         connect Google Calendar again in the console (Set-up) or with `appointment-setter connect google`"
    )
}

/// Bearer tokens for one principal.
#[async_trait]
pub(super) trait Tokens: Send + Sync {
    /// A token to send now.
    async fn token(&self) -> Result<String, CalendarError>;
    /// Which token [`Tokens::token`] hands out now (it changes with every refresh).
    fn generation(&self) -> u64 {
        0
    }
    /// A token of generation `seen` was answered with 401: get another one, unless someone else
    /// already did (so many callers refused at once cause one refresh).
    async fn refresh(&self, seen: u64) -> Result<(), CalendarError>;
}

/// One identity calls are made as.
pub(super) struct Principal {
    /// The service account's or the user's address.
    pub name: String,
    /// Whether this is a user's own account (OAuth) rather than the service account.
    pub oauth: bool,
    /// Calls as this principal.
    pub hub: Hub,
    /// Its tokens.
    pub tokens: Arc<dyn Tokens>,
    /// Its share of Google's per-user quota.
    pub limiter: Limiter,
}

impl Principal {
    /// What to check when this principal cannot use `calendar`.
    pub fn share_hint(&self, calendar: &str) -> String {
        if self.oauth {
            format!(
                "check that {} can still make changes to calendar {calendar:?}, or connect Google Calendar again",
                self.name
            )
        } else {
            format!(
                "check that calendar {calendar:?} exists and is shared with {} with \"Make changes to events\"",
                self.name
            )
        }
    }
}

/// The service account's tokens (yup-oauth2 caches and refreshes them).
pub(super) struct ServiceTokens(pub yup_oauth2::authenticator::DefaultAuthenticator);

#[async_trait]
impl Tokens for ServiceTokens {
    async fn token(&self) -> Result<String, CalendarError> {
        let token = self.0.token(&[super::SCOPE]).await.map_err(|e| {
            CalendarError::Unavailable(format!("cannot get a Google access token for the service account: {e}"))
        })?;
        token.token().map(str::to_string).ok_or_else(|| CalendarError::Unavailable("Google sent an empty token".into()))
    }

    async fn refresh(&self, _seen: u64) -> Result<(), CalendarError> {
        match self.0.force_refreshed_token(&[super::SCOPE]).await {
            Ok(_) => Ok(()),
            Err(e) => Err(CalendarError::Unavailable(format!("cannot refresh the Google token: {e}"))),
        }
    }
}

/// A connected account's tokens.
pub(super) struct UserTokens {
    email: String,
    sealed: String,
    client: Arc<OAuthClient>,
    secrets: Arc<SecretBox>,
    connections: Arc<dyn Connections>,
    clock: Arc<dyn Clock>,
    /// The token in use: its generation, the bearer token, when Google stops accepting it.
    current: RwLock<Option<(u64, String, DateTime<Utc>)>>,
    generation: AtomicU64,
    refreshing: tokio::sync::Mutex<()>,
    lost: AtomicBool,
}

impl UserTokens {
    pub(super) fn new(
        connection: &Connection,
        client: Arc<OAuthClient>,
        secrets: Arc<SecretBox>,
        connections: Arc<dyn Connections>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            clock,
            email: connection.email.clone(),
            sealed: connection.sealed_refresh_token.clone(),
            client,
            secrets,
            connections,
            current: RwLock::new(None),
            generation: AtomicU64::new(0),
            refreshing: tokio::sync::Mutex::new(()),
            lost: AtomicBool::new(connection.needs_reconnect),
        }
    }

    /// Whether this cache was made for the connection as it is now stored.
    pub(super) fn serves(&self, connection: &Connection) -> bool {
        self.sealed == connection.sealed_refresh_token && self.email == connection.email
    }

    /// Whether Google refused this account's grant for good.
    pub(super) fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    fn lost_error(&self) -> CalendarError {
        CalendarError::Access { staff: self.email.clone(), detail: reconnect_hint(&self.email) }
    }

    /// The cached token and its generation, if it is still good for a while.
    fn cached(&self) -> (u64, Option<String>) {
        let current = self.current.read().expect("token cache");
        let early = chrono::Duration::from_std(EARLY).expect("a minute");
        match &*current {
            Some((generation, secret, expires)) if *expires > self.clock.now() + early => {
                (*generation, Some(secret.clone()))
            }
            Some((generation, ..)) => (*generation, None),
            None => (0, None),
        }
    }

    /// Refreshes unless someone else did since generation `seen`; returns the token to use.
    async fn refresh_after(&self, seen: u64) -> Result<String, CalendarError> {
        let _one = self.refreshing.lock().await;
        if let Some((generation, secret, _)) = &*self.current.read().expect("token cache")
            && *generation != seen
        {
            // Another caller refreshed while we waited: theirs is the newest token there is.
            return Ok(secret.clone());
        }
        if self.lost.load(Ordering::SeqCst) {
            return Err(self.lost_error());
        }
        let refresh_token =
            self.secrets.open(&self.sealed, &token_context(&self.email)).map_err(|e| CalendarError::Access {
                staff: self.email.clone(),
                detail: format!("cannot open the stored Google token ({e}): check SECRETS_KEY, or connect again"),
            })?;
        let refreshed = self.client.refresh(&refresh_token).await;
        let outcome = match &refreshed {
            Ok(_) => "ok",
            Err(OAuthError::InvalidGrant(_)) => "invalid_grant",
            Err(e) if e.is_transient() => "unavailable",
            Err(_) => "error",
        };
        metrics::counter!("google_token_refreshes_total", "outcome" => outcome).increment(1);
        match refreshed {
            Ok(token) => {
                let secret = token.secret.clone();
                self.prime(token);
                Ok(secret)
            }
            Err(OAuthError::InvalidGrant(why)) => {
                self.lost.store(true, Ordering::SeqCst);
                metrics::counter!("google_connections_lost_total").increment(1);
                tracing::warn!(account = %self.email, "Google refused a connected calendar's grant: it needs reconnecting");
                self.connections.lost(&self.email, &format!("invalid_grant{why}")).await;
                Err(self.lost_error())
            }
            Err(OAuthError::InvalidClient(why)) => Err(CalendarError::Access {
                staff: self.email.clone(),
                detail: format!("Google refused the OAuth client ({why}): check GOOGLE_OAUTH_CLIENT_FILE"),
            }),
            Err(e) => Err(CalendarError::Unavailable(e.to_string())),
        }
    }

    /// Uses `token` (from a code exchange) until it expires.
    pub(super) fn prime(&self, token: AccessToken) {
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let lifetime = chrono::Duration::from_std(token.lifetime).unwrap_or(chrono::Duration::hours(1));
        let expires = self.clock.now() + lifetime;
        *self.current.write().expect("token cache") = Some((generation, token.secret, expires));
    }
}

#[async_trait]
impl Tokens for UserTokens {
    async fn token(&self) -> Result<String, CalendarError> {
        match self.cached() {
            (_, Some(token)) => Ok(token),
            (seen, None) => self.refresh_after(seen).await,
        }
    }

    fn generation(&self) -> u64 {
        self.current.read().expect("token cache").as_ref().map_or(0, |(generation, ..)| *generation)
    }

    async fn refresh(&self, seen: u64) -> Result<(), CalendarError> {
        self.refresh_after(seen).await.map(|_| ())
    }
}

/// [`Tokens`] as google-calendar3's token source.
#[derive(Clone)]
pub(super) struct Bearer(pub Arc<dyn Tokens>);

impl google_calendar3::common::GetToken for Bearer {
    fn get_token<'a>(
        &'a self,
        _scopes: &'a [&str],
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<Option<String>, Box<dyn std::error::Error + Send + Sync>>>
                + Send
                + 'a,
        >,
    > {
        Box::pin(async move {
            self.0.token().await.map(Some).map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
        })
    }
}

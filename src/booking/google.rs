//! Connecting staff members' own Google calendars (issue #16), shared by the console's button and
//! `appointment-setter connect google`: an authorization bound to whoever started it (one use,
//! 10 minutes, PKCE), the code exchange, the refresh token sealed into the store, the calendar
//! pick (only calendars the account can write), disconnecting (revoked at Google, deleted here),
//! and [`StoreConnections`], through which the Google backend finds connections and reports a
//! grant Google refused for good (marked "needs reconnect", the owner told once).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::calendar::CalendarError;
use crate::calendar::google::oauth::{CalendarEntry, OAuthClient, OAuthError};
use crate::calendar::google::{Connection, Connections, GoogleCalendar, token_context};
use crate::clock::Clock;
use crate::domain::Business;
use crate::secrets::SecretBox;
use crate::store::{GoogleAccount, MessageChannel, NewMessage, PendingAuthorization, Store, StoreError};

/// How long an authorization may take from the button to the callback.
pub const AUTHORIZATION_LIFETIME: chrono::Duration = chrono::Duration::minutes(10);

/// Why connecting failed (each says what to do).
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The `state` is unknown, used, expired or someone else's.
    #[error(
        "This Google sign-in is not valid any more (used, expired after 10 minutes, or started in another session): start again with \"Connect Google Calendar\"."
    )]
    BadState,
    /// The person said no on Google's page.
    #[error("Google did not give access ({0}): start again and allow access to the calendar.")]
    Denied(String),
    /// Google refused.
    #[error("{0}")]
    Google(#[from] OAuthError),
    /// No such staff member.
    #[error("there is no staff member {0:?} in the config")]
    UnknownStaff(String),
    /// The account cannot write that calendar (or has no such calendar).
    #[error("{email} cannot make changes to calendar {calendar:?}: pick one of the calendars listed")]
    NotWritable {
        /// The account.
        email: String,
        /// The calendar asked for.
        calendar: String,
    },
    /// Not connected.
    #[error("{0} is not a connected Google account")]
    NoAccount(String),
    /// The store failed.
    #[error("the database: {0}")]
    Store(#[from] StoreError),
}

/// What a finished authorization connected.
#[derive(Debug, Clone)]
pub struct Connected {
    /// The Google account.
    pub email: String,
    /// The staff member it was for (`None`: the owner's whole account).
    pub staff: Option<String>,
    /// The calendars it can write, primary first.
    pub calendars: Vec<CalendarEntry>,
}

fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Connects, picks and disconnects Google accounts.
#[derive(Clone)]
pub struct GoogleConnector {
    store: Store,
    client: Arc<OAuthClient>,
    secrets: Arc<SecretBox>,
    api_base: String,
    calendar: Arc<GoogleCalendar>,
    connections: Arc<dyn Connections>,
    business: Arc<Business>,
    clock: Arc<dyn Clock>,
}

/// What the connector works with besides the store: the OAuth client, the key that seals
/// tokens, Google's API base (ending in `calendar/v3/`), the backend (told when connections
/// change) and the backend's own [`Connections`] (so a grant found refused here is reported the
/// same way, the owners told once).
pub struct ConnectorParts {
    /// The OAuth client.
    pub client: Arc<OAuthClient>,
    /// Seals refresh tokens and PKCE verifiers.
    pub secrets: Arc<SecretBox>,
    /// Google's Calendar API base.
    pub api_base: String,
    /// The Google backend.
    pub calendar: Arc<GoogleCalendar>,
    /// The backend's connections.
    pub connections: Arc<dyn Connections>,
}

impl GoogleConnector {
    /// The connector for `business`'s staff over `store`.
    pub fn new(store: Store, parts: ConnectorParts, business: Arc<Business>, clock: Arc<dyn Clock>) -> Self {
        let ConnectorParts { client, secrets, api_base, calendar, connections } = parts;
        let api_base = if api_base.ends_with('/') { api_base } else { format!("{api_base}/") };
        Self { store, client, secrets, api_base, calendar, connections, business, clock }
    }

    /// The OAuth client.
    pub fn client(&self) -> &OAuthClient {
        &self.client
    }

    /// Whether staff who did not connect an account are reached through the service account.
    pub fn service_account(&self) -> bool {
        self.calendar.has_service_account()
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn known_staff(&self, staff: &str) -> Result<(), ConnectError> {
        match self.business.staff.iter().any(|m| m.id.as_str() == staff) {
            true => Ok(()),
            false => Err(ConnectError::UnknownStaff(staff.to_string())),
        }
    }

    /// Starts an authorization for `session` (the console session id, or a command's own random
    /// one) by `user`, for `staff` (`None`: the whole account, to assign its calendars after);
    /// returns Google's consent URL.
    pub async fn start(
        &self,
        session: &str,
        user: &str,
        staff: Option<&str>,
        redirect_uri: &str,
    ) -> Result<String, ConnectError> {
        if let Some(s) = staff {
            self.known_staff(s)?;
        }
        let a = self.client.authorize(redirect_uri, None)?;
        let state_digest = digest(&a.state);
        let pending = PendingAuthorization {
            session_digest: digest(session),
            staff_id: staff.map(str::to_string),
            sealed_verifier: self.secrets.seal(&a.verifier, &format!("google-pkce:{state_digest}")),
            redirect_uri: redirect_uri.to_string(),
            user_id: user.to_string(),
            expires_at: self.now() + AUTHORIZATION_LIFETIME,
        };
        self.store.google().add_authorization(&state_digest, &pending, self.now()).await?;
        Ok(a.url)
    }

    /// Finishes the authorization `state` with Google's `code`, for the same `session` that
    /// started it: one use, within 10 minutes. The refresh token is stored sealed; a staff
    /// member's authorization gives them the account's primary calendar (pick another after).
    pub async fn finish(&self, session: &str, state: &str, code: &str) -> Result<Connected, ConnectError> {
        let state_digest = digest(state);
        // Taken whatever happens next: a state works once.
        let pending = self.store.google().take_authorization(&state_digest).await?.ok_or(ConnectError::BadState)?;
        let same_session = crate::secrets::same_secret(&pending.session_digest, &digest(session));
        if !same_session || pending.expires_at < self.now() {
            return Err(ConnectError::BadState);
        }
        let verifier = self
            .secrets
            .open(&pending.sealed_verifier, &format!("google-pkce:{state_digest}"))
            .map_err(|_| ConnectError::BadState)?;
        let grant = self.client.exchange(code, &verifier, &pending.redirect_uri).await?;
        let calendars = self.client.writable_calendars(&self.api_base, &grant.access.secret).await?;
        let primary = calendars
            .iter()
            .find(|c| c.primary)
            .cloned()
            .ok_or_else(|| OAuthError::Unavailable("Google listed no primary calendar for the account".into()))?;
        // The primary calendar's id is the account's address.
        let email = primary.id.clone();
        let sealed = self.secrets.seal(&grant.refresh_token, &token_context(&email));
        let account = GoogleAccount {
            sealed_refresh_token: sealed.clone(),
            email: email.clone(),
            scopes: grant.scopes,
            connected_by: pending.user_id.clone(),
            connected_at: self.now(),
            lost_at: None,
        };
        self.store.google().save_account(&account).await?;
        if let Some(staff) = &pending.staff_id {
            self.store.google().assign(staff, &email, &primary.id, &primary.summary, self.now()).await?;
        }
        self.calendar.connections_changed();
        // The exchange's access token serves the first calls (no refresh right after connecting).
        let connection = Connection {
            email: email.clone(),
            calendar_id: primary.id.clone(),
            sealed_refresh_token: sealed,
            needs_reconnect: false,
        };
        self.calendar.prime(&connection, grant.access);
        tracing::info!(staff = pending.staff_id.as_deref().unwrap_or("-"), "a Google account was connected");
        Ok(Connected { email, staff: pending.staff_id, calendars })
    }

    /// The calendars connected account `email` can write (asks Google).
    pub async fn calendars(&self, email: &str) -> Result<Vec<CalendarEntry>, ConnectError> {
        let account =
            self.store.google().account(email).await?.ok_or_else(|| ConnectError::NoAccount(email.to_string()))?;
        let refresh = self
            .secrets
            .open(&account.sealed_refresh_token, &token_context(email))
            .map_err(|e| OAuthError::Config(format!("cannot open the stored token: {e}")))?;
        let access = match self.client.refresh(&refresh).await {
            Err(OAuthError::InvalidGrant(why)) => {
                self.connections.lost(email, &why).await;
                return Err(OAuthError::InvalidGrant(why).into());
            }
            other => other?,
        };
        Ok(self.client.writable_calendars(&self.api_base, &access.secret).await?)
    }

    /// Sends `staff`'s appointments to `calendar` of account `email` (which must be able to write it).
    pub async fn pick(&self, staff: &str, email: &str, calendar: &str) -> Result<CalendarEntry, ConnectError> {
        self.known_staff(staff)?;
        let writable = self.calendars(email).await?;
        let Some(entry) = writable.into_iter().find(|c| c.id == calendar) else {
            return Err(ConnectError::NotWritable { email: email.to_string(), calendar: calendar.to_string() });
        };
        self.store.google().assign(staff, email, &entry.id, &entry.summary, self.now()).await?;
        self.calendar.connections_changed();
        Ok(entry)
    }

    /// Stops using `staff`'s connected calendar; when no one else uses the account, its token is
    /// revoked at Google and deleted here. False when `staff` had none.
    pub async fn disconnect(&self, staff: &str) -> Result<bool, ConnectError> {
        let Some(email) = self.store.google().unassign(staff).await? else { return Ok(false) };
        if self.store.google().users_of(&email).await? == 0 {
            self.forget_account(&email).await?;
        }
        self.calendar.connections_changed();
        Ok(true)
    }

    /// Revokes account `email` at Google and deletes it and its staff calendars here.
    pub async fn forget_account(&self, email: &str) -> Result<(), ConnectError> {
        if let Some(account) = self.store.google().account(email).await? {
            match self.secrets.open(&account.sealed_refresh_token, &token_context(email)) {
                // Deleted here even when Google cannot be reached: the owner asked for it gone.
                Ok(token) => {
                    if let Err(e) = self.client.revoke(&token).await {
                        tracing::warn!(error = %e, "could not revoke a Google token at Google; deleted it here");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not open a stored Google token to revoke it"),
            }
        }
        self.store.google().delete_account(email).await?;
        self.calendar.connections_changed();
        Ok(())
    }
}

/// The Google backend's view of the store's connections.
pub struct StoreConnections {
    store: Store,
    clock: Arc<dyn Clock>,
    /// Owners are emailed when email is set up (the sender address)...
    email_from: Option<String>,
    /// ...else texted at this number (the business's transfer number).
    owner_phone: Option<String>,
}

impl StoreConnections {
    /// Connections in `store`.
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock, email_from: None, owner_phone: None }
    }

    /// Tells owners by email from `from`, else by text to `phone` (else only the console,
    /// `check` and the metric say it).
    pub fn telling_owners(mut self, from: Option<String>, phone: Option<String>) -> Self {
        self.email_from = from;
        self.owner_phone = phone;
        self
    }

    /// Records the owners' one notice that `email`'s connection needs reconnecting.
    async fn tell_owners(&self, email: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        let subject = "Google Calendar needs reconnecting".to_string();
        let body = format!(
            "Google no longer accepts appointment-setter's access to the calendar of {email} (revoked, unused for \
             months, or the password changed). Until it is connected again, no times are offered for the staff \
             using it. Sign in to the console, open Set-up and click \"Connect Google Calendar\"."
        );
        let cause = format!("google-lost:{email}:{}", now.timestamp());
        let mut messages = Vec::new();
        if self.email_from.is_some() {
            for owner in self.store.users().all().await?.into_iter().filter(|u| u.role == crate::store::Role::Owner) {
                messages.push(NewMessage {
                    cause: format!("{cause}:{}", owner.id),
                    channel: MessageChannel::Email,
                    recipient: owner.email,
                    subject: Some(subject.clone()),
                    body: body.clone(),
                    attachment: None,
                    ignore_opt_out: true,
                });
            }
        }
        if messages.is_empty()
            && let Some(phone) = &self.owner_phone
        {
            messages.push(NewMessage {
                cause,
                channel: MessageChannel::Sms,
                recipient: phone.clone(),
                subject: None,
                body: format!("appointment-setter: Google Calendar of {email} needs reconnecting (console → Set-up)."),
                attachment: None,
                ignore_opt_out: true,
            });
        }
        for m in &messages {
            self.store.outbox().enqueue(m, now).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Connections for StoreConnections {
    async fn connection(&self, staff: &str) -> Result<Option<Connection>, CalendarError> {
        let found = self.store.google().calendar_of(staff).await.map_err(|e| {
            CalendarError::Unavailable(format!("cannot read the connected calendar from the database: {e}"))
        })?;
        Ok(found.map(|c| Connection {
            email: c.account.email,
            calendar_id: c.calendar_id,
            sealed_refresh_token: c.account.sealed_refresh_token,
            needs_reconnect: c.account.lost_at.is_some(),
        }))
    }

    async fn lost(&self, email: &str, why: &str) {
        let now = self.clock.now();
        match self.store.google().mark_lost(email, why, now).await {
            Ok(true) => {
                if let Err(e) = self.tell_owners(email, now).await {
                    tracing::error!(error = %e, "could not record the owners' notice about a Google connection");
                }
            }
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "could not record that a Google connection needs reconnecting"),
        }
    }
}

//! Who each staff member's calendar is reached as: their connected Google account (OAuth) when
//! they connected one, else the service account with the config's `calendar_id`. A staff member
//! whose connection needs reconnecting is not reached at all (their slots are withheld) — never
//! silently through the service account.
//!
//! Connections are read from the store through [`Connections`] and remembered for a few seconds
//! (a connection made on another instance is seen within [`LOOKUP_TTL`]; one made here at once,
//! through [`GoogleCalendar::connections_changed`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use google_calendar3::CalendarHub;

use super::access::{Bearer, Connection, Connections, Principal, UserTokens, reconnect_hint};
use super::oauth::{AccessToken, OAuthClient};
use super::{CalendarError, GoogleCalendar, call};
use crate::domain::StaffMember;
use crate::secrets::SecretBox;

/// How long a looked-up connection is trusted.
pub(super) const LOOKUP_TTL: Duration = Duration::from_secs(10);

/// Where one call goes: as whom, to which calendar.
pub(super) struct Route {
    /// Who the call is made as.
    pub who: Arc<Principal>,
    /// The calendar id.
    pub calendar: String,
}

/// Connected user accounts.
pub(super) struct Users {
    client: Arc<OAuthClient>,
    secrets: Arc<SecretBox>,
    connections: Arc<dyn Connections>,
    /// Per account: its token cache and principal.
    accounts: DashMap<String, (Arc<UserTokens>, Arc<Principal>)>,
    /// Per staff id: the connection as last read, and when.
    staff: DashMap<String, (Instant, Option<Connection>)>,
}

impl GoogleCalendar {
    /// Lets staff connect their own Google accounts: `connections` says who connected what,
    /// `secrets` opens their refresh tokens, `client` refreshes access tokens.
    pub fn with_oauth(
        mut self,
        client: Arc<OAuthClient>,
        secrets: Arc<SecretBox>,
        connections: Arc<dyn Connections>,
    ) -> Self {
        self.users = Some(Users { client, secrets, connections, accounts: DashMap::new(), staff: DashMap::new() });
        self
    }

    /// Whether staff without a connected account are reached as the service account.
    pub fn has_service_account(&self) -> bool {
        self.service.is_some()
    }

    /// Forget looked-up connections (one was made, changed or removed here).
    pub fn connections_changed(&self) {
        if let Some(users) = &self.users {
            users.staff.clear();
        }
    }

    /// Starts the access-token cache of a just-connected account with the exchange's token.
    pub fn prime(&self, connection: &Connection, token: AccessToken) {
        if let Some(users) = &self.users {
            let (tokens, _) = self.principal_of(users, connection);
            tokens.prime(token);
        }
    }

    fn principal_of(&self, users: &Users, c: &Connection) -> (Arc<UserTokens>, Arc<Principal>) {
        if let Some(found) = users.accounts.get(&c.email)
            && found.0.serves(c)
        {
            return found.clone();
        }
        let tokens = Arc::new(UserTokens::new(
            c,
            users.client.clone(),
            users.secrets.clone(),
            users.connections.clone(),
            self.clock.clone(),
        ));
        let mut hub = CalendarHub::new(self.client.clone(), Bearer(tokens.clone()));
        hub.base_url(self.api_base.clone());
        let principal = Arc::new(Principal {
            name: c.email.clone(),
            oauth: true,
            hub,
            tokens: tokens.clone(),
            limiter: call::limiter(self.guard.rate()),
        });
        users.accounts.insert(c.email.clone(), (tokens.clone(), principal.clone()));
        (tokens, principal)
    }

    async fn connection_of(&self, users: &Users, staff: &StaffMember) -> Result<Option<Connection>, CalendarError> {
        let key = staff.id.as_str();
        if let Some(found) = users.staff.get(key)
            && found.0.elapsed() < LOOKUP_TTL
        {
            return Ok(found.1.clone());
        }
        let found = users.connections.connection(key).await?;
        users.staff.insert(key.to_string(), (Instant::now(), found.clone()));
        Ok(found)
    }

    /// What every call for `staff` does before it is sent: find who it goes as and that
    /// principal's access token (cached; asked of Google only when it is due). The token itself
    /// stays inside; this is what the benchmark of that overhead measures.
    pub async fn prepare(&self, staff: &StaffMember) -> Result<(), CalendarError> {
        let route = self.route(staff).await?;
        route.who.tokens.token().await.map(|_| ())
    }

    /// Where `staff`'s calls go.
    pub(super) async fn route(&self, staff: &StaffMember) -> Result<Route, CalendarError> {
        if let Some(users) = &self.users
            && let Some(c) = self.connection_of(users, staff).await?
        {
            let (tokens, who) = self.principal_of(users, &c);
            if c.needs_reconnect || tokens.is_lost() {
                return Err(CalendarError::Access { staff: staff.id.to_string(), detail: reconnect_hint(&c.email) });
            }
            return Ok(Route { who, calendar: c.calendar_id });
        }
        let Some(calendar) = staff.calendar_id.clone() else {
            return Err(CalendarError::Access {
                staff: staff.id.to_string(),
                detail: if self.users.is_some() {
                    "not connected: connect Google Calendar for this staff member in the console (Set-up), or give \
                     them a calendar_id shared with the service account"
                        .into()
                } else {
                    "no calendar_id in the config for this staff member".into()
                },
            });
        };
        let Some(who) = self.service.clone() else {
            return Err(CalendarError::Access {
                staff: staff.id.to_string(),
                detail: "not connected: connect Google Calendar for this staff member in the console (Set-up), or set \
                         GOOGLE_SERVICE_ACCOUNT_FILE to use the service account"
                    .into(),
            });
        };
        Ok(Route { who, calendar })
    }
}

//! Staff calendars connected through OAuth against the emulator, the way the console does it:
//! the connector starts an authorization, "the browser" follows Google's consent redirect, the
//! connector finishes it with the code.

use std::sync::Arc;

use appointment_setter::booking::google::{ConnectorParts, GoogleConnector, StoreConnections};
use appointment_setter::calendar::google::oauth::OAuthClient;
use appointment_setter::calendar::google::{Connections, GoogleCalendar};
use appointment_setter::clock::Clock;
use appointment_setter::domain::Business;
use appointment_setter::secrets::SecretBox;
use appointment_setter::store::Store;

use super::google_emulator::GoogleEmulator;

/// The console session the test "browser" has.
pub const SESSION: &str = "test-session";
/// Where Google sends the browser back.
pub const REDIRECT: &str = "http://127.0.0.1:9/admin/google/callback";

/// The backend with connected accounts only (no service account) and its connector.
pub struct OAuthBackend {
    pub calendar: Arc<GoogleCalendar>,
    pub connector: GoogleConnector,
    pub secrets: Arc<SecretBox>,
}

/// Builds the OAuth-only backend over `store` (client file written into `dir`).
pub fn backend(
    emu: &GoogleEmulator,
    dir: &std::path::Path,
    store: &Store,
    business: Arc<Business>,
    clock: Arc<dyn Clock>,
    owner_phone: Option<&str>,
) -> OAuthBackend {
    let client = Arc::new(OAuthClient::load(&emu.oauth_client_file(dir, "web")).unwrap());
    let secrets = Arc::new(SecretBox::from_key([7; 32]));
    let connections: Arc<dyn Connections> = Arc::new(
        StoreConnections::new(store.clone(), clock.clone()).telling_owners(None, owner_phone.map(str::to_string)),
    );
    let calendar = Arc::new(
        GoogleCalendar::new(Some(&emu.api_base()), business.clone())
            .unwrap()
            .with_oauth(client.clone(), secrets.clone(), connections.clone())
            .with_busy_cache(std::time::Duration::ZERO)
            .with_token_clock(clock.clone())
            .with_rate_limit(100_000),
    );
    let parts = ConnectorParts {
        client,
        secrets: secrets.clone(),
        api_base: emu.api_base(),
        calendar: calendar.clone(),
        connections,
    };
    let connector = GoogleConnector::new(store.clone(), parts, business, clock);
    OAuthBackend { calendar, connector, secrets }
}

/// What Google's consent page answers for `url`: `(state, code)` from the redirect's query
/// (`code` is `Err(error)` when the user refused).
pub async fn consent(url: &str) -> (String, Result<String, String>) {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 302, "the consent page redirects back");
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let url = reqwest::Url::parse(&location).unwrap();
    let get = |k: &str| url.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
    let code = get("code").ok_or_else(|| get("error").unwrap_or_default());
    (get("state").unwrap_or_default(), code)
}

/// Connects `staff` as Google user `email` (who must exist in the emulator) through the whole flow.
pub async fn connect(emu: &GoogleEmulator, connector: &GoogleConnector, staff: &str, email: &str) {
    emu.consent_as(Some(email));
    let url = connector.start(SESSION, "owner-1", Some(staff), REDIRECT).await.unwrap();
    let (state, code) = consent(&url).await;
    let connected = connector.finish(SESSION, &state, &code.unwrap()).await.unwrap();
    assert_eq!(connected.email, email);
}

//! A running server with the owner's console on a fresh database (clock at Monday 2026-12-07
//! 08:00 in Chicago, moved by the test), and a browser-like client that keeps the session cookie
//! by hand (so tests can also send forged ones) and never follows redirects.

use std::net::TcpListener;
use std::num::NonZeroU32;
use std::sync::Arc;

use appointment_setter::accounts::{Accounts, NewUser, SessionSecret};
use appointment_setter::booking::{BookingService, CustomerLinks};
use appointment_setter::calendar::LocalCalendar;
use appointment_setter::chat::ChatService;
use appointment_setter::clock::{ManualClock, SystemClock};
use appointment_setter::config::Config;
use appointment_setter::conversation::guided::GuidedDialog;
use appointment_setter::http::AdminConsole;
use appointment_setter::messaging::{ConfirmationSettings, Confirmations};
use appointment_setter::setup::Setup;
use appointment_setter::startup::{self, ServerParts};
use appointment_setter::store::{Role, Store};
use appointment_setter::telnyx::{PublicKey, Verifier};

use super::{TestDb, chicago};

/// The owner's and the staff member's password in these tests.
pub const PASSWORD: &str = "correct-horse-battery";

/// A server with the console (and customer links under its URL).
pub struct Console {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    pub booking: BookingService,
    pub accounts: Accounts,
    pub store: Store,
    pub clock: Arc<ManualClock>,
    /// With [`start_google`]: the emulator and the connector (no staff connected yet).
    pub google:
        Option<(Arc<super::google_emulator::GoogleEmulator>, appointment_setter::booking::google::GoogleConnector)>,
    _db: TestDb,
    /// The try-it box's throwaway database.
    _sandbox: TestDb,
}

/// A response: status, `Location`, the session cookie it set (if any), body.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub cookie: Option<String>,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

/// `owner@example.com` (owner) and `sarah@example.com` (staff: sarah), both with [`PASSWORD`],
/// unless `empty`.
pub async fn start(empty: bool) -> Console {
    start_with(empty, false).await
}

/// As [`start`], on the google backend with OAuth only: each staff member has a Google account
/// `<id>@gmail.test` in the emulator, none connected yet ([`Console::connect_google`]).
pub async fn start_google(empty: bool) -> Console {
    start_with(empty, true).await
}

async fn start_with(empty: bool, google: bool) -> Console {
    let db = TestDb::sqlite().await;
    let mut config =
        Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml")).unwrap();
    let store = db.store().await;
    let clock = Arc::new(ManualClock::new(chicago(2026, 12, 7, 8, 0)));
    if google {
        config.calendar.backend = appointment_setter::config::CalendarBackend::Google;
        for s in &mut config.business.staff {
            s.calendar_id = None;
        }
    }
    let config = Arc::new(config);
    let business = Arc::new(config.business.clone());
    // Bound first: customer links in texts point at this server.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let (calendar, google): (Arc<dyn appointment_setter::calendar::Calendar>, _) = if google {
        let emu = Arc::new(super::google_emulator::GoogleEmulator::start(&[]).await);
        for s in &business.staff {
            emu.add_user(&format!("{}@gmail.test", s.id), &[]);
        }
        let as_clock: Arc<dyn appointment_setter::clock::Clock> = clock.clone();
        let b = super::google_oauth::backend(&emu, db.dir(), &store, business.clone(), as_clock, None);
        (b.calendar, Some((emu, b.connector)))
    } else {
        (Arc::new(LocalCalendar), None)
    };
    let booking = BookingService::new(business.clone(), store.clone(), calendar.clone(), clock.clone())
        .with_confirmations(Confirmations::writer(business.clone(), ConfirmationSettings::default()))
        .with_links(CustomerLinks::new(&[5u8; 32], &url));
    let secret = SessionSecret::from_bytes(&[9u8; 32]);
    let accounts = Accounts::new(store.clone(), clock.clone(), secret, NonZeroU32::new(1000).unwrap());
    if !empty {
        for (email, role, staff) in
            [("owner@example.com", Role::Owner, None), ("sarah@example.com", Role::Staff, Some("sarah"))]
        {
            let staff = staff.map(|s| s.parse().unwrap());
            accounts.add_user(NewUser { email: email.into(), password: PASSWORD.into(), role, staff }).await.unwrap();
        }
    }
    let mut setup = setup_of(&config, &db, store.clone());
    setup.calendar = calendar;
    // The try-it box: the guided dialog on a throwaway database, on the same clock.
    let sandbox = TestDb::sqlite().await;
    let sandbox_store = sandbox.store().await;
    let sandbox_booking =
        BookingService::new(business.clone(), sandbox_store.clone(), Arc::new(LocalCalendar), clock.clone());
    let try_it = ChatService::new(
        Arc::new(GuidedDialog::new(sandbox_booking.clone())),
        sandbox_booking,
        sandbox_store,
        std::time::Duration::from_secs(10),
    );
    let parts = ServerParts {
        listener,
        verifier: Verifier::new(PublicKey::from_verifying_key(super::webhooks::signing_key().verifying_key())),
        handler: Arc::new(super::webhooks::Recorder::default()),
        clock: Arc::new(SystemClock),
        workers: 2,
        capacity: 100,
        chat: None,
        admin: Some(
            AdminConsole::new(accounts.clone(), booking.clone(), store.clone(), None)
                .with_setup(setup)
                .with_try_it(try_it)
                .with_google(google.as_ref().map(|(_, c)| c.clone())),
        ),
    };
    let app = startup::start(store.clone(), parts).await.unwrap();
    tokio::spawn(app.run_until_stopped());
    Console { url, booking, accounts, store, clock, google, _db: db, _sandbox: sandbox }
}

/// The set-up checks of this server: the seed config on the test database, the local calendar,
/// a valid webhook key, no Telnyx API key and no LLM.
pub fn setup_of(config: &Arc<Config>, db: &TestDb, store: Store) -> Setup {
    use base64::Engine as _;
    let key = super::webhooks::signing_key().verifying_key();
    Setup {
        config_path: "appointment-setter.toml".into(),
        config: config.clone(),
        database_url: db.url.clone(),
        store,
        calendar: Arc::new(LocalCalendar),
        telnyx_api_key: false,
        telnyx_connection_id: false,
        telnyx_public_key: Some(base64::engine::general_purpose::STANDARD.encode(key.as_bytes())),
        llm: None,
    }
}

/// `application/x-www-form-urlencoded` of `fields`.
pub fn form(fields: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

impl Console {
    /// Connects `staff`'s Google account `<staff>@gmail.test` (what the consent button does).
    pub async fn connect_google(&self, staff: &str) {
        let (emu, connector) = self.google.as_ref().expect("a console started with start_google");
        super::google_oauth::connect(emu, connector, staff, &format!("{staff}@gmail.test")).await;
    }

    async fn send(&self, r: reqwest::RequestBuilder, cookie: Option<&str>) -> Page {
        let r = match cookie {
            Some(c) => r.header("Cookie", format!("as_session={c}")),
            None => r,
        };
        let response = r.send().await.unwrap();
        let headers = response.headers().clone();
        let location = headers.get("location").map(|v| v.to_str().unwrap().to_string());
        let cookie = headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("as_session="))
            .map(|v| v.split(';').next().unwrap_or_default().to_string());
        Page { status: response.status().as_u16(), location, cookie, headers, body: response.text().await.unwrap() }
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
    }

    /// GET `path` with the session cookie `cookie`.
    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Page {
        self.send(Self::client().get(format!("{}{path}", self.url)), cookie).await
    }

    /// POST the form `fields` to `path` with the session cookie `cookie`.
    pub async fn post(&self, path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Page {
        let r = Self::client()
            .post(format!("{}{path}", self.url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form(fields));
        self.send(r, cookie).await
    }

    /// Submits the sign-in form as a browser does: the form's page first, for its CSRF token and
    /// cookie, then the form with both.
    pub async fn sign_in(&self, email: &str, password: &str) -> Page {
        let response = Self::client().get(format!("{}/admin/login", self.url)).send().await.unwrap();
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("as_login="))
            .map(|v| v.split(';').next().unwrap_or_default().to_string())
            .expect("the sign-in form sets its CSRF cookie");
        let token = csrf(&response.text().await.unwrap());
        let r = Self::client()
            .post(format!("{}/admin/login", self.url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Cookie", format!("as_login={cookie}"))
            .body(form(&[("csrf", &token), ("email", email), ("password", password)]));
        self.send(r, None).await
    }

    /// Signs in; the session cookie.
    pub async fn login(&self, email: &str) -> String {
        let page = self.sign_in(email, PASSWORD).await;
        assert_eq!((page.status, page.location.as_deref()), (303, Some("/admin")), "{}", page.body);
        page.cookie.expect("a session cookie")
    }
}

/// The CSRF token in a page's forms.
pub fn csrf(body: &str) -> String {
    let at = body.find("name=\"csrf\" value=\"").expect("a CSRF field") + "name=\"csrf\" value=\"".len();
    body[at..].split('"').next().unwrap().to_string()
}

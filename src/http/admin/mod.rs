//! The owner's console (SPEC §15), server-rendered: `/admin` pages behind a session cookie.
//!
//! Every page but sign-in and set-up needs a signed-in session ([`signed_in`]: no session → a
//! redirect to the sign-in page); every state-changing form carries the session's CSRF token
//! ([`check_csrf`]: missing or wrong → 403). Responses carry a CSP without inline script or
//! style, `X-Frame-Options: DENY`, `Referrer-Policy`, `nosniff` and `no-store`. Templates are
//! `askama` (compiled in, escaped), the stylesheet is embedded; nothing is fetched at run time.

pub(crate) mod actions;
mod appointment;
mod book;
mod charts;
mod check;
pub(crate) mod conversations;
mod customers;
pub(crate) mod google;
mod login;
pub(crate) mod stats;
pub(crate) mod style;
mod texts;
mod today;
mod try_it;
mod views;
mod week;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::accounts::{Accounts, Authenticated, Principal, SESSION_LIFETIME};
use crate::booking::BookingService;
use crate::store::Store;

/// The session cookie's name.
pub(crate) const COOKIE: &str = "as_session";

/// What the console needs (cheap to clone).
#[derive(Clone)]
pub struct AdminConsole {
    accounts: Accounts,
    booking: BookingService,
    store: Store,
    /// Cookies are `Secure` (the public URL is https).
    secure: bool,
    /// `PUBLIC_URL` without a trailing slash, when set (else pages use the request's own address).
    public_url: Option<String>,
    /// The receptionist on a throwaway database, for the try-it box.
    try_it: Option<crate::chat::ChatService>,
    /// The set-up checks, when this server has them (`serve` does).
    setup: Option<crate::setup::Setup>,
    /// Connecting staff members' own Google calendars, when set up.
    google: Option<crate::booking::google::GoogleConnector>,
    /// Customer-link page loads per address (guessing links is rate limited).
    guesses: std::sync::Arc<governor::DefaultKeyedRateLimiter<std::net::IpAddr>>,
}

impl AdminConsole {
    /// The console over `accounts` and `booking`, reached at `public_url` (`PUBLIC_URL`) when
    /// set: cookies are `Secure` when it is https.
    pub fn new(accounts: Accounts, booking: BookingService, store: Store, public_url: Option<&str>) -> Self {
        let per_minute = std::num::NonZeroU32::new(LINK_LOADS_PER_MINUTE).expect("not zero");
        let guesses = std::sync::Arc::new(governor::RateLimiter::keyed(governor::Quota::per_minute(per_minute)));
        let public_url = public_url.map(|u| u.trim().trim_end_matches('/').to_string()).filter(|u| !u.is_empty());
        let secure = public_url.as_deref().is_some_and(|u| u.starts_with("https://"));
        Self { accounts, booking, store, secure, public_url, setup: None, try_it: None, google: None, guesses }
    }

    /// Lets the try-it box talk to `chat` (built on a throwaway database).
    pub fn with_try_it(mut self, chat: crate::chat::ChatService) -> Self {
        self.try_it = Some(chat);
        self
    }

    /// Shows `setup`'s checks on the set-up page.
    pub fn with_setup(mut self, setup: crate::setup::Setup) -> Self {
        self.setup = Some(setup);
        self
    }

    /// Lets staff connect their own Google calendars through `google`.
    pub fn with_google(mut self, google: Option<crate::booking::google::GoogleConnector>) -> Self {
        self.google = google;
        self
    }

    /// The booking service (customer links read its policy and links).
    pub(crate) fn booking(&self) -> &BookingService {
        &self.booking
    }

    /// Accounts and sessions.
    pub(crate) fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// `PUBLIC_URL`, when set.
    pub(crate) fn public_url(&self) -> Option<&str> {
        self.public_url.as_deref()
    }

    /// The store.
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// Whether `address` may load another customer-link page now.
    pub(crate) fn may_open_link(&self, address: std::net::IpAddr) -> bool {
        self.guesses.check_key(&address).is_ok()
    }
}

/// Customer-link page loads per minute from one address: plenty for a customer, hopeless for
/// guessing 72-bit tokens.
const LINK_LOADS_PER_MINUTE: u32 = 30;

/// The console's content security policy: nothing inline, nothing from elsewhere.
pub(crate) const CSP: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The headers on every page (unless a page sets its own CSP): a CSP without inline script or
/// style, no framing, no referrer to other sites, no sniffing, no caching.
pub(crate) fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CSP))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "same-origin"))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::CACHE_CONTROL, "no-store"))
}

/// The console's routes, under `/admin`.
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .wrap(security_headers())
            .route("", web::get().to(today::page))
            .route("/", web::get().to(today::page))
            .route("/week", web::get().to(week::page))
            .route("/login", web::get().to(login::form))
            .route("/login", web::post().to(login::submit))
            .route("/logout", web::post().to(login::logout))
            .route("/setup/{token}", web::get().to(login::setup_form))
            .route("/setup/{token}", web::post().to(login::setup_submit))
            .route("/book", web::get().to(book::form))
            .route("/book", web::post().to(book::submit))
            .route("/texts", web::get().to(texts::page))
            .route("/stats", web::get().to(stats::page))
            .route("/check", web::get().to(check::page))
            .route("/try", web::get().to(try_it::page))
            .route("/try", web::post().to(try_it::say))
            .route("/google", web::get().to(google::page))
            .route("/google/connect", web::post().to(google::connect))
            .route("/google/callback", web::get().to(google::callback))
            .route("/google/pick", web::get().to(google::pick_form))
            .route("/google/pick", web::post().to(google::pick))
            .route("/google/disconnect", web::post().to(google::disconnect))
            .route("/customers", web::get().to(customers::list))
            .route("/customers/{phone}", web::get().to(customers::page))
            .route("/conversations", web::get().to(conversations::list))
            .route("/conversations/{id}", web::get().to(conversations::page))
            .route("/appointments/{id}", web::get().to(appointment::page))
            .route("/appointments/{id}/cancel", web::post().to(appointment::cancel))
            .route("/appointments/{id}/reschedule", web::post().to(appointment::reschedule))
            .route("/static/console.css", web::get().to(style::css))
            .default_service(web::to(not_found)),
    );
}

/// The console, or `None` when this server has none (tests of other parts).
pub(crate) fn console(req: &HttpRequest) -> Option<&AdminConsole> {
    req.app_data::<web::Data<crate::http::AppState>>().and_then(|s| s.admin.as_ref())
}

/// The page for anything that is not there, or not this person's to see.
pub(crate) async fn not_found(req: HttpRequest) -> HttpResponse {
    let _ = req;
    HttpResponse::NotFound().content_type("text/html; charset=utf-8").body(views::not_found())
}

/// The navigation bar for `p`.
pub(crate) fn nav(console: &AdminConsole, p: &Principal) -> views::Nav {
    views::Nav {
        business: console.booking.business().name.clone(),
        email: p.email.clone(),
        role: p.role.as_str(),
        csrf: p.csrf.clone(),
    }
}

/// Who is signed in, or the response to send instead (the sign-in page, or 404 without a console).
pub(crate) async fn signed_in(req: &HttpRequest) -> Result<(AdminConsole, Authenticated), HttpResponse> {
    let Some(console) = console(req) else { return Err(HttpResponse::NotFound().finish()) };
    let token = req.cookie(COOKIE).map(|c| c.value().to_string());
    let found = match token {
        Some(token) => console.accounts.authenticate(&token).await.map_err(|e| {
            tracing::error!(error = %e, "could not check a console session");
            HttpResponse::ServiceUnavailable().body(DATABASE_DOWN)
        })?,
        None => None,
    };
    match found {
        Some(auth) => Ok((console.clone(), auth)),
        None => Err(HttpResponse::SeeOther().insert_header((header::LOCATION, "/admin/login")).finish()),
    }
}

/// As [`signed_in`], for owners' pages: a staff member gets the same "not found" as for a page
/// that is not there.
pub(crate) async fn owner_signed_in(req: &HttpRequest) -> Result<(AdminConsole, Authenticated), HttpResponse> {
    let (console, auth) = signed_in(req).await?;
    if auth.principal.role != crate::store::Role::Owner {
        return Err(not_found(req.clone()).await);
    }
    Ok((console, auth))
}

/// Whether the form's CSRF token is the session's (compared in constant time).
pub(crate) fn csrf_ok(principal: &Principal, sent: &str) -> bool {
    crate::secrets::same_secret(sent, &principal.csrf)
}

/// The answer to a form without the session's CSRF token: 403.
pub(crate) fn csrf_refused() -> HttpResponse {
    HttpResponse::Forbidden()
        .content_type("text/html; charset=utf-8")
        .body("This form has expired. Go back, reload the page and try again.")
}

/// The session cookie carrying `token` (an empty token with no age signs out).
pub(crate) fn session_cookie(console: &AdminConsole, token: &str) -> Cookie<'static> {
    let age = if token.is_empty() { 0 } else { SESSION_LIFETIME.num_seconds() };
    Cookie::build(COOKIE, token.to_string())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(console.secure)
        .max_age(actix_web::cookie::time::Duration::seconds(age))
        .finish()
}

/// Said when the database does not answer.
pub(crate) const DATABASE_DOWN: &str = "The database is not answering; try again in a moment.";

/// The page `view` renders, or a 500 that says something went wrong (the error is logged).
pub(crate) fn render_page(console: &AdminConsole, auth: &Authenticated, view: impl askama::Template) -> HttpResponse {
    match view.render() {
        Ok(html) => html_page(console, auth, html),
        Err(e) => {
            tracing::error!(error = %e, page = std::any::type_name_of_val(&view), "a console page failed to render");
            HttpResponse::InternalServerError().body("Something went wrong on our side.")
        }
    }
}

/// An HTML page, with the renewed session cookie when the session was renewed.
pub(crate) fn html_page(console: &AdminConsole, auth: &Authenticated, html: String) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.content_type("text/html; charset=utf-8");
    if let Some(token) = &auth.renewed {
        response.cookie(session_cookie(console, token));
    }
    response.body(html)
}

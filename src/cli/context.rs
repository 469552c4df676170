//! What every command needs: the config, the store and the booking service, built once.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Timelike, Utc};

use super::CliError;
use crate::accounts::SessionSecret;
use crate::booking::google::GoogleConnector;
use crate::booking::{BookingService, CustomerLinks};
use crate::calendar::{Calendar, LocalCalendar};
use crate::clock::{Clock, FixedClock, RunningClock, SystemClock};
use crate::config::{self, CalendarBackend, Config};
use crate::domain::DayMinute;
use crate::domain::phone::PhoneNumber;
use crate::domain::time::resolve_local;
use crate::messaging::{ConfirmationSettings, Confirmations};
use crate::store::{self, Store, StoreError};

/// The wired application for one command.
pub(crate) struct Context {
    /// Where the config came from.
    pub config_path: PathBuf,
    /// The validated config.
    pub config: Arc<Config>,
    /// The database URL in use (may contain a password: never print it whole).
    pub database_url: String,
    /// The store.
    pub store: Store,
    /// The booking service.
    pub booking: BookingService,
    /// The calendar backend (for `check`).
    pub calendar: Arc<dyn Calendar>,
    /// The business clock: `--now` (for `serve` running on from there), else the system clock.
    pub clock: Arc<dyn Clock>,
    /// Connecting staff members' own Google calendars, when `GOOGLE_OAUTH_CLIENT_FILE` is set.
    pub google: Option<GoogleConnector>,
    /// The folder of a throwaway database, removed when the command ends.
    _scratch: Option<tempfile::TempDir>,
}

/// `--now`: the instant the business's clock shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BusinessTime {
    /// Stopped there (one-shot commands: the same answer every run).
    Fixed(DateTime<Utc>),
    /// Starting there and running on in real time (`serve`: reminders, calls and retries play).
    RunningFrom(DateTime<Utc>),
}

/// Which database a command works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Database {
    /// `DATABASE_URL`, else the SQLite file next to the config, with the configured calendar.
    Configured,
    /// A fresh SQLite file in a temporary folder and the local calendar: nothing the command does
    /// reaches the business's data or its staff calendars (`chat` without `--live`).
    Throwaway,
}

/// Where the console's session key lives when `ADMIN_JWT_SECRET` is not set: beside the config.
const SESSION_KEY_FILE: &str = "admin-session.key";

/// An environment variable that is set and not blank.
pub(crate) fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// `PUBLIC_URL`, when set: where customers and staff reach this server (links in texts).
pub(crate) fn public_url() -> Option<String> {
    std::env::var("PUBLIC_URL").ok().map(|u| u.trim().to_string()).filter(|u| !u.is_empty())
}

/// The server's session key (`ADMIN_JWT_SECRET`, else the key file beside the config, made once);
/// customer links use a key derived from it.
pub(crate) fn session_secret(config_path: &std::path::Path) -> Result<SessionSecret, CliError> {
    let file = config_path.parent().unwrap_or(std::path::Path::new(".")).join(SESSION_KEY_FILE);
    let env = std::env::var("ADMIN_JWT_SECRET").ok();
    SessionSecret::load(env.as_deref(), &file).map_err(|e| CliError::Usage(e.to_string()))
}

/// The booking service as `[sms]` and the environment configure its messages: confirmations (and
/// email invites when `SMTP_URL` and `SMTP_FROM` are set) and the reminder lead time.
pub(crate) fn with_messages(booking: BookingService, config: &Config) -> BookingService {
    let hours = i64::from(config.reminders.hours_before);
    let email_from =
        std::env::var("SMTP_URL").ok().and(std::env::var("SMTP_FROM").ok()).filter(|f| !f.trim().is_empty());
    let settings = ConfirmationSettings { confirmations: config.sms.confirmations, email_from };
    let business = Arc::new(config.business.clone());
    booking
        .with_confirmations(Confirmations::writer(business, settings))
        .with_reminders((hours > 0).then(|| chrono::Duration::hours(hours)))
}

impl Context {
    /// Loads the config, opens (and migrates) `database` and builds the booking service.
    pub(crate) async fn open(
        config_path: Option<PathBuf>,
        now: Option<BusinessTime>,
        database: Database,
    ) -> Result<Self, CliError> {
        let config_path = config::resolve_path(config_path);
        let config = Arc::new(Config::load(&config_path)?);
        let throwaway = database == Database::Throwaway;
        let scratch = if throwaway {
            Some(tempfile::tempdir().map_err(|e| CliError::Failed(anyhow::anyhow!("a temporary folder: {e}")))?)
        } else {
            None
        };
        let database_url = match &scratch {
            Some(dir) => store::sqlite_url(&dir.path().join("throwaway.db")),
            None => store::database_url(std::env::var("DATABASE_URL").ok(), &config_path),
        };
        // A database that cannot be opened as configured is a set-up problem (exit 2) with one line
        // saying what to fix; anything else going wrong while opening is a failure (exit 1).
        let store = Store::connect(&database_url).await.map_err(|e| match e {
            StoreError::Unavailable { .. } | StoreError::UnsupportedUrl(_) | StoreError::Connect { .. } => {
                CliError::Usage(e.to_string())
            }
            other => CliError::Failed(anyhow::Error::new(other).context("opening the database")),
        })?;
        let clock: Arc<dyn Clock> = match now {
            Some(BusinessTime::Fixed(t)) => Arc::new(FixedClock(t)),
            Some(BusinessTime::RunningFrom(t)) => Arc::new(RunningClock::starting_at(t)),
            None => Arc::new(SystemClock),
        };
        let (calendar, google) = match config.calendar.backend {
            _ if throwaway => (Arc::new(LocalCalendar) as Arc<dyn Calendar>, None),
            CalendarBackend::Local => {
                if env("GOOGLE_OAUTH_CLIENT_FILE").is_some() {
                    return Err(CliError::Usage(
                        "GOOGLE_OAUTH_CLIENT_FILE is set but calendar.backend is \"local\": set calendar.backend = \"google\" \
                         in the config to use Google calendars"
                            .into(),
                    ));
                }
                (Arc::new(LocalCalendar) as Arc<dyn Calendar>, None)
            }
            CalendarBackend::Google => super::google::backend(&config, &config_path, &store, clock.clone()).await?,
        };
        let business = Arc::new(config.business.clone());
        let mut booking =
            with_messages(BookingService::new(business, store.clone(), calendar.clone(), clock.clone()), &config);
        if let Some(url) = public_url().filter(|_| !throwaway) {
            let key = session_secret(&config_path)?.derive("customer-links");
            booking = booking.with_links(CustomerLinks::new(&key, &url));
        }
        Ok(Self { config_path, config, database_url, store, booking, calendar, clock, google, _scratch: scratch })
    }

    /// Closes the database cleanly.
    pub(crate) async fn close(&self) {
        self.store.close().await;
    }

    /// Parses a phone number in the business's region.
    pub(crate) fn phone(&self, text: &str) -> Result<PhoneNumber, CliError> {
        PhoneNumber::parse(text, self.config.business.region).map_err(|e| CliError::Usage(format!("--phone: {e}")))
    }

    /// Parses `--start`: RFC 3339, or a local `YYYY-MM-DDTHH:MM` in the business zone.
    pub(crate) fn start(&self, text: &str) -> Result<DateTime<Utc>, CliError> {
        if let Ok(t) = DateTime::parse_from_rfc3339(text) {
            return Ok(t.with_timezone(&Utc));
        }
        ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
            .map(|local| {
                let minute = DayMinute::from_hm(local.hour() as u16, local.minute() as u16).expect("valid clock time");
                resolve_local(self.config.business.timezone, local.date(), minute)
            })
            .ok_or_else(|| {
                CliError::Usage(format!(
                    "--start: {text:?} is not a time like 2026-03-10T14:30:00-05:00 (or 2026-03-10T14:30 in the business time zone)"
                ))
            })
    }

    /// Parses a `YYYY-MM-DD` argument.
    pub(crate) fn date(flag: &str, text: &str) -> Result<NaiveDate, CliError> {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| CliError::Usage(format!("{flag}: {text:?} is not a date in the form YYYY-MM-DD")))
    }

    /// Today in the business zone, by the command's clock.
    pub(crate) fn today(&self) -> NaiveDate {
        self.config.business.today(self.booking.now())
    }
}

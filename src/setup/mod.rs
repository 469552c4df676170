//! Is everything the receptionist needs set up and reachable? The `check` command's table and the
//! console's set-up page, from one list of checks: the config, phone numbers, the database (it
//! answers and takes writes), Telnyx (API key and webhook public key present and well-formed),
//! the LLM (its server answers and takes the key), and each staff calendar (read and write).
//! Each failure says what to do about it.

use std::sync::Arc;
use std::time::Duration;

use crate::calendar::{Calendar, Freshness};
use crate::config::{CalendarBackend, Config};
use crate::domain::{Interval, PhoneNumber, StaffMember};
use crate::store::{Backend, Store, redact_url};
use crate::telnyx::PublicKey;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Fine.
    Ok,
    /// Works, but something is off or missing (e.g. texts will not be sent).
    Warn,
    /// Broken: the receptionist cannot do its job until this is fixed.
    Fail,
}

impl Verdict {
    /// `ok`, `warn`, `FAIL`.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Warn => "warn",
            Verdict::Fail => "FAIL",
        }
    }
}

/// One line of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// `config`, `phone`, `database`, `telnyx`, `llm`, `calendar`.
    pub area: &'static str,
    /// How it came out.
    pub verdict: Verdict,
    /// What was found.
    pub what: String,
    /// What to do, when it is not ok.
    pub fix: Option<String>,
}

fn check(area: &'static str, verdict: Verdict, what: impl Into<String>, fix: Option<&str>) -> Check {
    Check { area, verdict, what: what.into(), fix: fix.map(String::from) }
}

/// What the checks look at (cheap to clone).
#[derive(Clone)]
pub struct Setup {
    /// Where the config came from.
    pub config_path: String,
    /// The validated config.
    pub config: Arc<Config>,
    /// The database URL (its password is never shown).
    pub database_url: String,
    /// The store.
    pub store: Store,
    /// The calendar backend.
    pub calendar: Arc<dyn Calendar>,
    /// `TELNYX_API_KEY` is set.
    pub telnyx_api_key: bool,
    /// `TELNYX_CONNECTION_ID` is set (reminder calls are placed through it).
    pub telnyx_connection_id: bool,
    /// `TELNYX_PUBLIC_KEY`, when set.
    pub telnyx_public_key: Option<String>,
    /// The LLM server's base URL and key, when one is configured.
    pub llm: Option<(String, Option<String>)>,
}

impl Setup {
    /// The Telnyx and LLM facts from the environment.
    pub fn from_env(
        config_path: String,
        config: Arc<Config>,
        database_url: String,
        store: Store,
        calendar: Arc<dyn Calendar>,
    ) -> Self {
        let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let llm = match (var("OPENAI_BASE_URL"), var("OPENAI_API_KEY")) {
            (None, None) => None,
            (base, key) => Some((base.unwrap_or_else(|| "https://api.openai.com/v1".into()), key)),
        };
        Self {
            config_path,
            config,
            database_url,
            store,
            calendar,
            telnyx_api_key: var("TELNYX_API_KEY").is_some(),
            telnyx_connection_id: var("TELNYX_CONNECTION_ID").is_some(),
            telnyx_public_key: var("TELNYX_PUBLIC_KEY"),
            llm,
        }
    }

    /// Runs every check (calendar and LLM checks go over the network), in table order.
    pub async fn run(&self, now: chrono::DateTime<chrono::Utc>) -> Vec<Check> {
        let biz = &self.config.business;
        let mut out = vec![check(
            "config",
            Verdict::Ok,
            format!(
                "{}: {} services, {} staff, time zone {}",
                self.config_path,
                biz.services.len(),
                biz.staff.len(),
                biz.timezone.name()
            ),
            None,
        )];
        for warning in &self.config.warnings {
            out.push(check("config", Verdict::Warn, warning.to_string(), None));
        }
        for (key, number) in
            [("business.phone_number", &biz.phone_number), ("business.transfer_number", &biz.transfer_number)]
        {
            let Some(number) = number else { continue };
            out.push(match PhoneNumber::parse(number.as_str(), biz.region) {
                Ok(_) => check("phone", Verdict::Ok, format!("{key} {number} is a valid number"), None),
                Err(e) => check(
                    "phone",
                    Verdict::Fail,
                    format!("{key}: {e}"),
                    Some("write it with its country code, e.g. +13125550100"),
                ),
            });
        }
        out.push(self.database().await);
        out.extend(self.telnyx());
        out.push(self.llm().await);
        out.extend(self.calendars(now).await);
        out
    }

    async fn database(&self) -> Check {
        let db = match self.store.backend() {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        };
        let at = redact_url(&self.database_url);
        let usable = match self.store.ping().await {
            Ok(()) => self.store.check_writable().await.map_err(|e| format!("cannot write: {e}")),
            Err(e) => Err(e.to_string()),
        };
        match usable {
            Ok(()) => check("database", Verdict::Ok, format!("{db} at {at} (migrations applied, writable)"), None),
            Err(e) => check(
                "database",
                Verdict::Fail,
                format!("{db} at {at}: {e}"),
                Some("check DATABASE_URL, that the server is up, and that this user may write"),
            ),
        }
    }

    fn telnyx(&self) -> Vec<Check> {
        let key = match self.telnyx_api_key {
            true => check("telnyx", Verdict::Ok, "TELNYX_API_KEY is set (calls are answered, texts sent)", None),
            false => check(
                "telnyx",
                Verdict::Warn,
                "TELNYX_API_KEY is not set: calls are not answered and texts stay in the outbox",
                Some("set TELNYX_API_KEY to an API key from the Telnyx portal (Keys & Credentials → API Keys)"),
            ),
        };
        let public = match self.telnyx_public_key.as_deref().map(PublicKey::from_base64) {
            Some(Ok(_)) => {
                check("telnyx", Verdict::Ok, "TELNYX_PUBLIC_KEY is a valid Ed25519 key (webhooks are verified)", None)
            }
            Some(Err(e)) => check("telnyx", Verdict::Fail, format!("TELNYX_PUBLIC_KEY: {e}"), Some(PUBLIC_KEY_FIX)),
            None => check(
                "telnyx",
                Verdict::Warn,
                "TELNYX_PUBLIC_KEY is not set: `serve` cannot verify webhooks and refuses to start",
                Some(PUBLIC_KEY_FIX),
            ),
        };
        let mut out = vec![key, public];
        let channel = self.config.reminders.channel;
        if channel.calls() {
            out.push(match self.telnyx_connection_id {
                true => check("telnyx", Verdict::Ok, format!("reminders by {channel}: TELNYX_CONNECTION_ID is set"), None),
                false => check(
                    "telnyx",
                    Verdict::Fail,
                    format!("reminders.channel = \"{channel}\" but TELNYX_CONNECTION_ID is not set: no reminder calls (`serve` refuses to start with TELNYX_API_KEY set)"),
                    Some(
                        "set TELNYX_CONNECTION_ID to the id of the Call Control application whose webhook URL points \
                         here (Telnyx portal → Voice → Programmable Voice)",
                    ),
                ),
            });
        }
        out
    }

    async fn llm(&self) -> Check {
        let Some((base, key)) = &self.llm else {
            return check(
                "llm",
                Verdict::Warn,
                "no LLM configured: the guided dialog answers calls and chats",
                Some("set OPENAI_BASE_URL (and OPENAI_API_KEY) for the AI receptionist"),
            );
        };
        match llm_answers(base, key.as_deref()).await {
            Ok(()) => check("llm", Verdict::Ok, format!("{base} answers"), None),
            Err(problem) => check(
                "llm",
                Verdict::Fail,
                format!("{base}: {problem}"),
                Some("check OPENAI_BASE_URL and OPENAI_API_KEY; until then the guided dialog answers"),
            ),
        }
    }

    async fn calendars(&self, now: chrono::DateTime<chrono::Utc>) -> Vec<Check> {
        if self.config.calendar.backend == CalendarBackend::Local {
            return vec![check("calendar", Verdict::Ok, "local (appointments live in the database)", None)];
        }
        let window = Interval { start: now, end: now + chrono::Duration::hours(1) };
        let staff: Vec<&StaffMember> = self.config.business.staff.iter().collect();
        let read = self.calendar.busy(&staff, window, Freshness::Fresh).await;
        let mut out = Vec::new();
        for (member, read) in staff.iter().zip(read) {
            let connected = self.store.google().calendar_of(member.id.as_str()).await.ok().flatten();
            let calendar = match &connected {
                Some(c) => format!("{} (Google account {})", c.calendar_id, c.account.email),
                None => member.calendar_id.clone().unwrap_or_else(|| "(no calendar_id)".into()),
            };
            // Reading is not enough: bookings write events.
            let usable = match read {
                Ok(_) => self.calendar.check_write(member).await,
                Err(e) => Err(e),
            };
            out.push(match usable {
                Ok(()) => {
                    check("calendar", Verdict::Ok, format!("{} can read and write {calendar}", member.name), None)
                }
                Err(e) => {
                    let oauth = connected.is_some() || e.to_string().contains("connect Google Calendar");
                    let fix = if oauth {
                        format!(
                            "click \"Connect Google Calendar\" for {} on the set-up page (or run \
                             `appointment-setter connect google --staff {}`)",
                            member.name, member.id
                        )
                    } else {
                        "share the calendar with the service account's address (\"Make changes to events\"), and check \
                         calendar_id"
                            .to_string()
                    };
                    check("calendar", Verdict::Fail, format!("{}: {e}", member.name), Some(&fix))
                }
            });
        }
        out
    }
}

const PUBLIC_KEY_FIX: &str =
    "copy the public key from the Telnyx portal (Keys & Credentials → Public Key) into TELNYX_PUBLIC_KEY";

/// Does the LLM server answer, and take the key? (`GET {base}/models`: costs no tokens.)
async fn llm_answers(base: &str, key: Option<&str>) -> Result<(), String> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().map_err(|e| e.to_string())?;
    let mut request = client.get(format!("{}/models", base.trim_end_matches('/')));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    match request.send().await {
        Ok(r) if r.status() == reqwest::StatusCode::UNAUTHORIZED || r.status() == reqwest::StatusCode::FORBIDDEN => {
            Err(format!("the key was refused ({})", r.status()))
        }
        // Any other answer means the server is there (some compatible servers have no /models).
        Ok(_) => Ok(()),
        Err(e) if e.is_timeout() => Err("no answer within 5 seconds".into()),
        Err(_) => Err("cannot connect".into()),
    }
}

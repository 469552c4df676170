//! The store (SPEC §5): SQLite by default, PostgreSQL for several instances, through `sqlx`'s
//! `Any` driver so one set of portable queries serves both. Migrations run at connect.
//!
//! One handle, [`Store`], with a repository per concern: [`Store::appointments`] (read side),
//! [`Store::inbox`], [`Store::outbox`], [`Store::opt_outs`], [`Store::reminders`],
//! [`Store::conversations`]. Appointment writes are not here: they live in `booking`, the only part
//! allowed to make them, and run inside a [`StaffTx`].
//!
//! Booking consistency lives here: [`Store::begin_for_staff`] opens a transaction that holds the
//! per-staff commit lock across processes (SQLite `BEGIN IMMEDIATE`, PostgreSQL transaction-scoped
//! advisory locks taken in a fixed order), so a re-check inside it cannot race another writer.

mod api_tokens;
mod appointments;
mod chats;
mod conversations;
mod error;
mod google;
mod inbox;
mod links;
mod messaging;
mod open;
mod preferences;
mod reminder_calls;
mod reminders;
mod stats;
mod texts;
mod users;
mod worker;
mod write;

use std::path::Path;
use std::time::Duration;

pub use api_tokens::ApiToken;
pub use appointments::AppointmentFilter;
pub(crate) use appointments::{Appointments, StaffTx};
pub use chats::ChatTurn;
pub(crate) use chats::ChatTurns;
pub use conversations::ConversationSave;
pub(crate) use conversations::{CHAT_PREFIX, Conversations};
pub use conversations::{ConversationStatus, StoredConversation};
pub(crate) use error::StoreError;
pub use google::{GoogleAccount, PendingAuthorization, StaffCalendar};
pub(crate) use inbox::InboxEvents;
pub use inbox::{EventStatus, NewInboxEvent, Outcome};
pub(crate) use messaging::{MessageChannel, NewMessage, OptOuts, Outbox, OutboxMessage, SendOutcome};
pub use messaging::{MessageRecord, MessageStatus};
pub use preferences::{Preferences, TextsOnly};
pub use reminder_calls::{CallStatus, ReminderCall, ReminderCalls};
pub(crate) use reminders::Reminders;
pub use reminders::{ReminderStatus, Then};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
pub use stats::Bucket;
pub use texts::INBOUND_RETENTION;
pub(crate) use users::Users;
pub use users::{AuditEntry, Role, User};
pub(crate) use worker::{Worker, run_loop};
pub(crate) use write::WriteTx;

use crate::domain::StaffId;

/// File name of the default SQLite database, next to the config file.
pub(crate) const DEFAULT_DB_FILE: &str = "appointment-setter.db";

/// Which database the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// Shared PostgreSQL.
    Postgres,
}

/// A cheap-to-clone handle on the database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// This process's SQLite writers queue here (see `write`).
    gate: write::WriteGate,
}

/// The database URL to use: `DATABASE_URL` when set, else the SQLite file next to the config.
pub(crate) fn database_url(env_url: Option<String>, config_path: &Path) -> String {
    if let Some(url) = env_url.filter(|u| !u.trim().is_empty()) {
        return url;
    }
    let dir = config_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    sqlite_url(&dir.join(DEFAULT_DB_FILE))
}

/// A URL for a SQLite file, created if missing.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

impl Store {
    /// Connects, configures and migrates. Safe to call from several processes at once.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        };
        let options: AnyConnectOptions =
            with_create_mode(url, backend).parse().map_err(|e| StoreError::connect(url, e))?;
        let mut pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 8 })
            .acquire_timeout(Duration::from_secs(30))
            // A local SQLite file cannot drop a connection: pinging it before every use would only
            // cost a round trip to its worker thread.
            .test_before_acquire(backend != Backend::Sqlite);
        if backend == Backend::Sqlite {
            pool = pool.after_connect(|conn, _| {
                Box::pin(async move {
                    // WAL: readers never block the writer; NORMAL sync is durable across process
                    // crashes (only an OS crash can lose the last commits). busy_timeout makes
                    // writers from other processes wait for the lock instead of failing.
                    conn.execute("PRAGMA busy_timeout = 30000").await?;
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    Ok(())
                })
            });
        }
        open::probe(url, backend, &options).await?;
        let pool = pool.connect_with(options).await.map_err(|e| StoreError::connect(url, e))?;
        let store = Self { pool, backend, gate: write::WriteGate::default() };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        // PostgreSQL migrations hold an advisory lock, so concurrent starts are safe. SQLite has no
        // migration lock: a process that loses the race re-reads what the winner applied.
        let mut attempt = 0;
        loop {
            match sqlx::migrate!("./migrations").run(&self.pool).await {
                Ok(()) => return Ok(()),
                Err(_) if attempt < 3 && self.backend == Backend::Sqlite => attempt += 1,
                Err(e) => return Err(StoreError::Migrate(e)),
            }
        }
    }

    /// Appointments, read side (the writes live in `booking`, the one part that changes them).
    pub fn appointments(&self) -> Appointments<'_> {
        Appointments(self)
    }

    /// The webhook inbox table: dedupe, leases, completion.
    pub fn inbox(&self) -> InboxEvents<'_> {
        InboxEvents(self)
    }

    /// Outgoing texts and emails.
    pub fn outbox(&self) -> Outbox<'_> {
        Outbox(self)
    }

    /// Numbers that asked for no more texts.
    pub fn opt_outs(&self) -> OptOuts<'_> {
        OptOuts(self)
    }

    /// Reminder rows.
    pub fn reminders(&self) -> Reminders<'_> {
        Reminders(self)
    }

    /// Customers' reminder preferences ("text me instead").
    pub fn preferences(&self) -> Preferences<'_> {
        Preferences(self)
    }

    /// Reminder calls: one row per dial attempt.
    pub fn reminder_calls(&self) -> ReminderCalls<'_> {
        ReminderCalls(self)
    }

    /// Calls in progress and finished, with their conversation state.
    pub fn conversations(&self) -> Conversations<'_> {
        Conversations(self)
    }

    /// Console accounts, sessions, set-up tokens and the audit log.
    pub fn users(&self) -> Users<'_> {
        Users(self)
    }

    /// Personal API tokens (digests).
    pub fn api_tokens(&self) -> api_tokens::ApiTokens<'_> {
        api_tokens::ApiTokens(self)
    }

    /// What the console's stats count.
    pub fn stats(&self) -> stats::StatsRows<'_> {
        stats::StatsRows(self)
    }

    /// Connected Google accounts, staff calendars in them and authorizations under way.
    pub fn google(&self) -> google::GoogleRows<'_> {
        google::GoogleRows(self)
    }

    /// Customer link digests and the appointments they open.
    pub fn customer_links(&self) -> links::CustomerLinkRows<'_> {
        links::CustomerLinkRows(self)
    }

    /// Answered turns of chat-endpoint conversations.
    pub fn chats(&self) -> ChatTurns<'_> {
        ChatTurns(self)
    }

    /// Which database this is.
    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }

    /// Does the database take writes? A row is written and rolled back (for `check`: a
    /// read-only file or a read-only replica fails here, not at the first booking).
    pub(crate) async fn check_writable(&self) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO opt_outs (phone, source, opted_out_at) VALUES ('+0', 'check', 0) ON CONFLICT (phone) DO NOTHING",
        )
        .execute(&mut *tx)
        .await?;
        tx.rollback().await?;
        Ok(())
    }

    /// Is the database reachable?
    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Opens a write transaction. On SQLite it takes the database write lock at once
    /// (`BEGIN IMMEDIATE`), so a read-then-write inside it can never fail on a stale snapshot.
    /// Writers of this process wait their turn on a gate first (see `write`).
    pub(crate) async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => {
                let turn = self.gate.enter().await;
                WriteTx::new(self.pool.begin_with("BEGIN IMMEDIATE").await?, Some(turn))
            }
            Backend::Postgres => WriteTx::new(self.pool.begin().await?, None),
        })
    }

    /// Opens a write transaction holding the commit lock of every staff member in `staff`.
    pub(crate) async fn begin_for_staff(&self, staff: &[&StaffId]) -> Result<StaffTx, StoreError> {
        let mut tx = self.begin_write().await?;
        if self.backend == Backend::Postgres {
            let mut ids: Vec<&str> = staff.iter().map(|s| s.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            for id in ids {
                // Scoped to the schema so separate deployments (and tests) on one server don't
                // contend; released at commit or rollback.
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':staff:' || $1))")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        Ok(StaffTx::new(tx))
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes the pool, waiting for connections to finish.
    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }
}

/// SQLite URLs without a `mode` get `mode=rwc`, so a new database file is created rather than
/// refused.
fn with_create_mode(url: &str, backend: Backend) -> String {
    if backend != Backend::Sqlite || url.contains("mode=") || url.contains(":memory:") {
        return url.to_string();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}mode=rwc")
}

/// The URL without its password, for error messages.
pub(crate) fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_from_urls() {
        assert_eq!(redact_url("postgres://u:secret@db:5432/x"), "postgres://u:***@db:5432/x");
        assert_eq!(redact_url("postgres://db/x"), "postgres://db/x");
    }

    #[test]
    fn sqlite_urls_create_the_file_unless_a_mode_is_given() {
        assert_eq!(with_create_mode("sqlite://a.db", Backend::Sqlite), "sqlite://a.db?mode=rwc");
        assert_eq!(with_create_mode("sqlite://a.db?mode=ro", Backend::Sqlite), "sqlite://a.db?mode=ro");
        assert_eq!(with_create_mode("postgres://h/d", Backend::Postgres), "postgres://h/d");
    }

    #[test]
    fn the_default_database_sits_next_to_the_config() {
        let url = database_url(None, Path::new("/etc/shop/appointment-setter.toml"));
        assert_eq!(url, "sqlite:///etc/shop/appointment-setter.db?mode=rwc");
        assert_eq!(database_url(Some("postgres://x/y".into()), Path::new("a.toml")), "postgres://x/y");
    }
}

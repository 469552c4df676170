//! Console accounts, their sessions, one-time set-up tokens and the audit log (see
//! `migrations/0007_accounts.sql`). The rules (passwords, lockout, tokens) live in `accounts`.

use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::error::parse_text;
use super::{Store, StoreError};
use crate::domain::{StaffId, text_enum};

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything.
    Owner,
    /// Their own schedule.
    Staff,
}

text_enum!(Role { Owner => "owner", Staff => "staff" });

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Random id.
    pub id: String,
    /// Lower-cased email address.
    pub email: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Owner or staff.
    pub role: Role,
    /// The staff member a staff account is.
    pub staff: Option<StaffId>,
    /// Failed sign-ins since the last good one.
    pub failed_logins: i64,
    /// Locked until then (the epoch when not locked).
    pub locked_until: DateTime<Utc>,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (an account id), if anyone signed in.
    pub user_id: Option<String>,
    /// What, e.g. `login`, `appointment.cancel`.
    pub action: String,
    /// On what (an appointment id, an email address).
    pub target: Option<String>,
    /// Anything else worth saying (never a password or a message text).
    pub detail: Option<String>,
}

/// Accounts (see [`Store::users`]).
#[derive(Clone, Copy)]
pub struct Users<'a>(pub(super) &'a Store);

const COLUMNS: &str = "id, email, password_hash, role, staff_id, failed_logins, locked_until";

fn instant(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

fn from_row(r: &AnyRow) -> Result<User, StoreError> {
    let staff: Option<String> = r.try_get("staff_id")?;
    Ok(User {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        password_hash: r.try_get("password_hash")?,
        role: parse_text("users", &r.try_get::<String, _>("role")?)?,
        staff: staff
            .map(|s| s.parse().map_err(|e| StoreError::Corrupt { table: "users", problem: format!("{e}") }))
            .transpose()?,
        failed_logins: r.try_get("failed_logins")?,
        locked_until: instant(r.try_get("locked_until")?),
    })
}

impl Users<'_> {
    /// Adds an account; false when the email address is taken.
    pub(crate) async fn add(&self, user: &User, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO users (id, email, password_hash, role, staff_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (email) DO NOTHING",
        )
        .bind(&user.id)
        .bind(&user.email)
        .bind(&user.password_hash)
        .bind(user.role.as_str())
        .bind(user.staff.as_ref().map(|s| s.to_string()))
        .bind(now.timestamp())
        .execute(self.0.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The account with this (lower-cased) email address.
    pub async fn by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        self.one("email", email).await
    }

    /// The account with this id.
    pub async fn by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        self.one("id", id).await
    }

    async fn one(&self, column: &'static str, value: &str) -> Result<Option<User>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM users WHERE {column} = $1"));
        let row = sqlx::query(sql).bind(value).fetch_optional(self.0.pool()).await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Every account, by email address.
    pub async fn all(&self) -> Result<Vec<User>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM users ORDER BY email"));
        let rows = sqlx::query(sql).fetch_all(self.0.pool()).await?;
        rows.iter().map(from_row).collect()
    }

    /// How many accounts there are.
    pub async fn count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(self.0.pool()).await?.try_get("n")?)
    }

    /// Records a failed sign-in; with `lock_until`, the account is locked until then.
    pub(crate) async fn failed_login(&self, id: &str, lock_until: Option<DateTime<Utc>>) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE users SET failed_logins = failed_logins + 1, \
             locked_until = CASE WHEN $1 > 0 THEN $1 ELSE locked_until END WHERE id = $2",
        )
        .bind(lock_until.map_or(0, |t| t.timestamp()))
        .bind(id)
        .execute(self.0.pool())
        .await?;
        Ok(())
    }

    /// A good sign-in: failures forgotten, unlocked.
    pub(crate) async fn good_login(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = $1")
            .bind(id)
            .execute(self.0.pool())
            .await?;
        Ok(())
    }

    /// Starts a session.
    pub(crate) async fn open_session(&self, id: &str, user: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sessions (id, user_id, created_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(user)
            .bind(now.timestamp())
            .execute(self.0.pool())
            .await?;
        Ok(())
    }

    /// Whether the session exists and was not revoked.
    pub(crate) async fn session_live(&self, id: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 AS one FROM sessions WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .fetch_optional(self.0.pool())
            .await?;
        Ok(row.is_some())
    }

    /// Ends a session (signing out).
    pub(crate) async fn revoke_session(&self, id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now.timestamp())
            .bind(id)
            .execute(self.0.pool())
            .await?;
        Ok(())
    }

    /// Keeps a set-up token's digest until `expires_at`.
    pub(crate) async fn add_setup_token(&self, digest: &str, expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO setup_tokens (token_digest, expires_at) VALUES ($1, $2)")
            .bind(digest)
            .bind(expires_at.timestamp())
            .execute(self.0.pool())
            .await?;
        Ok(())
    }

    /// Uses a set-up token once: true when it existed, was unused and unexpired.
    pub(crate) async fn use_setup_token(&self, digest: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE setup_tokens SET used_at = $1 WHERE token_digest = $2 AND used_at IS NULL AND expires_at > $1",
        )
        .bind(now.timestamp())
        .bind(digest)
        .execute(self.0.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Whether a set-up token would be accepted now (without using it).
    pub(crate) async fn setup_token_valid(&self, digest: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM setup_tokens WHERE token_digest = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(digest)
        .bind(now.timestamp())
        .fetch_optional(self.0.pool())
        .await?;
        Ok(row.is_some())
    }

    /// Writes an audit log entry.
    pub(crate) async fn audit(&self, e: &AuditEntry) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO audit_log (id, at, user_id, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(e.at.timestamp())
            .bind(e.user_id.clone())
            .bind(&e.action)
            .bind(e.target.clone())
            .bind(e.detail.clone())
            .execute(self.0.pool())
            .await?;
        Ok(())
    }

    /// The latest audit log entries first, at most `limit`.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let sql = format!("SELECT {AUDIT} FROM audit_log ORDER BY at DESC, id DESC LIMIT $1");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(limit).fetch_all(self.0.pool()).await?;
        rows.iter().map(audit_entry).collect()
    }

    /// The audit log, latest first, only entries before the one with id `before` (ids are
    /// time-ordered UUIDv7s): keyset pagination. Each with its id.
    pub async fn audit_page(&self, before: Option<&str>, limit: i64) -> Result<Vec<(String, AuditEntry)>, StoreError> {
        let sql = format!("SELECT id, {AUDIT} FROM audit_log WHERE $1 = '' OR id < $1 ORDER BY id DESC LIMIT $2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(before.unwrap_or(""))
            .bind(limit)
            .fetch_all(self.0.pool())
            .await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, audit_entry(r)?))).collect()
    }

    /// The audit log entries about `target` (an appointment id), oldest first.
    pub async fn audit_of(&self, target: &str) -> Result<Vec<AuditEntry>, StoreError> {
        let sql = format!("SELECT {AUDIT} FROM audit_log WHERE target = $1 ORDER BY at, id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(target).fetch_all(self.0.pool()).await?;
        rows.iter().map(audit_entry).collect()
    }
}

const AUDIT: &str = "at, user_id, action, target, detail";

fn audit_entry(r: &AnyRow) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        at: instant(r.try_get("at")?),
        user_id: r.try_get("user_id")?,
        action: r.try_get("action")?,
        target: r.try_get("target")?,
        detail: r.try_get("detail")?,
    })
}

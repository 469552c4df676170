//! Google accounts connected through OAuth, their staff calendars and authorizations under way
//! (see `migrations/0011_google_connections.sql`). Refresh tokens and PKCE verifiers arrive here
//! sealed; this module never sees them in the clear.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::messaging::instant;
use super::{Store, StoreError};

/// A connected Google account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleAccount {
    /// Its address.
    pub email: String,
    /// The sealed refresh token.
    pub sealed_refresh_token: String,
    /// The scopes granted.
    pub scopes: String,
    /// The console account (or `cli`) that connected it.
    pub connected_by: String,
    /// When.
    pub connected_at: DateTime<Utc>,
    /// Since when Google refuses the grant (needs reconnect).
    pub lost_at: Option<DateTime<Utc>>,
}

/// A staff member's calendar in a connected account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffCalendar {
    /// The staff member.
    pub staff_id: String,
    /// The account.
    pub account: GoogleAccount,
    /// The calendar id.
    pub calendar_id: String,
    /// Its name as Google showed it.
    pub calendar_name: String,
}

/// An authorization under way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAuthorization {
    /// The digest of the console session (or command) that started it.
    pub session_digest: String,
    /// The staff member it is for (`None`: the owner's whole account).
    pub staff_id: Option<String>,
    /// The sealed PKCE verifier.
    pub sealed_verifier: String,
    /// The redirect URI sent to Google.
    pub redirect_uri: String,
    /// Who started it.
    pub user_id: String,
    /// When it stops being usable.
    pub expires_at: DateTime<Utc>,
}

/// Connected Google accounts (see [`Store::google`]).
pub struct GoogleRows<'a>(pub(super) &'a Store);

const ACCOUNT: &str = "a.email, a.refresh_token, a.scopes, a.connected_by, a.connected_at, a.lost_at";

fn account(r: &sqlx::any::AnyRow) -> Result<GoogleAccount, StoreError> {
    Ok(GoogleAccount {
        email: r.try_get("email")?,
        sealed_refresh_token: r.try_get("refresh_token")?,
        scopes: r.try_get("scopes")?,
        connected_by: r.try_get("connected_by")?,
        connected_at: instant(r.try_get("connected_at")?),
        lost_at: r.try_get::<Option<i64>, _>("lost_at")?.map(instant),
    })
}

fn staff_calendar(r: &sqlx::any::AnyRow) -> Result<StaffCalendar, StoreError> {
    Ok(StaffCalendar {
        staff_id: r.try_get("staff_id")?,
        account: account(r)?,
        calendar_id: r.try_get("calendar_id")?,
        calendar_name: r.try_get("calendar_name")?,
    })
}

impl GoogleRows<'_> {
    /// Records (or replaces, on reconnecting) a connected account; a replaced one works again.
    pub async fn save_account(&self, a: &GoogleAccount) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO google_accounts (email, refresh_token, scopes, connected_by, connected_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO UPDATE SET refresh_token = $2, scopes = $3, \
             connected_by = $4, connected_at = $5, lost_at = NULL, lost_reason = NULL",
        )
        .bind(a.email.as_str())
        .bind(a.sealed_refresh_token.as_str())
        .bind(a.scopes.as_str())
        .bind(a.connected_by.as_str())
        .bind(a.connected_at.timestamp())
        .execute(self.0.pool())
        .await?;
        Ok(())
    }

    /// The account with this address.
    pub async fn account(&self, email: &str) -> Result<Option<GoogleAccount>, StoreError> {
        let row =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {ACCOUNT} FROM google_accounts a WHERE a.email = $1")))
                .bind(email)
                .fetch_optional(self.0.pool())
                .await?;
        row.as_ref().map(account).transpose()
    }

    /// Every connected account.
    pub async fn accounts(&self) -> Result<Vec<GoogleAccount>, StoreError> {
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {ACCOUNT} FROM google_accounts a ORDER BY a.email")))
                .fetch_all(self.0.pool())
                .await?;
        rows.iter().map(account).collect()
    }

    /// Sends `staff_id`'s appointments to `calendar_id` of account `email`.
    pub async fn assign(
        &self,
        staff_id: &str,
        email: &str,
        calendar_id: &str,
        calendar_name: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO google_calendars (staff_id, account_email, calendar_id, calendar_name, assigned_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (staff_id) DO UPDATE SET account_email = $2, \
             calendar_id = $3, calendar_name = $4, assigned_at = $5",
        )
        .bind(staff_id)
        .bind(email)
        .bind(calendar_id)
        .bind(calendar_name)
        .bind(now.timestamp())
        .execute(self.0.pool())
        .await?;
        Ok(())
    }

    /// `staff_id`'s connected calendar.
    pub async fn calendar_of(&self, staff_id: &str) -> Result<Option<StaffCalendar>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT c.staff_id, c.calendar_id, c.calendar_name, {ACCOUNT} FROM google_calendars c \
             JOIN google_accounts a ON a.email = c.account_email WHERE c.staff_id = $1"
        )))
        .bind(staff_id)
        .fetch_optional(self.0.pool())
        .await?;
        row.as_ref().map(staff_calendar).transpose()
    }

    /// Every staff member's connected calendar.
    pub async fn calendars(&self) -> Result<Vec<StaffCalendar>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT c.staff_id, c.calendar_id, c.calendar_name, {ACCOUNT} FROM google_calendars c \
             JOIN google_accounts a ON a.email = c.account_email ORDER BY c.staff_id"
        )))
        .fetch_all(self.0.pool())
        .await?;
        rows.iter().map(staff_calendar).collect()
    }

    /// Marks `email` as refused by Google; true the first time (so the owner is told once).
    pub async fn mark_lost(&self, email: &str, reason: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE google_accounts SET lost_at = $1, lost_reason = $2 WHERE email = $3 AND lost_at IS NULL",
        )
        .bind(now.timestamp())
        .bind(reason)
        .bind(email)
        .execute(self.0.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Stops sending `staff_id`'s appointments to a connected account; returns that account.
    pub async fn unassign(&self, staff_id: &str) -> Result<Option<String>, StoreError> {
        let email: Option<String> =
            sqlx::query_scalar("SELECT account_email FROM google_calendars WHERE staff_id = $1")
                .bind(staff_id)
                .fetch_optional(self.0.pool())
                .await?;
        sqlx::query("DELETE FROM google_calendars WHERE staff_id = $1").bind(staff_id).execute(self.0.pool()).await?;
        Ok(email)
    }

    /// How many staff members use account `email`.
    pub async fn users_of(&self, email: &str) -> Result<i64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM google_calendars WHERE account_email = $1")
            .bind(email)
            .fetch_one(self.0.pool())
            .await?;
        Ok(n)
    }

    /// Deletes account `email` and every staff calendar in it.
    pub async fn delete_account(&self, email: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM google_calendars WHERE account_email = $1").bind(email).execute(self.0.pool()).await?;
        sqlx::query("DELETE FROM google_accounts WHERE email = $1").bind(email).execute(self.0.pool()).await?;
        Ok(())
    }

    /// Records an authorization under way, keyed by its state's digest; drops expired ones.
    pub async fn add_authorization(
        &self,
        state_digest: &str,
        p: &PendingAuthorization,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM google_authorizations WHERE expires_at < $1")
            .bind(now.timestamp())
            .execute(self.0.pool())
            .await?;
        sqlx::query(
            "INSERT INTO google_authorizations (state_digest, session_digest, staff_id, verifier, redirect_uri, \
             user_id, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(state_digest)
        .bind(p.session_digest.as_str())
        .bind(p.staff_id.as_deref())
        .bind(p.sealed_verifier.as_str())
        .bind(p.redirect_uri.as_str())
        .bind(p.user_id.as_str())
        .bind(p.expires_at.timestamp())
        .execute(self.0.pool())
        .await?;
        Ok(())
    }

    /// Takes the authorization whose state has `state_digest`: it can be taken once.
    pub async fn take_authorization(&self, state_digest: &str) -> Result<Option<PendingAuthorization>, StoreError> {
        let row = sqlx::query(
            "DELETE FROM google_authorizations WHERE state_digest = $1 \
             RETURNING session_digest, staff_id, verifier, redirect_uri, user_id, expires_at",
        )
        .bind(state_digest)
        .fetch_optional(self.0.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(PendingAuthorization {
            session_digest: r.try_get("session_digest")?,
            staff_id: r.try_get("staff_id")?,
            sealed_verifier: r.try_get("verifier")?,
            redirect_uri: r.try_get("redirect_uri")?,
            user_id: r.try_get("user_id")?,
            expires_at: instant(r.try_get("expires_at")?),
        }))
    }
}

//! Personal API tokens (see `migrations/0009_api_tokens.sql`): digests only, revocable. The rules
//! (what a token looks like, who it signs in) live in `accounts`.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::messaging::instant;
use super::{Store, StoreError};

/// A personal API token as stored (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Its id (shown by `users token list`, used to revoke it).
    pub id: String,
    /// The account it signs in.
    pub user_id: String,
    /// What its maker called it.
    pub name: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Personal API tokens (see [`Store::api_tokens`]).
pub struct ApiTokens<'a>(pub(super) &'a Store);

fn token(r: &sqlx::any::AnyRow) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        name: r.try_get("name")?,
        created_at: instant(r.try_get("created_at")?),
        revoked_at: r.try_get::<Option<i64>, _>("revoked_at")?.map(instant),
    })
}

impl ApiTokens<'_> {
    /// Records a new token by its digest.
    pub async fn add(&self, t: &ApiToken, digest: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_digest, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(t.id.as_str())
            .bind(t.user_id.as_str())
            .bind(t.name.as_str())
            .bind(digest)
            .bind(t.created_at.timestamp())
            .execute(self.0.pool())
            .await?;
        Ok(())
    }

    /// The live (unrevoked) token with this digest.
    pub async fn live(&self, digest: &str) -> Result<Option<ApiToken>, StoreError> {
        let row = sqlx::query(
            "SELECT id, user_id, name, created_at, revoked_at FROM api_tokens \
             WHERE token_digest = $1 AND revoked_at IS NULL",
        )
        .bind(digest)
        .fetch_optional(self.0.pool())
        .await?;
        row.as_ref().map(token).transpose()
    }

    /// Every token of `user_id`, newest first.
    pub async fn of(&self, user_id: &str) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, user_id, name, created_at, revoked_at FROM api_tokens WHERE user_id = $1 \
             ORDER BY created_at DESC, id",
        )
        .bind(user_id)
        .fetch_all(self.0.pool())
        .await?;
        rows.iter().map(token).collect()
    }

    /// Revokes token `id`; false if there is no live token with that id.
    pub async fn revoke(&self, id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now.timestamp())
            .bind(id)
            .execute(self.0.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

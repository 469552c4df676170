//! Bearer authentication for the admin API (SPEC §15): the console's own session JWTs (from
//! `POST /api/v1/token`), or personal API tokens (`ast_…`, made with `users token create`): 32
//! random bytes, stored only as a SHA-256 digest, live until revoked.

use super::{AccountError, Accounts, Principal, digest, secret};
use crate::store::{ApiToken, StoreError};

/// How a personal API token starts (tells it apart from a session JWT, and from other secrets in
/// a leaked file).
pub const API_TOKEN_PREFIX: &str = "ast_";

impl Accounts {
    /// Makes a personal API token for the account `email`, called `name`: the stored record and
    /// the token (shown once; only its digest is kept).
    pub async fn create_api_token(&self, email: &str, name: &str) -> Result<(ApiToken, String), AccountError> {
        let email = email.trim().to_lowercase();
        let Some(user) = self.store.users().by_email(&email).await? else {
            return Err(AccountError::Staff(format!("there is no account for {email}; see `users list`")));
        };
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(AccountError::Staff("--name must be 1 to 80 characters".into()));
        }
        let secret = format!("{API_TOKEN_PREFIX}{}", secret::random_token(32));
        let record = ApiToken {
            id: uuid::Uuid::new_v4().simple().to_string()[..12].to_string(),
            user_id: user.id.clone(),
            name: name.to_string(),
            created_at: self.clock.now(),
            revoked_at: None,
        };
        self.store.api_tokens().add(&record, &digest(&secret)).await?;
        self.audit(None, "api_token.create", Some(&user.email), Some(name)).await;
        Ok((record, secret))
    }

    /// The personal API tokens of the account `email`, newest first (`None`: no such account).
    pub async fn api_tokens_of(&self, email: &str) -> Result<Option<Vec<ApiToken>>, StoreError> {
        match self.store.users().by_email(&email.trim().to_lowercase()).await? {
            Some(user) => Ok(Some(self.store.api_tokens().of(&user.id).await?)),
            None => Ok(None),
        }
    }

    /// Revokes personal API token `id`; false if there is no live one.
    pub async fn revoke_api_token(&self, id: &str) -> Result<bool, StoreError> {
        let done = self.store.api_tokens().revoke(id.trim(), self.clock.now()).await?;
        if done {
            self.audit(None, "api_token.revoke", Some(id.trim()), None).await;
        }
        Ok(done)
    }

    /// Who an `Authorization: Bearer` token is: a personal API token, or a session JWT (not
    /// renewed: API clients ask for a new one). `None` when it is neither, revoked or expired.
    pub async fn authenticate_bearer(&self, token: &str) -> Result<Option<Principal>, StoreError> {
        if !token.starts_with(API_TOKEN_PREFIX) {
            return Ok(self.authenticate(token).await?.map(|a| a.principal));
        }
        let Some(record) = self.store.api_tokens().live(&digest(token)).await? else { return Ok(None) };
        let Some(user) = self.store.users().by_id(&record.user_id).await? else { return Ok(None) };
        Ok(Some(Principal {
            user_id: user.id,
            email: user.email,
            role: user.role,
            staff: user.staff,
            session: format!("api-token:{}", record.id),
            // No ambient credentials, so no CSRF token: a browser never sends a bearer token by itself.
            csrf: String::new(),
        }))
    }
}

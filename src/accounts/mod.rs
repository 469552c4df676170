//! Console accounts (SPEC §15): owners and staff with argon2id passwords, signing in with a
//! lockout after repeated failures and a limit per account and address, sessions as short-lived
//! JWTs renewed while in use and revocable, the one-time set-up link that creates the first
//! owner, and the audit log. The web pages and the API (in `http`) use only this.

mod api_tokens;
mod password;
mod secret;
mod token;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};

pub use api_tokens::API_TOKEN_PREFIX;
pub use password::MIN_PASSWORD_CHARS;
pub(crate) use secret::random_token;
pub use secret::{SecretError, SessionSecret};

use crate::clock::Clock;
use crate::domain::StaffId;
use crate::store::{AuditEntry, Role, Store, StoreError, User};

/// How long a session token lives; one used in its second half is renewed.
pub const SESSION_LIFETIME: Duration = Duration::minutes(30);
/// Failed sign-ins in a row that lock an account.
pub const LOCK_AFTER: i64 = 10;
/// How long a locked account stays locked.
pub const LOCK_FOR: Duration = Duration::minutes(15);
/// How long a set-up link works.
pub const SETUP_LINK_LIFETIME: Duration = Duration::hours(24);

/// Who is signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The account id.
    pub user_id: String,
    /// Their email address.
    pub email: String,
    /// Owner or staff.
    pub role: Role,
    /// The staff member a staff account is.
    pub staff: Option<StaffId>,
    /// The session.
    pub session: String,
    /// The session's CSRF token (every state-changing request must carry it).
    pub csrf: String,
}

/// A signed-in session: who, and the token to set as the cookie.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// Who.
    pub principal: Principal,
    /// The session token.
    pub token: String,
}

/// A session token checked: who, and a fresh token when the old one was in its second half.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// Who.
    pub principal: Principal,
    /// Set this as the new cookie.
    pub renewed: Option<String>,
}

/// Why signing in failed. A wrong address and a wrong password are the same error.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// No such account, or the wrong password.
    #[error("That email address and password do not match.")]
    Invalid,
    /// Too many failures in a row.
    #[error("This account is locked after {LOCK_AFTER} failed sign-ins in a row. Try again after {until} (UTC), or ask the owner to set a new password.", until = .until.format("%H:%M"))]
    Locked {
        /// Until when.
        until: DateTime<Utc>,
    },
    /// Too many attempts from this address for this account.
    #[error("Too many sign-in attempts. Wait a minute and try again.")]
    TooMany,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an account could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Not an email address.
    #[error("{0:?} is not an email address")]
    BadEmail(String),
    /// Too short a password.
    #[error("the password must be at least {MIN_PASSWORD_CHARS} characters")]
    WeakPassword,
    /// A staff account must name its staff member; an owner must not.
    #[error("{0}")]
    Staff(String),
    /// Taken.
    #[error("there is already an account for {0}")]
    Taken(String),
    /// The set-up link is unknown, used or expired.
    #[error("This set-up link has expired or was already used. Restart the server for a new one.")]
    SetupLink,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Email address (case does not matter).
    pub email: String,
    /// Password.
    pub password: String,
    /// Owner or staff.
    pub role: Role,
    /// For staff: which staff member.
    pub staff: Option<StaffId>,
}

/// Accounts and sessions (cheap to clone).
#[derive(Clone)]
pub struct Accounts {
    store: Store,
    clock: Arc<dyn Clock>,
    secret: SessionSecret,
    attempts: Arc<DefaultKeyedRateLimiter<(String, IpAddr)>>,
}

fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

impl Accounts {
    /// Accounts in `store`, sessions signed with `secret`, at most `per_minute` sign-in attempts
    /// per account and address.
    pub fn new(store: Store, clock: Arc<dyn Clock>, secret: SessionSecret, per_minute: NonZeroU32) -> Self {
        let attempts = Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute)));
        Self { store, clock, secret, attempts }
    }

    /// Makes an account.
    pub async fn add_user(&self, new: NewUser) -> Result<User, AccountError> {
        let email = new.email.trim().to_lowercase();
        if !email_address::EmailAddress::is_valid(&email) {
            return Err(AccountError::BadEmail(new.email));
        }
        if new.password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(AccountError::WeakPassword);
        }
        match (new.role, &new.staff) {
            (Role::Staff, None) => return Err(AccountError::Staff("a staff account needs --staff <id>".into())),
            (Role::Owner, Some(_)) => {
                return Err(AccountError::Staff("an owner account sees every staff member; leave out --staff".into()));
            }
            _ => {}
        }
        let user = User {
            id: uuid::Uuid::new_v4().to_string(),
            email: email.clone(),
            password_hash: password::hash(new.password).await,
            role: new.role,
            staff: new.staff,
            failed_logins: 0,
            locked_until: DateTime::UNIX_EPOCH,
        };
        if !self.store.users().add(&user, self.clock.now()).await? {
            return Err(AccountError::Taken(email));
        }
        self.audit(None, "user.add", Some(&user.email), Some(user.role.as_str())).await;
        Ok(user)
    }

    /// Signs in `email` with `password` from `address`.
    pub async fn login(&self, email: &str, password: &str, address: IpAddr) -> Result<SignedIn, LoginError> {
        let email = email.trim().to_lowercase();
        if self.attempts.check_key(&(email.clone(), address)).is_err() {
            return Err(LoginError::TooMany);
        }
        let now = self.clock.now();
        let Some(user) = self.store.users().by_email(&email).await? else {
            // As long as a wrong password takes, so the answer does not say which accounts exist.
            password::hash(password.to_string()).await;
            return Err(LoginError::Invalid);
        };
        if user.locked_until > now {
            return Err(LoginError::Locked { until: user.locked_until });
        }
        if !password::verify(password.to_string(), user.password_hash.clone()).await {
            let lock = (user.failed_logins + 1 >= LOCK_AFTER).then(|| now + LOCK_FOR);
            self.store.users().failed_login(&user.id, lock).await?;
            return Err(match lock {
                Some(until) => {
                    tracing::warn!(user = %user.id, "account locked after repeated failed sign-ins");
                    self.audit(None, "user.locked", Some(&user.email), None).await;
                    LoginError::Locked { until }
                }
                None => LoginError::Invalid,
            });
        }
        self.store.users().good_login(&user.id).await?;
        let session = uuid::Uuid::new_v4().simple().to_string();
        self.store.users().open_session(&session, &user.id, now).await?;
        let principal = Principal {
            user_id: user.id,
            email: user.email,
            role: user.role,
            staff: user.staff,
            session,
            csrf: secret::random_token(16),
        };
        self.audit(Some(&principal), "login", None, None).await;
        let token = self.token_for(&principal, now);
        Ok(SignedIn { principal, token })
    }

    fn token_for(&self, p: &Principal, now: DateTime<Utc>) -> String {
        let claims = token::Claims {
            sub: p.user_id.clone(),
            sid: p.session.clone(),
            role: p.role.as_str().to_string(),
            staff: p.staff.as_ref().map(|s| s.to_string()),
            email: p.email.clone(),
            csrf: p.csrf.clone(),
            iat: now.timestamp(),
            exp: (now + SESSION_LIFETIME).timestamp(),
        };
        token::sign(&claims, &self.secret)
    }

    /// Who a session token is: `None` when it is forged, expired, or its session was ended.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Authenticated>, StoreError> {
        let now = self.clock.now();
        let Some(claims) = token::read(token, &self.secret, now) else { return Ok(None) };
        let (Ok(role), Ok(staff)) =
            (claims.role.parse::<Role>(), claims.staff.as_deref().map(str::parse::<StaffId>).transpose())
        else {
            return Ok(None);
        };
        if !self.store.users().session_live(&claims.sid).await? {
            return Ok(None);
        }
        let principal =
            Principal { user_id: claims.sub, email: claims.email, role, staff, session: claims.sid, csrf: claims.csrf };
        let renewed = (claims.exp - now.timestamp() < SESSION_LIFETIME.num_seconds() / 2)
            .then(|| self.token_for(&principal, now));
        Ok(Some(Authenticated { principal, renewed }))
    }

    /// Signs out: the session's tokens stop working.
    pub async fn logout(&self, p: &Principal) -> Result<(), StoreError> {
        self.store.users().revoke_session(&p.session, self.clock.now()).await?;
        self.audit(Some(p), "logout", None, None).await;
        Ok(())
    }

    /// When there is no account yet: a new one-time set-up token (for the link that creates the
    /// owner). `None` once anyone has an account.
    pub async fn setup_token(&self) -> Result<Option<String>, StoreError> {
        if self.store.users().count().await? > 0 {
            return Ok(None);
        }
        let token = secret::random_token(24);
        self.store.users().add_setup_token(&digest(&token), self.clock.now() + SETUP_LINK_LIFETIME).await?;
        Ok(Some(token))
    }

    /// Whether a set-up token would still be accepted.
    pub async fn setup_token_valid(&self, token: &str) -> Result<bool, StoreError> {
        Ok(self.store.users().count().await? == 0
            && self.store.users().setup_token_valid(&digest(token), self.clock.now()).await?)
    }

    /// Creates the first owner with a set-up token (used once), and signs them in.
    pub async fn setup_owner(
        &self,
        token: &str,
        email: &str,
        password: &str,
        address: IpAddr,
    ) -> Result<SignedIn, AccountError> {
        if !self.setup_token_valid(token).await? {
            return Err(AccountError::SetupLink);
        }
        let new = NewUser { email: email.into(), password: password.into(), role: Role::Owner, staff: None };
        // Check the input before the token is spent on it.
        if new.password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(AccountError::WeakPassword);
        }
        if !email_address::EmailAddress::is_valid(new.email.trim()) {
            return Err(AccountError::BadEmail(new.email));
        }
        if !self.store.users().use_setup_token(&digest(token), self.clock.now()).await? {
            return Err(AccountError::SetupLink);
        }
        self.add_user(new).await?;
        self.login(email, password, address).await.map_err(|e| match e {
            LoginError::Store(e) => AccountError::Store(e),
            _ => AccountError::SetupLink,
        })
    }

    /// Writes the audit log (a failure is logged, never fatal to what was done).
    pub async fn audit(&self, who: Option<&Principal>, action: &str, target: Option<&str>, detail: Option<&str>) {
        let entry = AuditEntry {
            at: self.clock.now(),
            user_id: who.map(|p| p.user_id.clone()),
            action: action.into(),
            target: target.map(String::from),
            detail: detail.map(String::from),
        };
        if let Err(e) = self.store.users().audit(&entry).await {
            tracing::warn!(error = %e, action, "could not write the audit log");
        }
    }
}

//! Session tokens: HS256 JWTs (`jsonwebtoken`) naming the account, its role, the session (so
//! signing out revokes it) and the session's CSRF token, which pages put in every form.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::SessionSecret;

/// What a session token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Claims {
    /// The account id.
    pub sub: String,
    /// The session id.
    pub sid: String,
    /// `owner` or `staff`.
    pub role: String,
    /// The staff member a staff account is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff: Option<String>,
    /// The email address (shown on pages).
    pub email: String,
    /// The session's CSRF token.
    pub csrf: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
}

/// Signs `claims`.
pub(crate) fn sign(claims: &Claims, secret: &SessionSecret) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret.bytes()))
        .expect("HS256 signing of plain claims cannot fail")
}

/// The claims of a token signed with `secret` that has not expired at `now`; `None` for anything
/// else (forged, another key, another algorithm, expired, garbage).
pub(crate) fn read(token: &str, secret: &SessionSecret, now: DateTime<Utc>) -> Option<Claims> {
    let mut validation = Validation::new(Algorithm::HS256);
    // Expiry is checked against the injected clock below, not the system clock.
    validation.validate_exp = false;
    validation.required_spec_claims = ["exp", "sub"].iter().map(|s| s.to_string()).collect();
    let data = jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(secret.bytes()), &validation).ok()?;
    (data.claims.exp > now.timestamp()).then_some(data.claims)
}

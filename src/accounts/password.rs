//! Password hashing: argon2id with the crate's defaults (19 MiB, 2 passes), on the blocking pool
//! (a hash takes tens of milliseconds of CPU, which must not stall the async workers).

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// The PHC string for `password`.
pub(crate) async fn hash(password: String) -> String {
    tokio::task::spawn_blocking(move || {
        Argon2::default().hash_password(password.as_bytes()).expect("argon2 with a random salt").to_string()
    })
    .await
    .expect("hashing does not panic")
}

/// Whether `password` matches the PHC string `hash` (a malformed hash matches nothing).
pub(crate) async fn verify(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

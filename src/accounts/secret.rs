//! The key that signs console sessions (HS256): `ADMIN_JWT_SECRET` when set (several instances
//! share it), else 32 random bytes generated once into a 0600 file beside the database. Changing
//! it signs everyone out.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The session signing key. Its `Debug` never shows it.
#[derive(Clone)]
pub struct SessionSecret(Vec<u8>);

impl std::fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionSecret(***)")
    }
}

/// Why there is no key.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// `ADMIN_JWT_SECRET` is too short to be a key.
    #[error("ADMIN_JWT_SECRET must be at least 32 characters (try: openssl rand -base64 32)")]
    TooShort,
    /// The key file could not be read or written.
    #[error("the session key file {path}: {source}")]
    File {
        /// Which file.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
}

/// `n` random bytes from the operating system.
pub(crate) fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("the operating system has randomness");
    bytes
}

/// A random token of `n` bytes, URL-safe base64 without padding.
pub(crate) fn random_token(n: usize) -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(n))
}

impl SessionSecret {
    /// A key from these bytes (tests).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }

    /// `env` (the value of `ADMIN_JWT_SECRET`) when given, else the key in `file`, made there
    /// (readable by this user only) the first time.
    pub fn load(env: Option<&str>, file: &Path) -> Result<Self, SecretError> {
        if let Some(value) = env.map(str::trim).filter(|v| !v.is_empty()) {
            return if value.len() >= 32 { Ok(Self(value.as_bytes().to_vec())) } else { Err(SecretError::TooShort) };
        }
        let failed = |source| SecretError::File { path: file.display().to_string(), source };
        match std::fs::read_to_string(file) {
            Ok(text) => URL_SAFE_NO_PAD
                .decode(text.trim())
                .ok()
                .filter(|key| key.len() >= 32)
                .map(Self)
                .ok_or_else(|| failed(std::io::Error::other("not a key written by appointment-setter"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = random_bytes(32);
                crate::secrets::write_private(file, &URL_SAFE_NO_PAD.encode(&key)).map_err(failed)?;
                Ok(Self(key))
            }
            Err(e) => Err(failed(e)),
        }
    }

    /// A key for another use (`label`), derived from this one (HMAC-SHA256): rotating the session
    /// key rotates it too.
    pub fn derive(&self, label: &str) -> Vec<u8> {
        use hmac::{KeyInit, Mac};
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    pub(super) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

//! Secrets at rest: values the store keeps that a database dump alone must never reveal (the
//! OAuth refresh tokens of connected calendars, issue #16) are sealed with XChaCha20-Poly1305
//! (random 192-bit nonces, so no nonce bookkeeping) under a 256-bit key that lives outside the
//! database: `SECRETS_KEY` (base64 of 32 bytes; the same on every instance), else a key generated
//! once into a 0600 file beside the database.
//!
//! Each sealed value names the key that sealed it and is bound to its context (e.g. the row it
//! belongs to) as associated data, so a value copied into another row does not open. Rotation:
//! set the new key as `SECRETS_KEY` and the old one as `SECRETS_KEY_PREVIOUS`; values sealed with
//! the old key still open, [`SecretBox::needs_reseal`] says which to write again, and once none
//! is left the old key can go.
//!
//! Sealed form: `v1.<key id>.<base64url(nonce ‖ ciphertext)>`, the key id being the first 4 bytes
//! of the key's SHA-256 (it identifies, never reveals, the key).

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

/// Why secrets cannot be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// A configured key is not base64 of 32 bytes.
    #[error("{0} must be base64 of 32 random bytes (try: openssl rand -base64 32)")]
    BadKey(&'static str),
    /// The key file could not be read or written.
    #[error("the secrets key file {path}: {source}")]
    File {
        /// Which file.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
    /// The value was sealed with a key this server does not have.
    #[error("sealed with key {0}, which is neither SECRETS_KEY nor SECRETS_KEY_PREVIOUS")]
    UnknownKey(String),
    /// Not a sealed value, tampered with, or sealed for another context.
    #[error("the sealed value is damaged or belongs elsewhere")]
    Damaged,
}

struct Key {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl Key {
    fn new(bytes: &[u8; 32]) -> Self {
        let id = Sha256::digest(bytes)[..4].iter().map(|b| format!("{b:02x}")).collect();
        Self { id, cipher: XChaCha20Poly1305::new(bytes.into()) }
    }
}

/// Seals and opens secrets (its `Debug` shows only key ids).
pub struct SecretBox {
    current: Key,
    previous: Option<Key>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let previous = self.previous.as_ref().map(|k| k.id.as_str());
        f.debug_struct("SecretBox").field("key", &self.current.id).field("previous", &previous).finish()
    }
}

fn decode_key(text: &str, name: &'static str) -> Result<[u8; 32], SecretsError> {
    let bytes = STANDARD.decode(text.trim()).or_else(|_| URL_SAFE_NO_PAD.decode(text.trim()));
    bytes.ok().and_then(|b| <[u8; 32]>::try_from(b).ok()).ok_or(SecretsError::BadKey(name))
}

impl SecretBox {
    /// A box with this key only (tests).
    pub fn from_key(key: [u8; 32]) -> Self {
        Self { current: Key::new(&key), previous: None }
    }

    /// The key from `current` (`SECRETS_KEY`) when set, else from `file` (made, readable by this
    /// user only, the first time); `previous` (`SECRETS_KEY_PREVIOUS`) still opens older values.
    pub fn load(current: Option<&str>, previous: Option<&str>, file: &Path) -> Result<Self, SecretsError> {
        let given = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(String::from);
        let key = match given(current) {
            Some(text) => decode_key(&text, "SECRETS_KEY")?,
            None => key_file(file)?,
        };
        let previous = given(previous).map(|text| decode_key(&text, "SECRETS_KEY_PREVIOUS")).transpose()?;
        Ok(Self { current: Key::new(&key), previous: previous.as_ref().map(Key::new) })
    }

    /// `plaintext` sealed under the current key, bound to `context`.
    pub fn seal(&self, plaintext: &str, context: &str) -> String {
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).expect("the operating system has randomness");
        let payload = Payload { msg: plaintext.as_bytes(), aad: context.as_bytes() };
        let sealed = self.current.cipher.encrypt(&XNonce::from(nonce), payload).expect("sealing cannot fail");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        format!("v1.{}.{}", self.current.id, URL_SAFE_NO_PAD.encode(out))
    }

    /// The plaintext of `sealed`, if it was sealed for `context` by a key this box has.
    pub fn open(&self, sealed: &str, context: &str) -> Result<String, SecretsError> {
        let mut parts = sealed.splitn(3, '.');
        let (Some("v1"), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(SecretsError::Damaged);
        };
        let key = [Some(&self.current), self.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|k| k.id == id)
            .ok_or_else(|| SecretsError::UnknownKey(id.to_string()))?;
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| SecretsError::Damaged)?;
        if bytes.len() < 24 {
            return Err(SecretsError::Damaged);
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().map_err(|_| SecretsError::Damaged)?;
        let payload = Payload { msg: ciphertext, aad: context.as_bytes() };
        let plain = key.cipher.decrypt(&XNonce::from(nonce), payload).map_err(|_| SecretsError::Damaged)?;
        String::from_utf8(plain).map_err(|_| SecretsError::Damaged)
    }

    /// Whether `sealed` was sealed by another key than the current one (write it again).
    pub fn needs_reseal(&self, sealed: &str) -> bool {
        sealed.split('.').nth(1) != Some(self.current.id.as_str())
    }
}

/// The key in `file`, made there the first time.
fn key_file(file: &Path) -> Result<[u8; 32], SecretsError> {
    let failed = |source| SecretsError::File { path: file.display().to_string(), source };
    match std::fs::read_to_string(file) {
        Ok(text) => decode_key(&text, "the secrets key file")
            .map_err(|_| failed(std::io::Error::other("not a key written by appointment-setter"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).expect("the operating system has randomness");
            write_private(file, &STANDARD.encode(key)).map_err(failed)?;
            Ok(key)
        }
        Err(e) => Err(failed(e)),
    }
}

/// Whether two secrets (tokens, CSRF values) are the same, in time that does not depend on where
/// they differ; an empty one never matches.
pub fn same_secret(a: &str, b: &str) -> bool {
    !a.is_empty() && a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Writes `text` to a new `file` readable by this user only (key files).
pub(crate) fn write_private(file: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(file)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "1//0gRefreshTokenThatMustNeverBeReadable";

    #[test]
    fn a_sealed_value_opens_only_in_its_own_context_and_untouched() {
        let secrets = SecretBox::from_key([7; 32]);
        let sealed = secrets.seal(TOKEN, "google-refresh:sarah");
        assert!(!sealed.contains(TOKEN) && !sealed.contains("RefreshToken"), "{sealed}");
        assert_eq!(secrets.open(&sealed, "google-refresh:sarah").unwrap(), TOKEN);
        assert_ne!(sealed, secrets.seal(TOKEN, "google-refresh:sarah"), "a fresh nonce every time");
        assert!(matches!(secrets.open(&sealed, "google-refresh:miguel"), Err(SecretsError::Damaged)));
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert!(matches!(secrets.open(&tampered, "google-refresh:sarah"), Err(SecretsError::Damaged)));
        assert!(matches!(secrets.open("plain text", "x"), Err(SecretsError::Damaged)));
        let other = SecretBox::from_key([8; 32]);
        assert!(matches!(other.open(&sealed, "google-refresh:sarah"), Err(SecretsError::UnknownKey(_))));
    }

    #[test]
    fn rotation_keeps_old_values_readable_and_says_which_to_reseal() {
        let old = STANDARD.encode([1u8; 32]);
        let new = STANDARD.encode([2u8; 32]);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secrets.key");
        let before = SecretBox::load(Some(&old), None, &file).unwrap();
        let sealed = before.seal(TOKEN, "c");
        let after = SecretBox::load(Some(&new), Some(&old), &file).unwrap();
        assert_eq!(after.open(&sealed, "c").unwrap(), TOKEN);
        assert!(after.needs_reseal(&sealed));
        assert!(!after.needs_reseal(&after.seal(TOKEN, "c")));
        assert!(!file.exists(), "no key file when SECRETS_KEY is set");
        assert!(matches!(SecretBox::load(Some("short"), None, &file), Err(SecretsError::BadKey("SECRETS_KEY"))));
    }

    #[test]
    fn without_secrets_key_a_private_key_file_is_made_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secrets.key");
        let first = SecretBox::load(None, None, &file).unwrap();
        let sealed = first.seal(TOKEN, "c");
        let again = SecretBox::load(None, None, &file).unwrap();
        assert_eq!(again.open(&sealed, "c").unwrap(), TOKEN, "the same key after a restart");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(dir.path().join("bad.key"), "nonsense").unwrap();
        assert!(matches!(SecretBox::load(None, None, &dir.path().join("bad.key")), Err(SecretsError::File { .. })));
    }
}

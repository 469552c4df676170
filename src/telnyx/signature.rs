//! Telnyx webhook signatures (reference/telnyx.md §1): Ed25519 over `timestamp | raw body`, with a
//! ±300 s window on the timestamp. A [`VerifiedWebhook`] can only be made by [`Verifier::verify`],
//! so nothing downstream can see an unverified body.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use ed25519_dalek::{Signature, VerifyingKey};

/// Signature header (case-insensitive).
pub const SIGNATURE_HEADER: &str = "telnyx-signature-ed25519";
/// Timestamp header (case-insensitive), decimal Unix seconds.
pub const TIMESTAMP_HEADER: &str = "telnyx-timestamp";
/// How far the timestamp may be from now, either way.
pub(crate) const TOLERANCE_SECS: i64 = 300;

/// Why a webhook was rejected. Each has a short metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `telnyx-signature-ed25519` header.
    #[error("missing telnyx-signature-ed25519 header")]
    MissingSignature,
    /// No `telnyx-timestamp` header.
    #[error("missing telnyx-timestamp header")]
    MissingTimestamp,
    /// The timestamp is not decimal Unix seconds.
    #[error("telnyx-timestamp is not decimal Unix seconds")]
    BadTimestamp,
    /// The timestamp is more than 300 s from now.
    #[error("telnyx-timestamp is more than 300 s from now")]
    StaleTimestamp,
    /// The signature is not standard base64 of 64 bytes.
    #[error("signature is not base64 of 64 bytes")]
    BadSignatureEncoding,
    /// The signature does not match the body, timestamp and key.
    #[error("signature does not verify")]
    Mismatch,
}

impl SignatureError {
    /// A short label for metrics.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            SignatureError::MissingSignature => "missing_signature",
            SignatureError::MissingTimestamp => "missing_timestamp",
            SignatureError::BadTimestamp => "bad_timestamp",
            SignatureError::StaleTimestamp => "stale_timestamp",
            SignatureError::BadSignatureEncoding => "bad_signature_encoding",
            SignatureError::Mismatch => "signature_mismatch",
        }
    }
}

/// Why a public key was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not standard base64.
    #[error("TELNYX_PUBLIC_KEY is not base64 (copy it from Mission Control → Keys & Credentials → Public Key)")]
    NotBase64,
    /// Not 32 bytes.
    #[error("TELNYX_PUBLIC_KEY must decode to 32 bytes, got {0}")]
    WrongLength(usize),
    /// Not a usable Ed25519 point.
    #[error("TELNYX_PUBLIC_KEY is not a valid Ed25519 public key")]
    Invalid,
}

/// The account's Ed25519 public key.
#[derive(Debug, Clone)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Parses the base64 key shown in the Telnyx portal.
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| KeyError::NotBase64)?;
        let bytes: [u8; 32] = bytes.as_slice().try_into().map_err(|_| KeyError::WrongLength(bytes.len()))?;
        VerifyingKey::from_bytes(&bytes).map(Self).map_err(|_| KeyError::Invalid)
    }

    /// Wraps a key (tests, `replay`).
    pub fn from_verifying_key(key: VerifyingKey) -> Self {
        Self(key)
    }
}

/// A webhook body whose signature has been checked (or whose check the operator disabled).
#[derive(Debug, Clone)]
pub struct VerifiedWebhook {
    body: Bytes,
}

impl VerifiedWebhook {
    /// The raw body, exactly as received.
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}

/// Checks webhook signatures.
#[derive(Debug, Clone)]
pub struct Verifier {
    key: Option<PublicKey>,
}

impl Verifier {
    /// A verifier for `key`.
    pub fn new(key: PublicKey) -> Self {
        Self { key: Some(key) }
    }

    /// Accepts every body unchecked (`TELNYX_VERIFY_SIGNATURES=false`, local testing only).
    pub fn disabled() -> Self {
        Self { key: None }
    }

    /// Whether signatures are checked.
    pub fn is_enabled(&self) -> bool {
        self.key.is_some()
    }

    /// Verifies `body` against the two header values at `now` (Unix seconds). Cheap checks come
    /// first so garbage is rejected before any cryptography.
    pub fn verify(
        &self,
        timestamp: Option<&[u8]>,
        signature: Option<&[u8]>,
        body: Bytes,
        now: i64,
    ) -> Result<VerifiedWebhook, SignatureError> {
        let Some(key) = &self.key else {
            return Ok(VerifiedWebhook { body });
        };
        let signature = signature.ok_or(SignatureError::MissingSignature)?;
        let timestamp = timestamp.ok_or(SignatureError::MissingTimestamp)?;
        let seconds = parse_timestamp(timestamp).ok_or(SignatureError::BadTimestamp)?;
        if (now - seconds).abs() > TOLERANCE_SECS {
            return Err(SignatureError::StaleTimestamp);
        }
        let signature = decode_signature(signature).ok_or(SignatureError::BadSignatureEncoding)?;
        let mut message = Vec::with_capacity(timestamp.len() + 1 + body.len());
        message.extend_from_slice(timestamp);
        message.push(b'|');
        message.extend_from_slice(&body);
        key.0.verify_strict(&message, &signature).map_err(|_| SignatureError::Mismatch)?;
        Ok(VerifiedWebhook { body })
    }
}

fn parse_timestamp(text: &[u8]) -> Option<i64> {
    if text.is_empty() || text.len() > 18 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

fn decode_signature(text: &[u8]) -> Option<Signature> {
    // 64 bytes are 88 base64 characters with padding.
    if text.len() != 88 {
        return None;
    }
    let mut out = [0u8; 66];
    let n = STANDARD.decode_slice(text, &mut out).ok()?;
    let bytes: [u8; 64] = out[..n].try_into().ok()?;
    Some(Signature::from_bytes(&bytes))
}

/// Signs `timestamp | body` (for `replay`, the demo and tests).
pub fn sign(key: &ed25519_dalek::SigningKey, timestamp: &str, body: &[u8]) -> String {
    use ed25519_dalek::Signer as _;
    let mut message = Vec::with_capacity(timestamp.len() + 1 + body.len());
    message.extend_from_slice(timestamp.as_bytes());
    message.push(b'|');
    message.extend_from_slice(body);
    STANDARD.encode(key.sign(&message).to_bytes())
}

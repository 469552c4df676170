//! Webhook signature verification: the known-answer vectors of reference/telnyx.md §1.6 and every
//! way a signature can be wrong.

use appointment_setter::telnyx::signature::sign;
use appointment_setter::telnyx::{PublicKey, SignatureError, Verifier};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use ed25519_dalek::SigningKey;
use serde::Deserialize;
use sha2::{Digest, Sha256};

#[derive(Deserialize)]
struct Vector {
    id: String,
    public_key_b64: String,
    telnyx_timestamp: String,
    body: String,
    body_sha256_hex: String,
    telnyx_signature_ed25519: String,
    expect: String,
}

fn vectors() -> Vec<Vector> {
    serde_json::from_str(include_str!("../data/telnyx_kat.json")).unwrap()
}

fn verifier(key: &str) -> Verifier {
    Verifier::new(PublicKey::from_base64(key).unwrap())
}

/// The PHP SDK's published test key pair (reference/telnyx.md §1.5).
const TEST_PUBLIC: &str = "+7E99DXiiQXvceNX4nHm3Lbm5mqPWad5RhDr2ufuCik=";
const TEST_SECRET: &str = "p68GNpDl9oAQohBiK0MEOFIjxnoFnz0uGGeJqxQ5PSb7sT30NeKJBe9x41ficebctubmao9Zp3lGEOva5+4KKQ==";

fn test_key() -> SigningKey {
    let secret = STANDARD.decode(TEST_SECRET).unwrap();
    SigningKey::from_bytes(secret[..32].try_into().unwrap())
}

const NOW: i64 = 1_800_000_000;
const BODY: &[u8] = br#"{"data":{"event_type":"message.received","id":"e-1","payload":{"text":"CANCEL"}}}"#;

fn check(ts: Option<&str>, sig: Option<&str>, body: &[u8], now: i64) -> Result<(), SignatureError> {
    verifier(TEST_PUBLIC)
        .verify(ts.map(str::as_bytes), sig.map(str::as_bytes), Bytes::copy_from_slice(body), now)
        .map(|_| ())
}

#[test]
fn the_known_answer_vectors_pass_and_fail_exactly_as_listed() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 8);
    for v in vectors {
        let digest = Sha256::digest(v.body.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, v.body_sha256_hex, "{}: body bytes", v.id);
        let now: i64 = v.telnyx_timestamp.parse().unwrap();
        let result = verifier(&v.public_key_b64).verify(
            Some(v.telnyx_timestamp.as_bytes()),
            Some(v.telnyx_signature_ed25519.as_bytes()),
            Bytes::from(v.body.clone()),
            now,
        );
        if v.expect == "valid" {
            assert!(result.is_ok(), "{}: {:?}", v.id, result.err());
        } else {
            assert_eq!(result.err(), Some(SignatureError::Mismatch), "{}: {}", v.id, v.expect);
        }
    }
}

#[test]
fn our_signer_reproduces_the_vectors() {
    for v in vectors().iter().filter(|v| v.expect == "valid") {
        assert_eq!(sign(&test_key(), &v.telnyx_timestamp, v.body.as_bytes()), v.telnyx_signature_ed25519, "{}", v.id);
    }
}

#[test]
fn a_fresh_signature_verifies() {
    let ts = NOW.to_string();
    assert_eq!(check(Some(&ts), Some(&sign(&test_key(), &ts, BODY)), BODY, NOW), Ok(()));
}

#[test]
fn missing_headers_are_rejected() {
    let ts = NOW.to_string();
    let sig = sign(&test_key(), &ts, BODY);
    assert_eq!(check(Some(&ts), None, BODY, NOW), Err(SignatureError::MissingSignature));
    assert_eq!(check(None, Some(&sig), BODY, NOW), Err(SignatureError::MissingTimestamp));
    assert_eq!(check(None, None, BODY, NOW), Err(SignatureError::MissingSignature));
}

#[test]
fn timestamps_must_be_decimal_unix_seconds() {
    for ts in ["", "abc", "1.8e9", "-1800000000", " 1800000000", "1800000000 ", "0x6B49D200", "18000000000000000000000"]
    {
        let sig = sign(&test_key(), ts, BODY);
        assert_eq!(check(Some(ts), Some(&sig), BODY, NOW), Err(SignatureError::BadTimestamp), "{ts:?}");
    }
}

#[test]
fn rejects_a_webhook_signed_301_seconds_ago_or_ahead_and_accepts_300() {
    for (offset, expected) in [
        (-301, Err(SignatureError::StaleTimestamp)),
        (301, Err(SignatureError::StaleTimestamp)),
        (-300, Ok(())),
        (300, Ok(())),
    ] {
        let ts = (NOW + offset).to_string();
        let sig = sign(&test_key(), &ts, BODY);
        assert_eq!(check(Some(&ts), Some(&sig), BODY, NOW), expected, "offset {offset}");
    }
}

#[test]
fn signatures_of_the_wrong_length_or_not_base64_are_rejected() {
    let ts = NOW.to_string();
    let good = sign(&test_key(), &ts, BODY);
    let short = STANDARD.encode([7u8; 63]);
    let long = STANDARD.encode([7u8; 65]);
    let not_base64 = format!("!{}", &good[1..]);
    let hex: String = STANDARD.decode(&good).unwrap().iter().map(|b| format!("{b:02x}")).collect();
    for sig in [short.as_str(), long.as_str(), not_base64.as_str(), hex.as_str(), "", "sig"] {
        assert_eq!(check(Some(&ts), Some(sig), BODY, NOW), Err(SignatureError::BadSignatureEncoding), "{sig:?}");
    }
}

#[test]
fn a_wrong_key_a_changed_byte_or_reserialized_json_fails() {
    let ts = NOW.to_string();
    let sig = sign(&test_key(), &ts, BODY);
    let other = verifier("jrMBoswHlhhVx2W2Www72WU/xn4UMpjreslD0m2u0qs=");
    assert_eq!(
        other.verify(Some(ts.as_bytes()), Some(sig.as_bytes()), Bytes::from_static(BODY), NOW).err(),
        Some(SignatureError::Mismatch)
    );
    for i in [0, BODY.len() / 2, BODY.len() - 1] {
        let mut tampered = BODY.to_vec();
        tampered[i] ^= 0x01;
        assert_eq!(check(Some(&ts), Some(&sig), &tampered, NOW), Err(SignatureError::Mismatch), "byte {i}");
    }
    let value: serde_json::Value = serde_json::from_slice(BODY).unwrap();
    let pretty = serde_json::to_vec_pretty(&value).unwrap();
    assert_eq!(check(Some(&ts), Some(&sig), &pretty, NOW), Err(SignatureError::Mismatch));
    // The signature covers the timestamp header text too.
    let later = (NOW + 1).to_string();
    assert_eq!(check(Some(&later), Some(&sig), BODY, NOW), Err(SignatureError::Mismatch));
}

#[test]
fn public_keys_must_be_32_bytes_of_base64() {
    assert!(PublicKey::from_base64("not base64!").is_err());
    assert!(PublicKey::from_base64(&STANDARD.encode([1u8; 31])).is_err());
    assert!(PublicKey::from_base64(&format!(" {TEST_PUBLIC}\n")).is_ok());
}

#[test]
fn a_disabled_verifier_accepts_unsigned_bodies() {
    let v = Verifier::disabled();
    assert!(!v.is_enabled());
    assert!(v.verify(None, None, Bytes::from_static(BODY), NOW).is_ok());
}

//! Webhook verification on hostile headers and bodies: the input is split into a timestamp, a
//! signature and a body. Whatever arrives, verification never panics, a forged signature never
//! passes, and a body we sign ourselves always does.
#![no_main]

use appointment_setter::telnyx::signature::sign;
use appointment_setter::telnyx::{PublicKey, Verifier};
use bytes::Bytes;
use ed25519_dalek::SigningKey;
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    let key = SigningKey::from_bytes(&[7u8; 32]);
    let verifier = Verifier::new(PublicKey::from_verifying_key(key.verifying_key()));
    let mut parts = data.splitn(3, |b| *b == b'\n');
    let (ts, sig, body) = (parts.next().unwrap_or_default(), parts.next(), parts.next().unwrap_or_default());
    let body = Bytes::copy_from_slice(body);

    // Hostile header values: never a panic, and never accepted unless they are our signature.
    let forged = verifier.verify(Some(ts), sig, body.clone(), NOW);
    if forged.is_ok() {
        let ts = std::str::from_utf8(ts).expect("an accepted timestamp is ASCII digits");
        assert_eq!(sig.map(<[u8]>::to_vec), Some(sign(&key, ts, &body).into_bytes()), "a forged signature passed");
    }

    // The same body, properly signed, always verifies; parsing it never panics.
    let ts = NOW.to_string();
    let good = sign(&key, &ts, &body);
    let verified = verifier.verify(Some(ts.as_bytes()), Some(good.as_bytes()), body, NOW).expect("our own signature");
    let _ = appointment_setter::telnyx::events::parse(verified.body());
});

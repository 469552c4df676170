//! Verify + parse one realistic signed webhook (issue target: ≤ 60 µs; Ed25519 itself is ~35–50 µs).

use std::hint::black_box;

use appointment_setter::telnyx::events::parse;
use appointment_setter::telnyx::signature::sign;
use appointment_setter::telnyx::{PublicKey, Verifier};
use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;

fn bench(c: &mut Criterion) {
    let key = SigningKey::from_bytes(&[42u8; 32]);
    let verifier = Verifier::new(PublicKey::from_verifying_key(key.verifying_key()));
    let body = Bytes::from(
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("webhooks-samples/10-message.received.json"),
        )
        .unwrap(),
    );
    let now = 1_800_000_000i64;
    let ts = now.to_string();
    let sig = sign(&key, &ts, &body);
    c.bench_function("verify_and_parse_message_received", |b| {
        b.iter(|| {
            let verified =
                verifier.verify(Some(ts.as_bytes()), Some(sig.as_bytes()), black_box(body.clone()), now).unwrap();
            black_box(parse(verified.body()).unwrap())
        })
    });
    c.bench_function("reject_bad_signature", |b| {
        let bad = sign(&key, &ts, b"other");
        b.iter(|| {
            black_box(verifier.verify(Some(ts.as_bytes()), Some(bad.as_bytes()), black_box(body.clone()), now)).is_err()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

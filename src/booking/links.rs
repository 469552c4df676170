//! Customer links (SPEC §15): `PUBLIC_URL/m/<token>` in each confirmation text, where the customer
//! sees the appointment and cancels or moves it within the policy.
//!
//! A token is 72 bits of HMAC-SHA256 over the appointment's id and the customer's number, keyed by
//! a secret the server keeps (derived from the session key): unguessable, 12 characters, and
//! recomputable, so a link dies by itself when the appointment goes to another customer. The store
//! keeps only the token's SHA-256 digest, recorded in the same transaction as the change whose
//! text carries it, so a link in a text always resolves; the page also refuses an appointment
//! that is cancelled or over.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::domain::{Appointment, Status};

type HmacSha256 = hmac::Hmac<Sha256>;

/// Bytes of MAC in a token (72 bits; base64url makes them 12 characters).
const TOKEN_BYTES: usize = 9;

/// Makes and checks customer links (cheap to clone).
#[derive(Clone)]
pub struct CustomerLinks {
    key: std::sync::Arc<[u8]>,
    /// `PUBLIC_URL` without a trailing slash.
    base: String,
}

impl std::fmt::Debug for CustomerLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerLinks").field("base", &self.base).finish_non_exhaustive()
    }
}

impl CustomerLinks {
    /// Links under `public_url` (e.g. `https://book.example.com`), keyed by `key` (≥ 32 bytes).
    pub fn new(key: &[u8], public_url: &str) -> Self {
        Self { key: key.into(), base: public_url.trim().trim_end_matches('/').to_string() }
    }

    fn mac(&self, parts: &[&[u8]]) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().to_vec()
    }

    /// The token of `a`'s link (bound to its id and customer).
    pub fn token(&self, a: &Appointment) -> String {
        let id = a.id.to_string();
        let mac = self.mac(&[b"customer-link", id.as_bytes(), a.customer_phone.as_str().as_bytes()]);
        URL_SAFE_NO_PAD.encode(&mac[..TOKEN_BYTES])
    }

    /// The link the customer gets for `a`.
    pub fn url(&self, a: &Appointment) -> String {
        format!("{}/m/{}", self.base, self.token(a))
    }

    /// What the store keeps of `token`: its SHA-256, hex.
    pub fn digest(token: &str) -> String {
        Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether `token` is `a`'s link and still works at `now`: `a` still belongs to the customer
    /// the link was made for, is not cancelled and is not over.
    pub fn opens(&self, token: &str, a: &Appointment, now: DateTime<Utc>) -> bool {
        let expected = self.token(a);
        crate::secrets::same_secret(&expected, token) && a.status == Status::Confirmed && a.end > now
    }

    /// The token a form on `a`'s page carries: bound to the link and to the appointment's
    /// current version, so a page left open across a change cannot act on the new state.
    pub fn form_token(&self, token: &str, a: &Appointment) -> String {
        let sequence = a.sequence.to_string();
        URL_SAFE_NO_PAD.encode(&self.mac(&[b"customer-form", token.as_bytes(), sequence.as_bytes()])[..16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::phone::{PhoneNumber, Region};
    use crate::domain::{AppointmentId, Channel};
    use chrono::TimeZone;

    fn appointment(phone: &str) -> Appointment {
        let start = Utc.with_ymd_and_hms(2026, 12, 10, 15, 0, 0).unwrap();
        Appointment {
            id: AppointmentId::new_random(),
            service_id: "haircut".parse().unwrap(),
            staff_id: "sarah".parse().unwrap(),
            start,
            end: start + chrono::Duration::minutes(30),
            buffer_minutes: 0,
            customer_name: "Jo".into(),
            customer_phone: PhoneNumber::parse(phone, Region::parse("US").unwrap()).unwrap(),
            customer_email: None,
            notes: None,
            status: Status::Confirmed,
            booked_via: Channel::Sms,
            external_event_id: None,
            idempotency_key: None,
            conversation: None,
            created_at: start,
            updated_at: start,
            sequence: 0,
            customer_confirmed_at: None,
        }
    }

    #[test]
    fn a_link_is_short_and_opens_only_its_own_live_appointment() {
        let links = CustomerLinks::new(&[7u8; 32], "https://book.example.com/");
        let a = appointment("+13125550101");
        let token = links.token(&a);
        assert_eq!(token.len(), 12, "72 bits in base64url");
        assert_eq!(links.url(&a), format!("https://book.example.com/m/{token}"));
        let before = a.start - chrono::Duration::days(1);
        assert!(links.opens(&token, &a, before));
        assert!(!links.opens(&token, &a, a.end), "over");
        let mut moved = a.clone();
        moved.customer_phone = PhoneNumber::parse("+13125550102", Region::parse("US").unwrap()).unwrap();
        assert!(!links.opens(&token, &moved, before), "another customer's now");
        let mut gone = a.clone();
        gone.status = Status::Cancelled;
        assert!(!links.opens(&token, &gone, before), "cancelled");
        let other_key = CustomerLinks::new(&[8u8; 32], "https://book.example.com");
        assert!(!other_key.opens(&token, &a, before), "another server's key");
        let mut tampered = token.clone().into_bytes();
        tampered[0] ^= 1;
        assert!(!links.opens(&String::from_utf8(tampered).unwrap(), &a, before));
    }

    #[test]
    fn a_form_token_follows_the_appointment_version() {
        let links = CustomerLinks::new(&[7u8; 32], "https://x.example");
        let a = appointment("+13125550101");
        let token = links.token(&a);
        let mut moved = a.clone();
        moved.sequence += 1;
        assert_eq!(links.form_token(&token, &a), links.form_token(&token, &a));
        assert_ne!(links.form_token(&token, &a), links.form_token(&token, &moved));
    }
}

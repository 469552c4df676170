//! The admin API (`/api/v1`): bearer tokens from `POST /api/v1/token` or personal API tokens;
//! 401 for everything else without one (forged, other-key, expired, revoked); booking, cancelling
//! and moving through the booking service with its refusal codes; staff limited to their own;
//! cursor pages that cover every row once; the OpenAPI document.

use crate::support;

use appointment_setter::accounts::{Accounts, SessionSecret};
use appointment_setter::booking::BookRequest;
use appointment_setter::domain::{Actor, Appointment, Status};
use serde_json::{Value, json};
use support::console_server::{Console, PASSWORD, start};
use support::{chicago, phone, request_with};

/// Every route but `/token`, with its method.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/appointments"),
    ("POST", "/api/v1/appointments"),
    ("GET", "/api/v1/appointments/0f8fad5b-d9cb-469f-a165-70867728950e"),
    ("POST", "/api/v1/appointments/0f8fad5b-d9cb-469f-a165-70867728950e/cancel"),
    ("POST", "/api/v1/appointments/0f8fad5b-d9cb-469f-a165-70867728950e/reschedule"),
    ("GET", "/api/v1/slots?service=consultation"),
    ("GET", "/api/v1/conversations"),
    ("GET", "/api/v1/conversations/chat-x"),
    ("GET", "/api/v1/messages"),
    ("GET", "/api/v1/customers"),
    ("GET", "/api/v1/audit"),
];

/// `(status, JSON body)` of a request with `token` as the bearer.
async fn call(console: &Console, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let client = reqwest::Client::new();
    let url = format!("{}{path}", console.url);
    let mut r = if method == "GET" { client.get(url) } else { client.post(url) };
    if let Some(token) = token {
        r = r.bearer_auth(token);
    }
    if let Some(body) = body {
        r = r.json(&body);
    }
    let response = r.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: not JSON: {text}")))
}

async fn token_for(console: &Console, email: &str) -> String {
    let (status, body) =
        call(console, "POST", "/api/v1/token", None, Some(json!({"email": email, "password": PASSWORD}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["token_type"].as_str(), body["expires_in"].as_i64()), (Some("Bearer"), Some(1800)));
    body["access_token"].as_str().unwrap().to_string()
}

async fn booked(console: &Console, staff: &str, day: u32, hour: u32) -> Appointment {
    let req = BookRequest {
        customer_phone: phone("+13125550123"),
        actor: Actor::Staff { force: true },
        ..request_with("consultation", staff, chicago(2026, 12, day, hour, 0))
    };
    console.booking.book(req).await.unwrap().appointment
}

#[tokio::test]
async fn without_a_good_bearer_token_every_route_answers_401() {
    let console = start(false).await;
    let real = token_for(&console, "owner@example.com").await;
    let other_key = {
        let other = Accounts::new(
            console.store.clone(),
            console.clock.clone(),
            SessionSecret::from_bytes(&[1u8; 32]),
            std::num::NonZeroU32::new(10).unwrap(),
        );
        other.login("owner@example.com", PASSWORD, "127.0.0.1".parse().unwrap()).await.unwrap().token
    };
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", real.split('.').nth(1).unwrap());
    for token in [None, Some(other_key.as_str()), Some(unsigned.as_str()), Some("ast_not-a-token"), Some("x")] {
        for (method, path) in ROUTES {
            let (status, body) = call(&console, method, path, token, Some(json!({}))).await;
            assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")), "{method} {path} with {token:?}");
        }
    }
    let (status, _) = call(&console, "GET", "/api/v1/appointments", Some(&real), None).await;
    assert_eq!(status, 200);
    console.clock.advance(chrono::Duration::minutes(31));
    let (status, _) = call(&console, "GET", "/api/v1/appointments", Some(&real), None).await;
    assert_eq!(status, 401, "an expired token");

    let wrong = json!({"email": "owner@example.com", "password": "wrong-password-here"});
    let (status, body) = call(&console, "POST", "/api/v1/token", None, Some(wrong)).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
}

#[tokio::test]
async fn an_owner_books_cancels_and_moves_through_the_booking_service() {
    let console = start(false).await;
    let owner = token_for(&console, "owner@example.com").await;
    let body = json!({
        "service": "consultation", "staff": "sarah", "start": chicago(2026, 12, 9, 10, 0).to_rfc3339(),
        "customer_name": "Ann Lee", "customer_phone": "(312) 555-0131", "idempotency_key": "k1"
    });
    let (status, made) = call(&console, "POST", "/api/v1/appointments", Some(&owner), Some(body.clone())).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!((made["customer_phone"].as_str(), made["booked_via"].as_str()), (Some("+13125550131"), Some("admin")));
    assert!(made["customer_confirmed_at"].is_null(), "not confirmed by the customer yet: {made}");
    let (status, again) = call(&console, "POST", "/api/v1/appointments", Some(&owner), Some(body)).await;
    assert_eq!((status, &again["id"]), (200, &made["id"]), "the same key books once");
    let clash = json!({
        "service": "consultation", "staff": "sarah", "start": chicago(2026, 12, 9, 10, 0).to_rfc3339(),
        "customer_name": "Bo", "customer_phone": "+13125550132"
    });
    let (status, refused) = call(&console, "POST", "/api/v1/appointments", Some(&owner), Some(clash)).await;
    assert_eq!((status, refused["code"].as_str()), (409, Some("slot_unavailable")), "{refused}");

    let id = made["id"].as_str().unwrap();
    let customer = Actor::Customer { phone: phone("+13125550131") };
    console.booking.confirm_by_customer(id.parse().unwrap(), &customer).await.unwrap();
    let (_, one) = call(&console, "GET", &format!("/api/v1/appointments/{id}"), Some(&owner), None).await;
    assert!(one["customer_confirmed_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{one}");
    let later = json!({"start": chicago(2026, 12, 10, 11, 0).to_rfc3339()});
    let (status, moved) =
        call(&console, "POST", &format!("/api/v1/appointments/{id}/reschedule"), Some(&owner), Some(later)).await;
    assert_eq!((status, moved["sequence"].as_i64()), (200, Some(1)), "{moved}");
    assert!(moved["customer_confirmed_at"].is_null(), "the customer confirmed the old time: {moved}");
    let (status, gone) = call(&console, "POST", &format!("/api/v1/appointments/{id}/cancel"), Some(&owner), None).await;
    assert_eq!((status, gone["status"].as_str()), (200, Some("cancelled")), "{gone}");
    let (status, twice) =
        call(&console, "POST", &format!("/api/v1/appointments/{id}/cancel"), Some(&owner), None).await;
    assert_eq!((status, twice["code"].as_str()), (409, Some("already_cancelled")));
    let texts = console.store.outbox().messages_to("+13125550131").await.unwrap();
    assert_eq!(texts.len(), 3, "booked, moved, cancelled: one text each: {texts:?}");

    let (_, audit) = call(&console, "GET", "/api/v1/audit", Some(&owner), None).await;
    let actions: Vec<&str> = audit["data"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    for action in ["appointment.book", "appointment.reschedule", "appointment.cancel"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let (status, doc) = call(&console, "GET", "/api/v1/openapi.json", Some(&owner), None).await;
    assert_eq!(status, 200);
    assert!(doc["paths"]["/api/v1/appointments/{id}/reschedule"]["post"].is_object(), "{doc}");
    assert!(doc["components"]["schemas"]["ApiError"].is_object());
}

#[tokio::test]
async fn staff_reach_only_their_own_schedule() {
    let console = start(false).await;
    let own = booked(&console, "sarah", 9, 9).await;
    let other = booked(&console, "miguel", 9, 9).await;
    let sarah = token_for(&console, "sarah@example.com").await;
    let (_, list) = call(&console, "GET", "/api/v1/appointments?staff=miguel", Some(&sarah), None).await;
    let ids: Vec<&str> = list["data"].as_array().unwrap().iter().filter_map(|a| a["id"].as_str()).collect();
    assert_eq!(ids, vec![own.id.to_string().as_str()], "asking for miguel's still lists only hers");
    let (status, _) = call(&console, "GET", &format!("/api/v1/appointments/{}", other.id), Some(&sarah), None).await;
    assert_eq!(status, 404);
    let (status, _) =
        call(&console, "POST", &format!("/api/v1/appointments/{}/cancel", other.id), Some(&sarah), None).await;
    assert_eq!(status, 404);
    assert_eq!(console.store.appointments().get(other.id).await.unwrap().unwrap().status, Status::Confirmed);
    let body = json!({
        "service": "consultation", "staff": "miguel", "start": chicago(2026, 12, 10, 10, 0).to_rfc3339(),
        "customer_name": "Ann", "customer_phone": "+13125550131"
    });
    let (status, _) = call(&console, "POST", "/api/v1/appointments", Some(&sarah), Some(body)).await;
    assert_eq!(status, 422, "staff book for themselves only");
    for path in ["/api/v1/messages", "/api/v1/customers", "/api/v1/audit"] {
        let (status, body) = call(&console, "GET", path, Some(&sarah), None).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "{path}");
    }
}

#[tokio::test]
async fn cursor_pages_cover_every_appointment_once_in_order() {
    let console = start(false).await;
    for day in 7..=11 {
        for hour in [9, 10, 11, 13, 14] {
            booked(&console, "sarah", day, hour).await;
        }
    }
    let owner = token_for(&console, "owner@example.com").await;
    let (mut seen, mut cursor, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/appointments?limit=10&cursor={c}"),
            None => "/api/v1/appointments?limit=10".into(),
        };
        let (status, page) = call(&console, "GET", &path, Some(&owner), None).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        seen.extend(page["data"].as_array().unwrap().iter().map(|a| a["start"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!((pages, seen.len()), (3, 25));
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "in order, none twice");
    let (status, body) = call(&console, "GET", "/api/v1/appointments?cursor=garbage!", Some(&owner), None).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_cursor")));
}

#[tokio::test]
async fn a_personal_api_token_works_until_revoked() {
    let console = start(false).await;
    let (record, token) = console.accounts.create_api_token("owner@example.com", "bookkeeping").await.unwrap();
    assert!(token.starts_with("ast_") && token.len() > 40);
    let (status, _) = call(&console, "GET", "/api/v1/customers", Some(&token), None).await;
    assert_eq!(status, 200);
    assert!(console.accounts.revoke_api_token(&record.id).await.unwrap());
    let (status, _) = call(&console, "GET", "/api/v1/customers", Some(&token), None).await;
    assert_eq!(status, 401, "revoked");
}

//! Every web route, walked as every role: nobody signed in (sent to sign-in, or 401 on the API),
//! a staff member (never sees another staff member's customer), an owner (sees everything), and a
//! customer with their link (sees only their own appointment). The list of routes is checked
//! against the route tables in the source, so a new route cannot be left out of the walk.

use std::collections::BTreeSet;

use crate::support;

use appointment_setter::booking::{BookRequest, Tell};
use appointment_setter::domain::{Actor, Channel};
use appointment_setter::store::ConversationSave;
use support::console_server::{Console, PASSWORD, csrf, start_google};
use support::{chicago, phone, request_with};

/// (method, pattern, who may use it without signing in: the reason).
const PUBLIC: &[(&str, &str, &str)] = &[
    ("GET", "/admin/login", "the sign-in form"),
    ("POST", "/admin/login", "signing in"),
    ("GET", "/admin/setup/{token}", "the one-time set-up link (its token is the secret)"),
    ("POST", "/admin/setup/{token}", "the one-time set-up link"),
    ("GET", "/admin/static/console.css", "the stylesheet"),
    ("GET", "/m/static/style.css", "the stylesheet"),
    ("GET", "/m/{token}", "a customer's link (its token is the secret)"),
    ("POST", "/m/{token}/cancel", "a customer's link"),
    ("POST", "/m/{token}/move", "a customer's link"),
    ("POST", "/api/v1/token", "getting a bearer token"),
];

/// Every route that needs a session (console) or a bearer token (API): (method, pattern).
const PRIVATE: &[(&str, &str)] = &[
    ("GET", "/admin"),
    ("GET", "/admin/"),
    ("GET", "/admin/week"),
    ("POST", "/admin/logout"),
    ("GET", "/admin/book"),
    ("POST", "/admin/book"),
    ("GET", "/admin/texts"),
    ("GET", "/admin/stats"),
    ("GET", "/admin/check"),
    ("GET", "/admin/try"),
    ("POST", "/admin/try"),
    ("GET", "/admin/google"),
    ("POST", "/admin/google/connect"),
    ("GET", "/admin/google/callback"),
    ("GET", "/admin/google/pick"),
    ("POST", "/admin/google/pick"),
    ("POST", "/admin/google/disconnect"),
    ("GET", "/admin/customers"),
    ("GET", "/admin/customers/{phone}"),
    ("GET", "/admin/conversations"),
    ("GET", "/admin/conversations/{id}"),
    ("GET", "/admin/appointments/{id}"),
    ("POST", "/admin/appointments/{id}/cancel"),
    ("POST", "/admin/appointments/{id}/reschedule"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/v1/appointments"),
    ("POST", "/api/v1/appointments"),
    ("GET", "/api/v1/appointments/{id}"),
    ("POST", "/api/v1/appointments/{id}/cancel"),
    ("POST", "/api/v1/appointments/{id}/reschedule"),
    ("GET", "/api/v1/slots"),
    ("GET", "/api/v1/conversations"),
    ("GET", "/api/v1/conversations/{id}"),
    ("GET", "/api/v1/messages"),
    ("GET", "/api/v1/customers"),
    ("GET", "/api/v1/audit"),
];

/// The routes in a source file's route table, under `prefix`.
fn routes_in(file: &str, prefix: &str) -> Vec<(String, String)> {
    let source = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
    source
        .match_indices(".route(\"")
        .map(|(at, _)| {
            let rest = &source[at + ".route(\"".len()..];
            let path = rest.split('"').next().unwrap();
            let method = rest.split("web::").nth(1).unwrap().split('(').next().unwrap().to_uppercase();
            (method, format!("{prefix}{path}"))
        })
        .collect()
}

#[test]
fn the_walk_covers_every_route_in_the_source() {
    let mut source: BTreeSet<(String, String)> = BTreeSet::new();
    source.extend(routes_in("src/http/admin/mod.rs", "/admin"));
    source.extend(routes_in("src/http/api/mod.rs", "/api/v1"));
    source.extend(routes_in("src/http/manage.rs", "/m"));
    let walked: BTreeSet<(String, String)> = PUBLIC
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .chain(PRIVATE.iter().map(|(m, p)| (m.to_string(), p.to_string())))
        .collect();
    assert_eq!(source, walked, "routes in the source (left) vs. walked here (right)");
}

/// The concrete path of `pattern` for this walk.
fn concrete(pattern: &str, w: &World) -> String {
    pattern
        .replace("{id}", if pattern.contains("conversations") { "v3:bob-call" } else { &w.bob_appointment })
        .replace("{phone}", "%2B13125550162")
        .replace("/admin/google/pick", "/admin/google/pick?account=miguel%40gmail.test")
}

struct World {
    console: Console,
    bob_appointment: String,
}

async fn world() -> World {
    let console = start_google(false).await;
    for staff in ["sarah", "miguel"] {
        console.connect_google(staff).await;
    }
    let now = console.booking.now();
    let call = ConversationSave {
        id: "v3:bob-call",
        channel: Channel::Voice,
        caller: Some(&phone("+13125550162")),
        state: "{}",
        outcome: Some("normal_clearing"),
        started_at: now,
    };
    console.store.conversations().save(call, now).await.unwrap();
    let mut ids = Vec::new();
    for (staff, name, number, conversation) in [
        ("sarah", "Ann Visible", "+13125550161", None),
        ("miguel", "Bob Hidden", "+13125550162", Some("v3:bob-call".to_string())),
    ] {
        let req = BookRequest {
            customer_name: name.into(),
            customer_phone: phone(number),
            channel: Channel::Voice,
            conversation,
            actor: Actor::Customer { phone: phone(number) },
            tell: Tell::Confirmation,
            ..request_with("consultation", staff, chicago(2026, 12, 9, 10, 0))
        };
        ids.push(console.booking.book(req).await.unwrap().appointment.id.to_string());
    }
    World { console, bob_appointment: ids.remove(1) }
}

/// What a response may never show to someone who may not see Bob.
fn leaks_bob(body: &str) -> bool {
    body.contains("Bob Hidden") || body.contains("0162") || body.contains("bob-call")
}

#[tokio::test]
async fn nobody_signed_in_reaches_a_private_route() {
    let w = world().await;
    let c = &w.console;
    for (method, pattern) in PRIVATE {
        let path = concrete(pattern, &w);
        let page =
            if *method == "GET" { c.get(&path, None).await } else { c.post(&path, None, &[("csrf", "x")]).await };
        if pattern.starts_with("/api/") {
            assert_eq!(page.status, 401, "{method} {path}");
        } else {
            assert_eq!((page.status, page.location.as_deref()), (303, Some("/admin/login")), "{method} {path}");
        }
        assert!(!leaks_bob(&page.body), "{method} {path}");
    }
}

#[tokio::test]
async fn staff_never_see_another_staff_members_customer_on_any_route() {
    let w = world().await;
    let c = &w.console;
    let cookie = c.login("sarah@example.com").await;
    let token = {
        let client = reqwest::Client::new();
        let body = serde_json::json!({"email": "sarah@example.com", "password": PASSWORD});
        let answer: serde_json::Value =
            client.post(format!("{}/api/v1/token", c.url)).json(&body).send().await.unwrap().json().await.unwrap();
        answer["access_token"].as_str().unwrap().to_string()
    };
    let form = csrf(&c.get("/admin", Some(&cookie)).await.body);
    for (method, pattern) in PRIVATE {
        let path = concrete(pattern, &w);
        let (status, body) = if pattern.starts_with("/api/") {
            let client = reqwest::Client::new();
            let url = format!("{}{path}", c.url);
            let r = if *method == "GET" { client.get(url) } else { client.post(url).body("{}") };
            let response = r.bearer_auth(&token).send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        } else if *method == "GET" {
            let page = c.get(&path, Some(&cookie)).await;
            (page.status, page.body)
        } else if *pattern == "/admin/logout" {
            continue; // walked last: it ends the session
        } else {
            let page = c.post(&path, Some(&cookie), &[("csrf", &form), ("start", "2026-12-10T16:00:00Z")]).await;
            (page.status, page.body)
        };
        assert!(!leaks_bob(&body), "{method} {path} ({status}) shows Bob to Sarah: {body}");
        assert!(status != 500, "{method} {path}");
    }
    let bob = c.store.appointments().get(w.bob_appointment.parse().unwrap()).await.unwrap().unwrap();
    assert_eq!(bob.sequence, 0, "none of Sarah's requests changed Bob's appointment");
    let out = c.post("/admin/logout", Some(&cookie), &[("csrf", &form)]).await;
    assert_eq!(out.location.as_deref(), Some("/admin/login"));
}

#[tokio::test]
async fn owners_see_everything_and_a_customer_link_shows_only_its_customer() {
    let w = world().await;
    let c = &w.console;
    let cookie = c.login("owner@example.com").await;
    for (method, pattern) in PRIVATE.iter().filter(|(m, p)| *m == "GET" && p.starts_with("/admin")) {
        let path = concrete(pattern, &w);
        let page = c.get(&path, Some(&cookie)).await;
        assert_eq!(page.status, 200, "{method} {path}: {}", page.body);
    }
    for path in ["/admin/customers/%2B13125550162", &format!("/admin/appointments/{}", w.bob_appointment)] {
        assert!(c.get(path, Some(&cookie)).await.body.contains("Bob Hidden"), "{path}");
    }
    // Ann's link shows Ann's appointment and nothing of Bob's.
    let texts = c.store.outbox().messages_to("+13125550161").await.unwrap();
    let body = &texts.iter().find(|m| m.body.contains("/m/")).expect("Ann's confirmation").body;
    let link = &body[body.find("/m/").unwrap()..].split_whitespace().next().unwrap().to_string();
    let page = c.get(link, None).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Booked for Ann") && !leaks_bob(&page.body), "{}", page.body);
}

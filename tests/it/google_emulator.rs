//! The Google Calendar emulator itself: what a real Google would say, so the backend built on it
//! is tested against real semantics.

use crate::support;

use serde_json::{Value, json};
use support::google_emulator::{Fault, GoogleEmulator, SCOPE};

const CAL: &str = "sarah@accuthink.example";

fn assertion(emu: &GoogleEmulator, aud: Option<&str>, scope: &str, lifetime: i64) -> String {
    let key = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/google_sa_test_key.pem"))
        .unwrap();
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"iss": "booking@test-project.iam.gserviceaccount.com", "scope": scope,
                        "aud": aud.map(String::from).unwrap_or_else(|| emu.token_uri()), "iat": now, "exp": now + lifetime});
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_rsa_pem(&key).unwrap(),
    )
    .unwrap()
}

async fn token(emu: &GoogleEmulator, jwt: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(emu.token_uri())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={jwt}"))
        .send()
        .await
        .unwrap()
}

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn new(emu: &GoogleEmulator) -> Self {
        let body: Value = token(emu, &assertion(emu, None, SCOPE, 3595)).await.json().await.unwrap();
        Api {
            http: reqwest::Client::new(),
            base: emu.api_base(),
            token: body["access_token"].as_str().unwrap().to_string(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (u16, Value) {
        let r = req.bearer_auth(&self.token).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn insert(&self, event: Value) -> (u16, Value) {
        self.send(self.http.post(self.url("calendars/sarah%40accuthink.example/events")).json(&event)).await
    }
}

fn event(id: &str, start: &str, end: &str) -> Value {
    json!({"id": id, "summary": "Consultation - Jane", "start": {"dateTime": start}, "end": {"dateTime": end},
           "extendedProperties": {"private": {"customer_phone": "+13125550123"}}})
}

#[tokio::test]
async fn the_token_endpoint_checks_signature_audience_scope_and_lifetime() {
    let emu = GoogleEmulator::start(&[CAL]).await;
    assert_eq!(token(&emu, &assertion(&emu, None, SCOPE, 3595)).await.status(), 200);
    // One character of the signature changed.
    let mut tampered = assertion(&emu, None, SCOPE, 3595).into_bytes();
    let at = tampered.iter().rposition(|b| *b == b'.').unwrap() + 10;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for (jwt, why) in [
        (assertion(&emu, Some("https://oauth2.googleapis.com/token"), SCOPE, 3595), "audience"),
        (assertion(&emu, None, "https://www.googleapis.com/auth/drive", 3595), "scope"),
        (assertion(&emu, None, SCOPE, 7200), "lifetime"),
        (assertion(&emu, None, SCOPE, -120), "expired"),
        (tampered, "signature"),
    ] {
        let r = token(&emu, &jwt).await;
        assert_eq!(r.status(), 400, "{why}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant", "{why}");
    }
    let anonymous = reqwest::Client::new().get(format!("{}calendars/x/events", emu.api_base())).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn ids_are_unique_per_calendar_even_after_delete_and_deletes_are_soft() {
    let emu = GoogleEmulator::start(&[CAL]).await;
    let api = Api::new(&emu).await;
    let e = event("a1b2c3d4e5", "2026-12-08T15:00:00Z", "2026-12-08T15:30:00Z");
    assert_eq!(api.insert(e.clone()).await.0, 200);
    let (status, body) = api.insert(e.clone()).await;
    assert_eq!((status, body["error"]["errors"][0]["reason"].as_str()), (409, Some("duplicate")));
    assert_eq!(api.insert(event("Not-Base32", "2026-12-08T15:00:00Z", "2026-12-08T15:30:00Z")).await.0, 400);
    let path = api.url("calendars/sarah%40accuthink.example/events/a1b2c3d4e5");
    assert_eq!(api.send(api.http.delete(&path)).await.0, 204);
    let (status, body) = api.send(api.http.delete(&path)).await;
    assert_eq!((status, body["error"]["errors"][0]["reason"].as_str()), (410, Some("deleted")));
    assert_eq!(api.insert(e).await.0, 409, "the id stays taken by the tombstone");
    let (status, got) = api.send(api.http.get(&path)).await;
    assert_eq!((status, got["status"].as_str()), (200, Some("cancelled")));
    let mut attendees = event("b1b2c3d4e5", "2026-12-08T16:00:00Z", "2026-12-08T16:30:00Z");
    attendees["attendees"] = json!([{"email": "jane@example.com"}]);
    let (status, body) = api.insert(attendees).await;
    assert_eq!((status, body["error"]["errors"][0]["reason"].as_str()), (403, Some("forbiddenForServiceAccounts")));
}

#[tokio::test]
async fn patch_honours_if_match_and_list_filters_by_overlap_property_and_pages() {
    let emu = GoogleEmulator::start(&[CAL]).await;
    let api = Api::new(&emu).await;
    for (i, h) in [14, 15, 16, 17].iter().enumerate() {
        let id = format!("evt{i}aaaaa");
        api.insert(event(&id, &format!("2026-12-08T{h}:00:00Z"), &format!("2026-12-08T{h}:30:00Z"))).await;
    }
    let path = api.url("calendars/sarah%40accuthink.example/events/evt0aaaaa");
    let (_, got) = api.send(api.http.get(&path)).await;
    let etag = got["etag"].as_str().unwrap().to_string();
    let (status, moved) =
        api.send(api.http.patch(&path).header("If-Match", &etag).json(&json!({"summary": "moved"}))).await;
    assert_eq!((status, moved["summary"].as_str()), (200, Some("moved")));
    assert_eq!(moved["extendedProperties"]["private"]["customer_phone"], "+13125550123", "patch merges");
    let (status, _) =
        api.send(api.http.patch(&path).header("If-Match", &etag).json(&json!({"summary": "stale"}))).await;
    assert_eq!(status, 412);

    let list = |q: &str| api.url(&format!("calendars/sarah%40accuthink.example/events?{q}"));
    // timeMin bounds the end (exclusive of events ending at it), timeMax the start.
    let (_, body) = api.send(api.http.get(list("timeMin=2026-12-08T14:30:00Z&timeMax=2026-12-08T16:00:00Z"))).await;
    let ids: Vec<&str> = body["items"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["evt1aaaaa"]);
    let (_, page) =
        api.send(api.http.get(list("privateExtendedProperty=customer_phone%3D%2B13125550123&maxResults=3"))).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    let token = page["nextPageToken"].as_str().unwrap();
    let (_, rest) = api
        .send(api.http.get(list(&format!(
            "privateExtendedProperty=customer_phone%3D%2B13125550123&maxResults=3&pageToken={token}"
        ))))
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest.get("nextPageToken").is_none());
    let (status, _) = api.send(api.http.get(list("orderBy=startTime"))).await;
    assert_eq!(status, 400, "orderBy=startTime needs singleEvents=true");
}

#[tokio::test]
async fn free_busy_merges_opaque_events_and_reports_unreadable_calendars() {
    let emu = GoogleEmulator::start(&[CAL]).await;
    let api = Api::new(&emu).await;
    api.insert(event("fb1aaaaa", "2026-12-08T15:00:00Z", "2026-12-08T15:30:00Z")).await;
    api.insert(event("fb2aaaaa", "2026-12-08T15:30:00Z", "2026-12-08T16:00:00Z")).await;
    let mut free = event("fb3aaaaa", "2026-12-08T18:00:00Z", "2026-12-08T19:00:00Z");
    free["transparency"] = json!("transparent");
    api.insert(free).await;
    api.insert(event("fb4aaaaa", "2026-12-08T20:00:00Z", "2026-12-08T21:00:00Z")).await;
    api.send(api.http.delete(api.url("calendars/sarah%40accuthink.example/events/fb4aaaaa"))).await;
    let query = json!({"timeMin": "2026-12-08T00:00:00Z", "timeMax": "2026-12-09T00:00:00Z", "items": [{"id": CAL}, {"id": "nobody@example.com"}]});
    let (status, body) = api.send(api.http.post(api.url("freeBusy")).json(&query)).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["calendars"][CAL]["busy"],
        json!([{"start": "2026-12-08T15:00:00+00:00", "end": "2026-12-08T16:00:00+00:00"}])
    );
    assert_eq!(body["calendars"]["nobody@example.com"]["errors"][0]["reason"], "notFound");
    let long = json!({"timeMin": "2026-12-08T00:00:00Z", "timeMax": "2027-04-08T00:00:00Z", "items": [{"id": CAL}]});
    assert_eq!(api.send(api.http.post(api.url("freeBusy")).json(&long)).await.0, 400);
}

#[tokio::test]
async fn faults_are_injected_in_order() {
    let emu = GoogleEmulator::start(&[CAL]).await;
    let api = Api::new(&emu).await;
    emu.fail_next([
        Fault { retry_after: Some(2), ..Fault::status(429, "rateLimitExceeded") },
        Fault::status(503, "backendError"),
    ]);
    let url = api.url("calendars/sarah%40accuthink.example/events");
    let r = api.http.get(&url).bearer_auth(&api.token).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["retry-after"].to_str().unwrap()), (429, "2"));
    assert_eq!(api.send(api.http.get(&url)).await.0, 503);
    assert_eq!(api.send(api.http.get(&url)).await.0, 200);
    assert_eq!(emu.requests().len(), 3);
}

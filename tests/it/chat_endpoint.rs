//! `POST /v1/chat/completions` through the official client (async-openai) against a running
//! server: the roadmap's requests, streaming and not, a retry that books once, keys and limits,
//! and the OpenAI error shape for every refusal.

use crate::support;

use appointment_setter::conversation::{Conversation, Receptionist, Turn, TurnError, TurnOutcome};
use appointment_setter::domain::Channel;
use appointment_setter::http::ChatAccess;
use appointment_setter::store::AppointmentFilter;
use support::chat_server::{KEY, ask, ask_either, assistant, client, serve, serve_with, user};
use support::{TestDb, chicago};

#[tokio::test]
async fn the_roadmap_booking_through_the_official_client_books_once_streaming_or_not() {
    for streaming in [false, true] {
        let server = serve(ChatAccess::Keys(vec![KEY.into()]), 1000).await;
        let client = client(&server, KEY);
        let times = ask_either(streaming, &client, vec![user("What times are available next Tuesday?")]).await;
        assert!(times.contains("Tuesday, December 8") && times.contains("9:00 AM"), "{times}");
        let first = user("Book appointment for John Doe, 555-1234, consultation, next Tuesday 2pm");
        let asked = ask_either(streaming, &client, vec![first.clone()]).await;
        assert!(asked.contains("I need your full phone number"), "{asked}");
        let second = vec![first, assistant(&asked), user("312-555-1234")];
        let booked = ask_either(streaming, &client, second.clone()).await;
        assert!(booked.contains("You're all set"), "{booked}");
        // The client retries: the same answer, one appointment.
        assert_eq!(ask(&client, second).await, booked);
        let all =
            server.booking.list(&AppointmentFilter { include_cancelled: true, ..Default::default() }).await.unwrap();
        assert_eq!(all.len(), 1, "streaming: {streaming}");
        assert_eq!((all[0].start, all[0].customer_name.as_str()), (chicago(2026, 12, 8, 14, 0), "John Doe"));
        assert_eq!(all[0].booked_via, Channel::Chat);
    }
}

#[tokio::test]
async fn the_answer_says_what_changed_in_a_documented_extension() {
    let server = serve(ChatAccess::Anonymous, 1000).await;
    let http = reqwest::Client::new();
    let body = serde_json::json!({"model": "m", "messages": [
        {"role": "user", "content": "A consultation next Tuesday at 2pm, my name is John Doe"},
    ]});
    let post = |body: serde_json::Value| {
        http.post(format!("{}/chat/completions", server.url))
            .header("X-Caller-Phone", "(312) 555-1234")
            .json(&body)
            .send()
    };
    let r = post(body).await.unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    let reply = v["choices"][0]["message"]["content"].as_str().unwrap().to_string();
    assert!(reply.contains("Shall I book it?"), "{reply}");
    assert!(v["usage"]["total_tokens"].as_u64().unwrap() > 0);
    let body = serde_json::json!({"model": "m", "messages": [
        {"role": "user", "content": "A consultation next Tuesday at 2pm, my name is John Doe"},
        {"role": "assistant", "content": reply},
        {"role": "user", "content": "yes"},
    ]});
    let v: serde_json::Value = post(body).await.unwrap().json().await.unwrap();
    let change = &v["receptionist"]["changes"][0];
    assert_eq!(change["what"], "booked", "{v}");
    assert_eq!(change["appointment"]["start"], "2026-12-08T14:00:00-06:00");
    assert_eq!(change["appointment"]["customer_name"], "John Doe");
}

#[tokio::test]
async fn keys_limits_and_bad_requests_get_openai_errors_with_the_right_status() {
    let server = serve(ChatAccess::Keys(vec![KEY.into()]), 1000).await;
    let http = reqwest::Client::new();
    let url = format!("{}/v1/chat/completions", server.url);
    let good = serde_json::json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
    let cases: Vec<(Option<&str>, serde_json::Value, u16, &str)> = vec![
        (None, good.clone(), 401, "missing_api_key"),
        (Some("sk-wrong"), good.clone(), 401, "invalid_api_key"),
        (Some(KEY), serde_json::json!({"model": "m", "messages": []}), 400, "invalid_request"),
        (Some(KEY), serde_json::json!({"model": "m"}), 400, "invalid_request"),
        (Some(KEY), serde_json::json!({"messages": [{"role": "tool", "content": "x"}]}), 400, "invalid_request"),
        (
            Some(KEY),
            serde_json::json!({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}),
            400,
            "invalid_request",
        ),
        (
            Some(KEY),
            serde_json::json!({"messages": [{"role": "user", "content": "x".repeat(9000)}]}),
            400,
            "invalid_request",
        ),
    ];
    for (key, body, status, code) in cases {
        let mut r = http.post(&url).json(&body);
        if let Some(key) = key {
            r = r.bearer_auth(key);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{body}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], code, "{v}");
        assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    }
    let huge = vec![b'x'; 600 * 1024];
    let r = http.post(&url).bearer_auth(KEY).body(huge).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 413);
    // Three a minute for this key: the fourth request this minute is refused.
    let server = serve(ChatAccess::Keys(vec![KEY.into()]), 3).await;
    let url = format!("{}/v1/chat/completions", server.url);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(http.post(&url).bearer_auth(KEY).json(&good).send().await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429]);
    let models: serde_json::Value =
        http.get(format!("{}/v1/models", server.url)).bearer_auth(KEY).send().await.unwrap().json().await.unwrap();
    assert_eq!(models["data"][0]["id"], "receptionist");
}

#[tokio::test]
async fn without_keys_or_anonymous_access_the_endpoint_is_not_there() {
    let db = TestDb::sqlite().await;
    let server = support::webhooks::spawn_server(db.store().await, 100).await;
    let (status, _) = server.get("/v1/models").await;
    assert_eq!(status, 404);
    let r = server.http.post(format!("{}/v1/chat/completions", server.url)).body("{}").send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_conversations_at_once_each_hear_only_their_own_appointment() {
    let server = serve(ChatAccess::Anonymous, 10_000).await;
    let times = [(9, 0), (9, 45), (10, 30), (11, 15), (13, 0), (13, 45), (14, 30), (15, 15), (16, 0)];
    let mut customers = Vec::new();
    for i in 0..50usize {
        // Every customer at a time of their own (Sarah's weekdays), so any cross-talk would show.
        let (day, staff, (h, m)) = ([8, 9, 10, 11, 14, 15][i / 9], "sarah", times[i % 9]);
        let start = chicago(2026, 12, day, h, m);
        let number = format!("+1312555{:04}", 1000 + i);
        let req = appointment_setter::booking::BookRequest {
            customer_phone: support::phone(&number),
            actor: appointment_setter::domain::Actor::Staff { force: true },
            ..support::request_with("consultation", staff, start)
        };
        server.booking.book(req).await.unwrap();
        let spoken = start.with_timezone(&chrono_tz::America::Chicago).format("%A, %B %-d at %-I:%M %p").to_string();
        customers.push((number, spoken));
    }
    let http = reqwest::Client::new();
    let url = format!("{}/v1/chat/completions", server.url);
    let asks = customers.iter().map(|(number, _)| {
        let body = serde_json::json!({"messages": [{"role": "user", "content": "When is my appointment?"}]});
        http.post(&url).header("X-Caller-Phone", number.as_str()).json(&body).send()
    });
    let replies = futures::future::join_all(asks).await;
    for ((number, spoken), reply) in customers.iter().zip(replies) {
        let v: serde_json::Value = reply.unwrap().json().await.unwrap();
        let text = v["choices"][0]["message"]["content"].as_str().unwrap().to_string();
        assert!(text.contains(spoken.as_str()), "{number}: {text}");
        let others = customers.iter().filter(|(n, s)| n != number && text.contains(s.as_str())).count();
        assert_eq!(others, 0, "{number} heard someone else's appointment: {text}");
    }
}

/// A receptionist that never answers.
struct Silent;

#[async_trait::async_trait]
impl Receptionist for Silent {
    async fn turn(&self, _: &mut Conversation, _: Turn<'_>) -> Result<TurnOutcome, TurnError> {
        std::future::pending().await
    }

    fn describe(&self) -> &'static str {
        "silent"
    }
}

#[tokio::test]
async fn a_receptionist_that_cannot_answer_in_time_is_a_503_in_openai_shape() {
    let deadline = std::time::Duration::from_millis(50);
    let server = serve_with(ChatAccess::Anonymous, 1000, deadline, |_| std::sync::Arc::new(Silent)).await;
    let body = serde_json::json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
    let url = format!("{}/v1/chat/completions", server.url);
    let r = reqwest::Client::new().post(&url).json(&body).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 503);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (v["error"]["type"].as_str(), v["error"]["code"].as_str()),
        (Some("server_error"), Some("timeout")),
        "{v}"
    );
    // Nothing was recorded: the same request is tried afresh (and times out again), not replayed.
    let again = reqwest::Client::new().post(&url).json(&body).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 503);
}

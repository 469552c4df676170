//! A recording fake of the Telnyx API on 127.0.0.1: Call Control actions and `POST /v2/messages`,
//! with scripted replies (status, body, Retry-After, delay) taken in order, then 200s.

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

/// A request the fake received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub body: serde_json::Value,
    pub authorization: Option<String>,
}

/// A scripted reply.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<u64>,
    pub delay: Duration,
}

impl Reply {
    pub fn status(status: u16, body: &str) -> Self {
        Reply { status, body: body.into(), retry_after: None, delay: Duration::ZERO }
    }

    pub fn error(status: u16, code: &str) -> Self {
        Self::status(status, &format!(r#"{{"errors":[{{"code":"{code}","title":"t","detail":"d"}}]}}"#))
    }

    pub fn slow(delay: Duration) -> Self {
        Reply { delay, ..Self::status(200, r#"{"data":{"result":"ok"}}"#) }
    }
}

#[derive(Default)]
struct State {
    /// Bumped after every request is recorded.
    changed: tokio::sync::watch::Sender<u64>,
    received: Mutex<Vec<Received>>,
    script: Mutex<VecDeque<Reply>>,
}

pub struct FakeTelnyx {
    pub base: String,
    state: Arc<State>,
    _server: actix_web::dev::ServerHandle,
}

async fn any(req: HttpRequest, body: web::Bytes, state: web::Data<Arc<State>>) -> HttpResponse {
    state.received.lock().unwrap().push(Received {
        path: req.path().to_string(),
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        authorization: req.headers().get("authorization").and_then(|v| v.to_str().ok()).map(String::from),
    });
    state.changed.send_modify(|n| *n += 1);
    let next = state.script.lock().unwrap().pop_front();
    let reply = next.unwrap_or_else(|| {
        if req.path().ends_with("/messages") {
            let n = state.received.lock().unwrap().len();
            Reply::status(200, &format!(r#"{{"data":{{"id":"msg-{n}"}}}}"#))
        } else if req.path().ends_with("/calls") {
            // A dial: the new call's handle, unique like Telnyx's (its reply shape; is_alive is
            // always false for a dial).
            let n = uuid::Uuid::new_v4().simple();
            Reply::status(
                200,
                &format!(
                    r#"{{"data":{{"call_control_id":"v3:dialed-{n}","call_leg_id":"leg-{n}","call_session_id":"session-{n}","is_alive":false,"record_type":"call"}}}}"#
                ),
            )
        } else {
            Reply::status(200, r#"{"data":{"result":"ok"}}"#)
        }
    });
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut response = HttpResponse::build(actix_web::http::StatusCode::from_u16(reply.status).unwrap());
    if let Some(secs) = reply.retry_after {
        response.insert_header(("retry-after", secs.to_string()));
    }
    response.content_type("application/json").body(reply.body)
}

impl FakeTelnyx {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State::default());
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(any)))
            .workers(1)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
        let handle = server.handle();
        tokio::spawn(server);
        FakeTelnyx { base: format!("http://127.0.0.1:{port}/v2"), state, _server: handle }
    }

    /// Queues replies for the next requests.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.state.script.lock().unwrap().extend(replies);
    }

    /// Changes whenever a request has been recorded.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.state.changed.subscribe()
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }
}

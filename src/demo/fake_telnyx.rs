//! The demo's stand-in for Telnyx's API: records every Call Control command and text message it
//! receives and answers like Telnyx does.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

/// A request the fake received.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// `answer`, `speak`, `transcription_start`, `hangup`, …, `calls` (a dial) or `message`.
    pub action: String,
    /// The JSON body.
    pub body: Value,
}

/// The recording fake.
pub(crate) struct FakeTelnyx {
    /// Base URL (`…/v2`).
    pub base: String,
    requests: Arc<Mutex<Vec<Request>>>,
    handle: actix_web::dev::ServerHandle,
}

async fn record(req: HttpRequest, body: web::Bytes, log: web::Data<Arc<Mutex<Vec<Request>>>>) -> HttpResponse {
    let path = req.path();
    let action = if path.ends_with("/messages") {
        "message".to_string()
    } else {
        path.rsplit('/').next().unwrap_or("").to_string()
    };
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut log = log.lock().expect("log lock");
    log.push(Request { action: action.clone(), body });
    if action == "message" {
        HttpResponse::Ok().json(json!({"data": {"id": format!("demo-msg-{}", log.len())}}))
    } else if action == "calls" {
        // A dial (`POST /v2/calls`): the new call's handle, as Telnyx answers it.
        let id = format!("v3:demo-dialed-{}", log.len());
        HttpResponse::Ok().json(json!({"data": {"call_control_id": id, "call_leg_id": "demo-leg",
            "call_session_id": "demo-dialed-session", "is_alive": false, "record_type": "call"}}))
    } else {
        HttpResponse::Ok().json(json!({"data": {"result": "ok"}}))
    }
}

impl FakeTelnyx {
    /// Starts on a free port.
    pub(crate) fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let data = web::Data::new(requests.clone());
        let server = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(record)))
            .workers(1)
            .disable_signals()
            .listen(listener)?
            .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self { base: format!("http://127.0.0.1:{port}/v2"), requests, handle })
    }

    /// Everything received so far.
    pub(crate) fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("log lock").clone()
    }

    /// Stops the fake.
    pub(crate) async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

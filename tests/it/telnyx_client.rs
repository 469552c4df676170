//! The Telnyx client against a local fake: retries only what is retryable, with the same
//! command id every time; typed errors for call-ended and opt-out.

use crate::support;

use std::time::{Duration, Instant};

use appointment_setter::telnyx::{
    ApiKey, CallAction, CallControlId, CommandId, OutgoingMessage, RetryPolicy, SpeakStop, TelnyxApi, TelnyxClient,
    TelnyxError,
};
use support::fake_telnyx::{FakeTelnyx, Reply};

fn policy() -> RetryPolicy {
    RetryPolicy {
        request_timeout: Duration::from_millis(300),
        max_retries: 3,
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(100),
    }
}

async fn setup() -> (FakeTelnyx, TelnyxClient) {
    let fake = FakeTelnyx::start().await;
    let client = TelnyxClient::new(&fake.base, ApiKey::new("KEY_test"), policy()).unwrap();
    (fake, client)
}

fn call() -> CallControlId {
    CallControlId::parse("v3:abc/def=").unwrap()
}

fn speak() -> CallAction {
    CallAction::Speak { text: "Hello".into(), voice: "AWS.Polly.Joanna-Neural".into(), stop: Some(SpeakStop::Current) }
}

fn message() -> OutgoingMessage {
    OutgoingMessage { from: "+13125550100".into(), to: "+13125550123".into(), text: "Hi".into() }
}

#[tokio::test]
async fn commands_go_to_the_call_control_path_with_auth_and_command_id() {
    let (fake, client) = setup().await;
    let id = CommandId::derive("evt-1", "speak#0");
    client.call_action(&call(), &speak(), &id).await.unwrap();
    let got = fake.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, "/v2/calls/v3:abc%2Fdef%3D/actions/speak");
    assert_eq!(got[0].authorization.as_deref(), Some("Bearer KEY_test"));
    assert_eq!(got[0].body["command_id"], id.to_string());
    assert_eq!(got[0].body["voice"], "AWS.Polly.Joanna-Neural");
    assert_eq!(got[0].body["stop"], "current");
}

#[tokio::test]
async fn server_errors_and_429_are_retried_with_the_same_command_id() {
    let (fake, client) = setup().await;
    fake.script([
        Reply::error(500, "x"),
        Reply { retry_after: Some(0), ..Reply::error(429, "10011") },
        Reply::error(503, "x"),
    ]);
    let id = CommandId::derive("evt-2", "answer");
    client.call_action(&call(), &CallAction::Answer, &id).await.unwrap();
    let got = fake.received();
    assert_eq!(got.len(), 4, "three failures then success");
    assert!(got.iter().all(|r| r.body["command_id"] == id.to_string()));
}

#[tokio::test]
async fn retries_are_bounded() {
    let (fake, client) = setup().await;
    fake.script(std::iter::repeat_n(Reply::error(502, "x"), 10));
    let err = client.call_action(&call(), &CallAction::Hangup, &CommandId::derive("e", "hangup")).await.unwrap_err();
    assert!(matches!(err, TelnyxError::Transient(_)), "{err:?}");
    assert_eq!(fake.received().len(), 4, "one try and three retries");
}

#[tokio::test]
async fn call_ended_opt_out_and_other_4xx_are_never_retried() {
    let (fake, client) = setup().await;
    fake.script([Reply::error(422, "90018")]);
    let err = client.call_action(&call(), &speak(), &CommandId::derive("e", "speak#0")).await.unwrap_err();
    assert_eq!(err, TelnyxError::CallEnded);
    fake.script([Reply::error(403, "40300")]);
    assert_eq!(client.send_message(&message()).await.unwrap_err(), TelnyxError::OptedOut);
    fake.script([Reply::error(422, "90010")]);
    let err = client.call_action(&call(), &speak(), &CommandId::derive("e", "speak#1")).await.unwrap_err();
    assert!(matches!(err, TelnyxError::Rejected { status: 422, .. }), "{err:?}");
    assert_eq!(fake.received().len(), 3, "each tried exactly once");
}

#[tokio::test]
async fn a_timeout_is_retried_with_the_same_command_id() {
    let (fake, client) = setup().await;
    fake.script([Reply::slow(Duration::from_millis(1500))]);
    let id = CommandId::derive("evt-3", "transcription_start");
    let action = CallAction::TranscriptionStart { engine: "Google".into(), language: "en".into() };
    let started = Instant::now();
    client.call_action(&call(), &action, &id).await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(1500), "did not wait for the slow reply");
    let got = fake.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].body["command_id"], got[1].body["command_id"]);
    assert_eq!(got[1].body["transcription_engine_config"]["interim_results"], false);
}

#[tokio::test]
async fn messages_post_from_to_and_text_and_return_the_telnyx_id() {
    let (fake, client) = setup().await;
    fake.script([Reply::error(500, "x")]);
    let sent = client.send_message(&message()).await.unwrap();
    let got = fake.received();
    assert_eq!(got.len(), 2, "a 500 is retried");
    assert_eq!(got[1].path, "/v2/messages");
    assert_eq!(got[1].body["to"], "+13125550123");
    assert_eq!(got[1].body["text"], "Hi");
    assert_eq!(sent.id, "msg-2");
}

#[tokio::test]
async fn an_unreachable_api_is_a_transient_error_after_retries() {
    let client = TelnyxClient::new("http://127.0.0.1:9/v2", ApiKey::new("k"), policy()).unwrap();
    let err = client.send_message(&message()).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
}

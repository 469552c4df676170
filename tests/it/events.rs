//! The typed event model over the shipped samples and malformed bodies.

use crate::support;

use appointment_setter::telnyx::events::parse;
use appointment_setter::telnyx::{EventKind, OrderKey};
use support::webhooks::{sample, sample_names};

#[test]
fn every_sample_parses_to_its_typed_event() {
    let names = sample_names();
    assert_eq!(names.len(), 12);
    for name in names {
        let event = parse(&sample(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!matches!(event.kind, EventKind::Unknown), "{name} is a handled type");
        assert_eq!(event.attempt, 1);
        assert!(event.occurred_at.is_some(), "{name}");
        assert!(name.contains(event.event_type.as_str()), "{name} vs {}", event.event_type);
    }
}

#[test]
fn call_events_carry_the_call_and_order_by_it() {
    let initiated = parse(&sample("01-call.initiated.json")).unwrap();
    let EventKind::CallInitiated { call, from, to, incoming } = &initiated.kind else { panic!("{:?}", initiated.kind) };
    assert_eq!(from, "+13125550123");
    assert_eq!(to, "+13125550100");
    assert!(*incoming);
    let hangup = parse(&sample("07-call.hangup.json")).unwrap();
    assert_eq!(initiated.kind.order_key(), hangup.kind.order_key());
    assert_eq!(initiated.kind.order_key(), Some(OrderKey::Call(call.call_control_id.clone())));

    let interim = parse(&sample("05-call.transcription.interim.json")).unwrap();
    let fin = parse(&sample("06-call.transcription.final.json")).unwrap();
    assert!(matches!(interim.kind, EventKind::CallTranscription { is_final: false, .. }));
    let EventKind::CallTranscription { transcript, is_final: true, .. } = fin.kind else { panic!() };
    assert_eq!(transcript, "I'd like to book a consultation tomorrow morning");
}

#[test]
fn texts_carry_sender_text_and_opt_out_marker_and_order_by_sender() {
    let cancel = parse(&sample("11-message.received.cancel.json")).unwrap();
    let EventKind::MessageReceived(m) = &cancel.kind else { panic!() };
    assert_eq!(
        (m.from.as_str(), m.text.as_str(), m.autoresponse_type.as_deref()),
        ("+13125550123", "CANCEL", Some("STOP"))
    );
    assert_eq!(cancel.kind.order_key(), Some(OrderKey::Number("+13125550123".into())));
    let finalized = parse(&sample("14-message.finalized.json")).unwrap();
    let EventKind::MessageFinalized(s) = &finalized.kind else { panic!() };
    assert_eq!(s.status.as_deref(), Some("delivered"));
    assert_eq!(finalized.kind.order_key(), Some(OrderKey::Number("+13125550123".into())));
}

#[test]
fn unknown_event_types_parse_as_unknown_and_malformed_bodies_fail() {
    let fax = br#"{"data":{"event_type":"fax.delivered","id":"f-1","payload":{"x":1}},"meta":{"attempt":3}}"#;
    let e = parse(fax).unwrap();
    assert_eq!(e.kind, EventKind::Unknown);
    assert_eq!(e.attempt, 3);
    for bad in [
        &b"not json"[..],
        br#"{"data":{}}"#,
        br#"{"data":{"event_type":"call.answered","id":"x"}}"#,
        br#"{"data":{"event_type":"call.answered","id":"x","payload":{}}}"#,
        br#"{"data":{"event_type":"message.received","id":"x","payload":{"text":"hi"}}}"#,
        br#"{"data":{"event_type":"call.hangup","id":"","payload":{"call_control_id":"c"}}}"#,
        br#"{"data":{"event_type":"call.hangup","id":"has space","payload":{"call_control_id":"c"}}}"#,
        br#"[1,2,3]"#,
    ] {
        assert!(parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
    }
}

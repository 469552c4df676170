//! The typed event model over the shipped samples and malformed bodies.

use crate::support;

use appointment_setter::telnyx::events::TextChannel;
use appointment_setter::telnyx::events::parse;
use appointment_setter::telnyx::{EventKind, OrderKey};
use support::webhooks::{sample, sample_names};

#[test]
fn every_sample_parses_to_its_typed_event() {
    let names = sample_names();
    assert_eq!(names.len(), 19);
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
fn a_reminder_calls_events_carry_its_state_and_who_answered() {
    use appointment_setter::telnyx::events::{AnsweredBy, GatherStatus};
    let dialed = parse(&sample("20-call.initiated.outgoing.json")).unwrap();
    let EventKind::CallInitiated { call, incoming: false, .. } = &dialed.kind else { panic!("{:?}", dialed.kind) };
    assert!(call.client_state.as_deref().is_some_and(|s| !s.is_empty()), "our state comes back");
    let human = parse(&sample("22-call.machine.detection.ended.json")).unwrap();
    assert!(matches!(human.kind, EventKind::CallMachineDetected { answered_by: AnsweredBy::Human, .. }));
    let key = parse(&sample("23-call.gather.ended.json")).unwrap();
    let EventKind::CallGatherEnded { digits, status, .. } = &key.kind else { panic!("{:?}", key.kind) };
    assert_eq!((digits.as_str(), *status), ("1", GatherStatus::Valid));
    let machine = parse(&sample("25-call.machine.premium.detection.ended.json")).unwrap();
    assert!(matches!(machine.kind, EventKind::CallMachineDetected { answered_by: AnsweredBy::Machine, .. }));
    let beep = parse(&sample("26-call.machine.premium.greeting.ended.json")).unwrap();
    assert!(matches!(beep.kind, EventKind::CallGreetingEnded { beep: true, .. }));
    assert_eq!(dialed.kind.order_key(), key.kind.order_key(), "one call, one lane");
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
fn unknown_event_types_parse_as_unknown_and_only_bodies_without_an_event_id_fail() {
    let fax = br#"{"data":{"event_type":"fax.delivered","id":"f-1","payload":{"x":1}},"meta":{"attempt":3}}"#;
    let e = parse(fax).unwrap();
    assert_eq!(e.kind, EventKind::Unknown);
    assert_eq!(e.attempt, 3);
    // SPEC §7: only a body that is not a JSON object with a valid `data.id` is refused (400).
    for bad in [
        &b"not json"[..],
        br#"{"data":{}}"#,
        br#"{"data":null}"#,
        br#"{"data":{"event_type":"call.hangup","id":"","payload":{"call_control_id":"c"}}}"#,
        br#"{"data":{"event_type":"call.hangup","id":"has space","payload":{"call_control_id":"c"}}}"#,
        br#"{"data":{"event_type":"call.hangup","id":7}}"#,
        br#"[1,2,3]"#,
        // Arrays are not objects, although serde reads structs from them (found by fuzzing).
        br#"[["e-1"]]"#,
        br#"{"data":["e-1","call.hangup"]}"#,
        // Not UTF-8 inside a field we ignore is still not JSON (found by fuzzing).
        b"{\"data\":{\"id\":\"e-1\",\"event_type\":\"call.hangup\",\"junk\":\"\xff\xfe\"}}",
    ] {
        assert!(parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
    }
}

/// A signed event Telnyx will retry and then fail over if we answer 400: each parses.
fn lenient(body: &str) -> EventKind {
    parse(body.as_bytes()).unwrap_or_else(|e| panic!("{body}: {e}")).kind
}

#[test]
fn known_events_we_cannot_act_on_parse_as_unreadable_with_a_fixed_reason() {
    for (body, reason) in [
        (r#"{"data":{"event_type":"call.answered","id":"x"}}"#, "no payload"),
        (r#"{"data":{"event_type":"call.answered","id":"x","payload":{}}}"#, "no call_control_id"),
        (
            r#"{"data":{"event_type":"call.answered","id":"x","payload":{"call_control_id":null}}}"#,
            "no call_control_id",
        ),
        (r#"{"data":{"event_type":"call.hangup","id":"x","payload":[1]}}"#, "a payload of an unexpected shape"),
        (r#"{"data":{"event_type":"message.sent","id":"x","payload":"sent"}}"#, "a payload of an unexpected shape"),
    ] {
        assert_eq!(lenient(body), EventKind::Unreadable { reason }, "{body}");
    }
    let odd = parse(br#"{"data":{"id":"x","event_type":null,"occurred_at":5},"meta":{"attempt":"one"}}"#).unwrap();
    assert_eq!((odd.kind, odd.event_type.as_str(), odd.occurred_at, odd.attempt), (EventKind::Unknown, "", None, 1));
}

#[test]
fn nulls_single_items_and_non_phone_parties_read_as_their_defaults() {
    let nulls = r#"{"data":{"event_type":"message.received","id":"m1","payload":{"id":null,"type":"SMS",
        "from":{"phone_number":"+13125550123"},"to":null,"cc":null,"media":null,"errors":null,"text":null}}}"#;
    let EventKind::MessageReceived(m) = lenient(nulls) else { panic!() };
    assert_eq!((m.from.as_str(), m.to.len(), m.text.as_str()), ("+13125550123", 0, ""));
    assert_eq!(m.channel, TextChannel::Sms);

    let whatsapp = r#"{"data":{"event_type":"message.received","id":"m2","payload":{"type":"WhatsApp",
        "from":{"phone_number":"+13125550123"},"to":"+13125550100","text":"hola"}}}"#;
    let EventKind::MessageReceived(m) = lenient(whatsapp) else { panic!() };
    assert_eq!((m.channel, m.to), (TextChannel::Other("whatsapp".into()), vec!["+13125550100".to_string()]));

    let rcs = r#"{"data":{"event_type":"message.received","id":"m3","payload":{"type":"RCS",
        "from":{"agent_id":"clinic-agent"},"to":[{"agent_id":"x"},{"phone_number":"+13125550100"}],"text":"hi"}}}"#;
    let EventKind::MessageReceived(m) = lenient(rcs) else { panic!() };
    assert_eq!((m.from.as_str(), m.to), ("", vec!["+13125550100".to_string()]));
    assert!(!m.channel.is_phone_text());

    let report = r#"{"data":{"event_type":"message.finalized","id":"m4","payload":{"id":"out-1",
        "to":{"phone_number":"+13125550123","status":"delivery_failed"},"errors":{"code":40300}}}}"#;
    let EventKind::MessageFinalized(s) = lenient(report) else { panic!() };
    assert_eq!(
        (s.to.as_deref(), s.status.as_deref(), s.error_codes),
        (Some("+13125550123"), Some("delivery_failed"), vec!["40300".to_string()])
    );

    let transcript = r#"{"data":{"event_type":"call.transcription","id":"t1","payload":{"call_control_id":"v3:c",
        "transcription_data":{"transcript":null,"is_final":null,"confidence":null}}}}"#;
    let EventKind::CallTranscription { transcript, is_final, .. } = lenient(transcript) else { panic!() };
    assert_eq!((transcript.as_str(), is_final), ("", false));
    let no_data = r#"{"data":{"event_type":"call.transcription","id":"t2","payload":{"call_control_id":"v3:c","transcription_data":null}}}"#;
    assert!(matches!(lenient(no_data), EventKind::CallTranscription { is_final: false, .. }));
}

/// A call event of `event_type` with `extra` payload fields (shape of reference samples).
fn outbound(event_type: &str, extra: &str) -> EventKind {
    let body = format!(
        r#"{{"data": {{"event_type": "{event_type}", "id": "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0",
            "occurred_at": "2026-12-07T15:00:27.521992Z", "record_type": "event",
            "payload": {{"call_control_id": "v3:T02llQxIyaRkhfRKxgAP8nY511EhFLizdvdUKJiSw8d6A9BborherQ",
              "call_leg_id": "428c31b6-7af4-4bcb-b7f5-5013ef9657c1", "client_state": "aGF2ZSBhIG5pY2UgZGF5ID1d",
              "connection_id": "7267xxxxxxxxxxxxxx", "from": "+13125550100", "to": "+13125550123"{extra}}}}},
            "meta": {{"attempt": 1}}}}"#
    );
    parse(body.as_bytes()).unwrap().kind
}

#[test]
fn answering_machine_detection_and_gather_events_read_as_who_answered_the_beep_and_the_key() {
    use appointment_setter::telnyx::events::{AnsweredBy, GatherStatus};
    let detected = |event: &str, result: &str| match outbound(event, &format!(r#", "result": "{result}""#)) {
        EventKind::CallMachineDetected { answered_by, call } => {
            assert_eq!(call.client_state.as_deref(), Some("aGF2ZSBhIG5pY2UgZGF5ID1d"));
            answered_by
        }
        other => panic!("{event}: {other:?}"),
    };
    assert_eq!(detected("call.machine.detection.ended", "human"), AnsweredBy::Human);
    assert_eq!(detected("call.machine.detection.ended", "machine"), AnsweredBy::Machine);
    assert_eq!(detected("call.machine.detection.ended", "not_sure"), AnsweredBy::NotSure);
    assert_eq!(detected("call.machine.premium.detection.ended", "human_business"), AnsweredBy::Human);
    assert_eq!(detected("call.machine.premium.detection.ended", "fax_detected"), AnsweredBy::Nobody);
    assert_eq!(detected("call.machine.premium.detection.ended", "something_new"), AnsweredBy::NotSure);

    let beep = |event: &str, result: &str| match outbound(event, &format!(r#", "result": "{result}""#)) {
        EventKind::CallGreetingEnded { beep, .. } => beep,
        other => panic!("{event}: {other:?}"),
    };
    assert!(beep("call.machine.greeting.ended", "beep_detected"));
    assert!(!beep("call.machine.greeting.ended", "ended"));
    assert!(beep("call.machine.premium.greeting.ended", "beep_detected"));
    assert!(!beep("call.machine.premium.greeting.ended", "no_beep_detected"));

    let EventKind::CallGatherEnded { digits, status, .. } =
        outbound("call.gather.ended", r#", "digits": "2", "status": "valid""#)
    else {
        panic!()
    };
    assert_eq!((digits.as_str(), status), ("2", GatherStatus::Valid));
    let timeout = outbound("call.gather.ended", r#", "digits": null, "status": "timeout""#);
    assert!(
        matches!(timeout, EventKind::CallGatherEnded { status: GatherStatus::Timeout, ref digits, .. } if digits.is_empty())
    );
    let gone = outbound("call.gather.ended", r#", "status": "cancelled_amd""#);
    assert!(matches!(gone, EventKind::CallGatherEnded { status: GatherStatus::Ended, .. }));
    // Ordered with the rest of their call.
    assert!(matches!(gone.order_key(), Some(OrderKey::Call(_))));
}

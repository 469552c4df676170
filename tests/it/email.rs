//! Email confirmations with `.ics` invites: the invite parses with an independent iCalendar parser
//! and follows the format rules (CRLF, lines folded at 75 octets); a local SMTP sink receives
//! REQUEST, an updated REQUEST and CANCEL with the same UID and a growing SEQUENCE.

use crate::support;

use std::sync::Arc;

use appointment_setter::booking::{BookRequest, BookingService, Tell};
use appointment_setter::calendar::LocalCalendar;
use appointment_setter::clock::ManualClock;
use appointment_setter::config::Config;
use appointment_setter::domain::{Actor, Appointment, Business, Channel, Status};
use appointment_setter::messaging::email::SmtpSender;
use appointment_setter::messaging::ics;
use appointment_setter::messaging::outbox::{OutboxSettings, OutboxWorker};
use appointment_setter::messaging::{ConfirmationSettings, Confirmations, WorkerExtras, Workers};
use appointment_setter::store::{MessageStatus, Store};
use appointment_setter::telnyx::{ApiKey, RetryPolicy, TelnyxClient};
use mail_parser::MimeHeaders;
use support::smtp_sink::SmtpSink;
use support::{TestDb, chicago, phone};

fn seed() -> Business {
    Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml")).unwrap().business
}

/// Name/value pairs of one iCalendar component.
type Props = Vec<(String, String)>;

/// Properties of the calendar and of its first VEVENT, parsed by the `ical` crate.
fn parse_ics(text: &str) -> (Props, Props) {
    let mut parser = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
    let calendar = parser.next().expect("a calendar").expect("parses");
    let props = |p: &[ical::property::Property]| {
        p.iter().map(|p| (p.name.clone(), p.value.clone().unwrap_or_default())).collect()
    };
    let cal = props(&calendar.properties);
    let event = props(&calendar.events.first().expect("one event").properties);
    (cal, event)
}

fn get<'a>(props: &'a [(String, String)], name: &str) -> &'a str {
    props.iter().find(|(n, _)| n == name).map_or("", |(_, v)| v.as_str())
}

/// A booking service whose confirmations also go by email, from the clinic's address.
fn emailing(biz: &Arc<Business>, store: &Store, clock: &Arc<ManualClock>) -> BookingService {
    let settings =
        ConfirmationSettings { email_from: Some("appointments@accuthink.example".into()), ..Default::default() };
    BookingService::new(biz.clone(), store.clone(), Arc::new(LocalCalendar), clock.clone())
        .with_confirmations(Confirmations::writer(biz.clone(), settings))
}

fn appointment(biz: &Business) -> Appointment {
    let a = support::appointment("consultation", biz.staff[0].id.as_str(), chicago(2026, 12, 8, 9, 0));
    Appointment { customer_email: Some("jane@example.com".into()), ..a }
}

#[test]
fn invites_parse_and_follow_the_line_rules() {
    let mut biz = seed();
    biz.name = "Accuthink Clinic — Downtown Physiotherapy and Wellness Centre, Suite 400".into();
    let a = appointment(&biz);
    let text = ics::invite(&biz, &a, "appointments@accuthink.example", chicago(2026, 12, 7, 8, 0));
    assert!(text.ends_with("\r\n"));
    assert!(!text.replace("\r\n", "").contains('\n'), "every line ends in CRLF");
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
    assert!(text.contains("\r\n "), "long lines are folded");
    let (cal, event) = parse_ics(&text);
    assert_eq!(get(&cal, "METHOD"), "REQUEST");
    assert_eq!(get(&event, "UID"), "0f8fad5b-d9cb-469f-a165-70867728950e@appointment-setter");
    assert_eq!(get(&event, "SEQUENCE"), "0");
    assert_eq!(get(&event, "DTSTART"), "20261208T150000Z", "09:00 CST in UTC");
    assert_eq!(get(&event, "DTEND"), "20261208T153000Z");
    assert!(get(&event, "SUMMARY").starts_with("Consultation with Sarah Chen"), "{}", get(&event, "SUMMARY"));
    assert!(get(&event, "LOCATION").contains("Suite 400"), "folded text unfolds intact");
    assert_eq!(get(&event, "ORGANIZER"), "mailto:appointments@accuthink.example");

    let cancelled = Appointment { status: Status::Cancelled, sequence: 2, ..a };
    let (cal, event) = parse_ics(&ics::invite(&biz, &cancelled, "a@b.example", chicago(2026, 12, 7, 9, 0)));
    assert_eq!(get(&cal, "METHOD"), "CANCEL");
    assert_eq!(get(&event, "SEQUENCE"), "2");
    assert_eq!(get(&event, "STATUS"), "CANCELLED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn booked_moved_and_cancelled_invites_reach_the_customer_by_email() {
    let db = TestDb::sqlite().await;
    let store = db.store().await;
    let biz = Arc::new(seed());
    let clock = Arc::new(ManualClock::new(chicago(2026, 12, 7, 8, 0)));
    let booking = emailing(&biz, &store, &clock);
    let sink = SmtpSink::start().await;
    // SMS goes to an unreachable API; only email is looked at here.
    let telnyx = TelnyxClient::new(
        "http://127.0.0.1:9/v2",
        ApiKey::new("k"),
        RetryPolicy { max_retries: 0, ..RetryPolicy::default() },
    )
    .unwrap();
    let outbox = OutboxWorker::new(
        store.clone(),
        Arc::new(telnyx),
        biz.phone_number.clone(),
        clock.clone(),
        OutboxSettings::default(),
        Arc::new(tokio::sync::Notify::new()),
    )
    .with_email(Arc::new(SmtpSender::new(&sink.url, "Accuthink Clinic <appointments@accuthink.example>").unwrap()));

    let req = BookRequest {
        service: "consultation".parse().unwrap(),
        staff: Some("sarah".parse().unwrap()),
        start: chicago(2026, 12, 8, 9, 0),
        customer_name: "Jane".into(),
        customer_phone: phone("+13125550123"),
        notes: None,
        channel: Channel::Voice,
        actor: Actor::Customer { phone: phone("+13125550123") },
        idempotency_key: Some("call-1:tool-1".into()),
        conversation: None,
        customer_email: Some("jane@example.com".into()),
        tell: Tell::Confirmation,
    };
    let a = booking.book(req.clone()).await.unwrap().appointment;
    booking.book(req).await.unwrap();
    let staff = Actor::Staff { force: false };
    booking.reschedule(a.id, chicago(2026, 12, 8, 10, 0), &staff, Tell::Confirmation).await.unwrap();
    booking.cancel(a.id, &staff, Tell::Confirmation).await.unwrap();
    outbox.run_once().await.unwrap();

    let mails = sink.mails();
    assert_eq!(mails.len(), 3, "booked, moved, cancelled; the repeated booking sent nothing");
    let mut sequences = Vec::new();
    for (mail, (method, subject)) in
        mails.iter().zip([("REQUEST", "booked"), ("REQUEST", "rescheduled"), ("CANCEL", "cancelled")])
    {
        assert_eq!(mail.rcpt, ["jane@example.com"]);
        let parsed = mail_parser::MessageParser::default().parse(mail.data.as_bytes()).expect("MIME parses");
        assert!(parsed.subject().unwrap_or_default().ends_with(subject), "{:?}", parsed.subject());
        let invite = parsed.attachments().next().expect("an invite");
        let kind = invite.content_type().expect("content type");
        assert_eq!((kind.ctype(), kind.subtype()), ("text", Some("calendar")));
        assert_eq!(kind.attribute("method"), Some(method));
        let (cal, event) = parse_ics(std::str::from_utf8(invite.contents()).unwrap());
        assert_eq!(get(&cal, "METHOD"), method);
        assert_eq!(get(&event, "UID"), ics::uid(&a));
        sequences.push(get(&event, "SEQUENCE").to_string());
    }
    assert_eq!(sequences, ["0", "1", "2"]);
}

/// The value and parameters of the first `name` property of the first VEVENT.
fn property(text: &str, name: &str) -> (String, Vec<(String, Vec<String>)>) {
    let mut parser = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
    let calendar = parser.next().expect("a calendar").expect("parses");
    let p = calendar.events[0].properties.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("{name} in {text}"));
    (p.value.clone().unwrap_or_default(), p.params.clone().unwrap_or_default())
}

fn param<'a>(params: &'a [(String, Vec<String>)], name: &str) -> Option<&'a str> {
    params.iter().find(|(n, _)| n == name).and_then(|(_, v)| v.first()).map(String::as_str)
}

#[test]
fn invites_have_one_prodid_a_mailto_organizer_with_its_name_and_the_customer_as_attendee() {
    let biz = seed();
    let a = Appointment { customer_name: "Jane Doe".into(), ..appointment(&biz) };
    let from = "Accuthink Clinic <appointments@accuthink.example>";
    for a in [a.clone(), Appointment { status: Status::Cancelled, sequence: 1, ..a }] {
        let text = ics::invite(&biz, &a, from, chicago(2026, 12, 7, 8, 0));
        let (cal, _) = parse_ics(&text);
        assert_eq!(cal.iter().filter(|(n, _)| n == "PRODID").count(), 1, "one PRODID: {text}");
        let (organizer, params) = property(&text, "ORGANIZER");
        assert_eq!(
            (organizer.as_str(), param(&params, "CN")),
            ("mailto:appointments@accuthink.example", Some("Accuthink Clinic"))
        );
        let (attendee, params) = property(&text, "ATTENDEE");
        assert_eq!(attendee, "mailto:jane@example.com", "the customer is invited (iTIP needs an attendee)");
        assert_eq!((param(&params, "CN"), param(&params, "RSVP")), (Some("Jane Doe"), Some("FALSE")));
    }
}

#[test]
fn the_mail_carries_a_message_id_and_the_invite_as_an_alternative_calendar_part() {
    let biz = seed();
    let a = appointment(&biz);
    let invite = ics::invite(&biz, &a, "appointments@accuthink.example", chicago(2026, 12, 7, 8, 0));
    let from: lettre::message::Mailbox = "Accuthink Clinic <appointments@accuthink.example>".parse().unwrap();
    let mail =
        appointment_setter::messaging::email::message(&from, "jane@example.com", "Booked", "See you.", Some(&invite))
            .unwrap()
            .formatted();
    let parsed = mail_parser::MessageParser::default().parse(&mail).unwrap();
    assert!(parsed.message_id().is_some_and(|id| id.contains('@')), "a Message-ID");
    let calendar_parts: Vec<_> = parsed
        .parts
        .iter()
        .filter(|p| p.content_type().is_some_and(|t| t.ctype() == "text" && t.subtype() == Some("calendar")))
        .collect();
    assert!(!calendar_parts.is_empty());
    let text = String::from_utf8_lossy(&mail);
    let alternative = text.find("multipart/alternative").expect("an alternative part");
    let calendar = text[alternative..].find("text/calendar; method=REQUEST").expect("the invite inside it");
    let plain = text[alternative..].find("text/plain").expect("the text beside it");
    assert!(plain < calendar, "plain text first, the calendar as the richer alternative");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_goes_out_without_a_telnyx_key_while_texts_wait() {
    let db = TestDb::sqlite().await;
    let store = db.store().await;
    let biz = Arc::new(seed());
    let clock = Arc::new(ManualClock::new(chicago(2026, 12, 7, 8, 0)));
    let wake = Arc::new(tokio::sync::Notify::new());
    let booking = emailing(&biz, &store, &clock).with_change_signal(wake.clone());
    let sink = SmtpSink::start().await;
    let recorded = tokio::sync::watch::Sender::new(0);
    let email = SmtpSender::new(&sink.url, "appointments@accuthink.example").unwrap();
    let extras = WorkerExtras { email: Some(Arc::new(email)), recorded: Some(recorded.clone()), ..Default::default() };
    let workers =
        Workers::start(store.clone(), biz.clone(), None, clock.clone(), OutboxSettings::default(), wake, extras);
    let mut req = support::request_with("consultation", "sarah", chicago(2026, 12, 8, 9, 0));
    req.customer_email = Some("jane@example.com".into());
    req.tell = Tell::Confirmation;
    booking.book(req).await.unwrap();
    let mut signals = [recorded.subscribe()];
    support::until("the email", &mut signals, async || !sink.mails().is_empty(), String::new).await;
    workers.shutdown().await;
    assert_eq!(sink.mails()[0].rcpt, ["jane@example.com"]);
    let texts = store.outbox().messages_to("+13125550123").await.unwrap();
    assert_eq!(texts.len(), 1, "the text is recorded");
    assert_eq!(texts[0].status, MessageStatus::Pending, "and waits for a Telnyx key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn booking_with_email_on_the_command_line_sends_the_invite_without_a_text() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml"),
        dir.path().join("appointment-setter.toml"),
    )
    .unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_appointment-setter"))
        .arg("--config")
        .arg(dir.path().join("appointment-setter.toml"))
        .args(["--now", "2026-12-07T14:00:00Z", "appointments", "book", "--service", "standard", "--staff", "sarah"])
        .args(["--start", "2026-12-08T09:00", "--phone", "+13125550123", "--name", "Jane Doe"])
        .args(["--email", "jane@example.com"])
        .env("SMTP_URL", "smtp://127.0.0.1:9")
        .env("SMTP_FROM", "appointments@accuthink.example")
        .env_remove("DATABASE_URL")
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let url = appointment_setter::store::sqlite_url(&dir.path().join("appointment-setter.db"));
    let store = appointment_setter::store::Store::connect(&url).await.unwrap();
    let mails = store.outbox().messages_to("jane@example.com").await.unwrap();
    assert_eq!(mails.len(), 1, "the invite is recorded for sending");
    assert!(store.outbox().messages_to("+13125550123").await.unwrap().is_empty(), "no text without --notify");
}

//! The receptionist as a chat model, below the wire: each request carries the whole
//! conversation; a turn continues from the recorded state of the one before, a repeated request
//! gets the same answer and books nothing twice, and nobody acts for a customer before their full
//! number is known. Each conversation is stored like a call, with its bookings.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use appointment_setter::booking::BookingService;
use appointment_setter::calendar::LocalCalendar;
use appointment_setter::chat::{ChatAnswer, ChatMessage, ChatRequest, ChatService, Role};
use appointment_setter::clock::ManualClock;
use appointment_setter::config::Config;
use appointment_setter::conversation::Speaker;
use appointment_setter::conversation::guided::GuidedDialog;
use appointment_setter::domain::Channel;
use appointment_setter::store::{AppointmentFilter, Store};
use async_trait::async_trait;
use support::{TestDb, chicago};

struct Quiet;

#[async_trait]
impl Speaker for Quiet {
    async fn say(&self, _: &str) {}
}

async fn guided_chat(db: &TestDb) -> (ChatService, BookingService) {
    let (chat, booking, _) = guided_chat_with_store(db).await;
    (chat, booking)
}

async fn guided_chat_with_store(db: &TestDb) -> (ChatService, BookingService, Store) {
    let config =
        Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml")).unwrap();
    let clock = Arc::new(ManualClock::new(chicago(2026, 12, 7, 8, 0)));
    let store = db.store().await;
    let booking = BookingService::new(Arc::new(config.business), store.clone(), Arc::new(LocalCalendar), clock);
    let receptionist = Arc::new(GuidedDialog::new(booking.clone()));
    (ChatService::new(receptionist, booking.clone(), store.clone(), Duration::from_secs(10)), booking, store)
}

fn user(text: &str) -> ChatMessage {
    ChatMessage { role: Role::User, text: text.into() }
}

fn assistant(text: &str) -> ChatMessage {
    ChatMessage { role: Role::Assistant, text: text.into() }
}

fn request(client: &str, messages: Vec<ChatMessage>) -> ChatRequest {
    ChatRequest { messages, caller_hint: None, client: client.into() }
}

#[tokio::test]
async fn a_number_without_area_code_is_asked_for_and_the_full_one_books_once_however_often_it_is_sent() {
    for db in TestDb::all().await {
        let (chat, booking) = guided_chat(&db).await;
        let first = user("Book appointment for John Doe, 555-1234, consultation, next Tuesday 2pm");
        let asked = chat.answer(&request("k1", vec![first.clone()]), &Quiet).await.unwrap();
        assert!(asked.reply.contains("I need your full phone number"), "{}: {}", db.label, asked.reply);
        assert!(asked.changes.is_empty());

        let second = request("k1", vec![first.clone(), assistant(&asked.reply), user("312-555-1234")]);
        let booked = chat.answer(&second, &Quiet).await.unwrap();
        assert!(booked.reply.contains("You're all set"), "{}: {}", db.label, booked.reply);
        assert_eq!(booked.changes.len(), 1);
        let a = &booked.changes[0].appointment;
        assert_eq!((booked.changes[0].what, a.customer_name.as_str()), ("booked", "John Doe"));
        assert_eq!((a.start, a.customer_phone.as_str()), (chicago(2026, 12, 8, 14, 0), "+13125551234"));

        // A client's retry: the same answer, nothing done again.
        let again = chat.answer(&second, &Quiet).await.unwrap();
        assert!(again.replayed && again.reply == booked.reply, "{}", db.label);
        let all = booking.list(&AppointmentFilter { include_cancelled: true, ..Default::default() }).await.unwrap();
        assert_eq!(all.len(), 1, "{}", db.label);
    }
}

#[tokio::test]
async fn without_a_full_number_nobodys_appointments_are_found() {
    let db = TestDb::sqlite().await;
    let (chat, booking) = guided_chat(&db).await;
    booking.book(support::request_with("consultation", "sarah", chicago(2026, 12, 9, 9, 0))).await.unwrap();
    let answer = chat.answer(&request("k1", vec![user("When is my appointment?")]), &Quiet).await.unwrap();
    assert!(answer.reply.contains("I need your full phone number"), "{}", answer.reply);
    assert!(!answer.reply.contains("December 9"), "{}", answer.reply);
}

#[tokio::test]
async fn requests_that_are_not_a_conversation_ending_with_the_customer_are_refused() {
    let db = TestDb::sqlite().await;
    let (chat, _) = guided_chat(&db).await;
    for messages in [vec![], vec![user("hi"), assistant("Hello!")], vec![user("   ")]] {
        let err = chat.answer(&request("k1", messages.clone()), &Quiet).await.unwrap_err();
        assert!(matches!(err, appointment_setter::chat::ChatError::Invalid(_)), "{messages:?}: {err}");
    }
}

const ROADMAP: &str = "Book appointment for John Doe, 555-1234, consultation, next Tuesday 2pm";

/// The roadmap booking in two turns (the number asked for, then given): the second request, and
/// its answer.
async fn roadmap_booking(chat: &ChatService) -> (ChatRequest, ChatAnswer) {
    let first = user(ROADMAP);
    let asked = chat.answer(&request("k1", vec![first.clone()]), &Quiet).await.unwrap();
    let second = request("k1", vec![first, assistant(&asked.reply), user("312-555-1234")]);
    let booked = chat.answer(&second, &Quiet).await.unwrap();
    (second, booked)
}

#[tokio::test]
async fn each_conversation_is_stored_like_a_call_with_the_appointments_it_booked() {
    for db in TestDb::all().await {
        let (chat, booking, store) = guided_chat_with_store(&db).await;
        let (second, _) = roadmap_booking(&chat).await;
        chat.answer(&second, &Quiet).await.unwrap();

        let chats = store.conversations().recent(Some(Channel::Chat), 10).await.unwrap();
        assert_eq!(chats.len(), 1, "{}: both turns and the retry are one conversation", db.label);
        let c = &chats[0];
        assert!(c.id.starts_with("chat-"), "{}", c.id);
        assert_eq!(c.caller.as_ref().map(|p| p.as_str()), Some("+13125551234"), "{}", db.label);
        assert!(c.state.contains("312-555-1234") && c.state.contains("You're all set"), "{}", c.state);
        assert!(store.conversations().recent(Some(Channel::Voice), 10).await.unwrap().is_empty());
        let booked = booking.list(&AppointmentFilter::default()).await.unwrap();
        assert_eq!(booked[0].conversation.as_deref(), Some(c.id.as_str()), "{}", db.label);
    }
}

#[tokio::test]
async fn two_customers_who_open_with_the_same_words_are_two_conversations() {
    let db = TestDb::sqlite().await;
    let (chat, _, store) = guided_chat_with_store(&db).await;
    let hello = chat.answer(&request("k1", vec![user("Hi")]), &Quiet).await.unwrap();
    for next in ["What times are available next Tuesday?", "When is my appointment?"] {
        let r = request("k1", vec![user("Hi"), assistant(&hello.reply), user(next)]);
        chat.answer(&r, &Quiet).await.unwrap();
    }
    let chats = store.conversations().recent(Some(Channel::Chat), 10).await.unwrap();
    assert_eq!(chats.len(), 2, "{chats:?}");
    assert!(chats.iter().any(|c| c.state.contains("available next Tuesday") && !c.state.contains("my appointment")));
    assert!(chats.iter().any(|c| c.state.contains("my appointment") && !c.state.contains("available next Tuesday")));
}

#[tokio::test]
async fn a_conversation_the_client_edited_is_rebuilt_from_its_messages_and_read_back_before_booking() {
    let db = TestDb::sqlite().await;
    let (chat, booking) = guided_chat(&db).await;
    let first = user(ROADMAP);
    chat.answer(&request("k1", vec![first.clone()]), &Quiet).await.unwrap();
    // The client shows our answer in its own words: no recorded state matches.
    let mut messages = vec![first, assistant("What is your full phone number?"), user("312-555-1234")];
    let confirm = chat.answer(&request("k1", messages.clone()), &Quiet).await.unwrap();
    let expected = "To confirm: a Consultation on Tuesday, December 8 at 2:00 PM for John Doe. Shall I book it?";
    assert_eq!(confirm.reply, expected);
    assert!(booking.list(&AppointmentFilter::default()).await.unwrap().is_empty());
    messages.extend([assistant(&confirm.reply), user("Yes")]);
    let booked = chat.answer(&request("k1", messages), &Quiet).await.unwrap();
    assert!(booked.reply.contains("You're all set"), "{}", booked.reply);
    let all = booking.list(&AppointmentFilter::default()).await.unwrap();
    assert_eq!((all.len(), all[0].start), (1, chicago(2026, 12, 8, 14, 0)));
    assert_eq!(all[0].customer_phone.as_str(), "+13125551234");
}

#[tokio::test]
async fn old_turns_are_purged_but_each_conversation_keeps_its_latest_turn() {
    for db in TestDb::all().await {
        let (chat, booking, store) = guided_chat_with_store(&db).await;
        let (second, booked) = roadmap_booking(&chat).await;
        assert_eq!(store.chats().purge(chicago(2027, 2, 1, 0, 0)).await.unwrap(), 1, "{}", db.label);
        let chats = store.conversations().recent(None, 10).await.unwrap();
        assert_eq!(chats.len(), 1, "{}", db.label);
        assert!(chats[0].state.contains("You're all set"), "{}", chats[0].state);
        let kept = store.conversations().get(&chats[0].id).await.unwrap().unwrap();
        assert_eq!(kept, chats[0]);
        // The latest turn still answers a retry, without booking again.
        let again = chat.answer(&second, &Quiet).await.unwrap();
        assert!(again.replayed && again.reply == booked.reply, "{}", db.label);
        assert_eq!(booking.list(&AppointmentFilter::default()).await.unwrap().len(), 1);
    }
}

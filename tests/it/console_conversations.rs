//! The console's calls and chats: listed latest first with the caller masked and how each went,
//! each with its transcript (the receptionist's tool calls said readably) and the appointments it
//! booked; staff see only the conversations that booked one of theirs.

use crate::support;

use std::sync::Arc;
use std::time::Duration;

use appointment_setter::accounts::NewUser;
use appointment_setter::chat::{ChatMessage, ChatRequest, ChatService, Role};
use appointment_setter::conversation::Speaker;
use appointment_setter::conversation::guided::GuidedDialog;
use appointment_setter::store::AppointmentFilter;
use appointment_setter::store::Role as StoreRole;
use async_trait::async_trait;
use support::console_server::{PASSWORD, start};

struct Quiet;

#[async_trait]
impl Speaker for Quiet {
    async fn say(&self, _: &str) {}
}

fn msg(role: Role, text: &str) -> ChatMessage {
    ChatMessage { role, text: text.into() }
}

#[tokio::test]
async fn a_chat_that_booked_is_listed_with_its_transcript_for_those_who_may_see_it() {
    let console = start(false).await;
    let chat = ChatService::new(
        Arc::new(GuidedDialog::new(console.booking.clone())),
        console.booking.clone(),
        console.store.clone(),
        Duration::from_secs(10),
    );
    let first = msg(Role::User, "Book appointment for John Doe, 555-1234, consultation, next Tuesday 2pm");
    let request = |messages| ChatRequest { messages, caller_hint: None, client: "widget".into() };
    let asked = chat.answer(&request(vec![first.clone()]), &Quiet).await.unwrap();
    let second = vec![first, msg(Role::Assistant, &asked.reply), msg(Role::User, "312-555-1234")];
    chat.answer(&request(second), &Quiet).await.unwrap();
    let booked = console.booking.list(&AppointmentFilter::default()).await.unwrap().remove(0);
    let id = booked.conversation.clone().unwrap();

    let owner = console.login("owner@example.com").await;
    let list = console.get("/admin/conversations", Some(&owner)).await.body;
    assert!(list.contains(&format!("/admin/conversations/{id}")), "{list}");
    assert!(list.contains("+1312***1234") && !list.contains("3125551234"), "masked: {list}");
    assert!(list.contains("booked · guided dialog"), "{list}");
    let page = console.get(&format!("/admin/conversations/{id}"), Some(&owner)).await.body;
    assert!(
        page.contains("312-555-1234") && (page.contains("You&#39;re all set") || page.contains("You're all set")),
        "{page}"
    );
    assert!(page.contains(&format!("/admin/appointments/{}", booked.id)), "{page}");

    // The staff member it booked with sees it; another does not.
    let (with, other) =
        if booked.staff_id.as_str() == "sarah" { ("sarah", "miguel") } else { (booked.staff_id.as_str(), "sarah") };
    for staff in [with, other] {
        let email = format!("{staff}.test@example.com");
        let user = NewUser {
            email: email.clone(),
            password: PASSWORD.into(),
            role: StoreRole::Staff,
            staff: Some(staff.parse().unwrap()),
        };
        console.accounts.add_user(user).await.unwrap();
        let cookie = console.login(&email).await;
        let status = console.get(&format!("/admin/conversations/{id}"), Some(&cookie)).await.status;
        let listed = console.get("/admin/conversations", Some(&cookie)).await.body.contains(&id);
        assert_eq!((status, listed), if staff == with { (200, true) } else { (404, false) }, "{staff}");
    }
    assert_eq!(console.get("/admin/conversations/chat-unknown", Some(&owner)).await.status, 404);
    assert_eq!(console.get("/admin/conversations", None).await.location.as_deref(), Some("/admin/login"));
}

//! The console in real headless Chromium: the owner's first-run set-up, the day with a booking
//! made by a (simulated) call, its page, cancelling it and moving another to a real free time,
//! a staff member who sees only their own day, signing out; a customer who cancels from the link
//! in their confirmation text, and one too late who is asked to call. Screenshots of each page
//! are saved in `target/browser-screenshots/`.

use crate::support;

use appointment_setter::accounts::NewUser;
use appointment_setter::booking::{BookRequest, Tell};
use appointment_setter::conversation::{Conversation, Message};
use appointment_setter::domain::{Actor, Channel, Status};
use appointment_setter::store::{ConversationSave, Role};
use support::browser::Browser;
use support::console_server::{PASSWORD, start};
use support::{chicago, phone, request_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_sets_up_the_console_and_runs_the_day_in_a_real_browser() {
    let console = start(true).await;
    let mut booked = Vec::new();
    for (staff, name, number, hour) in
        [("sarah", "Jane Doe", "+13125550123", 10), ("miguel", "Bob Stone", "+13125550124", 11)]
    {
        let req = BookRequest {
            customer_name: name.into(),
            customer_phone: phone(number),
            channel: Channel::Voice,
            conversation: Some(format!("v3:call-{staff}")),
            actor: Actor::Customer { phone: phone(number) },
            ..request_with("consultation", staff, chicago(2026, 12, 7, hour, 0))
        };
        booked.push(console.booking.book(req).await.unwrap().appointment);
        // The (simulated) call itself, with what was said.
        let said = Conversation {
            history: vec![
                Message::User { text: format!("Hi, this is {name}, can I come in for a consultation at {hour}?") },
                Message::Assistant {
                    text: format!("You're booked for a consultation at {hour}:00 AM."),
                    tool_calls: vec![],
                },
            ],
            ..Conversation::default()
        };
        let now = console.booking.now();
        let id = format!("v3:call-{staff}");
        let state = serde_json::to_string(&said).unwrap();
        let call = ConversationSave {
            id: &id,
            channel: Channel::Voice,
            caller: Some(&phone(number)),
            state: &state,
            outcome: Some("normal_clearing"),
            started_at: now - chrono::Duration::minutes(3),
        };
        console.store.conversations().save(call, now).await.unwrap();
    }
    let token = console.accounts.setup_token().await.unwrap().unwrap();
    let browser = Browser::start(1280).await;
    let b = &browser;

    b.client.goto(&format!("{}/admin/setup/{token}", console.url)).await.unwrap();
    b.screenshot("setup").await;
    b.fill("email", "owner@example.com").await;
    b.fill("password", PASSWORD).await;
    b.fill("again", PASSWORD).await;
    b.click_to("button[type=submit]", "/admin").await;
    let day = b.text().await;
    assert!(day.contains("Monday, December 7, 2026"), "{day}");
    assert!(day.contains("Consultation · Jane Doe") && day.contains("+1312***0123 · voice"), "{day}");
    assert!(day.contains("Consultation · Bob Stone") && day.contains("Free"), "{day}");
    b.screenshot("day").await;

    // Jane's appointment: open it, cancel it.
    let jane = format!("/admin/appointments/{}", booked[0].id);
    b.click_to(&format!("a[href=\"{jane}\"]"), &jane).await;
    let page = b.text().await;
    assert!(page.contains("Consultation with Sarah Chen") && page.contains("the conversation"), "{page}");
    b.screenshot("appointment").await;
    // Its call's transcript, and back.
    b.click_to("a[href='/admin/conversations/v3:call-sarah']", "/admin/conversations/v3:call-sarah").await;
    let transcript = b.text().await;
    assert!(
        transcript.contains("can I come in for a consultation at 10") && transcript.contains("You're booked"),
        "{transcript}"
    );
    b.screenshot("transcript").await;
    b.client.goto(&format!("{}{jane}", console.url)).await.unwrap();
    b.click_to("button.danger", &format!("{jane}?done=cancelled")).await;
    assert!(b.text().await.contains("Cancelled. The customer gets a text."));
    assert_eq!(console.store.appointments().get(booked[0].id).await.unwrap().unwrap().status, Status::Cancelled);
    let texts = console.store.outbox().messages_to("+13125550123").await.unwrap();
    assert!(texts.iter().any(|m| m.cause.contains(":1:")), "the cancellation text is in the outbox: {texts:?}");

    // Bob's: move it to the first free time offered.
    b.client.goto(&format!("{}/admin/appointments/{}", console.url, booked[1].id)).await.unwrap();
    b.click("input[name=start]").await;
    let bob = format!("/admin/appointments/{}", booked[1].id);
    b.click_to("form[action$=reschedule] button", &format!("{bob}?done=moved")).await;
    assert!(b.text().await.contains("Moved. The customer gets a text with the new time."));
    let moved = console.store.appointments().get(booked[1].id).await.unwrap().unwrap();
    assert!(moved.start != booked[1].start && moved.status == Status::Confirmed);

    // The other pages, for the record.
    b.client.goto(&format!("{}/admin/book?date=2026-12-08", console.url)).await.unwrap();
    assert!(b.text().await.contains("Free times on 2026-12-08"));
    b.screenshot("book").await;
    b.client.goto(&format!("{}/admin/customers/%2B13125550124", console.url)).await.unwrap();
    assert!(b.text().await.contains("Bob Stone"));
    b.screenshot("customer").await;
    b.client.goto(&format!("{}/admin/texts", console.url)).await.unwrap();
    b.screenshot("texts").await;
    b.client.goto(&format!("{}/admin/try", console.url)).await.unwrap();
    b.fill("message", "Can I get a consultation next Tuesday?").await;
    b.click_to("form[action='/admin/try'] button[type=submit]", "/admin/try").await;
    assert!(b.text().await.contains("receptionist:"), "{}", b.text().await);
    b.screenshot("try").await;
    b.client.goto(&format!("{}/admin/week", console.url)).await.unwrap();
    assert!(b.text().await.contains("December 7 – December 13, 2026"));
    b.screenshot("week").await;
    b.client.goto(&format!("{}/admin/stats", console.url)).await.unwrap();
    assert!(b.text().await.contains("Bookings per day"));
    b.screenshot("stats").await;
    b.client.goto(&format!("{}/admin/check", console.url)).await.unwrap();
    assert!(b.text().await.contains("migrations applied, writable"));
    b.screenshot("check").await;

    b.click_to("form.signout button", "/admin/login").await;
    b.screenshot("login").await;

    // A staff member sees only their own day.
    let sarah = NewUser {
        email: "sarah@example.com".into(),
        password: PASSWORD.into(),
        role: Role::Staff,
        staff: Some("sarah".parse().unwrap()),
    };
    console.accounts.add_user(sarah).await.unwrap();
    b.fill("email", "sarah@example.com").await;
    b.fill("password", PASSWORD).await;
    b.click_to("button[type=submit]", "/admin").await;
    let own = b.text().await;
    assert!(own.contains("Sarah Chen") && !own.contains("Miguel Alvarez") && !own.contains("Bob Stone"), "{own}");
    b.click_to("form.signout button", "/admin/login").await;
    b.client.goto(&format!("{}/admin", console.url)).await.unwrap();
    assert_eq!(b.path().await, "/admin/login", "signed out");

    // The same pages on a phone.
    let phone_browser = Browser::start(390).await;
    phone_browser.client.goto(&format!("{}/admin/login", console.url)).await.unwrap();
    phone_browser.fill("email", "owner@example.com").await;
    phone_browser.fill("password", PASSWORD).await;
    phone_browser.click_to("button[type=submit]", "/admin").await;
    phone_browser.screenshot("day-phone").await;
    phone_browser.quit().await;
    browser.quit().await;
}

/// The path of the customer link in the confirmation text to `number`.
async fn link_to(console: &support::console_server::Console, number: &str) -> String {
    let texts = console.store.outbox().messages_to(number).await.unwrap();
    let text = texts.iter().find(|m| m.body.contains("/m/")).expect("a confirmation with a link");
    let at = text.body.find("/m/").unwrap();
    text.body[at..].split_whitespace().next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_use_the_link_in_their_text_in_a_real_browser() {
    let console = start(true).await;
    let mut booked = Vec::new();
    for (number, day) in [("+13125550131", 10), ("+13125550132", 8)] {
        let req = BookRequest {
            customer_name: "Ann Lee".into(),
            customer_phone: phone(number),
            channel: Channel::Sms,
            tell: Tell::Confirmation,
            actor: Actor::Customer { phone: phone(number) },
            ..request_with("consultation", "sarah", chicago(2026, 12, day, 9, 0))
        };
        booked.push(console.booking.book(req).await.unwrap().appointment);
    }
    let browser = Browser::start(390).await;
    let b = &browser;

    let link = link_to(&console, "+13125550131").await;
    b.client.goto(&format!("{}{link}", console.url)).await.unwrap();
    let page = b.text().await;
    assert!(page.contains("Consultation with Sarah Chen") && page.contains("Thu, Dec 10 at 9:00 AM"), "{page}");
    b.screenshot("customer-link").await;
    b.click_to("form[action$=cancel] button", &format!("{link}/cancel")).await;
    assert!(b.text().await.contains("is cancelled"), "{}", b.text().await);
    b.screenshot("customer-link-cancelled").await;
    assert_eq!(console.store.appointments().get(booked[0].id).await.unwrap().unwrap().status, Status::Cancelled);
    let texts = console.store.outbox().messages_to("+13125550131").await.unwrap();
    assert!(texts.iter().any(|m| m.body.contains("is cancelled")), "the cancellation text: {texts:?}");

    // 9:00 tomorrow is 23 hours away at 10:00 today: too late to change online.
    console.clock.set(chicago(2026, 12, 7, 10, 0));
    let late = link_to(&console, "+13125550132").await;
    b.client.goto(&format!("{}{late}", console.url)).await.unwrap();
    let page = b.text().await;
    assert!(page.contains("less than 24 hours away") && page.contains("Please call us at"), "{page}");
    assert!(b.client.find(fantoccini::Locator::Css("#call-us a[href^='tel:']")).await.is_ok(), "a tel: link");
    b.screenshot("customer-link-late").await;
    browser.quit().await;
}

//! Customer links (SPEC §15): the confirmation text carries `/m/<token>`; the page shows the
//! appointment and lets its customer cancel or move it within the policy, through the booking
//! service with the usual texts; inside the notice it says "please call us"; any link that does
//! not open a live appointment gets the same page; forms need the page's token; loads are rate
//! limited per address.

use crate::support;

use appointment_setter::booking::{BookRequest, Tell};
use appointment_setter::domain::{Actor, Appointment, Channel, Status};
use support::console_server::{Console, start};
use support::{chicago, request_with};

/// A booking made by text, with its confirmation.
async fn booked(console: &Console, day: u32, hour: u32) -> Appointment {
    let req = BookRequest {
        channel: Channel::Sms,
        tell: Tell::Confirmation,
        ..request_with("consultation", "sarah", chicago(2026, 12, day, hour, 0))
    };
    console.booking.book(req).await.unwrap().appointment
}

/// The path of the link in the text to Jane about `day` (e.g. "Dec 10").
async fn link_in_texts(console: &Console, day: &str) -> String {
    let texts = console.store.outbox().messages_to("+13125550123").await.unwrap();
    let text = texts.iter().find(|m| m.body.contains("/m/") && m.body.contains(day)).expect("a text with a link");
    let at = text.body.find(&format!("{}/m/", console.url)).expect("the link points at this server");
    let link = text.body[at + console.url.len()..].split_whitespace().next().unwrap().to_string();
    assert_eq!(link.len(), "/m/".len() + 12, "a 12-character token: {}", text.body);
    link
}

/// The hidden form token on a customer page.
fn form_token(body: &str) -> String {
    let at = body.find("name=\"form\" value=\"").expect("a form") + "name=\"form\" value=\"".len();
    body[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn the_customer_opens_the_link_from_the_confirmation_and_cancels() {
    let console = start(true).await;
    let a = booked(&console, 10, 9).await;
    let link = link_in_texts(&console, "Dec 10").await;
    let page = console.get(&link, None).await;
    assert_eq!(page.status, 200, "{}", page.body);
    for part in ["Consultation with Sarah Chen", "Thu, Dec 10 at 9:00 AM", "Booked for Jane", "Cancel my appointment"] {
        assert!(page.body.contains(part), "{part:?} in {}", page.body);
    }
    assert!(page.headers.get("content-security-policy").is_some(), "the console's security headers");
    assert!(!page.body.contains("+13125550123"), "the page never shows the customer's number");

    let cancel = format!("{link}/cancel");
    let forged = console.post(&cancel, None, &[("form", "not-the-token")]).await;
    assert_eq!(forged.status, 403, "a form without the page's token changes nothing");
    assert_eq!(console.store.appointments().get(a.id).await.unwrap().unwrap().status, Status::Confirmed);

    let done = console.post(&cancel, None, &[("form", &form_token(&page.body))]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("is cancelled"), "{}", done.body);
    assert_eq!(console.store.appointments().get(a.id).await.unwrap().unwrap().status, Status::Cancelled);
    let texts = console.store.outbox().messages_to("+13125550123").await.unwrap();
    assert_eq!(texts.iter().filter(|m| m.body.contains("is cancelled")).count(), 1, "one cancellation text: {texts:?}");

    let after = console.get(&link, None).await;
    assert_eq!(after.status, 404, "a cancelled appointment's link is dead");
    assert!(after.body.contains("This link has expired"), "{}", after.body);
    let again = console.post(&cancel, None, &[("form", &form_token(&page.body))]).await;
    assert_eq!(again.status, 404, "and cannot act");
}

#[tokio::test]
async fn inside_the_cancellation_notice_the_page_says_please_call_us() {
    let console = start(true).await;
    let a = booked(&console, 8, 9).await;
    let link = link_in_texts(&console, "Dec 8").await;
    let early = console.get(&link, None).await;
    // 09:00 the next day is 25 hours away at first; at 10:00 today it is 23.
    console.clock.set(chicago(2026, 12, 7, 10, 0));
    let page = console.get(&link, None).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("less than 24 hours away"), "{}", page.body);
    let phone = console.booking.business().transfer_number.clone().or(console.booking.business().phone_number.clone());
    let phone = phone.expect("the seed business has a number");
    assert!(page.body.contains(&format!("href=\"tel:{}\"", phone.as_str())), "{}", page.body);
    assert!(!page.body.contains("Cancel my appointment"), "no cancel button when it is too late");

    // A page opened in time and submitted too late: refused with the policy, nothing changed.
    let late = console.post(&format!("{link}/cancel"), None, &[("form", &form_token(&early.body))]).await;
    assert_eq!(late.status, 409, "{}", late.body);
    assert!(late.body.contains("at least 24 hours ahead"), "{}", late.body);
    assert_eq!(console.store.appointments().get(a.id).await.unwrap().unwrap().status, Status::Confirmed);
}

#[tokio::test]
async fn the_customer_moves_it_to_a_real_free_time_and_the_link_keeps_working() {
    let console = start(true).await;
    let a = booked(&console, 10, 9).await;
    let link = link_in_texts(&console, "Dec 10").await;
    let page = console.get(&link, None).await;
    let at = page.body.find("name=\"start\" value=\"").expect("free times") + "name=\"start\" value=\"".len();
    let start = page.body[at..].split('"').next().unwrap().to_string();
    let moved =
        console.post(&format!("{link}/move"), None, &[("form", &form_token(&page.body)), ("start", &start)]).await;
    assert_eq!((moved.status, moved.location.clone()), (303, Some(format!("{link}?done=moved"))), "{}", moved.body);
    let now = console.store.appointments().get(a.id).await.unwrap().unwrap();
    assert_eq!(now.start.to_rfc3339(), start);
    assert_eq!(now.sequence, 1);
    let texts = console.store.outbox().messages_to("+13125550123").await.unwrap();
    let text = texts.iter().find(|m| m.body.contains("moved to")).expect("the move's text");
    assert!(text.body.contains(&link), "the same link in the new text: {}", text.body);
    let shown = console.get(&moved.location.unwrap(), None).await;
    assert!(shown.body.contains("your appointment is moved"), "{}", shown.body);
    // The page from before the move is stale: its form cannot act on the new state.
    let stale = console.post(&format!("{link}/cancel"), None, &[("form", &form_token(&page.body))]).await;
    assert_eq!(stale.status, 403);
    assert_eq!(console.store.appointments().get(a.id).await.unwrap().unwrap().status, Status::Confirmed);
}

#[tokio::test]
async fn every_link_that_opens_nothing_gets_the_same_page_and_guessing_is_limited() {
    let console = start(true).await;
    booked(&console, 10, 9).await;
    let link = link_in_texts(&console, "Dec 10").await;
    let mut tampered = link.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let expired = {
        let other = booked(&console, 11, 9).await;
        let expired = link_in_texts(&console, "Dec 11").await;
        console.booking.cancel(other.id, &Actor::Staff { force: false }, Tell::Nothing).await.unwrap();
        expired
    };
    let reference = console.get(&expired, None).await;
    assert_eq!(reference.status, 404);
    for wrong in [tampered.as_str(), "/m/AAAAAAAAAAAA", "/m/short", "/m/%27%20OR%201%3D1--xx"] {
        let page = console.get(wrong, None).await;
        assert_eq!((page.status, &page.body), (404, &reference.body), "{wrong}");
    }
    let mut limited = false;
    for _ in 0..40 {
        if console.get("/m/BBBBBBBBBBBB", None).await.status == 429 {
            limited = true;
            break;
        }
    }
    assert!(limited, "guessing from one address is rate limited");
    assert_eq!(console.get(&link, None).await.status, 429, "even a right link waits once the limit is hit");
}

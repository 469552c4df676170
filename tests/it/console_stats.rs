//! The stats page's numbers are the store's: a known set of bookings, cancellations and calls
//! shows up as those counts, rates and bars; staff do not see the page.

use crate::support;

use appointment_setter::booking::{BookRequest, Tell};
use appointment_setter::domain::{Actor, Channel};
use appointment_setter::store::ConversationSave;
use support::console_server::start;
use support::{chicago, phone, request_with};

#[tokio::test]
async fn the_stats_page_counts_what_the_store_holds() {
    let console = start(false).await;
    let now = console.booking.now();
    let calls = [("v3:a", Some("transferred")), ("v3:b", Some("normal_clearing")), ("v3:c", Some("normal_clearing"))];
    for (id, outcome) in calls {
        let save = ConversationSave {
            id,
            channel: Channel::Voice,
            caller: None,
            state: "{}",
            outcome,
            started_at: now - chrono::Duration::minutes(30),
        };
        console.store.conversations().save(save, now).await.unwrap();
    }
    let mut booked = Vec::new();
    for (i, hour) in [9, 10, 11, 14, 15].into_iter().enumerate() {
        let number = format!("+1312555014{i}");
        let req = BookRequest {
            customer_phone: phone(&number),
            channel: Channel::Voice,
            conversation: (i == 0).then(|| "v3:b".to_string()),
            actor: Actor::Staff { force: true },
            ..request_with("consultation", "sarah", chicago(2026, 12, 9, hour, 0))
        };
        booked.push(console.booking.book(req).await.unwrap().appointment);
    }
    for a in &booked[3..] {
        console.booking.cancel(a.id, &Actor::Staff { force: false }, Tell::Nothing).await.unwrap();
    }

    let owner = console.login("owner@example.com").await;
    let page = console.get("/admin/stats", Some(&owner)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = page.body;
    for part in [
        "5 in 14 days", // bookings
        "2 in 14 days", // cancellations
        "3 in 14 days", // calls
        "40%</td>",     // cancellation rate
        "2 of 5 booked in 14 days",
        "1 of 3 calls", // booked, and transferred
        "33%</td>",
    ] {
        assert!(body.contains(part), "{part:?} in {body}");
    }
    assert_eq!(body.matches("<svg").count(), 4, "four charts");
    assert!(body.contains("<tr><td>Mon Dec 7</td><td>5</td></tr>"), "today's bar is 5 bookings: {body}");
    assert!(!body.contains("<script"), "no script");

    let staff = console.login("sarah@example.com").await;
    assert_eq!(console.get("/admin/stats", Some(&staff)).await.status, 404, "owners only");
}

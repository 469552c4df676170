//! The week page: each staff member's bookings and free time per day for Monday to Sunday, and
//! their week on the time grid; staff see only their own.

use crate::support;

use appointment_setter::booking::BookRequest;
use appointment_setter::domain::Actor;
use support::console_server::start;
use support::{chicago, phone, request_with};

#[tokio::test]
async fn the_week_shows_each_staff_members_days_with_free_time() {
    let console = start(false).await;
    let mut ids = Vec::new();
    for (staff, day, hour) in [("sarah", 8, 10), ("sarah", 10, 14), ("miguel", 9, 11)] {
        let req = BookRequest {
            customer_name: format!("Cust {staff} {day}"),
            customer_phone: phone("+13125550123"),
            actor: Actor::Staff { force: true },
            ..request_with("consultation", staff, chicago(2026, 12, day, hour, 0))
        };
        ids.push(console.booking.book(req).await.unwrap().appointment.id);
    }
    let owner = console.login("owner@example.com").await;
    // Any day of the week shows Monday to Sunday.
    let page = console.get("/admin/week?date=2026-12-10", Some(&owner)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = page.body;
    assert!(body.contains("December 7 – December 13, 2026"), "{body}");
    for part in ["Sarah Chen", "Miguel Alvarez", "Cust sarah 8", "Cust miguel 9", "href=\"/admin?date=2026-12-08\""] {
        assert!(body.contains(part), "{part:?} in {body}");
    }
    for id in &ids {
        assert!(body.contains(&format!("/admin/appointments/{id}")), "each appointment links to its page");
    }
    assert!(body.contains("1 booked") && body.contains("free"), "{body}");
    assert!(body.contains("rel=\"next\" ") || body.contains("/admin/week?date=2026-12-14"), "{body}");

    let staff = console.login("sarah@example.com").await;
    let own = console.get("/admin/week?date=2026-12-10", Some(&staff)).await.body;
    assert!(own.contains("Cust sarah 8") && !own.contains("Miguel Alvarez") && !own.contains("Cust miguel"), "{own}");
}

//! The try-it box: the receptionist answers in the console on a throwaway database; what it books
//! there never reaches the business's appointments or texts; the form needs the CSRF token.

use crate::support;

use appointment_setter::store::AppointmentFilter;
use support::console_server::{csrf, start};

/// The hidden transcript of a try-it page, unescaped.
fn transcript(body: &str) -> String {
    let at = body.find("name=\"transcript\" value=\"").unwrap() + "name=\"transcript\" value=\"".len();
    let raw = body[at..].split('"').next().unwrap();
    raw.replace("&quot;", "\"").replace("&#34;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

#[tokio::test]
async fn the_receptionist_books_in_the_try_box_and_nothing_real_changes() {
    let console = start(false).await;
    let owner = console.login("owner@example.com").await;
    let page = console.get("/admin/try", Some(&owner)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("nothing you book here is real"), "{}", page.body);
    let token = csrf(&page.body);
    let first = "Book appointment for John Doe, 555-1234, consultation, next Tuesday 2pm";
    let refused = console.post("/admin/try", Some(&owner), &[("message", first), ("transcript", "[]")]).await;
    assert_eq!(refused.status, 403, "no CSRF token");

    let asked =
        console.post("/admin/try", Some(&owner), &[("csrf", &token), ("message", first), ("transcript", "[]")]).await;
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(asked.body.contains("receptionist:"), "{}", asked.body);
    let so_far = transcript(&asked.body);
    assert!(so_far.contains("John Doe") && so_far.contains("receptionist"), "{so_far}");
    let done = console
        .post("/admin/try", Some(&owner), &[("csrf", &token), ("message", "312-555-1234"), ("transcript", &so_far)])
        .await;
    assert_eq!(done.status, 200);
    assert!(done.body.contains("all set"), "booked in the sandbox: {}", done.body);
    let real = console.store.appointments().list(&AppointmentFilter::default()).await.unwrap();
    assert!(real.is_empty(), "nothing real was booked: {real:?}");
    assert!(console.store.outbox().recent(10).await.unwrap().is_empty(), "and nobody was texted");
}

//! The console's appointment page: details, messages and history; cancelling and moving it to a
//! real free time through the booking service (the customer's text in the outbox, the change in
//! the audit log); CSRF on both; staff reaching only their own.

use crate::support;

use appointment_setter::booking::BookRequest;
use appointment_setter::domain::{Actor, Appointment, Status};
use support::console_server::{Console, csrf, start};
use support::{chicago, phone, request_with};

async fn booked(console: &Console, staff: &str, hour: u32, number: &str) -> Appointment {
    let req = BookRequest {
        customer_name: "Jane Doe".into(),
        customer_phone: phone(number),
        actor: Actor::Staff { force: true },
        ..request_with("consultation", staff, chicago(2026, 12, 9, hour, 0))
    };
    console.booking.book(req).await.unwrap().appointment
}

/// The `value` of the first free-time choice on an appointment page.
fn first_choice(body: &str) -> String {
    let at = body.find("name=\"start\" value=\"").expect("a free time to pick") + "name=\"start\" value=\"".len();
    body[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn the_owner_cancels_from_the_page_and_the_customer_is_told() {
    let console = start(false).await;
    let a = booked(&console, "sarah", 9, "+13125550123").await;
    let owner = console.login("owner@example.com").await;
    let path = format!("/admin/appointments/{}", a.id);
    let page = console.get(&path, Some(&owner)).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Consultation with Sarah Chen") && page.body.contains("tel:+13125550123"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Wed, Dec 9 at 9:00 AM"), "{}", page.body);

    let cancel = format!("{path}/cancel");
    assert_eq!(console.post(&cancel, Some(&owner), &[]).await.status, 403, "no CSRF token, nothing done");
    assert_eq!(console.store.appointments().get(a.id).await.unwrap().unwrap().status, Status::Confirmed);
    let done = console.post(&cancel, Some(&owner), &[("csrf", &csrf(&page.body))]).await;
    assert_eq!((done.status, done.location), (303, Some(format!("{path}?done=cancelled"))));
    assert_eq!(console.store.appointments().get(a.id).await.unwrap().unwrap().status, Status::Cancelled);
    let texts = console.store.outbox().messages_to("+13125550123").await.unwrap();
    assert!(
        texts.iter().any(|m| m.cause.ends_with(":cancellation") || m.body.to_lowercase().contains("cancel")),
        "{texts:?}"
    );

    let after = console.get(&format!("{path}?done=cancelled"), Some(&owner)).await.body;
    assert!(after.contains("Cancelled. The customer gets a text."), "{after}");
    assert!(after.contains("appointment.cancel by owner@example.com"), "{after}");
    assert!(!after.contains("Cancel the appointment"), "a cancelled appointment offers no actions");
    // Twice: refused with the booking service's sentence, nothing changed.
    let again = console.post(&cancel, Some(&owner), &[("csrf", &csrf(&after))]).await;
    assert_eq!(again.status, 409);
    assert!(again.body.contains("already cancelled"), "{}", again.body);
}

#[tokio::test]
async fn staff_move_their_appointment_to_a_real_free_time() {
    let console = start(false).await;
    let a = booked(&console, "sarah", 9, "+13125550123").await;
    let sarah = console.login("sarah@example.com").await;
    let path = format!("/admin/appointments/{}", a.id);
    let page = console.get(&path, Some(&sarah)).await.body;
    let start = first_choice(&page);
    let moved =
        console.post(&format!("{path}/reschedule"), Some(&sarah), &[("csrf", &csrf(&page)), ("start", &start)]).await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    let now = console.store.appointments().get(a.id).await.unwrap().unwrap();
    assert_eq!(now.start, chrono::DateTime::parse_from_rfc3339(&start).unwrap());
    assert_eq!(now.status, Status::Confirmed);
    let after = console.get(&format!("{path}?done=moved"), Some(&sarah)).await.body;
    assert!(after.contains("appointment.reschedule by sarah@example.com"), "{after}");
    // A time that is not free is refused with the rule's sentence.
    let other = booked(&console, "sarah", 15, "+13125550199").await;
    let clash = console
        .post(
            &format!("{path}/reschedule"),
            Some(&sarah),
            &[("csrf", &csrf(&after)), ("start", &other.start.to_rfc3339())],
        )
        .await;
    assert_eq!(clash.status, 409, "{}", clash.body);
    assert_eq!(console.store.appointments().get(a.id).await.unwrap().unwrap().start, now.start);
}

#[tokio::test]
async fn staff_cannot_see_or_change_another_staff_members_appointment() {
    let console = start(false).await;
    let theirs = booked(&console, "miguel", 10, "+13125550124").await;
    let sarah = console.login("sarah@example.com").await;
    let own_page = console.get("/admin", Some(&sarah)).await.body;
    let path = format!("/admin/appointments/{}", theirs.id);
    assert_eq!(console.get(&path, Some(&sarah)).await.status, 404);
    let token = csrf(&own_page);
    for action in ["cancel", "reschedule"] {
        let page = console
            .post(&format!("{path}/{action}"), Some(&sarah), &[("csrf", &token), ("start", "2026-12-10T15:00:00Z")])
            .await;
        assert_eq!(page.status, 404, "{action}");
    }
    assert_eq!(console.store.appointments().get(theirs.id).await.unwrap().unwrap(), theirs);
    assert_eq!(console.get("/admin/appointments/not-an-id", Some(&sarah)).await.status, 404);
    let owner = console.login("owner@example.com").await;
    assert_eq!(console.get(&path, Some(&owner)).await.status, 200);
}

#[tokio::test]
async fn the_owner_sees_every_text_with_its_status_and_who_opted_out_and_staff_do_not() {
    let console = start(false).await;
    let a = booked(&console, "sarah", 9, "+13125550123").await;
    let owner = console.login("owner@example.com").await;
    let page = console.get(&format!("/admin/appointments/{}", a.id), Some(&owner)).await.body;
    console.post(&format!("/admin/appointments/{}/cancel", a.id), Some(&owner), &[("csrf", &csrf(&page))]).await;
    console.store.opt_outs().record(&phone("+13125550177"), "STOP", chicago(2026, 12, 7, 7, 0)).await.unwrap();
    let texts = console.get("/admin/texts", Some(&owner)).await.body;
    assert!(
        texts.contains("sms to +1312***0123 · pending · cancelled: Accuthink Clinic: your Consultation"),
        "{texts}"
    );
    assert!(texts.contains("+1312***0177 (STOP)") && !texts.contains("+13125550177"), "{texts}");
    let sarah = console.login("sarah@example.com").await;
    assert_eq!(console.get("/admin/texts", Some(&sarah)).await.status, 404);
    assert!(!console.get("/admin", Some(&sarah)).await.body.contains("/admin/texts"), "no link for staff");
}

#[tokio::test]
async fn the_owner_finds_a_customer_with_their_appointments_and_opt_out() {
    let console = start(false).await;
    let a = booked(&console, "sarah", 9, "+13125550123").await;
    console.store.opt_outs().record(&phone("+13125550123"), "STOP", chicago(2026, 12, 7, 7, 0)).await.unwrap();
    let owner = console.login("owner@example.com").await;
    let list = console.get("/admin/customers", Some(&owner)).await.body;
    assert!(
        list.contains("Jane Doe") && list.contains("+1312***0123") && list.contains("/admin/customers/%2B13125550123"),
        "{list}"
    );
    let page = console.get("/admin/customers/%2B13125550123", Some(&owner)).await.body;
    assert!(page.contains(&format!("/admin/appointments/{}", a.id)) && page.contains("opted out of texts"), "{page}");
    assert!(page.contains("Wed, Dec 9 at 9:00 AM") && page.contains("Consultation · confirmed"), "{page}");
    assert!(!page.contains("Reminders by text only"), "{page}");
    // "Text me instead" said on a reminder call.
    let at = chicago(2026, 12, 7, 9, 5);
    console.store.preferences().texts_only(&phone("+13125550123"), "reminder call", at).await.unwrap();
    let page = console.get("/admin/customers/%2B13125550123", Some(&owner)).await.body;
    assert!(page.contains("Reminders by text only, no calls") && page.contains("said on a reminder call"), "{page}");
    assert_eq!(console.get("/admin/customers/%2B13125550999", Some(&owner)).await.status, 404);
    let sarah = console.login("sarah@example.com").await;
    for path in ["/admin/customers", "/admin/customers/%2B13125550123"] {
        assert_eq!(console.get(path, Some(&sarah)).await.status, 404, "{path}");
    }
}

/// Form fields to change.
type Fields<'a> = &'a [(&'a str, &'a str)];

/// The `value` of the hidden field `name` in a page's form.
fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = body.find(&marker).unwrap_or_else(|| panic!("no {name} field")) + marker.len();
    body[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn staff_book_from_the_console_once_however_often_the_form_is_sent() {
    let console = start(false).await;
    let sarah = console.login("sarah@example.com").await;
    let page = console.get("/admin/book?service=consultation&staff=sarah&date=2026-12-09", Some(&sarah)).await.body;
    assert!(!page.contains("Miguel Alvarez"), "staff book for themselves: {page}");
    let start = first_choice(&page);
    let (token, key) = (csrf(&page), hidden(&page, "key"));
    let fields = [
        ("csrf", token.as_str()),
        ("key", key.as_str()),
        ("service", "consultation"),
        ("staff", "sarah"),
        ("date", "2026-12-09"),
        ("start", start.as_str()),
        ("name", "Ann Lee"),
        ("phone", "(312) 555-0142"),
    ];
    let first = console.post("/admin/book", Some(&sarah), &fields).await;
    assert_eq!(first.status, 303, "{}", first.body);
    let again = console.post("/admin/book", Some(&sarah), &fields).await;
    assert_eq!(again.location, first.location, "the same form twice: the same appointment");
    let all = console.booking.list(&appointment_setter::store::AppointmentFilter::default()).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(
        (all[0].customer_phone.as_str(), all[0].booked_via),
        ("+13125550142", appointment_setter::domain::Channel::Admin)
    );
    assert!(console.store.outbox().messages_to("+13125550142").await.unwrap().len() == 1, "one confirmation");
    let shown = console.get(first.location.as_deref().unwrap(), Some(&sarah)).await.body;
    assert!(
        shown.contains("Booked. The customer gets a text.") && shown.contains("appointment.book by sarah@example.com"),
        "{shown}"
    );

    // For someone else, without CSRF, at a clash, with a bad number: refused, nothing booked.
    let refusals: [(Fields, u16, &str); 4] = [
        (&[("staff", "miguel")], 409, "Staff book for themselves only."),
        (&[("csrf", "")], 403, "This form has expired"),
        (&[("key", "another-form")], 409, "is no longer available"),
        (&[("key", "third-form"), ("phone", "555-01")], 409, "is not a phone number"),
    ];
    for (changes, status, message) in refusals {
        let mut f: Vec<(&str, &str)> = fields.to_vec();
        for (k, v) in changes {
            f.iter_mut().find(|(name, _)| name == k).unwrap().1 = v;
        }
        let page = console.post("/admin/book", Some(&sarah), &f).await;
        assert_eq!(page.status, status, "{changes:?}: {}", page.body);
        assert!(page.body.contains(message), "{changes:?}: {}", page.body);
    }
    assert_eq!(console.booking.list(&appointment_setter::store::AppointmentFilter::default()).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_customers_confirmation_shows_on_the_page_the_day_and_the_api_until_the_appointment_moves() {
    let console = start(false).await;
    let a = booked(&console, "sarah", 9, "+13125550123").await;
    let owner = console.login("owner@example.com").await;
    let path = format!("/admin/appointments/{}", a.id);
    assert!(!console.get(&path, Some(&owner)).await.body.contains("confirmed by the customer"));

    // What a reminder call's "1" or "yes" does.
    let customer = Actor::Customer { phone: a.customer_phone.clone() };
    console.booking.confirm_by_customer(a.id, &customer).await.unwrap();
    let page = console.get(&path, Some(&owner)).await.body;
    assert!(page.contains("confirmed by the customer") && page.contains("Customer confirmed"), "{page}");
    let day = console.get("/admin?date=2026-12-09", Some(&owner)).await.body;
    assert!(day.contains("confirmed by the customer"), "{day}");
    let stranger = Actor::Customer { phone: support::phone("+13125550199") };
    assert!(console.booking.confirm_by_customer(a.id, &stranger).await.is_err(), "only their own");

    let moved = console
        .booking
        .reschedule(
            a.id,
            chicago(2026, 12, 9, 11, 0),
            &Actor::Staff { force: true },
            appointment_setter::booking::Tell::Nothing,
        )
        .await
        .unwrap();
    assert_eq!(moved.customer_confirmed_at, None);
    assert!(
        !console.get(&path, Some(&owner)).await.body.contains("confirmed by the customer"),
        "the new time is not confirmed"
    );
}

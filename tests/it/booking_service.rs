//! The booking service on every database: each refusal reason, idempotency, staff assignment,
//! cancellation policy, rescheduling, and no double booking under concurrency.

use crate::support;

use std::collections::HashSet;

use appointment_setter::booking::{BookRequest, BookingError, BookingService, Tell};
use appointment_setter::domain::{Actor, Refusal, Status};
use appointment_setter::store::AppointmentFilter;
use chrono::Duration;
use support::*;

const TWO_STAFF: &str = r#"
[[staff]]
id = "sarah"
name = "Sarah"
[[staff]]
id = "miguel"
name = "Miguel"
services = ["consultation", "standard"]
"#;

/// Friday 2026-12-04 noon, Chicago.
fn now() -> chrono::DateTime<chrono::Utc> {
    chicago(2026, 12, 4, 12, 0)
}

async fn svc(db: &TestDb) -> BookingService {
    service(db, seed_business(TWO_STAFF), now()).await
}

fn refusal(r: Result<impl std::fmt::Debug, BookingError>) -> Refusal {
    match r {
        Err(e) => e.refusal().unwrap_or_else(|| panic!("not a refusal: {e}")),
        Ok(v) => panic!("expected a refusal, got {v:?}"),
    }
}

#[tokio::test]
async fn every_rule_refuses_with_its_own_reason() {
    for db in TestDb::all_backends().await {
        let s = svc(&db).await;
        let cases: Vec<(&str, BookRequest, Refusal)> = vec![
            ("past", request("consultation", chicago(2026, 12, 3, 9, 0)), Refusal::InThePast),
            ("notice", request("consultation", chicago(2026, 12, 4, 13, 0)), Refusal::TooSoon),
            ("window", request("consultation", chicago(2027, 2, 8, 9, 0)), Refusal::TooFarAhead),
            ("closed date", request("consultation", chicago(2026, 12, 25, 9, 0)), Refusal::Closed),
            ("weekend", request("consultation", chicago(2026, 12, 5, 9, 0)), Refusal::Closed),
            ("lunch", request("standard", chicago(2026, 12, 7, 11, 30)), Refusal::OutsideHours),
            ("off grid", request("consultation", chicago(2026, 12, 7, 9, 7)), Refusal::OutsideHours),
            ("after hours", request("consultation", chicago(2026, 12, 7, 17, 0)), Refusal::OutsideHours),
            ("service", request("massage", chicago(2026, 12, 7, 9, 0)), Refusal::UnknownService),
            ("staff", request_with("consultation", "nobody", chicago(2026, 12, 7, 9, 0)), Refusal::UnknownStaff),
            ("not offered", request_with("extended", "miguel", chicago(2026, 12, 7, 9, 0)), Refusal::ServiceNotOffered),
        ];
        for (name, req, want) in cases {
            assert_eq!(refusal(s.book(req).await), want, "{}: {name}", db.label);
        }
        s.book(request_with("consultation", "sarah", chicago(2026, 12, 7, 9, 0))).await.unwrap();
        let clash = s.book(request_with("consultation", "sarah", chicago(2026, 12, 7, 9, 30))).await;
        assert_eq!(refusal(clash), Refusal::SlotUnavailable, "{}: buffer", db.label);
        assert_eq!(s.list(&AppointmentFilter::default()).await.unwrap().len(), 1, "{}: nothing else written", db.label);
    }
}

#[tokio::test]
async fn refusals_say_what_is_true_a_staff_member_off_that_day_and_a_key_reused_for_another_booking() {
    for db in TestDb::all_backends().await {
        // Priya works Tuesday to Saturday; the business opens on weekdays.
        let priya = r#"
[[staff]]
id = "sarah"
name = "Sarah Chen"
[[staff]]
id = "priya"
name = "Priya Patel"
hours = { tuesday = ["10:00-12:00"], saturday = ["09:00-13:00"] }
"#;
        let s = service(&db, seed_business(priya), now()).await;
        let monday = s.book(request_with("consultation", "priya", chicago(2026, 12, 7, 10, 0))).await.unwrap_err();
        assert_eq!(monday.refusal(), Some(Refusal::NotWorking), "{}: {monday}", db.label);
        assert!(monday.to_string().contains("Priya Patel does not work on Mon, Dec 7, 2026"), "{monday}");
        let sunday = s.book(request_with("consultation", "priya", chicago(2026, 12, 6, 10, 0))).await.unwrap_err();
        assert_eq!(sunday.refusal(), Some(Refusal::Closed), "{}: the business is closed on Sundays", db.label);

        let mut first = request_with("consultation", "sarah", chicago(2026, 12, 7, 9, 0));
        first.idempotency_key = Some("k-1".into());
        let booked = s.book(first.clone()).await.unwrap();
        assert!(
            !s.book(first.clone()).await.unwrap().created,
            "{}: the same request again is the same booking",
            db.label
        );
        let other = BookRequest { start: chicago(2026, 12, 7, 14, 0), ..first };
        let reused = s.book(other).await.unwrap_err();
        assert_eq!(reused.refusal(), Some(Refusal::IdempotencyConflict), "{}: {reused}", db.label);
        assert_eq!(s.list(&AppointmentFilter::default()).await.unwrap(), [booked.appointment], "{}", db.label);
    }
}

#[tokio::test]
async fn names_are_stored_clean_and_bad_names_or_emails_are_refused_before_anything_is_written() {
    let db = TestDb::sqlite().await;
    let s = svc(&db).await;
    let mut req = request_with("consultation", "sarah", chicago(2026, 12, 7, 9, 0));
    req.customer_name = "  Jane\u{7}\t Doe\n".into();
    req.customer_email = Some(" jane@example.com ".into());
    let a = s.book(req.clone()).await.unwrap().appointment;
    assert_eq!((a.customer_name.as_str(), a.customer_email.as_deref()), ("Jane Doe", Some("jane@example.com")));
    for (name, email) in [("x".repeat(101), None), ("Jane".to_string(), Some("not an address"))] {
        let bad = BookRequest {
            customer_name: name,
            customer_email: email.map(String::from),
            start: chicago(2026, 12, 7, 14, 0),
            ..req.clone()
        };
        assert!(matches!(s.book(bad).await, Err(BookingError::Invalid { .. })));
    }
    assert_eq!(s.list(&AppointmentFilter::default()).await.unwrap().len(), 1, "nothing else written");
}

#[tokio::test]
async fn staff_may_force_past_notice_and_window_but_never_into_a_conflict() {
    for db in TestDb::all_backends().await {
        let s = svc(&db).await;
        let soon = BookRequest {
            actor: Actor::Staff { force: true },
            ..request_with("consultation", "sarah", chicago(2026, 12, 4, 13, 0))
        };
        s.book(soon.clone()).await.unwrap();
        let far = BookRequest {
            actor: Actor::Staff { force: true },
            ..request_with("consultation", "sarah", chicago(2027, 3, 1, 9, 0))
        };
        s.book(far).await.unwrap();
        let clash = BookRequest { start: chicago(2026, 12, 4, 13, 15), ..soon.clone() };
        assert_eq!(refusal(s.book(clash).await), Refusal::SlotUnavailable, "{}", db.label);
        let past = BookRequest { start: chicago(2026, 12, 4, 9, 0), ..soon };
        assert_eq!(refusal(s.book(past).await), Refusal::InThePast, "{}", db.label);
    }
}

#[tokio::test]
async fn the_same_idempotency_key_twice_books_once() {
    for db in TestDb::all_backends().await {
        let s = svc(&db).await;
        let req = BookRequest {
            idempotency_key: Some("call-1:tool-7".into()),
            ..request("consultation", chicago(2026, 12, 7, 9, 0))
        };
        let first = s.book(req.clone()).await.unwrap();
        let second = s.book(req.clone()).await.unwrap();
        assert!(first.created && !second.created, "{}", db.label);
        assert_eq!(first.appointment.id, second.appointment.id);
        let all = s.list(&AppointmentFilter::default()).await.unwrap();
        assert_eq!(all.len(), 1, "{}", db.label);
    }
}

#[tokio::test]
async fn a_request_repeated_after_its_rules_would_refuse_it_still_gets_its_booking() {
    for db in TestDb::all_backends().await {
        let req = BookRequest {
            idempotency_key: Some("call-9:tool-1".into()),
            ..request("consultation", chicago(2026, 12, 7, 9, 0))
        };
        let first = svc(&db).await.book(req.clone()).await.unwrap();
        // The client retries an hour before the appointment: too late for a new booking.
        let later = service(&db, seed_business(TWO_STAFF), chicago(2026, 12, 7, 8, 0)).await;
        let mut fresh = req.clone();
        fresh.idempotency_key = Some("call-9:tool-2".into());
        assert_eq!(refusal(later.book(fresh).await), Refusal::TooSoon, "{}", db.label);
        let again = later.book(req).await.unwrap();
        assert!(!again.created, "{}", db.label);
        assert_eq!(again.appointment.id, first.appointment.id, "{}", db.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_with_one_idempotency_key_create_one_appointment() {
    for db in TestDb::all_backends().await {
        let s = svc(&db).await;
        warm_up(&s).await;
        let req = BookRequest {
            idempotency_key: Some("sms-evt-42".into()),
            ..request("consultation", chicago(2026, 12, 7, 9, 0))
        };
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                tokio::spawn({
                    let s = s.clone();
                    let r = req.clone();
                    async move { s.book(r).await }
                })
            })
            .collect();
        let mut ids = HashSet::new();
        for t in tasks {
            ids.insert(t.await.unwrap().unwrap().appointment.id);
        }
        assert_eq!(ids.len(), 1, "{}", db.label);
        assert_eq!(s.list(&AppointmentFilter::default()).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn without_a_preference_the_least_busy_staff_member_that_day_is_chosen() {
    for db in TestDb::all_backends().await {
        let s = svc(&db).await;
        // Tie on an empty day: config order → Sarah.
        let a = s.book(request("consultation", chicago(2026, 12, 7, 9, 0))).await.unwrap();
        assert_eq!(a.appointment.staff_id.as_str(), "sarah", "{}", db.label);
        // Sarah now has one that day, Miguel none → Miguel.
        let b = s.book(request("consultation", chicago(2026, 12, 7, 14, 0))).await.unwrap();
        assert_eq!(b.appointment.staff_id.as_str(), "miguel", "{}", db.label);
        // Sarah is busy at 09:00, so Miguel takes it even though it is now a tie.
        let c = s.book(request("consultation", chicago(2026, 12, 7, 9, 15))).await.unwrap();
        assert_eq!(c.appointment.staff_id.as_str(), "miguel", "{}", db.label);
        // Both busy.
        assert_eq!(
            refusal(s.book(request("consultation", chicago(2026, 12, 7, 9, 0))).await),
            Refusal::SlotUnavailable
        );
    }
}

#[tokio::test]
async fn customers_cannot_cancel_within_the_notice_but_staff_always_can() {
    for db in TestDb::all_backends().await {
        let s = svc(&db).await;
        let staff = Actor::Staff { force: true };
        let soon = s
            .book(BookRequest { actor: staff.clone(), ..request("consultation", chicago(2026, 12, 4, 15, 0)) })
            .await
            .unwrap();
        let later = s.book(request("consultation", chicago(2026, 12, 7, 9, 0))).await.unwrap();
        let customer = Actor::Customer { phone: phone("+13125550123") };

        let late = s.cancel(soon.appointment.id, &customer, Tell::Nothing).await;
        assert_eq!(refusal(late), Refusal::TooLateToCancel, "{}", db.label);
        let message = s.cancel(soon.appointment.id, &customer, Tell::Nothing).await.unwrap_err().to_string();
        assert!(message.contains("+13125550199"), "tells them whom to call: {message}");

        let stranger = Actor::Customer { phone: phone("+13125550999") };
        assert_eq!(
            refusal(s.cancel(later.appointment.id, &stranger, Tell::Nothing).await),
            Refusal::NotFound,
            "{}",
            db.label
        );

        assert_eq!(s.cancel(later.appointment.id, &customer, Tell::Nothing).await.unwrap().status, Status::Cancelled);
        assert_eq!(refusal(s.cancel(later.appointment.id, &customer, Tell::Nothing).await), Refusal::AlreadyCancelled);
        assert_eq!(s.cancel(soon.appointment.id, &staff, Tell::Nothing).await.unwrap().status, Status::Cancelled);
        // The freed time can be booked again.
        s.book(request("consultation", chicago(2026, 12, 7, 9, 0))).await.unwrap();
    }
}

#[tokio::test]
async fn rescheduling_rechecks_every_rule_and_ignores_the_appointment_itself() {
    for db in TestDb::all_backends().await {
        let s = svc(&db).await;
        let customer = Actor::Customer { phone: phone("+13125550123") };
        let a = s.book(request_with("standard", "sarah", chicago(2026, 12, 7, 9, 0))).await.unwrap().appointment;
        let _b = s.book(request_with("standard", "sarah", chicago(2026, 12, 7, 13, 0))).await.unwrap().appointment;

        // Overlapping its own old time is fine.
        let moved = s.reschedule(a.id, chicago(2026, 12, 7, 9, 30), &customer, Tell::Nothing).await.unwrap();
        assert_eq!(moved.start, chicago(2026, 12, 7, 9, 30));
        assert_eq!(moved.end - moved.start, Duration::minutes(60));
        // Into the other appointment's buffer is not.
        assert_eq!(
            refusal(s.reschedule(a.id, chicago(2026, 12, 7, 14, 0), &customer, Tell::Nothing).await),
            Refusal::SlotUnavailable
        );
        assert_eq!(
            refusal(s.reschedule(a.id, chicago(2026, 12, 7, 11, 30), &customer, Tell::Nothing).await),
            Refusal::OutsideHours
        );
        assert_eq!(
            refusal(s.reschedule(a.id, chicago(2026, 12, 25, 9, 0), &customer, Tell::Nothing).await),
            Refusal::Closed
        );
        let stored = s.get(a.id).await.unwrap();
        assert_eq!(stored.start, chicago(2026, 12, 7, 9, 30), "{}: refusals change nothing", db.label);
    }
}

/// Opens every pooled connection so the racers really run side by side.
async fn warm_up(s: &BookingService) {
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            tokio::spawn({
                let s = s.clone();
                async move { s.list(&AppointmentFilter::default()).await.unwrap() }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_bookings_of_overlapping_times_yield_exactly_one_appointment() {
    for db in TestDb::all_backends().await {
        let s = svc(&db).await;
        warm_up(&s).await;
        let gate = std::sync::Arc::new(tokio::sync::Barrier::new(50));
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let (s, gate) = (s.clone(), gate.clone());
                // 09:00, 09:15, 09:30 … all within one buffer of each other for one staff member.
                let start = chicago(2026, 12, 7, 9, 0) + Duration::minutes(15 * (i % 3));
                tokio::spawn(async move {
                    gate.wait().await;
                    s.book(request_with("consultation", "sarah", start)).await
                })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(e) => assert_eq!(e.refusal(), Some(Refusal::SlotUnavailable), "{}: {e}", db.label),
            }
        }
        assert_eq!(ok, 1, "{}", db.label);
        assert_eq!(s.list(&AppointmentFilter::default()).await.unwrap().len(), 1, "{}", db.label);
    }
}

#[tokio::test]
async fn slot_search_hides_booked_time_and_its_buffer() {
    for db in TestDb::all_backends().await {
        let s = svc(&db).await;
        let monday = date(2026, 12, 7);
        let before =
            s.find_slots(&"consultation".parse().unwrap(), Some(&"sarah".parse().unwrap()), monday, 1).await.unwrap();
        s.book(request_with("consultation", "sarah", chicago(2026, 12, 7, 10, 0))).await.unwrap();
        let after =
            s.find_slots(&"consultation".parse().unwrap(), Some(&"sarah".parse().unwrap()), monday, 1).await.unwrap();
        let gone: Vec<_> = before.iter().filter(|s| !after.contains(s)).map(|s| s.start).collect();
        // 09:30 and 09:45 end inside the buffer; 10:00, 10:15, 10:30 overlap or start within it.
        let expected: Vec<_> =
            [(9, 30), (9, 45), (10, 0), (10, 15), (10, 30)].iter().map(|&(h, m)| chicago(2026, 12, 7, h, m)).collect();
        assert_eq!(gone, expected, "{}", db.label);
    }
}

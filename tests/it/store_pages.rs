//! Keyset pages of the store's lists (the admin API's cursors), on SQLite and PostgreSQL: walking
//! every page visits every row once, in the list's order, whatever the page size.

use std::sync::Arc;

use crate::support;

use appointment_setter::accounts::{Accounts, SessionSecret};
use appointment_setter::booking::{BookRequest, Tell};
use appointment_setter::clock::ManualClock;
use appointment_setter::domain::{Actor, Channel};
use appointment_setter::messaging::{ConfirmationSettings, Confirmations};
use appointment_setter::store::AppointmentFilter;
use support::{TestDb, chicago, phone, request_with, service};

#[tokio::test]
async fn every_page_of_every_list_covers_each_row_once() {
    for db in TestDb::all().await {
        let store = db.store().await;
        let now = chicago(2026, 12, 7, 8, 0);
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml");
        let biz = appointment_setter::config::Config::load(&path).unwrap().business;
        let booking = service(&db, biz.clone(), now)
            .await
            .with_confirmations(Confirmations::writer(Arc::new(biz), ConfirmationSettings::default()));
        for (i, (staff, hour)) in
            [("sarah", 10), ("miguel", 10), ("sarah", 11), ("miguel", 11), ("sarah", 14)].into_iter().enumerate()
        {
            let number = format!("+1312555013{i}");
            let req = BookRequest {
                customer_phone: phone(&number),
                channel: Channel::Admin,
                actor: Actor::Staff { force: true },
                tell: Tell::Confirmation,
                ..request_with("consultation", staff, chicago(2026, 12, 9, hour, 0))
            };
            booking.book(req).await.unwrap();
        }
        let accounts = Accounts::new(
            store.clone(),
            Arc::new(ManualClock::new(now)),
            SessionSecret::from_bytes(&[3; 32]),
            10.try_into().unwrap(),
        );
        for n in 0..5 {
            accounts.audit(None, "test.entry", Some(&n.to_string()), None).await;
        }

        // Appointments: two at each of 10:00 and 11:00, so the key's later parts decide.
        let all = store.appointments().list(&AppointmentFilter::default()).await.unwrap();
        let mut walked = Vec::new();
        let mut filter = AppointmentFilter { limit: Some(2), ..Default::default() };
        loop {
            let page = store.appointments().list(&filter).await.unwrap();
            let Some(last) = page.last() else { break };
            filter.after = Some((last.start, last.staff_id.clone(), last.id));
            walked.extend(page.iter().map(|a| a.id));
        }
        assert_eq!(walked, all.iter().map(|a| a.id).collect::<Vec<_>>(), "{}: appointments", db.label);

        let mut customers = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = store.appointments().customers_by_phone(after.as_deref(), 2).await.unwrap();
            let Some(last) = page.last() else { break };
            after = Some(last.0.as_str().to_string());
            customers.extend(page.iter().map(|c| c.0.as_str().to_string()));
        }
        let mut sorted = customers.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!((customers.len(), &sorted), (5, &customers), "{}: customers, by number, once each", db.label);

        let mut messages = Vec::new();
        let mut before: Option<(chrono::DateTime<chrono::Utc>, String)> = None;
        loop {
            let page = store.outbox().page(before.as_ref().map(|(a, c)| (*a, c.as_str())), 2).await.unwrap();
            let Some(last) = page.last() else { break };
            before = Some((last.created_at, last.cause.clone()));
            messages.extend(page.iter().map(|m| m.cause.clone()));
        }
        let everything: Vec<String> =
            store.outbox().recent(100).await.unwrap().iter().map(|m| m.cause.clone()).collect();
        assert_eq!(messages.len(), 5, "{}: one confirmation per booking", db.label);
        let (mut a, mut b) = (messages.clone(), everything);
        a.sort();
        b.sort();
        assert_eq!(a, b, "{}: messages", db.label);

        // The stats' sums (they run as SQL on both databases).
        let buckets = store.stats().buckets_since(now - chrono::Duration::days(1)).await.unwrap();
        let booked: u32 = buckets.iter().map(|b| b.booked).sum();
        assert_eq!(booked, 5, "{}: stats buckets {buckets:?}", db.label);

        let mut audit = Vec::new();
        let mut before: Option<String> = None;
        loop {
            let page = store.users().audit_page(before.as_deref(), 2).await.unwrap();
            let Some(last) = page.last() else { break };
            before = Some(last.0.clone());
            audit.extend(page.iter().filter_map(|(_, e)| e.target.clone()));
        }
        assert_eq!(audit, ["4", "3", "2", "1", "0"], "{}: audit, latest first", db.label);
    }
}

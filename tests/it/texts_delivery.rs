//! Delivery reports and texts received: `message.finalized` marks the text it names delivered
//! (or failed); a customer's text is kept for the console; on SQLite and PostgreSQL.

use crate::support;
use crate::texts::start;

use appointment_setter::booking::Tell;
use support::{TestDb, chicago};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_report_marks_the_text_delivered_and_inbound_texts_are_kept() {
    for db in TestDb::all().await {
        let t = start(&db).await;
        let start_at = chicago(2026, 12, 10, 10, 0);
        t.book_at("+13125550123", start_at, Tell::Confirmation).await;
        let sent = t.settled("+13125550123", 1).await;
        assert_eq!(sent[0].state(), "sent", "{}", db.label);
        let provider_id: String = {
            use sqlx::Connection as _;
            let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
            sqlx::query_scalar("SELECT provider_id FROM outbox WHERE recipient = '+13125550123'")
                .fetch_one(&mut conn)
                .await
                .unwrap()
        };
        let report = serde_json::json!({"data": {"event_type": "message.finalized", "id": "fin-1", "record_type": "event",
            "payload": {"id": provider_id, "to": [{"phone_number": "+13125550123", "status": "delivered"}]}}});
        assert_eq!(t.post(&serde_json::to_vec(&report).unwrap()).await, 200);
        assert_eq!(t.text("in-1", "+13125550123", "What time is it again?", None).await, 200);
        t.inbox.drain().await;
        let now = t.store.outbox().messages_to("+13125550123").await.unwrap();
        let confirmation = now.iter().find(|m| m.cause.ends_with(":booked")).expect("the confirmation");
        assert_eq!(confirmation.state(), "delivered", "{}: {now:?}", db.label);
        let inbound = t.store.outbox().inbound(10).await.unwrap();
        assert_eq!(inbound.len(), 1, "{}", db.label);
        assert_eq!((inbound[0].1.as_str(), inbound[0].2.as_str()), ("+13125550123", "What time is it again?"));
        t.stop().await;
    }
}

//! A person on a reminder call answering in words (issue #17): "yes" confirms, "cancel it"
//! cancels within the policy, "text me instead" is recorded and honoured from then on, and
//! "can I move it to Thursday?" hands the call to the receptionist, who moves it in the same call.

use crate::reminder_call_flow::{Call, all_commands, commands, dialed};
use crate::reminder_calls::{World, world};
use crate::support;

use appointment_setter::domain::Status;
use appointment_setter::store::CallStatus;
use support::{TestDb, chicago};

impl Call {
    /// The person says `words` (a final transcription, delivered twice).
    async fn says(&self, words: &str) {
        self.event("call.transcription", &transcription(words)).await;
    }

    /// The person says `words` to the receptionist (once: the inbox drops duplicates before
    /// they reach it).
    async fn tells_the_receptionist(&self, words: &str) {
        self.deliver("call.transcription", &transcription(words), &self.state.clone(), 1).await;
    }

    async fn answered_by_a_person(&self) {
        self.event("call.machine.detection.ended", r#", "result": "human""#).await;
    }
}

fn transcription(words: &str) -> String {
    format!(r#", "transcription_data": {{"transcript": "{words}", "is_final": true, "confidence": 0.93}}"#)
}

/// Everything said on the call so far, in order.
fn spoken(w: &World, handle: &str) -> Vec<String> {
    commands(w, handle)
        .into_iter()
        .filter(|(a, _)| a == "speak")
        .map(|(_, b)| b["payload"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Waits until the call has said something containing `words`.
async fn until_said(w: &World, handle: &str, words: &str) {
    let mut signals = [w.telnyx.changes()];
    support::until(
        words,
        &mut signals,
        async || spoken(w, handle).iter().any(|s| s.contains(words)),
        || format!("{:#?}", spoken(w, handle)),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saying_yes_stops_the_key_prompt_and_confirms_once() {
    for db in TestDb::all().await {
        let w = world(&db, 48).await;
        let (a, call) = dialed(&w, chicago(2026, 12, 9, 14, 0), chicago(2026, 12, 7, 14, 0)).await;
        call.answered_by_a_person().await;
        call.says("uh").await;
        assert_eq!(call.status(&w).await, CallStatus::Human, "{}: a sound is not an answer", db.label);
        call.says("Yes, I'll be there.").await;
        assert_eq!(call.status(&w).await, CallStatus::Confirmed, "{}", db.label);
        let actions: Vec<String> = commands(&w, &call.handle).into_iter().map(|(a, _)| a).collect();
        assert_eq!(actions, ["gather_using_speak", "gather_stop", "speak"], "{}: once each", db.label);
        assert!(spoken(&w, &call.handle)[0].contains("you're confirmed"));
        let stored = w.store.appointments().get(a.id).await.unwrap().unwrap();
        assert!(stored.customer_confirmed_at.is_some(), "{}", db.label);
        // The prompt's own end, reported after the words: nothing more happens.
        call.event("call.gather.ended", r#", "digits": "", "status": "cancelled""#).await;
        assert_eq!(commands(&w, &call.handle).len(), 3);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saying_cancel_it_cancels_within_the_policy_with_one_text() {
    for db in TestDb::all().await {
        let w = world(&db, 48).await;
        let (a, call) = dialed(&w, chicago(2026, 12, 9, 14, 0), chicago(2026, 12, 7, 14, 0)).await;
        call.answered_by_a_person().await;
        call.says("I need to cancel it, sorry").await;
        assert_eq!(call.status(&w).await, CallStatus::Cancelled, "{}", db.label);
        assert_eq!(w.store.appointments().get(a.id).await.unwrap().unwrap().status, Status::Cancelled);
        assert_eq!(w.store.outbox().messages_to("+13125550123").await.unwrap().len(), 1, "{}", db.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_me_instead_is_recorded_texted_now_and_the_next_reminder_is_never_a_call() {
    for db in TestDb::all().await {
        let w = world(&db, 48).await;
        let (a, call) = dialed(&w, chicago(2026, 12, 9, 14, 0), chicago(2026, 12, 7, 14, 0)).await;
        call.answered_by_a_person().await;
        call.says("Please don't call me, just text me").await;
        assert_eq!(call.status(&w).await, CallStatus::Handled, "{}", db.label);
        assert!(spoken(&w, &call.handle)[0].contains("they'll come by text"));
        let asked = w.store.preferences().of(&a.customer_phone).await.unwrap().expect("recorded");
        assert_eq!(asked.said_via, "reminder call");
        // This reminder goes by text now, once.
        w.scheduler().tick().await.unwrap();
        w.scheduler().tick().await.unwrap();
        let texts = w.store.outbox().messages_to("+13125550123").await.unwrap();
        assert_eq!(texts.len(), 1, "{}: {texts:?}", db.label);

        // The next appointment's reminder is a text, not a call.
        let next = w.book("+13125550123", chicago(2026, 12, 16, 14, 0)).await;
        w.clock.set(chicago(2026, 12, 14, 14, 0));
        w.scheduler().tick().await.unwrap();
        assert!(w.store.reminder_calls().of_appointment(next.id).await.unwrap().is_empty(), "{}", db.label);
        assert_eq!(w.dialer().tick().await.unwrap(), 0);
        assert_eq!(w.store.outbox().messages_to("+13125550123").await.unwrap().len(), 2, "{}", db.label);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asking_to_move_it_hands_the_call_to_the_receptionist_who_moves_it_in_the_same_call() {
    for db in TestDb::all().await {
        let w = world(&db, 48).await;
        let (a, call) = dialed(&w, chicago(2026, 12, 9, 14, 0), chicago(2026, 12, 7, 14, 0)).await;
        call.answered_by_a_person().await;
        call.says("Can I move it to Thursday?").await;
        assert_eq!(call.status(&w).await, CallStatus::Receptionist, "{}", db.label);
        assert!(all_commands(&w, &call.handle).iter().any(|(a, _)| a == "gather_stop"));
        until_said(&w, &call.handle, "On Thursday, December 10 I have").await;
        call.tells_the_receptionist("The first one").await;
        until_said(&w, &call.handle, "Shall I do that?").await;
        call.tells_the_receptionist("Yes please").await;
        let mut signals = [w.telnyx.changes()];
        support::until(
            "the move",
            &mut signals,
            async || w.store.appointments().get(a.id).await.unwrap().unwrap().start != a.start,
            || format!("{:#?}", spoken(&w, &call.handle)),
        )
        .await;
        let moved = w.store.appointments().get(a.id).await.unwrap().unwrap();
        let day = moved.start.with_timezone(&w.business.timezone).date_naive();
        assert_eq!(day, chrono::NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(), "{}: Thursday", db.label);
        assert_eq!(call.status(&w).await, CallStatus::Receptionist, "the reminder flow stayed out of it");
        assert_eq!(moved.customer_confirmed_at, None, "a move is not confirmed by the customer");
    }
}

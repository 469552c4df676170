//! The guided dialog's understanding in whole conversations: names, times and shifts, staff,
//! full days, off-topic lines, other languages, and a caller whose number is not known yet.

use super::{Call, booking, booking_with};
use crate::support::{TestDb, chicago, request_with};

use appointment_setter::conversation::AfterTurn;
use appointment_setter::conversation::guided::GuidedDialog;

#[tokio::test]
async fn answers_times_and_small_words_are_never_taken_for_a_name() {
    let db = TestDb::sqlite().await;
    let service = booking(&db).await;
    let guided = GuidedDialog::new(service.clone());
    let mut call = Call::new(&guided, service);
    let (reply, _) = call.say("It's for an Extended Session").await;
    assert_eq!(reply, "What day would you like to come in for your Extended Session?");
    let (reply, _) = call.say("tomorrow").await;
    assert!(reply.starts_with("On Tuesday, December 8 I have 9:00 AM"), "{reply}");
    let (reply, _) = call.say("The first one, please.").await;
    assert_eq!(reply, "May I have your name, please?", "a choice, not January 1st");
    let (reply, _) = call.say("yes").await;
    assert_eq!(reply, "Sorry, I didn't catch your name. Could you say it again?");
    let (reply, _) = call.say("2 pm").await;
    assert!(!reply.contains("for 2") && !reply.contains("for Pm"), "{reply}");
    let (reply, _) = call.say("Jane Doe").await;
    assert!(reply.contains("an Extended Session on Tuesday, December 8 at"), "{reply}");
    assert!(reply.ends_with("for Jane Doe. Shall I book it?"), "{reply}");
}

#[tokio::test]
async fn quarter_past_and_quarter_to_are_booked_at_those_times() {
    let db = TestDb::sqlite().await;
    let service = booking(&db).await;
    let guided = GuidedDialog::new(service.clone());
    let mut call = Call::new(&guided, service.clone());
    let (reply, _) = call.say("A consultation tomorrow at quarter past two, my name is Jane Doe").await;
    assert!(reply.contains("on Tuesday, December 8 at 2:15 PM for Jane Doe"), "{reply}");
    let mut call = Call::new(&guided, service);
    let (reply, _) = call.say("A consultation tomorrow at a quarter to three, my name is Jane Doe").await;
    assert!(reply.contains("on Tuesday, December 8 at 2:45 PM for Jane Doe"), "{reply}");
}

#[tokio::test]
async fn anything_later_or_earlier_moves_the_offered_times() {
    let db = TestDb::sqlite().await;
    let service = booking(&db).await;
    let guided = GuidedDialog::new(service.clone());
    let mut call = Call::new(&guided, service);
    let (reply, _) = call.say("a standard appointment tomorrow after lunch").await;
    assert_eq!(reply, "On Tuesday, December 8 I have 1:00 PM, 1:15 PM, or 1:30 PM. Which would you like?");
    let (reply, _) = call.say("anything later?").await;
    assert_eq!(reply, "On Tuesday, December 8 I have 1:45 PM, 2:00 PM, or 2:15 PM. Which would you like?");
    let (reply, _) = call.say("hmm, anything earlier?").await;
    assert_eq!(reply, "On Tuesday, December 8 I have 1:00 PM, 1:15 PM, or 1:30 PM. Which would you like?");
    let (reply, _) = call.say("the last one").await;
    assert_eq!(reply, "May I have your name, please?");
}

#[tokio::test]
async fn as_early_as_possible_offers_the_first_free_times_from_now() {
    let db = TestDb::sqlite().await;
    let service = booking(&db).await;
    let guided = GuidedDialog::new(service.clone());
    let mut call = Call::new(&guided, service);
    // Monday 8:00 with two hours' notice: 10:00 is the first bookable time.
    let (reply, _) = call.say("I need a consultation as early as possible").await;
    assert_eq!(
        reply,
        "The earliest I have is on Monday, December 7: 10:00 AM, 10:15 AM, or 10:30 AM. Which would you like?"
    );
}

#[tokio::test]
async fn a_requested_staff_member_is_honoured_and_said_back() {
    let db = TestDb::sqlite().await;
    let service = booking(&db).await;
    let guided = GuidedDialog::new(service.clone());
    let mut call = Call::new(&guided, service.clone());
    // Priya starts at 10 on Tuesdays; everyone else at 9.
    let (reply, _) = call.say("Can I see Priya for a consultation tomorrow morning? I'm Jane Doe").await;
    assert!(reply.starts_with("On Tuesday, December 8 Priya Patel has 10:00 AM"), "{reply}");
    let (reply, _) = call.say("the first one").await;
    assert_eq!(
        reply,
        "To confirm: a Consultation with Priya Patel on Tuesday, December 8 at 10:00 AM for Jane Doe. Shall I book it?"
    );
    call.say("yes").await;
    let booked = call.booked().await;
    assert_eq!((booked[0].staff_id.as_str(), booked[0].start), ("priya", chicago(2026, 12, 8, 10, 0)));

    // Miguel does not do Extended Sessions: said so, and anyone else is offered.
    let mut call = Call::new(&guided, service);
    let (reply, _) = call.say("An extended session with Miguel tomorrow").await;
    assert!(reply.starts_with("I'm sorry, Miguel Alvarez does not offer Extended Session."), "{reply}");
    assert!(reply.contains("On Tuesday, December 8 I have 9:00 AM"), "{reply}");
}

#[tokio::test]
async fn a_day_with_nothing_free_offers_the_next_day_that_has_times() {
    let db = TestDb::sqlite().await;
    let service = booking(&db).await;
    let guided = GuidedDialog::new(service.clone());
    let mut call = Call::new(&guided, service);
    let (reply, _) = call.say("a consultation on Christmas day, December 25th").await;
    assert_eq!(
        reply,
        "I'm sorry, there's nothing free on Friday, December 25. The next day with times is Saturday, December 26, \
         when I have 9:00 AM, 9:30 AM, or 10:00 AM. Which would you like?"
    );
    let (reply, _) = call.say("the second one, I'm Jane").await;
    assert!(reply.contains("Saturday, December 26 at 9:30 AM for Jane"), "{reply}");

    // A requested time is kept on the next day.
    let mut call = Call::new(&guided, call.booking.clone());
    let (reply, _) = call.say("a consultation at a quarter to three on Sunday").await;
    assert!(reply.contains("The next day with times is Monday, December 14, when I have 2:45 PM"), "{reply}");
}

#[tokio::test]
async fn a_bare_greeting_is_answered_not_counted_as_a_misunderstanding() {
    let db = TestDb::sqlite().await;
    let service = booking(&db).await;
    let guided = GuidedDialog::new(service.clone());
    let mut call = Call::new(&guided, service);
    let (reply, _) = call.say("hi").await;
    assert_eq!(reply, "Hello! How can I help you? I can book, move or cancel an appointment.");
    call.say("blorp").await;
    let (_, action) = call.say("hello?").await;
    assert_eq!(action, None, "a greeting does not use up the caller's second chance");
}

#[tokio::test]
async fn an_off_topic_line_gets_one_redirect_then_a_transfer_or_a_goodbye() {
    let db = TestDb::sqlite().await;
    let service = booking(&db).await;
    let guided = GuidedDialog::new(service.clone());
    let mut call = Call::new(&guided, service);
    let (reply, action) = call.say("What's the weather like?").await;
    assert!(reply.starts_with("I'm sorry, I can't help with that. I can book, move or cancel"), "{reply}");
    assert_eq!(action, None);
    let (_, action) = call.say("Do you sell gift cards?").await;
    assert_eq!(action, Some(AfterTurn::Transfer));

    let db = TestDb::sqlite().await;
    let service = booking_with(&db, |b| b.transfer_number = None).await;
    let guided = GuidedDialog::new(service.clone());
    let mut call = Call::new(&guided, service);
    let (first, _) = call.say("What's the weather like?").await;
    let (second, action) = call.say("Do you sell gift cards?").await;
    assert_ne!(first, second, "not the same redirect twice");
    assert_eq!(action, None);
    let (reply, action) = call.say("How much is parking?").await;
    assert!(reply.ends_with("Goodbye!"), "{reply}");
    assert_eq!(action, Some(AfterTurn::Hangup), "no endless loop");
}

#[tokio::test]
async fn a_caller_in_another_language_gets_one_answer_and_the_conversation_ends() {
    let db = TestDb::sqlite().await;
    let service = booking(&db).await;
    let guided = GuidedDialog::new(service.clone());
    let mut call = Call::new(&guided, service);
    let (reply, action) = call.say("Hola, quiero una cita para mañana").await;
    assert_eq!(reply, "I'm sorry, I can only help in English. Let me transfer you to someone who can help.");
    assert_eq!(action, Some(AfterTurn::Transfer));

    let db = TestDb::sqlite().await;
    let service = booking_with(&db, |b| b.transfer_number = None).await;
    let guided = GuidedDialog::new(service.clone());
    let mut call = Call::new(&guided, service);
    let (reply, action) = call.say("Bonjour, je voudrais un rendez-vous demain").await;
    assert!(reply.starts_with("I'm sorry, I can only help in English."), "{reply}");
    assert_eq!(action, Some(AfterTurn::Hangup));
}

#[tokio::test]
async fn without_the_callers_number_it_asks_for_it_and_the_number_books_what_was_said() {
    let db = TestDb::sqlite().await;
    let service = booking(&db).await;
    let guided = GuidedDialog::new(service.clone());
    let mut call = Call::new(&guided, service);
    call.known = false;
    let (reply, _) = call.say("Book appointment for John Doe, 555-1234, consultation, next Tuesday 2pm").await;
    assert_eq!(
        reply,
        "To book a Consultation on Tuesday, December 8 at 2:00 PM for John Doe, I need your full phone number, \
         with the area code."
    );
    let (reply, _) = call.say("555-1234").await;
    assert_eq!(reply, "I need the full number, with the area code, please.");
    assert!(call.booked().await.is_empty());
    call.known = true;
    let (reply, _) = call.say("312-555-0123").await;
    assert!(reply.contains("You're all set"), "{reply}");
    let booked = call.booked().await;
    assert_eq!((booked[0].start, booked[0].customer_name.as_str()), (chicago(2026, 12, 8, 14, 0), "John Doe"));
}

#[tokio::test]
async fn without_the_callers_number_nothing_of_anyones_is_looked_up() {
    let db = TestDb::sqlite().await;
    let service = booking(&db).await;
    service.book(request_with("consultation", "sarah", chicago(2026, 12, 9, 9, 0))).await.unwrap();
    let guided = GuidedDialog::new(service.clone());
    let mut call = Call::new(&guided, service);
    call.known = false;
    let (reply, _) = call.say("I need to cancel my appointment").await;
    assert_eq!(reply, "To find your appointments, I need your full phone number, with the area code.");
    call.known = true;
    let (reply, _) = call.say("+1 312 555 0123").await;
    assert!(reply.contains("you'd like to cancel your Consultation on Wednesday, December 9"), "{reply}");
}

#[tokio::test]
async fn asking_what_is_free_on_a_day_lists_the_first_services_times_and_names_the_others() {
    let db = TestDb::sqlite().await;
    let service = booking(&db).await;
    let guided = GuidedDialog::new(service.clone());
    let mut call = Call::new(&guided, service);
    let (reply, _) = call.say("What times are available next Tuesday?").await;
    assert!(reply.starts_with("On Tuesday, December 8 I have 9:00 AM"), "{reply}");
    assert!(
        reply.ends_with(
            "Those times are for a Consultation; just say if you'd like a Standard Appointment or an Extended Session instead."
        ),
        "{reply}"
    );
    let (reply, _) = call.say("a standard appointment please").await;
    assert!(reply.starts_with("On Tuesday, December 8 I have"), "the offer is made again for that service: {reply}");
    let (reply, _) = call.say("the first one, I'm Jane Doe").await;
    assert!(reply.contains("a Standard Appointment on Tuesday, December 8"), "{reply}");
}

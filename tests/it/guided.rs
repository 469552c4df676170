//! The guided dialog, LLM-free: whole conversations for booking, cancelling and moving, never
//! changing anything without a read-back and a yes, and taking over from a failing LLM without
//! asking again for what the caller already said.

use crate::support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use appointment_setter::booking::BookingService;
use appointment_setter::calendar::LocalCalendar;
use appointment_setter::clock::ManualClock;
use appointment_setter::config::Config;
use appointment_setter::conversation::AfterTurn;
use appointment_setter::conversation::guided::GuidedDialog;
use appointment_setter::conversation::{Agent, Conversation, OpenAiLlm, Speaker, Turn, TurnSettings};
use appointment_setter::conversation::{Receptionist, WithFallback};
use appointment_setter::domain::{Channel, PhoneNumber, Status};
use appointment_setter::store::AppointmentFilter;
use async_trait::async_trait;
use support::fake_llm::{FakeLlm, Script, Step};
use support::{TestDb, chicago, phone, request_with};

#[derive(Default)]
struct Heard(Mutex<Vec<String>>);

#[async_trait]
impl Speaker for Heard {
    async fn say(&self, sentence: &str) {
        self.0.lock().unwrap().push(sentence.to_string());
    }
}

impl Heard {
    fn last(&self) -> String {
        self.0.lock().unwrap().join(" ")
    }

    fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

async fn booking(db: &TestDb) -> BookingService {
    booking_with(db, |_| {}).await
}

/// The example business, changed by `edit`, on Monday 2026-12-07 at 8:00 in Chicago.
async fn booking_with(db: &TestDb, edit: impl FnOnce(&mut appointment_setter::domain::Business)) -> BookingService {
    let mut config =
        Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml")).unwrap();
    edit(&mut config.business);
    let clock = Arc::new(ManualClock::new(chicago(2026, 12, 7, 8, 0)));
    BookingService::new(Arc::new(config.business), db.store().await, Arc::new(LocalCalendar), clock)
}

struct Call<'a> {
    r: &'a dyn Receptionist,
    booking: BookingService,
    caller: PhoneNumber,
    conversation: Conversation,
    heard: Heard,
    turns: usize,
}

impl<'a> Call<'a> {
    fn new(r: &'a dyn Receptionist, booking: BookingService) -> Self {
        Call {
            r,
            booking,
            caller: phone("+13125550123"),
            conversation: Conversation::default(),
            heard: Heard::default(),
            turns: 0,
        }
    }

    async fn say(&mut self, words: &str) -> (String, Option<AfterTurn>) {
        self.heard.clear();
        self.turns += 1;
        let cause = format!("turn-{}", self.turns);
        let outcome = self
            .r
            .turn(
                &mut self.conversation,
                Turn { caller: &self.caller, words, cause: &cause, channel: Channel::Voice, speaker: &self.heard },
            )
            .await
            .unwrap();
        (self.heard.last(), outcome.action)
    }

    async fn booked(&self) -> Vec<appointment_setter::domain::Appointment> {
        self.booking.list(&AppointmentFilter { phone: Some(self.caller.clone()), ..Default::default() }).await.unwrap()
    }
}

#[tokio::test]
async fn a_caller_who_says_everything_at_once_books_in_two_turns() {
    let db = TestDb::sqlite().await;
    let service = booking(&db).await;
    let guided = GuidedDialog::new(service.clone());
    let mut call = Call::new(&guided, service);
    let (reply, _) = call.say("Hi, I'd like a consultation tomorrow at 9 am, my name is Jane Doe").await;
    assert!(
        reply.contains("To confirm: a Consultation on Tuesday, December 8 at 9:00 AM for Jane Doe. Shall I book it?"),
        "{reply}"
    );
    assert!(call.booked().await.is_empty(), "nothing before the yes");
    let (reply, _) = call.say("yes please").await;
    assert!(reply.contains("You're all set"), "{reply}");
    let booked = call.booked().await;
    assert_eq!(booked.len(), 1);
    assert_eq!((booked[0].start, booked[0].customer_name.as_str()), (chicago(2026, 12, 8, 9, 0), "Jane Doe"));
    assert!(call.turns <= 3);
}

#[tokio::test]
async fn a_yes_to_offered_times_asks_which_and_keeps_them() {
    let db = TestDb::sqlite().await;
    let service = booking(&db).await;
    let guided = GuidedDialog::new(service.clone());
    let mut call = Call::new(&guided, service);
    let (offer, _) = call.say("I'd like a consultation tomorrow morning").await;
    assert!(offer.contains("I have 9:00 AM, 9:15 AM, or 9:30 AM"), "{offer}");
    let (reply, _) = call.say("yes").await;
    assert_eq!(reply, "Which time would you like: 9:00 AM, 9:15 AM, or 9:30 AM?");
    let (reply, _) = call.say("the second one").await;
    assert_eq!(reply, "May I have your name, please?", "the offer was kept");
    let (reply, _) = call.say("Jane Doe").await;
    assert!(reply.contains("Tuesday, December 8 at 9:15 AM for Jane Doe"), "{reply}");
}

#[tokio::test]
async fn step_by_step_booking_asks_one_thing_at_a_time_and_offers_at_most_three_times() {
    let db = TestDb::sqlite().await;
    let service = booking(&db).await;
    let guided = GuidedDialog::new(service.clone());
    let mut call = Call::new(&guided, service);
    let (reply, _) = call.say("Hello, I'd like to make an appointment").await;
    assert!(
        reply.contains("Which service would you like: Consultation, Standard Appointment, or Extended Session?"),
        "{reply}"
    );
    let (reply, _) = call.say("a regular one").await;
    assert!(reply.contains("What day would you like to come in for your Standard Appointment?"), "{reply}");
    let (reply, _) = call.say("tomorrow afternoon").await;
    assert!(reply.starts_with("On Tuesday, December 8 I have "), "{reply}");
    assert_eq!(reply.matches(" PM").count(), 3, "three afternoon options: {reply}");
    let (reply, _) = call.say("the second one").await;
    assert!(reply.contains("May I have your name"), "{reply}");
    let (reply, _) = call.say("Bob Smith").await;
    assert!(reply.contains("for Bob Smith. Shall I book it?"), "{reply}");
    let (reply, _) = call.say("yep").await;
    assert!(reply.contains("You're all set"), "{reply}");
    assert_eq!(call.turns, 6);
    assert_eq!(call.booked().await.len(), 1);
}

#[tokio::test]
async fn no_at_the_read_back_books_nothing_and_asks_what_to_change() {
    let db = TestDb::sqlite().await;
    let service = booking(&db).await;
    let guided = GuidedDialog::new(service.clone());
    let mut call = Call::new(&guided, service);
    let (first, _) = call.say("Can I book a consultation tomorrow at 10, I'm Jane").await;
    assert!(first.contains("Shall I book it?"), "{first}");
    let (reply, _) = call.say("no").await;
    assert!(reply.contains("What day or time would you prefer"), "{reply}");
    assert!(call.booked().await.is_empty());
    let (reply, _) = call.say("Wednesday at 2 pm").await;
    assert!(reply.contains("Wednesday, December 9 at 2:00 PM"), "{reply}");
    call.say("yes").await;
    assert_eq!(call.booked().await[0].start, chicago(2026, 12, 9, 14, 0));
}

#[tokio::test]
async fn cancelling_and_moving_read_back_first() {
    let db = TestDb::sqlite().await;
    let service = booking(&db).await;
    let a = service.book(request_with("consultation", "sarah", chicago(2026, 12, 9, 9, 0))).await.unwrap().appointment;
    let guided = GuidedDialog::new(service.clone());
    let mut call = Call::new(&guided, service.clone());
    let (reply, _) = call.say("I need to move my appointment").await;
    assert!(reply.contains("What day would you like"), "{reply}");
    let (reply, _) = call.say("Thursday at 11").await;
    assert!(reply.contains("To confirm: move your Consultation on Wednesday, December 9 at 9:00 AM to Thursday, December 10 at 11:00 AM"), "{reply}");
    call.say("yes").await;
    assert_eq!(service.get(a.id).await.unwrap().start, chicago(2026, 12, 10, 11, 0));

    let (reply, _) = call.say("Can I cancel it?").await;
    assert!(reply.contains("you'd like to cancel"), "{reply}");
    let (reply, _) = call.say("no, keep it").await;
    assert!(reply.contains("I'll leave it as it is"), "{reply}");
    assert_eq!(service.get(a.id).await.unwrap().status, Status::Confirmed);
    let (reply, _) = call.say("Actually I want to cancel it").await;
    assert!(reply.contains("you'd like to cancel your Consultation on Thursday, December 10 at 11:00 AM?"), "{reply}");
    call.say("yes").await;
    assert_eq!(service.get(a.id).await.unwrap().status, Status::Cancelled);
}

#[tokio::test]
async fn not_understanding_twice_offers_a_transfer() {
    let db = TestDb::sqlite().await;
    let service = booking(&db).await;
    let guided = GuidedDialog::new(service.clone());
    let mut call = Call::new(&guided, service);
    let (reply, action) = call.say("blorp").await;
    assert!(reply.starts_with("Sorry, I didn't catch that."), "{reply}");
    assert_eq!(action, None);
    let (reply, action) = call.say("flibber").await;
    assert!(reply.contains("transfer you"), "{reply}");
    assert_eq!(action, Some(AfterTurn::Transfer));
}

#[tokio::test]
async fn when_the_llm_dies_mid_call_the_guided_dialog_continues_with_what_was_said() {
    let db = TestDb::sqlite().await;
    let llm = FakeLlm::start().await;
    llm.script([
        Script::Stream(vec![Step::Text("Sure, let me look at tomorrow.")]),
        Script::Fail(500),
        Script::Fail(500),
        Script::Fail(500),
        Script::Fail(500),
    ]);
    let service = booking(&db).await;
    let model = OpenAiLlm::new(&llm.base, "k", "m", Duration::from_secs(5)).unwrap();
    let receptionist = WithFallback {
        agent: Agent::new(Arc::new(model), service.clone(), TurnSettings::default()),
        guided: GuidedDialog::new(service.clone()),
    };
    let mut call = Call::new(&receptionist, service);
    let (reply, _) = call.say("I need a consultation tomorrow").await;
    assert_eq!(reply, "Sure, let me look at tomorrow.");
    let (reply, _) = call.say("in the morning please").await;
    assert!(reply.starts_with("On Tuesday, December 8 I have "), "service and day were not asked again: {reply}");
    assert!(reply.contains(" AM"), "{reply}");
    assert_eq!(llm.requests().len(), 5, "the second turn tried the LLM, then fell back");
    let (_, _) = call.say("the first one").await;
    let (reply, _) = call.say("Jane Doe").await;
    assert!(reply.contains("Shall I book it?"), "{reply}");
    call.say("yes").await;
    assert_eq!(call.booked().await.len(), 1);
    assert_eq!(llm.requests().len(), 5, "once fallen back, the call stays on the guided dialog");
}

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

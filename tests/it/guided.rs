//! The guided dialog, LLM-free: whole conversations for booking, cancelling and moving, never
//! changing anything without a read-back and a yes, and taking over from a failing LLM without
//! asking again for what the caller already said.

use crate::support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use appointment_setter::booking::BookingService;
use appointment_setter::calendar::{Calendar, LocalCalendar};
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
use support::slow_calendar::SlowCalendar;
use support::{TestDb, chicago, phone, request_with};

mod phrasing;

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

pub(super) async fn booking(db: &TestDb) -> BookingService {
    booking_with(db, |_| {}).await
}

/// The example business, changed by `edit`, on Monday 2026-12-07 at 8:00 in Chicago.
pub(super) async fn booking_with(
    db: &TestDb,
    edit: impl FnOnce(&mut appointment_setter::domain::Business),
) -> BookingService {
    booking_on(db, edit, Arc::new(LocalCalendar)).await
}

/// The same, its busy times from `calendar`.
async fn booking_on(
    db: &TestDb,
    edit: impl FnOnce(&mut appointment_setter::domain::Business),
    calendar: Arc<dyn Calendar>,
) -> BookingService {
    let mut config =
        Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml")).unwrap();
    edit(&mut config.business);
    let clock = Arc::new(ManualClock::new(chicago(2026, 12, 7, 8, 0)));
    BookingService::new(Arc::new(config.business), db.store().await, calendar, clock)
}

pub(super) struct Call<'a> {
    r: &'a dyn Receptionist,
    pub(super) booking: BookingService,
    caller: PhoneNumber,
    /// Whether the receptionist knows the caller's number (not on the chat endpoint at first).
    pub(super) known: bool,
    conversation: Conversation,
    heard: Heard,
    turns: usize,
}

impl<'a> Call<'a> {
    pub(super) fn new(r: &'a dyn Receptionist, booking: BookingService) -> Self {
        Call {
            r,
            booking,
            caller: phone("+13125550123"),
            known: true,
            conversation: Conversation::default(),
            heard: Heard::default(),
            turns: 0,
        }
    }

    pub(super) async fn say(&mut self, words: &str) -> (String, Option<AfterTurn>) {
        self.heard.clear();
        self.turns += 1;
        let cause = format!("turn-{}", self.turns);
        let outcome = self
            .r
            .turn(
                &mut self.conversation,
                Turn {
                    caller: self.known.then_some(&self.caller),
                    words,
                    cause: &cause,
                    conversation: "conversation-1",
                    channel: Channel::Voice,
                    speaker: &self.heard,
                },
            )
            .await
            .unwrap();
        (self.heard.last(), outcome.action)
    }

    pub(super) async fn booked(&self) -> Vec<appointment_setter::domain::Appointment> {
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

/// The guided dialog on a calendar that can be held, and the calendar.
async fn on_a_calendar_to_hold(db: &TestDb) -> (GuidedDialog, BookingService, Arc<SlowCalendar>) {
    let calendar = Arc::new(SlowCalendar::taking(Duration::ZERO));
    let service = booking_on(db, |_| {}, calendar.clone()).await;
    (GuidedDialog::new(service.clone()), service, calendar)
}

/// The caller asks for tomorrow morning and hears three times.
async fn offered_tomorrow_morning(call: &mut Call<'_>) {
    let (offer, _) = call.say("I'd like a consultation tomorrow morning").await;
    assert!(offer.contains("I have 9:00 AM, 9:15 AM, or 9:30 AM"), "{offer}");
}

/// Starts a turn on `words` and drops it while it waits on the held `calendar` (the caller
/// talked over it: the voice feature cancels the turn and keeps what it got to).
async fn cut_short(call: &mut Call<'_>, calendar: &SlowCalendar, words: &str) {
    calendar.hold();
    tokio::select! {
        _ = call.say(words) => panic!("the turn finished though the calendar was held"),
        _ = calendar.entered() => {}
    }
    calendar.release();
}

#[tokio::test]
async fn a_turn_cut_short_while_it_looks_up_times_leaves_the_times_already_offered() {
    let db = TestDb::sqlite().await;
    let (guided, service, calendar) = on_a_calendar_to_hold(&db).await;
    let mut call = Call::new(&guided, service);
    offered_tomorrow_morning(&mut call).await;
    // Said again on a bad line, looked up again, and cut short by the caller's choice.
    cut_short(&mut call, &calendar, "a consultation tomorrow morning").await;
    let (reply, _) = call.say("the first one").await;
    assert_eq!(reply, "May I have your name, please?", "the offer was kept");
    let (reply, _) = call.say("Jane Doe").await;
    assert!(reply.contains("Tuesday, December 8 at 9:00 AM for Jane Doe"), "{reply}");
}

#[tokio::test]
async fn words_of_a_turn_cut_short_are_heard_by_the_next_one() {
    let db = TestDb::sqlite().await;
    let (guided, service, calendar) = on_a_calendar_to_hold(&db).await;
    let mut call = Call::new(&guided, service);
    offered_tomorrow_morning(&mut call).await;
    cut_short(&mut call, &calendar, "anything later?").await;
    let (reply, _) = call.say("in the morning please").await;
    assert!(reply.starts_with("On Tuesday, December 8 I have "), "{reply}");
    assert!(!reply.contains("9:00 AM") && !reply.contains("9:30 AM"), "later than the first offer: {reply}");
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

//! The guided dialog's conversation: a deterministic receptionist that books, finds, cancels and
//! reschedules with the same tools and booking service as the LLM agent. It asks for what is
//! missing one question at a time, offers at most three times, always reads back and waits for a
//! yes before changing anything, re-prompts once when it does not understand and then offers a
//! transfer. This file listens and decides; `flows` carries the decisions out.

use async_trait::async_trait;

use super::state::{Awaiting, GuidedState};
use super::understand::{self as u, Intent, Shift};
use crate::booking::BookingService;
use crate::conversation::tools::{self, AfterTurn, ToolContext, ToolOutcome, ToolRequest, wire};
use crate::conversation::{Conversation, Message, Receptionist, ToolCall, Turn, TurnError, TurnOutcome};

/// The LLM-free receptionist.
#[derive(Clone)]
pub struct GuidedDialog {
    pub(super) booking: BookingService,
}

/// One turn in progress: what is said and done.
pub(super) struct Step<'a> {
    turn: Turn<'a>,
    booking: &'a BookingService,
    said: Vec<String>,
    action: Option<AfterTurn>,
    calls: usize,
}

impl Step<'_> {
    /// The caller's number, when known.
    pub(super) fn caller(&self) -> Option<&crate::domain::PhoneNumber> {
        self.turn.caller
    }

    pub(super) fn say(&mut self, text: impl Into<String>) {
        self.said.push(text.into());
    }

    /// Runs a tool and records the call and its result in the history, as the agent would.
    pub(super) async fn tool(&mut self, conversation: &mut Conversation, request: ToolRequest) -> ToolOutcome {
        self.calls += 1;
        let (name, arguments) = wire::call_of(&request);
        let call =
            ToolCall { id: format!("guided_{}", self.calls), name: name.into(), arguments: arguments.to_string() };
        let mut action = None;
        let result = {
            let mut cx = ToolContext::for_turn(self.booking, &self.turn, &mut conversation.slots, &mut action);
            tools::run(request, &mut cx).await
        };
        if action.is_some() {
            self.action = action;
        }
        let content = wire::to_json(&result).to_string();
        conversation.history.push(Message::Assistant { text: String::new(), tool_calls: vec![call.clone()] });
        conversation.history.push(Message::Tool { call_id: call.id, content });
        result
    }
}

/// "a, b, or c".
pub(super) fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        [rest @ .., last] => format!("{}, or {last}", rest.join(", ")),
    }
}

/// "9:00 AM" from "Tuesday, December 8 at 9:00 AM".
pub(super) fn clock_part(spoken: &str) -> &str {
    spoken.rsplit(" at ").next().unwrap_or(spoken)
}

impl GuidedDialog {
    /// A dialog booking through `booking`.
    pub fn new(booking: BookingService) -> Self {
        Self { booking }
    }

    /// Takes what the words say into the state.
    fn listen(&self, s: &mut GuidedState, text: &str) -> bool {
        let w = u::words(text);
        let today = self.booking.business().today(self.booking.now());
        let mut understood = false;
        if let Some(intent) = u::intent(&w) {
            // While confirming, "yes"/"no, cancel that" answer the question; they start nothing new.
            if !(s.awaiting == Awaiting::Confirm && u::yes_no(&w).is_some()) {
                s.intent = Some(intent);
            }
            understood = true;
        }
        if let Some(service) = u::service(&w, self.booking.business()) {
            if s.service.as_deref() != Some(service.as_str()) {
                s.drop_offers();
            }
            s.service = Some(service.to_string());
            understood = true;
        }
        if let Some(date) = u::date(&w, today) {
            if s.date != Some(date) {
                s.drop_offers();
                s.after = None;
                s.before = None;
            }
            s.date = Some(date);
            understood = true;
        }
        if let Some(staff) = u::staff(&w, self.booking.business()) {
            if s.staff.as_deref() != Some(staff.as_str()) {
                s.drop_offers();
            }
            s.staff = Some(staff.to_string());
            understood = true;
        }
        match u::shift(&w) {
            Some(Shift::Earliest) => {
                s.earliest = true;
                s.drop_offers();
                understood = true;
            }
            // "Anything later?" moves past the times offered; without an offer it means nothing.
            Some(Shift::Later) if !s.offered.is_empty() => {
                s.after = s.offered.iter().map(|o| o.at).max().map(|t| t + chrono::Duration::minutes(1));
                s.before = None;
                s.drop_offers();
                understood = true;
            }
            Some(Shift::Earlier) if !s.offered.is_empty() => {
                s.before = s.offered.iter().map(|o| o.at).min();
                s.after = None;
                s.drop_offers();
                understood = true;
            }
            _ => {}
        }
        if let Some(part) = u::part_of_day(&w) {
            s.part = Some(part);
            understood = true;
        }
        if let Some(time) = u::time(&w) {
            s.time = Some(time);
            understood = true;
        }
        if let Some(name) = u::name(text, s.awaiting == Awaiting::Name) {
            s.name = Some(name);
            understood = true;
        }
        understood
    }

    async fn step(&self, conversation: &mut Conversation, t: &mut Step<'_>, text: &str) {
        // A copy: a turn cut short by a barge-in leaves the state as the last whole turn left it
        // (its words are heard at the next turn's start).
        let mut s = conversation.guided.clone();
        s.active = true;
        s.heard = conversation.history.len();
        let w = u::words(text);
        if s.awaiting != Awaiting::Name && u::foreign(text) {
            self.other_language(conversation, t).await;
            conversation.guided = s;
            return;
        }
        let answer = u::yes_no(&w);
        let understood: bool;
        match s.awaiting {
            Awaiting::Confirm => match answer {
                Some(true) => {
                    self.execute(conversation, &mut s, t).await;
                    conversation.guided = s;
                    return;
                }
                Some(false) if s.intent == Some(Intent::Cancel) => {
                    t.say("Okay, I'll leave it as it is. Is there anything else I can help with?");
                    conversation.guided = s.fresh();
                    return;
                }
                Some(false) => {
                    s.chosen = None;
                    s.offered.clear();
                    s.awaiting = Awaiting::Anything;
                    understood = self.listen(&mut s, text);
                    if !understood {
                        t.say("No problem. What day or time would you prefer instead?");
                        s.date = None;
                        s.time = None;
                        conversation.guided = s;
                        return;
                    }
                }
                None => understood = self.listen(&mut s, text),
            },
            Awaiting::Choice => {
                let picked = u::choice(&w, s.offered.len()).or_else(|| {
                    let time = u::time(&w)?;
                    s.offered.iter().position(|o| clock_part(&o.spoken) == time.format("%-I:%M %p").to_string())
                });
                // "A standard one, please" or "Wednesday then" changes the question, not a yes.
                let biz = self.booking.business();
                let today = biz.today(self.booking.now());
                let changes = u::service(&w, biz).is_some_and(|x| s.service.as_deref() != Some(x.as_str()))
                    || u::date(&w, today).is_some_and(|d| s.date != Some(d))
                    || u::staff(&w, biz).is_some()
                    || u::shift(&w).is_some();
                let answer = if changes { None } else { answer };
                match (picked, answer) {
                    (Some(i), _) => {
                        s.chosen = Some(s.offered[i].clone());
                        // "The second one, I'm Jane."
                        s.name = u::name(text, false).or(s.name.take());
                        understood = true;
                    }
                    // "Yes" to one offered time takes it; to several, it asks which, keeping them.
                    (None, Some(true)) if s.offered.len() == 1 => {
                        s.chosen = Some(s.offered[0].clone());
                        understood = true;
                    }
                    (None, Some(true)) => {
                        let times: Vec<String> = s.offered.iter().map(|o| clock_part(&o.spoken).to_string()).collect();
                        t.say(format!("Which time would you like: {}?", list(&times)));
                        conversation.guided = s;
                        return;
                    }
                    (None, _) => understood = self.listen(&mut s, text),
                }
            }
            Awaiting::Target => {
                if let Some(i) = u::choice(&w, s.targets.len()) {
                    s.target = Some(s.targets[i].clone());
                    understood = true;
                } else {
                    understood = self.listen(&mut s, text);
                }
            }
            // The number arrives with the turn (the chat endpoint reads it from what was written):
            // for a booking, the question already said what will be booked, so it is done now.
            Awaiting::Phone if t.caller().is_some() => {
                if s.intent == Some(Intent::Book) && s.chosen.is_some() && s.name.is_some() {
                    self.execute(conversation, &mut s, t).await;
                    conversation.guided = s;
                    return;
                }
                self.listen(&mut s, text);
                understood = true;
            }
            Awaiting::Phone => {
                understood = self.listen(&mut s, text);
                if !understood && text.chars().filter(char::is_ascii_digit).count() >= 3 {
                    t.say("I need the full number, with the area code, please.");
                    conversation.guided = s;
                    return;
                }
            }
            // A name, or something else the caller wants to change ("tomorrow instead").
            Awaiting::Name => match u::name(text, true) {
                Some(name) => {
                    s.name = Some(name);
                    understood = true;
                }
                None => understood = self.listen(&mut s, text),
            },
            Awaiting::Anything => understood = self.listen(&mut s, text),
        }
        // A number on its own ("312-555-1234") when the turn knows the caller: the chat endpoint
        // read it from what was written, and the dialog goes on (a rebuilt conversation, which
        // never asked for it as far as the state knows, still gets on with the booking).
        let understood = understood || (t.caller().is_some() && text.chars().filter(char::is_ascii_digit).count() >= 7);
        if !understood && u::greeting(&w) {
            t.say("Hello! How can I help you? I can book, move or cancel an appointment.");
            conversation.guided = s;
            return;
        }
        if !understood {
            s.misunderstood += 1;
            self.not_understood(conversation, &s, t, w.len()).await;
            conversation.guided = s;
            return;
        }
        s.misunderstood = 0;
        self.next(conversation, &mut s, t).await;
        conversation.guided = s;
    }
}

#[async_trait]
impl Receptionist for GuidedDialog {
    async fn turn(&self, conversation: &mut Conversation, turn: Turn<'_>) -> Result<TurnOutcome, TurnError> {
        // What the caller said that the state has not taken in yet: everything when taking over
        // from the LLM, the words of a turn a barge-in cut short otherwise.
        let (state, len) = (&mut conversation.guided, conversation.history.len());
        // (An active state stored before `heard` existed has taken in everything.)
        let from = if state.active && state.heard == 0 { len } else { state.heard.min(len) };
        state.active = true;
        for message in &conversation.history[from..] {
            if let Message::User { text } = message {
                self.listen(state, text);
            }
        }
        conversation.history.push(Message::User { text: turn.words.to_string() });
        let mut t = Step { turn, booking: &self.booking, said: Vec::new(), action: None, calls: 0 };
        self.step(conversation, &mut t, turn.words).await;
        let text = t.said.join(" ");
        for sentence in &t.said {
            turn.speaker.say(sentence).await;
        }
        conversation.history.push(Message::Assistant { text, tool_calls: Vec::new() });
        Ok(TurnOutcome { action: t.action, sentences: t.said.len() })
    }

    fn describe(&self) -> &'static str {
        "the guided dialog (no LLM)"
    }
}

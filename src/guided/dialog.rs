//! The guided dialog: a deterministic receptionist that books, finds, cancels and reschedules with
//! the same tools and booking service as the LLM agent. It asks for what is missing one question at
//! a time, offers at most three times, always reads back and waits for a yes before changing
//! anything, re-prompts once when it does not understand and then offers a transfer.

use async_trait::async_trait;
use chrono::{NaiveDate, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::understand::{self as u, Intent, PartOfDay};
use crate::agent::tools::{self, CallAction, ToolContext};
use crate::agent::{Conversation, Message, Speaker, ToolCall, TurnError, TurnOutcome};
use crate::booking::BookingService;
use crate::domain::{Channel, PhoneNumber};
use crate::receptionist::Receptionist;

/// What the dialog is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Awaiting {
    /// Nothing in particular.
    #[default]
    Anything,
    /// Which of the offered times.
    Choice,
    /// The caller's name.
    Name,
    /// A yes to the read-back.
    Confirm,
    /// Which of the caller's appointments.
    Target,
}

/// What the dialog knows so far (stored with the conversation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuidedState {
    /// The guided dialog is answering this conversation.
    pub active: bool,
    intent: Option<Intent>,
    service: Option<String>,
    date: Option<NaiveDate>,
    part: Option<PartOfDay>,
    time: Option<NaiveTime>,
    name: Option<String>,
    /// Slot ids offered (at most three) and the chosen one.
    offered: Vec<(String, String)>,
    chosen: Option<(String, String)>,
    /// The caller's appointment being cancelled or moved, and the candidates.
    targets: Vec<(String, String)>,
    target: Option<(String, String)>,
    awaiting: Awaiting,
    misunderstood: u8,
}

/// The LLM-free receptionist.
#[derive(Clone)]
pub struct GuidedDialog {
    booking: BookingService,
}

struct Turn<'a> {
    booking: &'a BookingService,
    caller: &'a PhoneNumber,
    cause: &'a str,
    channel: Channel,
    said: Vec<String>,
    action: Option<CallAction>,
    calls: usize,
}

impl Turn<'_> {
    fn say(&mut self, text: impl Into<String>) {
        self.said.push(text.into());
    }

    async fn tool(&mut self, conversation: &mut Conversation, name: &str, args: Value) -> Value {
        self.calls += 1;
        let call = ToolCall { id: format!("guided_{}", self.calls), name: name.into(), arguments: args.to_string() };
        let mut action = None;
        let result = {
            let mut cx = ToolContext {
                booking: self.booking,
                caller: self.caller,
                slots: &mut conversation.slots,
                cause: self.cause,
                channel: self.channel,
                action: &mut action,
            };
            tools::run(&call, &mut cx).await
        };
        if action.is_some() {
            self.action = action;
        }
        conversation.history.push(Message::Assistant { text: String::new(), tool_calls: vec![call.clone()] });
        conversation.history.push(Message::Tool { call_id: call.id, content: result.to_string() });
        result
    }
}

fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        [rest @ .., last] => format!("{}, or {last}", rest.join(", ")),
    }
}

/// "9:00 AM" from "Tuesday, December 8 at 9:00 AM".
fn clock_part(spoken: &str) -> &str {
    spoken.rsplit(" at ").next().unwrap_or(spoken)
}

impl GuidedDialog {
    /// A dialog booking through `booking`.
    pub fn new(booking: BookingService) -> Self {
        Self { booking }
    }

    fn service_name(&self, id: &str) -> String {
        self.booking.business().services.iter().find(|s| s.id.as_str() == id).map_or(id.to_string(), |s| s.name.clone())
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
            s.service = Some(service.to_string());
            understood = true;
        }
        if let Some(date) = u::date(&w, today) {
            if s.date != Some(date) {
                s.offered.clear();
                s.chosen = None;
            }
            s.date = Some(date);
            understood = true;
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

    async fn step(&self, conversation: &mut Conversation, t: &mut Turn<'_>, text: &str) {
        let mut s = std::mem::take(&mut conversation.guided);
        s.active = true;
        let w = u::words(text);
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
                    conversation.guided = GuidedState { active: true, name: s.name.clone(), ..GuidedState::default() };
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
                    s.offered.iter().position(|(_, spoken)| clock_part(spoken) == time.format("%-I:%M %p").to_string())
                });
                if let Some(i) = picked {
                    s.chosen = Some(s.offered[i].clone());
                    understood = true;
                } else {
                    understood = self.listen(&mut s, text);
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
            Awaiting::Name => {
                s.name = u::name(text, true);
                understood = s.name.is_some();
            }
            Awaiting::Anything => understood = self.listen(&mut s, text),
        }
        if !understood {
            s.misunderstood += 1;
            if s.misunderstood >= 2 && self.booking.business().transfer_number.is_some() {
                t.say("I'm sorry, I'm having trouble understanding. Let me transfer you to someone who can help.");
                t.tool(conversation, "transfer_to_human", json!({"reason": "not understood"})).await;
                conversation.guided = s;
                return;
            }
            t.say("Sorry, I didn't catch that. I can book, move or cancel an appointment. What would you like to do?");
            conversation.guided = s;
            return;
        }
        s.misunderstood = 0;
        self.next(conversation, &mut s, t).await;
        conversation.guided = s;
    }

    /// Asks for the next missing thing or reads back.
    async fn next(&self, conversation: &mut Conversation, s: &mut GuidedState, t: &mut Turn<'_>) {
        if s.intent.is_none() && (s.service.is_some() || s.date.is_some()) {
            s.intent = Some(Intent::Book);
        }
        match s.intent {
            None => {
                s.awaiting = Awaiting::Anything;
                t.say("How can I help you? I can book, move or cancel an appointment.");
            }
            Some(Intent::Goodbye) => {
                t.say("Thanks for calling. Goodbye!");
                t.tool(conversation, "end_call", json!({})).await;
            }
            Some(Intent::Transfer) => {
                if self.booking.business().transfer_number.is_some() {
                    t.say("Of course, let me transfer you now.");
                    t.tool(conversation, "transfer_to_human", json!({})).await;
                } else {
                    t.say("I'm sorry, there's no one available to take the call right now. I can book, move or cancel an appointment for you.");
                    s.intent = None;
                }
            }
            Some(Intent::Find) => {
                let mine = t.tool(conversation, "find_my_appointments", json!({})).await;
                let list_: Vec<String> = mine["appointments"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .take(3)
                            .map(|x| {
                                format!(
                                    "a {} on {}",
                                    x["service"].as_str().unwrap_or(""),
                                    x["spoken"].as_str().unwrap_or("")
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                if list_.is_empty() {
                    t.say("You don't have any upcoming appointments.");
                } else {
                    t.say(format!("You have {}.", list(&list_)));
                }
                t.say("Is there anything else I can help with?");
                s.intent = None;
                s.awaiting = Awaiting::Anything;
            }
            Some(Intent::Book) => self.book_flow(conversation, s, t).await,
            Some(Intent::Cancel) | Some(Intent::Reschedule) => self.change_flow(conversation, s, t).await,
        }
    }

    async fn book_flow(&self, conversation: &mut Conversation, s: &mut GuidedState, t: &mut Turn<'_>) {
        let biz = self.booking.business();
        let Some(service) = s.service.clone() else {
            let names: Vec<String> = biz.services.iter().map(|s| s.name.clone()).collect();
            s.awaiting = Awaiting::Anything;
            t.say(format!("Which service would you like: {}?", list(&names)));
            return;
        };
        if s.chosen.is_none() && !self.offer(conversation, s, t, &service).await {
            return;
        }
        if s.name.is_none() {
            s.awaiting = Awaiting::Name;
            t.say("May I have your name, please?");
            return;
        }
        let (_, spoken) = s.chosen.clone().expect("chosen above");
        s.awaiting = Awaiting::Confirm;
        t.say(format!(
            "To confirm: a {} on {} for {}. Shall I book it?",
            self.service_name(&service),
            spoken,
            s.name.clone().unwrap_or_default()
        ));
    }

    /// Searches and offers up to three times, or picks the requested time. True when a slot is
    /// chosen.
    async fn offer(
        &self,
        conversation: &mut Conversation,
        s: &mut GuidedState,
        t: &mut Turn<'_>,
        service: &str,
    ) -> bool {
        let Some(date) = s.date else {
            s.awaiting = Awaiting::Anything;
            t.say(format!("What day would you like to come in for your {}?", self.service_name(service)));
            return false;
        };
        let mut args = json!({"service": service, "date_from": date.to_string(), "date_to": date.to_string()});
        match (s.time, s.part) {
            (Some(time), _) => args["after"] = json!(time.format("%H:%M").to_string()),
            (None, Some(part)) => args["part_of_day"] = json!(part.as_str()),
            (None, None) => {}
        }
        let found = t.tool(conversation, "find_available_slots", args).await;
        let slots: Vec<(String, String, NaiveTime)> = found["slots"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| {
                        let start = chrono::DateTime::parse_from_rfc3339(x["start"].as_str()?).ok()?;
                        Some((x["slot_id"].as_str()?.to_string(), x["spoken"].as_str()?.to_string(), start.time()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        if let Some(time) = s.time
            && let Some((id, spoken, _)) =
                slots.iter().find(|(_, _, at)| at.hour() == time.hour() && at.minute() == time.minute())
        {
            s.chosen = Some((id.clone(), spoken.clone()));
            return true;
        }
        if slots.is_empty() {
            s.date = None;
            s.awaiting = Awaiting::Anything;
            let error = found["message"].as_str().map(|m| format!(" ({m})")).unwrap_or_default();
            t.say(format!(
                "I'm sorry, there's nothing free on {}{error}. What other day would work?",
                date.format("%A, %B %-d")
            ));
            return false;
        }
        // One option per time (whoever is free first), spread over what is free.
        let mut distinct: Vec<(String, String, NaiveTime)> = Vec::new();
        for slot in slots {
            if !distinct.iter().any(|(_, _, at)| *at == slot.2) {
                distinct.push(slot);
            }
        }
        let step = (distinct.len() / 3).max(1);
        let picks: Vec<(String, String, NaiveTime)> = distinct.iter().step_by(step).take(3).cloned().collect();
        s.offered = picks.iter().map(|(id, spoken, _)| (id.clone(), spoken.clone())).collect();
        s.awaiting = Awaiting::Choice;
        let times: Vec<String> = picks.iter().map(|(_, spoken, _)| clock_part(spoken).to_string()).collect();
        let opening = if s.time.is_some() { "That time isn't available, but on" } else { "On" };
        t.say(format!("{opening} {} I have {}. Which would you like?", date.format("%A, %B %-d"), list(&times)));
        s.time = None;
        false
    }

    async fn change_flow(&self, conversation: &mut Conversation, s: &mut GuidedState, t: &mut Turn<'_>) {
        if s.target.is_none() {
            let mine = t.tool(conversation, "find_my_appointments", json!({})).await;
            let found: Vec<(String, String)> = mine["appointments"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| {
                            Some((
                                x["appointment_id"].as_str()?.to_string(),
                                format!("your {} on {}", x["service"].as_str()?, x["spoken"].as_str()?),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            match found.len() {
                0 => {
                    t.say("I don't see any upcoming appointments for this number. Would you like to book one?");
                    s.intent = None;
                    return;
                }
                1 => s.target = Some(found[0].clone()),
                _ => {
                    s.targets = found.into_iter().take(3).collect();
                    s.awaiting = Awaiting::Target;
                    let names: Vec<String> = s.targets.iter().map(|(_, d)| d.clone()).collect();
                    t.say(format!("You have {}. Which one?", list(&names)));
                    return;
                }
            }
        }
        let (_, what) = s.target.clone().expect("set above");
        if s.intent == Some(Intent::Cancel) {
            s.awaiting = Awaiting::Confirm;
            t.say(format!("Just to confirm, you'd like to cancel {what}?"));
            return;
        }
        let service = s.service.clone().unwrap_or_else(|| {
            // The appointment's own service.
            conversation
                .history
                .iter()
                .rev()
                .find_map(|m| match m {
                    Message::Tool { content, .. } => serde_json::from_str::<Value>(content).ok().and_then(|v| {
                        v["appointments"].as_array()?.iter().find_map(|a| {
                            let id = a["appointment_id"].as_str()?;
                            (Some(id) == s.target.as_ref().map(|(i, _)| i.as_str()))
                                .then(|| a["service"].as_str().map(String::from))
                                .flatten()
                        })
                    }),
                    _ => None,
                })
                .and_then(|name| u::service(&u::words(&name), self.booking.business()).map(|s| s.to_string()))
                .unwrap_or_else(|| self.booking.business().services[0].id.to_string())
        });
        s.service = Some(service.clone());
        if s.chosen.is_none() && !self.offer(conversation, s, t, &service).await {
            return;
        }
        let (_, spoken) = s.chosen.clone().expect("chosen above");
        s.awaiting = Awaiting::Confirm;
        t.say(format!("To confirm: move {what} to {spoken}. Shall I do that?"));
    }

    /// Carries out what was read back and confirmed.
    async fn execute(&self, conversation: &mut Conversation, s: &mut GuidedState, t: &mut Turn<'_>) {
        let result = match s.intent {
            Some(Intent::Book) => {
                let (slot, _) = s.chosen.clone().unwrap_or_default();
                t.tool(
                    conversation,
                    "book_appointment",
                    json!({"slot_id": slot, "customer_name": s.name.clone().unwrap_or_default()}),
                )
                .await
            }
            Some(Intent::Cancel) => {
                let (id, _) = s.target.clone().unwrap_or_default();
                t.tool(conversation, "cancel_appointment", json!({"appointment_id": id})).await
            }
            Some(Intent::Reschedule) => {
                let (id, _) = s.target.clone().unwrap_or_default();
                let (slot, _) = s.chosen.clone().unwrap_or_default();
                t.tool(conversation, "reschedule_appointment", json!({"appointment_id": id, "slot_id": slot})).await
            }
            _ => Value::Null,
        };
        let done = s.intent;
        let fresh = GuidedState { active: true, name: s.name.clone(), ..GuidedState::default() };
        match result.get("error").and_then(Value::as_str) {
            None => {
                t.say(match done {
                    Some(Intent::Book) => "You're all set! You'll get a text with the details.",
                    Some(Intent::Cancel) => "Your appointment is cancelled. You'll get a text confirming it.",
                    _ => "Done, your appointment is moved. You'll get a text with the new time.",
                });
                t.say("Is there anything else I can help with?");
                *s = fresh;
            }
            Some("slot_unavailable") => {
                s.chosen = None;
                s.offered.clear();
                t.say("I'm sorry, that time was just taken.");
                self.next(conversation, s, t).await;
            }
            Some(_) => {
                let message = result["message"].as_str().unwrap_or("something went wrong");
                t.say(format!("I'm sorry, I couldn't do that: {message}."));
                *s = fresh;
                t.say("Is there anything else I can help with?");
            }
        }
    }
}

#[async_trait]
impl Receptionist for GuidedDialog {
    async fn turn(
        &self,
        conversation: &mut Conversation,
        caller: &PhoneNumber,
        words: &str,
        cause: &str,
        channel: Channel,
        speaker: &dyn Speaker,
    ) -> Result<TurnOutcome, TurnError> {
        // Taking over from the LLM: pick up what the caller already said.
        if !conversation.guided.active {
            let earlier: Vec<String> = conversation
                .history
                .iter()
                .filter_map(|m| match m {
                    Message::User { text } => Some(text.clone()),
                    _ => None,
                })
                .collect();
            let mut state = GuidedState { active: true, ..GuidedState::default() };
            for text in &earlier {
                self.listen(&mut state, text);
            }
            conversation.guided = state;
        }
        conversation.history.push(Message::User { text: words.to_string() });
        let mut t = Turn { booking: &self.booking, caller, cause, channel, said: Vec::new(), action: None, calls: 0 };
        self.step(conversation, &mut t, words).await;
        let text = t.said.join(" ");
        for sentence in &t.said {
            speaker.say(sentence).await;
        }
        conversation.history.push(Message::Assistant { text, tool_calls: Vec::new() });
        Ok(TurnOutcome { action: t.action, sentences: t.said.len() })
    }

    fn booking(&self) -> &BookingService {
        &self.booking
    }

    fn describe(&self) -> &'static str {
        "the guided dialog (no LLM)"
    }
}

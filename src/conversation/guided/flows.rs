//! What the guided dialog does once it knows enough: ask for the next missing thing, offer times,
//! read back, and carry out a booking, a cancellation or a move through the typed tools.

use chrono::{NaiveTime, Timelike};

use super::dialog::{GuidedDialog, Step, clock_part, list};
use super::state::{Awaiting, GuidedState, Offer, Target};
use super::understand::Intent;
use crate::conversation::Conversation;
use crate::conversation::tools::{FailureKind, SlotQuery, ToolOutcome, ToolRequest};
use crate::domain::Refusal;

impl GuidedDialog {
    fn service_name(&self, id: &str) -> String {
        self.booking.business().services.iter().find(|s| s.id.as_str() == id).map_or(id.to_string(), |s| s.name.clone())
    }

    /// The caller's upcoming appointments, as the dialog names them.
    async fn targets(&self, conversation: &mut Conversation, t: &mut Step<'_>) -> Vec<Target> {
        match t.tool(conversation, ToolRequest::FindMine).await {
            ToolOutcome::Appointments(list) => list
                .into_iter()
                .map(|a| Target {
                    description: format!("your {} on {}", a.service, a.spoken),
                    id: a.appointment_id,
                    service: a.service_id.to_string(),
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Asks for the next missing thing or reads back.
    pub(super) async fn next(&self, conversation: &mut Conversation, s: &mut GuidedState, t: &mut Step<'_>) {
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
                t.tool(conversation, ToolRequest::EndCall { reason: None }).await;
            }
            Some(Intent::Transfer) => {
                if self.booking.business().transfer_number.is_some() {
                    t.say("Of course, let me transfer you now.");
                    t.tool(conversation, ToolRequest::Transfer { reason: None }).await;
                } else {
                    t.say("I'm sorry, there's no one available to take the call right now. I can book, move or cancel an appointment for you.");
                    s.intent = None;
                }
            }
            Some(Intent::Find) => {
                let mine: Vec<String> = match t.tool(conversation, ToolRequest::FindMine).await {
                    ToolOutcome::Appointments(list) => {
                        list.iter().take(3).map(|a| format!("a {} on {}", a.service, a.spoken)).collect()
                    }
                    _ => Vec::new(),
                };
                if mine.is_empty() {
                    t.say("You don't have any upcoming appointments.");
                } else {
                    t.say(format!("You have {}.", list(&mine)));
                }
                t.say("Is there anything else I can help with?");
                s.intent = None;
                s.awaiting = Awaiting::Anything;
            }
            Some(Intent::Book) => self.book_flow(conversation, s, t).await,
            Some(Intent::Cancel) | Some(Intent::Reschedule) => self.change_flow(conversation, s, t).await,
        }
    }

    async fn book_flow(&self, conversation: &mut Conversation, s: &mut GuidedState, t: &mut Step<'_>) {
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
        let spoken = s.chosen.clone().expect("chosen above").spoken;
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
        t: &mut Step<'_>,
        service: &str,
    ) -> bool {
        let Some(date) = s.date else {
            s.awaiting = Awaiting::Anything;
            t.say(format!("What day would you like to come in for your {}?", self.service_name(service)));
            return false;
        };
        let Ok(service_id) = service.parse() else {
            s.service = None;
            s.awaiting = Awaiting::Anything;
            t.say("Which service would you like?");
            return false;
        };
        let query = SlotQuery {
            service: service_id,
            from: date,
            to: Some(date),
            staff: None,
            part_of_day: if s.time.is_none() { s.part } else { None },
            after: s.time,
        };
        let found = t.tool(conversation, ToolRequest::FindSlots(query)).await;
        let (slots, error): (Vec<(Offer, NaiveTime)>, Option<String>) = match found {
            ToolOutcome::Slots(slots) => (
                slots.into_iter().map(|x| (Offer { slot_id: x.slot_id, spoken: x.spoken }, x.start.time())).collect(),
                None,
            ),
            ToolOutcome::Failed(f) => (Vec::new(), Some(f.message)),
            _ => (Vec::new(), None),
        };
        if let Some(time) = s.time
            && let Some((offer, _)) =
                slots.iter().find(|(_, at)| at.hour() == time.hour() && at.minute() == time.minute())
        {
            s.chosen = Some(offer.clone());
            return true;
        }
        if slots.is_empty() {
            s.date = None;
            s.awaiting = Awaiting::Anything;
            let error = error.map(|m| format!(" ({m})")).unwrap_or_default();
            t.say(format!(
                "I'm sorry, there's nothing free on {}{error}. What other day would work?",
                date.format("%A, %B %-d")
            ));
            return false;
        }
        // One option per time (whoever is free first), spread over what is free.
        let mut distinct: Vec<(Offer, NaiveTime)> = Vec::new();
        for slot in slots {
            if !distinct.iter().any(|(_, at)| *at == slot.1) {
                distinct.push(slot);
            }
        }
        let step = (distinct.len() / 3).max(1);
        s.offered = distinct.into_iter().step_by(step).take(3).map(|(offer, _)| offer).collect();
        s.awaiting = Awaiting::Choice;
        let times: Vec<String> = s.offered.iter().map(|o| clock_part(&o.spoken).to_string()).collect();
        let opening = if s.time.is_some() { "That time isn't available, but on" } else { "On" };
        t.say(format!("{opening} {} I have {}. Which would you like?", date.format("%A, %B %-d"), list(&times)));
        s.time = None;
        false
    }

    async fn change_flow(&self, conversation: &mut Conversation, s: &mut GuidedState, t: &mut Step<'_>) {
        if s.target.is_none() {
            let found = self.targets(conversation, t).await;
            match found.len() {
                0 => {
                    t.say("I don't see any upcoming appointments for this number. Would you like to book one?");
                    s.intent = None;
                    return;
                }
                1 => s.target = found.into_iter().next(),
                _ => {
                    s.targets = found.into_iter().take(3).collect();
                    s.awaiting = Awaiting::Target;
                    let names: Vec<String> = s.targets.iter().map(|x| x.description.clone()).collect();
                    t.say(format!("You have {}. Which one?", list(&names)));
                    return;
                }
            }
        }
        let target = s.target.clone().expect("set above");
        if s.intent == Some(Intent::Cancel) {
            s.awaiting = Awaiting::Confirm;
            t.say(format!("Just to confirm, you'd like to cancel {}?", target.description));
            return;
        }
        // The appointment's own service, unless the caller named another.
        let service = s.service.clone().unwrap_or(target.service);
        s.service = Some(service.clone());
        if s.chosen.is_none() && !self.offer(conversation, s, t, &service).await {
            return;
        }
        let spoken = s.chosen.clone().expect("chosen above").spoken;
        s.awaiting = Awaiting::Confirm;
        t.say(format!("To confirm: move {} to {spoken}. Shall I do that?", target.description));
    }

    /// Carries out what was read back and confirmed.
    pub(super) async fn execute(&self, conversation: &mut Conversation, s: &mut GuidedState, t: &mut Step<'_>) {
        let slot_id = s.chosen.clone().unwrap_or_default().slot_id;
        let appointment_id = s.target.clone().unwrap_or_default().id;
        let request = match s.intent {
            Some(Intent::Book) => {
                ToolRequest::Book { slot_id, customer_name: s.name.clone().unwrap_or_default(), notes: None }
            }
            Some(Intent::Cancel) => ToolRequest::Cancel { appointment_id },
            Some(Intent::Reschedule) => ToolRequest::Reschedule { appointment_id, slot_id },
            _ => return self.report(None, s, t),
        };
        let result = t.tool(conversation, request).await;
        match result.failure() {
            Some(f) if f.kind == FailureKind::Refused(Refusal::SlotUnavailable) => {
                s.chosen = None;
                s.offered.clear();
                t.say("I'm sorry, that time was just taken.");
                self.next(conversation, s, t).await;
            }
            failure => self.report(failure.map(|f| f.message.as_str()), s, t),
        }
    }

    /// Says how a confirmed change went and starts afresh.
    fn report(&self, failure: Option<&str>, s: &mut GuidedState, t: &mut Step<'_>) {
        match failure {
            None => {
                t.say(match s.intent {
                    Some(Intent::Book) => "You're all set! You'll get a text with the details.",
                    Some(Intent::Cancel) => "Your appointment is cancelled. You'll get a text confirming it.",
                    _ => "Done, your appointment is moved. You'll get a text with the new time.",
                });
                t.say("Is there anything else I can help with?");
            }
            Some(message) => {
                t.say(format!("I'm sorry, I couldn't do that: {message}."));
                t.say("Is there anything else I can help with?");
            }
        }
        *s = s.fresh();
    }
}

//! What the guided dialog does once it knows enough: ask for the next missing thing, offer times,
//! read back, and carry out a booking, a cancellation or a move through the typed tools.

use super::dialog::{GuidedDialog, Step, clock_part, list};
use super::state::{Awaiting, GuidedState, Target};
use super::understand::Intent;
use crate::conversation::Conversation;
use crate::conversation::tools::{FailureKind, ToolOutcome, ToolRequest};
use crate::domain::Refusal;

/// "a Consultation", "an Extended Session".
pub(super) fn with_article(name: &str) -> String {
    let vowel = name.chars().next().is_some_and(|c| "AEIOUaeiou".contains(c));
    format!("{} {name}", if vowel { "an" } else { "a" })
}

impl GuidedDialog {
    pub(super) fn service_name(&self, id: &str) -> String {
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
            Some(Intent::Find | Intent::Cancel | Intent::Reschedule) if t.caller().is_none() => {
                s.awaiting = Awaiting::Phone;
                t.say("To find your appointments, I need your full phone number, with the area code.");
            }
            Some(Intent::Find) => {
                let mine: Vec<String> = match t.tool(conversation, ToolRequest::FindMine).await {
                    ToolOutcome::Appointments(list) => {
                        list.iter().take(3).map(|a| format!("{} on {}", with_article(&a.service), a.spoken)).collect()
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
            // "What times are available on Tuesday?": the first service's times, and the others named.
            if let (Some(_), Some(first)) = (s.date, biz.services.first()) {
                let service = first.id.to_string();
                if !self.offer(conversation, s, t, &service).await && !s.offered.is_empty() {
                    s.service = Some(service);
                    let others: Vec<String> = names[1..].iter().map(|n| with_article(n)).collect();
                    if !others.is_empty() {
                        t.say(format!(
                            "Those times are for {}; just say if you'd like {} instead.",
                            with_article(&first.name),
                            list(&others)
                        ));
                    }
                }
                return;
            }
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
        let chosen = s.chosen.clone().expect("chosen above");
        // Who it is with is said back when the caller asked for someone.
        let with = if s.staff.is_some() { format!(" with {}", chosen.staff_name) } else { String::new() };
        let what = format!(
            "{}{with} on {} for {}",
            with_article(&self.service_name(&service)),
            chosen.spoken,
            s.name.clone().unwrap_or_default()
        );
        if t.caller().is_none() {
            // Giving the number answers this question, which says what will be booked.
            s.awaiting = Awaiting::Phone;
            t.say(format!("To book {what}, I need your full phone number, with the area code."));
            return;
        }
        s.awaiting = Awaiting::Confirm;
        t.say(format!("To confirm: {what}. Shall I book it?"));
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

impl GuidedDialog {
    /// Answers what was not understood: the question again, once a polite redirect for an
    /// off-topic line, then a transfer, or without anyone to transfer to, a goodbye.
    pub(super) async fn not_understood(
        &self,
        conversation: &mut Conversation,
        s: &GuidedState,
        t: &mut Step<'_>,
        words: usize,
    ) {
        let can_transfer = self.booking.business().transfer_number.is_some();
        match s.misunderstood {
            n if n >= 2 && can_transfer => {
                t.say("I'm sorry, I'm having trouble understanding. Let me transfer you to someone who can help.");
                t.tool(conversation, ToolRequest::Transfer { reason: Some("not understood".into()) }).await;
            }
            n if n >= 3 => {
                t.say("I'm sorry I couldn't help today. Please call back or text us any time. Goodbye!");
                t.tool(conversation, ToolRequest::EndCall { reason: Some("not understood".into()) }).await;
            }
            2 => t.say("I'm sorry, I can only help with appointments here. To book one, tell me the service and the day."),
            _ if s.awaiting == Awaiting::Name => t.say("Sorry, I didn't catch your name. Could you say it again?"),
            _ if s.awaiting == Awaiting::Phone => t.say("Sorry, what is your phone number, with the area code?"),
            _ if s.awaiting == Awaiting::Choice => {
                let times: Vec<String> = s.offered.iter().map(|o| clock_part(&o.spoken).to_string()).collect();
                t.say(format!("Sorry, which time would you like: {}?", list(&times)));
            }
            // A whole sentence about something else: one polite redirect.
            _ if words >= 3 => t.say(
                "I'm sorry, I can't help with that. I can book, move or cancel an appointment. Would you like to do one of those?",
            ),
            _ => t.say("Sorry, I didn't catch that. I can book, move or cancel an appointment. What would you like to do?"),
        }
    }

    /// A caller speaking another language: one short answer offering a transfer, then the end.
    pub(super) async fn other_language(&self, conversation: &mut Conversation, t: &mut Step<'_>) {
        t.say("I'm sorry, I can only help in English.");
        if self.booking.business().transfer_number.is_some() {
            t.say("Let me transfer you to someone who can help.");
            t.tool(conversation, ToolRequest::Transfer { reason: Some("other language".into()) }).await;
        } else {
            t.say("Please call back or send us a text, and we'll get back to you. Goodbye!");
            t.tool(conversation, ToolRequest::EndCall { reason: Some("other language".into()) }).await;
        }
    }
}

//! Offering times: search the day the caller wants (with the staff member, part of the day,
//! "later"/"earlier" and "as early as possible" they asked for), take the exact time when it is
//! free, else offer at most three; a day with nothing free offers the next days that have times.

use chrono::{Days, NaiveDate};

use super::dialog::{GuidedDialog, Step, clock_part, list};
use super::state::{Awaiting, GuidedState, Offer};
use crate::conversation::Conversation;
use crate::conversation::tools::{FailureKind, SlotQuery, ToolFailure, ToolOutcome, ToolRequest};
use crate::domain::{Refusal, ServiceId};

/// How many days ahead "as early as possible" and a full day look.
const LOOK_AHEAD_DAYS: u64 = 14;

/// A free time found, on its local day.
struct Found {
    offer: Offer,
    day: NaiveDate,
}

impl GuidedDialog {
    /// Runs one slot search and returns what it found, by local day and time.
    async fn search(
        &self,
        conversation: &mut Conversation,
        t: &mut Step<'_>,
        query: SlotQuery,
    ) -> Result<Vec<Found>, ToolFailure> {
        match t.tool(conversation, ToolRequest::FindSlots(query)).await {
            ToolOutcome::Slots(slots) => Ok(slots
                .into_iter()
                .map(|x| Found {
                    day: x.start.date_naive(),
                    offer: Offer { slot_id: x.slot_id, spoken: x.spoken, at: x.start.time(), staff_name: x.staff_name },
                })
                .collect()),
            ToolOutcome::Failed(f) => Err(f),
            _ => Ok(Vec::new()),
        }
    }

    /// Searches and offers up to three times, or picks the requested time. True when a slot is
    /// chosen.
    pub(super) async fn offer(
        &self,
        conversation: &mut Conversation,
        s: &mut GuidedState,
        t: &mut Step<'_>,
        service: &str,
    ) -> bool {
        let today = self.booking.business().today(self.booking.now());
        let (from, to) = match s.date {
            Some(day) => (day, day),
            None if s.earliest => (today, today + Days::new(LOOK_AHEAD_DAYS - 1)),
            None => {
                s.awaiting = Awaiting::Anything;
                t.say(format!("What day would you like to come in for your {}?", self.service_name(service)));
                return false;
            }
        };
        let Ok(service_id) = service.parse::<ServiceId>() else {
            s.service = None;
            s.awaiting = Awaiting::Anything;
            t.say("Which service would you like?");
            return false;
        };
        let query = |s: &GuidedState, from: NaiveDate, to: NaiveDate, narrow: bool| SlotQuery {
            service: service_id.clone(),
            from,
            to: Some(to),
            staff: s.staff.as_deref().and_then(|id| id.parse().ok()),
            part_of_day: if s.time.is_none() { s.part } else { None },
            after: if narrow { s.time.or(s.after) } else { None },
        };
        let mut found = self.search(conversation, t, query(s, from, to, true)).await;
        // A staff member who does not offer the service: say so and look for anyone.
        if let Err(f) = &found
            && f.kind == FailureKind::Refused(Refusal::ServiceNotOffered)
            && s.staff.is_some()
        {
            t.say(format!("I'm sorry, {}.", f.message.trim_end_matches('.')));
            s.staff = None;
            found = self.search(conversation, t, query(s, from, to, true)).await;
        }
        let (mut slots, error) = match found {
            Ok(slots) => (slots, None),
            Err(f) => (Vec::new(), Some(f.message)),
        };
        slots.retain(|f| s.before.is_none_or(|before| f.offer.at < before));
        if let Some(time) = s.time
            && let Some(exact) = slots.iter().find(|f| f.offer.at == time)
        {
            s.chosen = Some(exact.offer.clone());
            return true;
        }
        let asked = s.date;
        let mut sorry = None;
        if slots.is_empty() {
            let what = match (s.after, s.before) {
                (Some(_), _) => "nothing later",
                (_, Some(_)) => "nothing earlier",
                _ => "nothing free",
            };
            // Nothing that day (or nothing later/earlier): the next days that have times.
            let ahead = match (asked, &error) {
                (Some(day), None) => {
                    let next = day + Days::new(1);
                    let last = next + Days::new(LOOK_AHEAD_DAYS - 1);
                    // A requested time is kept ("quarter to three on Sunday": from 2:45 on Monday).
                    let narrow = s.time.is_some();
                    self.search(conversation, t, query(s, next, last, narrow)).await.unwrap_or_default()
                }
                _ => Vec::new(),
            };
            let when = asked.map_or_else(|| " in the next two weeks".to_string(), |d| format!(" on {}", say_day(d)));
            if ahead.is_empty() {
                s.date = None;
                s.awaiting = Awaiting::Anything;
                let error = error.map(|m| format!(" ({m})")).unwrap_or_default();
                t.say(format!("I'm sorry, there's {what}{when}{error}. What other day would work?"));
                return false;
            }
            let mut days: Vec<NaiveDate> = ahead.iter().map(|f| f.day).collect();
            days.dedup();
            let days: Vec<String> = days.into_iter().take(2).map(say_day).collect();
            sorry = Some((format!("I'm sorry, there's {what}{when}."), days));
            slots = ahead;
            s.after = None;
            s.before = None;
        }
        let day = slots[0].day;
        s.date = Some(day);
        let mut times: Vec<Offer> = Vec::new();
        for f in slots.into_iter().filter(|f| f.day == day) {
            // One option per time (whoever is free first).
            if !times.iter().any(|o| o.at == f.offer.at) {
                times.push(f.offer);
            }
        }
        // Closest to what was asked: the first times for "earliest" or "later", the last ones
        // for "earlier", else spread over the day.
        s.offered = if s.earliest || s.after.is_some() || (sorry.is_some() && s.time.is_some()) {
            times.into_iter().take(3).collect()
        } else if s.before.is_some() {
            let skip = times.len().saturating_sub(3);
            times.into_iter().skip(skip).collect()
        } else {
            let step = (times.len() / 3).max(1);
            times.into_iter().step_by(step).take(3).collect()
        };
        s.awaiting = Awaiting::Choice;
        let said = list(&s.offered.iter().map(|o| clock_part(&o.spoken).to_string()).collect::<Vec<_>>());
        let who = match (&s.staff, s.offered.first()) {
            (Some(_), Some(first)) => format!("{} has", first.staff_name),
            _ => "I have".into(),
        };
        let day = say_day(day);
        t.say(match sorry {
            Some((sorry, days)) if days.len() == 1 => {
                format!("{sorry} The next day with times is {day}, when {who} {said}. Which would you like?")
            }
            Some((sorry, days)) => format!(
                "{sorry} The next days with times are {}. On {day} {who} {said}. Which would you like?",
                days.join(" and ")
            ),
            None if s.time.is_some() => {
                format!("That time isn't available, but on {day} {who} {said}. Which would you like?")
            }
            None if asked.is_none() => format!("The earliest {who} is on {day}: {said}. Which would you like?"),
            None => format!("On {day} {who} {said}. Which would you like?"),
        });
        s.time = None;
        false
    }
}

/// "Tuesday, December 8".
fn say_day(day: NaiveDate) -> String {
    day.format("%A, %B %-d").to_string()
}

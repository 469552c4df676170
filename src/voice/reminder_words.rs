//! What reminder calls say (issue #17). A voicemail names the business, the service, the day and
//! the time and a number to call — never the customer's name or anything else about them: anyone
//! may play the machine back.

use chrono::{DateTime, Utc};

use crate::domain::{Appointment, Business};

/// The appointment's day and time as spoken ("Wednesday, December 9 at 2:00 PM").
pub(crate) fn spoken_time(biz: &Business, at: DateTime<Utc>) -> String {
    at.with_timezone(&biz.timezone).format("%A, %B %-d at %-I:%M %p").to_string()
}

fn service(biz: &Business, a: &Appointment) -> String {
    biz.service(&a.service_id).map_or_else(|| "appointment".to_string(), |s| s.name.clone())
}

fn callback_number(biz: &Business) -> String {
    biz.transfer_number.as_ref().or(biz.phone_number.as_ref()).map(|p| p.to_string()).unwrap_or_default()
}

/// The reminder and the keys a person may press; `may_cancel` says whether the policy still lets
/// them cancel themselves, `can_transfer` whether someone can be reached.
pub(crate) fn prompt(biz: &Business, a: &Appointment, may_cancel: bool, can_transfer: bool) -> String {
    let staff = biz.staff_member(&a.staff_id).map(|m| format!(" with {}", m.name)).unwrap_or_default();
    let mut text = format!(
        "Hello, this is {} with a reminder of your {}{staff} on {}. Press 1 to confirm.",
        biz.name,
        service(biz, a),
        spoken_time(biz, a.start)
    );
    if may_cancel {
        text.push_str(" Press 2 to cancel.");
    }
    if can_transfer {
        text.push_str(" Press 3 to talk to someone.");
    }
    text
}

/// The keys `prompt` offered.
pub(crate) fn keys(may_cancel: bool, can_transfer: bool) -> String {
    let mut keys = "1".to_string();
    if may_cancel {
        keys.push('2');
    }
    if can_transfer {
        keys.push('3');
    }
    keys
}

/// Said (by Telnyx) after a key that was not offered.
pub(crate) const INVALID: &str = "Sorry, that key is not one of the choices.";

/// Said before asking again when no key came.
pub(crate) const NO_KEY: &str = "Sorry, I didn't hear a key.";

/// After 1.
pub(crate) fn confirmed(biz: &Business, a: &Appointment) -> String {
    format!("Thank you, you're confirmed for {}. See you then. Goodbye!", spoken_time(biz, a.start))
}

/// After 2, within the policy.
pub(crate) fn cancelled(biz: &Business, a: &Appointment) -> String {
    format!(
        "Your appointment on {} is cancelled, and we've sent you a text to confirm. Goodbye!",
        spoken_time(biz, a.start)
    )
}

/// After 2 when the policy no longer allows it (the prompt offered it, the clock moved on).
pub(crate) fn too_late(biz: &Business) -> String {
    let hours = biz.policy.cancel_notice.num_hours();
    let number = callback_number(biz);
    format!(
        "I'm sorry, appointments can only be cancelled up to {hours} hours ahead. To talk about it, please call us \
         at {number}. Goodbye!"
    )
}

/// After 3 when no one can be reached by transfer.
pub(crate) fn call_us(biz: &Business) -> String {
    format!("Please call us at {} and we'll help you. Goodbye!", callback_number(biz))
}

/// After no key twice.
pub(crate) const NO_ANSWER_GOODBYE: &str = "We'll send you the details by text. Goodbye!";

/// The voicemail, left after the beep.
pub(crate) fn voicemail(biz: &Business, a: &Appointment) -> String {
    format!(
        "Hello, this is {} with a reminder of your {} appointment on {}. If you need to change it, please call us \
         at {}. Thank you, goodbye.",
        biz.name,
        service(biz, a),
        spoken_time(biz, a.start),
        callback_number(biz)
    )
}

/// What a person on a reminder call said, as the call acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// "Yes", "I'll be there": as 1.
    Confirm,
    /// "Cancel it": as 2.
    Cancel,
    /// "Can I talk to someone": as 3.
    Talk,
    /// "Text me instead", "don't call me": reminders by text from now on.
    TextsOnly,
    /// Anything else with substance ("can I move it to Thursday?"): the receptionist takes over.
    Receptionist,
    /// A sound or a word too short to mean anything ("uh", "hello?"): the key prompt goes on.
    Unclear,
}

/// Reads what a person said in answer to the reminder.
pub(crate) fn understand(text: &str) -> Answer {
    use crate::conversation::guided::understand::{Intent, greeting, intent, words, yes_no};
    let w = words(text);
    let said = w.join(" ");
    let texts_only = ["text me", "send me a text", "by text", "don't call", "dont call", "do not call", "stop calling"];
    if texts_only.iter().any(|p| said.contains(p)) || said.contains("no more calls") {
        return Answer::TextsOnly;
    }
    let intent = intent(&w);
    match intent {
        Some(Intent::Cancel) => return Answer::Cancel,
        Some(Intent::Transfer) => return Answer::Talk,
        Some(Intent::Reschedule) => return Answer::Receptionist,
        _ => {}
    }
    // Before "book" words: "see you then" is not a new booking.
    if ["be there", "confirm", "see you", "i'll come", "i will come"].iter().any(|p| said.contains(p)) {
        return Answer::Confirm;
    }
    if matches!(intent, Some(Intent::Book | Intent::Find)) {
        return Answer::Receptionist;
    }
    match yes_no(&w) {
        Some(true) if !greeting(&w) => Answer::Confirm,
        // "No, I can't make it": they want something changed, the receptionist asks what.
        Some(false) => Answer::Receptionist,
        _ if w.len() >= 3 => Answer::Receptionist,
        _ => Answer::Unclear,
    }
}

/// After "text me instead" / "don't call me".
pub(crate) const TEXTS_FROM_NOW_ON: &str =
    "Of course. We won't call you with reminders again; they'll come by text, and I'll text you this one now. Goodbye!";

#[cfg(test)]
mod tests {
    use super::{Answer, understand};

    #[test]
    fn yes_and_its_ways_of_saying_it_confirm() {
        for said in ["Yes.", "yeah", "Yes, I'll be there", "sure thing", "I confirm", "okay see you then"] {
            assert_eq!(understand(said), Answer::Confirm, "{said}");
        }
    }

    #[test]
    fn cancelling_talking_and_texts_are_told_apart() {
        assert_eq!(understand("Cancel it please"), Answer::Cancel);
        assert_eq!(understand("can I talk to a person"), Answer::Talk);
        for said in ["Just text me instead", "Please don't call me", "stop calling me", "do not call this number"] {
            assert_eq!(understand(said), Answer::TextsOnly, "{said}");
        }
    }

    #[test]
    fn anything_else_with_substance_goes_to_the_receptionist_and_noise_does_not() {
        for said in ["Can I move it to Thursday?", "no I can't make it", "what time was that again"] {
            assert_eq!(understand(said), Answer::Receptionist, "{said}");
        }
        for said in ["uh", "hello?", "hi there", ""] {
            assert_eq!(understand(said), Answer::Unclear, "{said:?}");
        }
    }
}

//! Understanding what a caller said, without an LLM: intents, services, dates, times, parts of day,
//! yes/no, choices and names, tolerant of speech-to-text quirks ("to" for "two", "p.m.", numbers as
//! words). Pure functions over the words and an injected "today".

mod language;
mod when;
mod words;

pub use crate::conversation::tools::PartOfDay;
pub use language::foreign;
pub use when::{date, part_of_day, time};
pub use words::words;
use words::{has, number_word, ordinal, phrase};

use crate::domain::{Business, ServiceId, StaffId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Intent {
    /// Make an appointment.
    Book,
    /// Cancel one.
    Cancel,
    /// Move one.
    Reschedule,
    /// Hear their appointments.
    Find,
    /// Talk to a person.
    Transfer,
    /// Say goodbye.
    Goodbye,
}

/// The caller's intent, if the words say one.
pub fn intent(words: &[String]) -> Option<Intent> {
    if has(words, &["cancel", "cancellation"]) || phrase(words, "call off") {
        return Some(Intent::Cancel);
    }
    if has(words, &["reschedule", "move", "change", "postpone", "push", "rebook"]) {
        return Some(Intent::Reschedule);
    }
    if has(words, &["human", "person", "someone", "somebody", "operator", "receptionist", "representative", "agent"]) {
        return Some(Intent::Transfer);
    }
    if has(words, &["bye", "goodbye"])
        || phrase(words, "that's all")
        || phrase(words, "thats all")
        || phrase(words, "nothing else")
    {
        return Some(Intent::Goodbye);
    }
    if phrase(words, "when is my")
        || phrase(words, "what time is my")
        || phrase(words, "do i have")
        || phrase(words, "my appointments")
    {
        return Some(Intent::Find);
    }
    if has(
        words,
        &[
            "book",
            "booking",
            "schedule",
            "appointment",
            "appt",
            "reserve",
            "reservation",
            "come",
            "visit",
            "see",
            "available",
            "openings",
            "slot",
            "consultation",
        ],
    ) {
        return Some(Intent::Book);
    }
    None
}

/// A bare greeting ("hi", "hello there", "hey"), which asks for nothing yet.
pub fn greeting(words: &[String]) -> bool {
    let hello = ["hi", "hello", "hey", "hiya", "howdy", "there", "um", "uh", "yes", "ok", "okay"];
    !words.is_empty()
        && words.iter().all(|w| hello.contains(&w.as_str()))
        && has(words, &["hi", "hello", "hey", "hiya", "howdy"])
}

/// Yes (`Some(true)`), no (`Some(false)`) or neither.
pub fn yes_no(words: &[String]) -> Option<bool> {
    let no = ["no", "nope", "nah", "not", "don't", "dont", "wrong", "cancel"];
    let yes = [
        "yes",
        "yeah",
        "yep",
        "yup",
        "sure",
        "correct",
        "right",
        "ok",
        "okay",
        "please",
        "perfect",
        "great",
        "sounds",
        "absolutely",
        "definitely",
        "fine",
    ];
    if has(words, &no) {
        return Some(false);
    }
    if has(words, &yes) || phrase(words, "go ahead") || phrase(words, "that works") {
        return Some(true);
    }
    None
}

/// A service named or described in the words.
pub fn service(words: &[String], biz: &Business) -> Option<ServiceId> {
    let text = words.join(" ");
    let synonyms: &[(&str, &[&str])] = &[
        ("consultation", &["consult", "consultation", "first visit", "quick", "short", "initial"]),
        ("standard", &["standard", "regular", "normal", "usual", "hour"]),
        ("extended", &["extended", "long", "longer", "hour and a half", "90"]),
    ];
    for s in &biz.services {
        let name = s.name.to_lowercase();
        if text.contains(&name) || text.contains(s.id.as_str()) {
            return Some(s.id.clone());
        }
    }
    for s in &biz.services {
        let own = synonyms.iter().find(|(id, _)| *id == s.id.as_str()).map(|(_, words)| *words).unwrap_or(&[]);
        let name_words: Vec<String> = s
            .name
            .to_lowercase()
            .split_whitespace()
            .filter(|w| !matches!(*w, "appointment" | "session" | "visit" | "the" | "a"))
            .map(String::from)
            .collect();
        if own.iter().any(|w| text.split_whitespace().any(|t| t == *w) || (w.contains(' ') && text.contains(w)))
            || name_words.iter().any(|w| words.iter().any(|t| t == w))
        {
            return Some(s.id.clone());
        }
    }
    None
}

/// A caller steering the offered times: "as early as possible", "anything later?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Shift {
    /// The first free time, on the named day or from today.
    Earliest,
    /// Times after the ones offered.
    Later,
    /// Times before the ones offered.
    Earlier,
}

/// How the words steer the offered times, if they do.
pub fn shift(words: &[String]) -> Option<Shift> {
    let text = words.join(" ");
    let earliest = ["as early as", "as soon as", "earliest", "soonest", "first available", "next available"];
    if earliest.iter().any(|p| text.contains(p)) {
        Some(Shift::Earliest)
    } else if has(words, &["later"]) || phrase(words, "anything after") {
        Some(Shift::Later)
    } else if has(words, &["earlier", "sooner"]) || phrase(words, "anything before") {
        Some(Shift::Earlier)
    } else {
        None
    }
}

/// A staff member the caller asks for: "with Sarah", "can I see Priya Patel", "Dr. Chen please".
pub fn staff(words: &[String], biz: &Business) -> Option<StaffId> {
    let asks = ["with", "see", "by", "prefer", "dr", "doctor", "ms", "mr", "mrs", "miss"];
    for (i, w) in words.iter().enumerate() {
        let Some(member) = biz
            .staff
            .iter()
            .find(|m| m.id.as_str() == w || m.name.to_lowercase().split_whitespace().any(|part| part == w))
        else {
            continue;
        };
        let before = &words[i.saturating_sub(2)..i];
        if before.iter().any(|b| asks.contains(&b.as_str())) {
            return Some(member.id.clone());
        }
    }
    None
}

/// Which of `n` offered options the words pick ("the first one", "second", "number 3", "the last").
pub fn choice(words: &[String], n: usize) -> Option<usize> {
    if has(words, &["last", "latter"]) && n > 0 {
        return Some(n - 1);
    }
    for (i, w) in words.iter().enumerate() {
        let pick = ordinal(w)
            .or_else(|| (i > 0 && words[i - 1] == "number" || w == "option").then(|| number_word(w)).flatten());
        if let Some(k) = pick.filter(|k| (1..=n as u32).contains(k)) {
            return Some(k as usize - 1);
        }
    }
    None
}

/// Words that are never part of a name: answers, numbers, days, times and the small words around
/// them ("it's for an Extended Session", "I'm looking for Tuesday", "yes", "2 pm").
const NOT_NAMES: &[&str] = &[
    "and",
    "please",
    "thanks",
    "thank",
    "yes",
    "yeah",
    "yep",
    "sure",
    "ok",
    "okay",
    "no",
    "nope",
    "not",
    "for",
    "a",
    "an",
    "the",
    "to",
    "at",
    "on",
    "in",
    "with",
    "about",
    "calling",
    "looking",
    "trying",
    "wondering",
    "hoping",
    "going",
    "just",
    "here",
    "free",
    "available",
    "interested",
    "sorry",
    "fine",
    "good",
    "great",
    "busy",
    "back",
    "late",
    "ready",
    "new",
    "sure",
    "still",
    "also",
    "so",
    "that",
    "this",
    "it",
    "me",
    "my",
    "your",
    "you",
    "we",
    "today",
    "tomorrow",
    "tonight",
    "morning",
    "afternoon",
    "evening",
    "noon",
    "am",
    "pm",
    "next",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "first",
    "second",
    "third",
    "last",
    "half",
    "quarter",
    "past",
    "o'clock",
    "book",
    "booking",
    "appointment",
    "cancel",
    "change",
    "move",
    "reschedule",
];

/// A name the caller gives: "my name is Jane Doe", "I'm Jane", "this is Jane", "it's Jane Doe",
/// "book an appointment for John Doe",
/// or just "Jane Doe" when `expecting` a name. Answers, times and days are never names.
pub fn name(text: &str, expecting: bool) -> Option<String> {
    let cleaned: String =
        text.chars().map(|c| if c.is_alphanumeric() || c == '\'' || c == '-' || c == ' ' { c } else { ' ' }).collect();
    // ASCII lower-casing keeps byte offsets, so a marker's place in `lower` is its place in `cleaned`.
    let lower = format!(" {}", cleaned.to_ascii_lowercase());
    let markers = [
        " my name is ",
        " name's ",
        " i am ",
        " i'm ",
        " im ",
        " this is ",
        " it's ",
        " its ",
        " call me ",
        " appointment for ",
        " booking for ",
        " book it for ",
        " reservation for ",
    ];
    let start = markers.iter().filter_map(|m| lower.find(m).map(|i| i + m.len() - 1)).min();
    let rest = match start {
        Some(i) => cleaned.get(i..).unwrap_or_default(),
        None if expecting => cleaned.as_str(),
        None => return None,
    };
    let parts: Vec<String> = rest
        .split_whitespace()
        .take_while(|w| {
            !NOT_NAMES.contains(&w.to_lowercase().trim_matches('\'')) && !w.chars().any(|c| c.is_ascii_digit())
        })
        .take(3)
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().collect::<String>() + &c.as_str().to_lowercase()).unwrap_or_default()
        })
        .collect();
    let name = parts.join(" ");
    (!name.is_empty() && name.len() <= 60).then_some(name)
}

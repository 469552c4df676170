//! Understanding what a caller said, without an LLM: intents, services, dates, times, parts of day,
//! yes/no, choices and names, tolerant of speech-to-text quirks ("to" for "two", "p.m.", numbers as
//! words). Pure functions over the words and an injected "today".

mod when;
mod words;

pub use crate::conversation::tools::PartOfDay;
pub use when::{date, part_of_day, time};
pub use words::words;
use words::{has, number_word, ordinal, phrase};

use crate::domain::{Business, ServiceId};

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

/// A name the caller gives: "my name is Jane Doe", "I'm Jane", "this is Jane", "it's Jane Doe",
/// or just "Jane Doe" when `expecting` a name.
pub fn name(text: &str, expecting: bool) -> Option<String> {
    let cleaned: String =
        text.chars().map(|c| if c.is_alphabetic() || c == '\'' || c == '-' || c == ' ' { c } else { ' ' }).collect();
    let lower = cleaned.to_lowercase();
    let markers = ["my name is ", "name's ", "i am ", "i'm ", "im ", "this is ", "it's ", "its ", "call me "];
    let start = markers.iter().filter_map(|m| lower.find(m).map(|i| i + m.len())).min();
    let rest = match start {
        Some(i) => &cleaned[i..],
        None if expecting => cleaned.as_str(),
        None => return None,
    };
    let stop = ["and", "please", "thanks", "thank", "yes", "yeah", "sure", "ok", "okay"];
    let parts: Vec<String> = rest
        .split_whitespace()
        .take_while(|w| !stop.contains(&w.to_lowercase().as_str()))
        .take(3)
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().collect::<String>() + &c.as_str().to_lowercase()).unwrap_or_default()
        })
        .collect();
    let name = parts.join(" ");
    (!name.is_empty() && name.len() <= 60).then_some(name)
}

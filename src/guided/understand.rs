//! Understanding what a caller said, without an LLM: intents, services, dates, times, parts of day,
//! yes/no, choices and names, tolerant of speech-to-text quirks ("to" for "two", "p.m.", numbers as
//! words). Pure functions over the words and an injected "today".

use chrono::{Datelike, Days, NaiveDate, NaiveTime, Weekday};

use crate::domain::{Business, ServiceId};

/// What the caller wants to do.
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

/// A part of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PartOfDay {
    /// Before noon.
    Morning,
    /// Noon to five.
    Afternoon,
    /// After five.
    Evening,
}

impl PartOfDay {
    /// The tool argument.
    pub fn as_str(self) -> &'static str {
        match self {
            PartOfDay::Morning => "morning",
            PartOfDay::Afternoon => "afternoon",
            PartOfDay::Evening => "evening",
        }
    }
}

const NUMBERS: &[(&str, u32)] = &[
    ("zero", 0),
    ("oh", 0),
    ("one", 1),
    ("two", 2),
    ("to", 2),
    ("too", 2),
    ("three", 3),
    ("four", 4),
    ("for", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("fifteen", 15),
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("fourty", 40),
    ("fifty", 50),
];

const ORDINALS: &[(&str, u32)] = &[
    ("first", 1),
    ("second", 2),
    ("third", 3),
    ("fourth", 4),
    ("fifth", 5),
    ("sixth", 6),
    ("seventh", 7),
    ("eighth", 8),
    ("ninth", 9),
    ("tenth", 10),
    ("eleventh", 11),
    ("twelfth", 12),
    ("thirteenth", 13),
    ("fourteenth", 14),
    ("fifteenth", 15),
    ("sixteenth", 16),
    ("seventeenth", 17),
    ("eighteenth", 18),
    ("nineteenth", 19),
    ("twentieth", 20),
    ("thirtieth", 30),
];

const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Lower-case words with punctuation removed; `p.m.` → `pm`, `9:30` kept, `2pm` → `2 pm`.
pub fn words(text: &str) -> Vec<String> {
    let lower = text
        .to_lowercase()
        .replace("p.m.", " pm ")
        .replace("a.m.", " am ")
        .replace("p.m", " pm ")
        .replace("a.m", " am ");
    let mut out = Vec::new();
    for raw in lower.split(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | '!' | '?' | ';' | '"' | '-')) {
        let w: String = raw.chars().filter(|c| c.is_alphanumeric() || *c == ':' || *c == '\'' || *c == '/').collect();
        let w = w.trim_matches('\'').to_string();
        if w.is_empty() {
            continue;
        }
        // "2pm" → "2", "pm"
        if let Some(num) = w.strip_suffix("pm").or_else(|| w.strip_suffix("am"))
            && !num.is_empty()
            && num.chars().all(|c| c.is_ascii_digit() || c == ':')
        {
            out.push(num.to_string());
            out.push(w[num.len()..].to_string());
            continue;
        }
        out.push(w);
    }
    out
}

fn has(words: &[String], any: &[&str]) -> bool {
    words.iter().any(|w| any.contains(&w.as_str()))
}

fn phrase(words: &[String], p: &str) -> bool {
    words.join(" ").contains(p)
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

fn number_word(w: &str) -> Option<u32> {
    w.parse().ok().or_else(|| NUMBERS.iter().find(|(n, _)| *n == w).map(|(_, v)| *v))
}

fn ordinal(w: &str) -> Option<u32> {
    if let Some(n) = ORDINALS.iter().find(|(o, _)| *o == w) {
        return Some(n.1);
    }
    let digits = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &w[digits.len()..];
    if !digits.is_empty() && matches!(suffix, "st" | "nd" | "rd" | "th") {
        return digits.parse().ok();
    }
    None
}

/// The next `weekday` after `today` (today itself counts only with `this`).
fn next_weekday(today: NaiveDate, weekday: Weekday, allow_today: bool) -> NaiveDate {
    let mut d = if allow_today { today } else { today + Days::new(1) };
    while d.weekday() != weekday {
        d = d + Days::new(1);
    }
    d
}

/// A day named in the words, relative to `today`.
pub fn date(words: &[String], today: NaiveDate) -> Option<NaiveDate> {
    let text = words.join(" ");
    if text.contains("day after tomorrow") {
        return Some(today + Days::new(2));
    }
    if has(words, &["tomorrow", "tmrw", "tomorow"]) {
        return Some(today + Days::new(1));
    }
    if has(words, &["today", "tonight"]) {
        return Some(today);
    }
    let weekdays = [
        ("monday", Weekday::Mon),
        ("tuesday", Weekday::Tue),
        ("wednesday", Weekday::Wed),
        ("thursday", Weekday::Thu),
        ("friday", Weekday::Fri),
        ("saturday", Weekday::Sat),
        ("sunday", Weekday::Sun),
    ];
    // Month and day: "march 10th", "10th of march", "december 8".
    for (i, w) in words.iter().enumerate() {
        let Some(m) = MONTHS.iter().position(|m| w == m || (w.len() == 3 && m.starts_with(w.as_str()))) else {
            continue;
        };
        let day = words
            .get(i + 1)
            .and_then(|n| ordinal(n).or_else(|| number_word(n)))
            .or_else(|| i.checked_sub(2).and_then(|j| (words[j + 1] == "of").then(|| ordinal(&words[j])).flatten()));
        if let Some(day) = day {
            let month = m as u32 + 1;
            let this_year = NaiveDate::from_ymd_opt(today.year(), month, day)?;
            return Some(if this_year < today {
                NaiveDate::from_ymd_opt(today.year() + 1, month, day)?
            } else {
                this_year
            });
        }
    }
    // "Tuesday" and "next Tuesday" are the coming Tuesday; "this Tuesday" may be today.
    for (i, w) in words.iter().enumerate() {
        if let Some((_, wd)) = weekdays.iter().find(|(name, _)| w == name || w.trim_end_matches('s') == *name) {
            return Some(next_weekday(today, *wd, i > 0 && words[i - 1] == "this"));
        }
    }
    // "the 12th": the next date with that day of the month.
    let day = words
        .iter()
        .enumerate()
        .find_map(|(i, w)| (w == "the").then(|| words.get(i + 1).and_then(|n| ordinal(n))).flatten())
        .or_else(|| words.first().and_then(|w| ordinal(w)))?;
    let mut d = today;
    for _ in 0..62 {
        if d.day() == day {
            return Some(d);
        }
        d = d + Days::new(1);
    }
    None
}

/// A part of the day named in the words.
pub fn part_of_day(words: &[String]) -> Option<PartOfDay> {
    if has(words, &["morning", "am"]) {
        Some(PartOfDay::Morning)
    } else if has(words, &["afternoon", "lunchtime", "noon"]) || phrase(words, "after lunch") {
        Some(PartOfDay::Afternoon)
    } else if has(words, &["evening", "tonight"]) || phrase(words, "after work") {
        Some(PartOfDay::Evening)
    } else {
        None
    }
}

/// A clock time in the words: "2 pm", "2:30", "two thirty", "half past two", "noon", "9 in the
/// morning". Hours 1–7 without am/pm are read as afternoon (business hours).
pub fn time(words: &[String]) -> Option<NaiveTime> {
    if has(words, &["noon", "midday"]) {
        return NaiveTime::from_hms_opt(12, 0, 0);
    }
    let pm = has(words, &["pm", "afternoon", "evening"]);
    let am = has(words, &["am", "morning"]);
    let mut found: Option<(u32, u32)> = None;
    for (i, w) in words.iter().enumerate() {
        if let Some((h, m)) = w.split_once(':')
            && let (Ok(h), Ok(m)) = (h.parse::<u32>(), m.parse::<u32>())
        {
            found = Some((h, m));
            break;
        }
        let after_at = i > 0 && matches!(words[i - 1].as_str(), "at" | "around" | "about" | "by");
        let Some(h) = number_word(w) else { continue };
        if !(1..=12).contains(&h) {
            continue;
        }
        let next = words.get(i + 1).map(String::as_str);
        let clockish = after_at
            || matches!(next, Some("pm" | "am" | "o'clock" | "oclock" | "thirty" | "fifteen" | "forty" | "in"))
            || matches!(next, Some(n) if n.parse::<u32>().is_ok_and(|m| m < 60 && m % 5 == 0));
        // "to"/"for" count as numbers only when they clearly are clock words.
        if matches!(w.as_str(), "to" | "too" | "for")
            && !matches!(next, Some("pm" | "am" | "thirty" | "fifteen" | "o'clock"))
        {
            continue;
        }
        if !clockish {
            continue;
        }
        let minutes = match next {
            Some("thirty") => 30,
            Some("fifteen") => 15,
            Some("forty") => 40 + words.get(i + 2).and_then(|w| number_word(w)).filter(|m| *m < 10).unwrap_or(0),
            Some(n) => n.parse::<u32>().ok().filter(|m| *m < 60).unwrap_or(0),
            None => 0,
        };
        let half_past = i >= 2 && words[i - 2] == "half" && words[i - 1] == "past";
        found = Some((h, if half_past { 30 } else { minutes }));
        break;
    }
    if found.is_none() {
        // "half past two"
        if let Some(i) = words.iter().position(|w| w == "past")
            && i >= 1
            && words[i - 1] == "half"
            && let Some(h) = words.get(i + 1).and_then(|w| number_word(w))
        {
            found = Some((h, 30));
        }
    }
    let (mut h, m) = found?;
    if pm && h < 12 {
        h += 12;
    } else if am && h == 12 {
        h = 0;
    } else if !am && !pm && (1..=7).contains(&h) {
        h += 12;
    }
    NaiveTime::from_hms_opt(h, m, 0)
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

//! When: dates ("next Tuesday", "the 3rd", "December 8th", "tomorrow"), clock times ("two thirty
//! p.m.", "2:30", "half past two", "noon") and parts of the day, relative to an injected today.

use chrono::{Datelike, Days, NaiveDate, NaiveTime, Weekday};

use super::words::{has, number_word, ordinal, phrase};
use crate::conversation::tools::PartOfDay;

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
    // "the 12th": the next date with that day of the month ("the first one" picks an option).
    let choosing = |i: usize| {
        words
            .get(i + 1)
            .is_some_and(|n| matches!(n.as_str(), "one" | "option" | "time" | "slot" | "appointment" | "choice"))
    };
    let day = words
        .iter()
        .enumerate()
        .find_map(|(i, w)| {
            (w == "the").then(|| words.get(i + 1).and_then(|n| ordinal(n)).filter(|_| !choosing(i + 1))).flatten()
        })
        .or_else(|| words.first().and_then(|w| ordinal(w)).filter(|_| !choosing(0)))?;
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

/// "quarter past two" (2:15), "a quarter after 2", "quarter to three" (2:45), "quarter of three".
fn quarter(words: &[String]) -> Option<(u32, u32)> {
    let i = words.iter().position(|w| w == "quarter")?;
    let hour = words.get(i + 2).and_then(|w| number_word(w)).filter(|h| (1..=12).contains(h))?;
    match words.get(i + 1).map(String::as_str)? {
        "past" | "after" => Some((hour, 15)),
        "to" | "till" | "til" | "before" | "of" => Some((if hour == 1 { 12 } else { hour - 1 }, 45)),
        _ => None,
    }
}

/// A clock time in the words: "2 pm", "2:30", "two thirty", "half past two", "quarter to three",
/// "noon", "9 in the morning". Hours 1–7 without am/pm are read as afternoon (business hours).
pub fn time(words: &[String]) -> Option<NaiveTime> {
    if has(words, &["noon", "midday"]) {
        return NaiveTime::from_hms_opt(12, 0, 0);
    }
    let pm = has(words, &["pm", "afternoon", "evening"]);
    let am = has(words, &["am", "morning"]);
    let mut found: Option<(u32, u32)> = quarter(words);
    for (i, w) in words.iter().enumerate() {
        if found.is_some() {
            break;
        }
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

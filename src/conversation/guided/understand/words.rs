//! Words and numbers: how an utterance is split into lower-case words, and numbers said as words
//! or ordinals ("two", "to", "twenty", "third", "3rd").

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

pub(super) fn has(words: &[String], any: &[&str]) -> bool {
    words.iter().any(|w| any.contains(&w.as_str()))
}

pub(super) fn phrase(words: &[String], p: &str) -> bool {
    words.join(" ").contains(p)
}

pub(super) fn number_word(w: &str) -> Option<u32> {
    w.parse().ok().or_else(|| NUMBERS.iter().find(|(n, _)| *n == w).map(|(_, v)| *v))
}

pub(super) fn ordinal(w: &str) -> Option<u32> {
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

//! Who is writing: the customer's phone number, from what the chat client says (a header or the
//! request's `user` field) or from what the customer wrote ("John Doe, 312-555-1234"). A number
//! without its area code is never completed by guessing: the receptionist asks for the full one.

use crate::domain::PhoneNumber;
use crate::domain::phone::Region;

/// What was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A full, valid number.
    Known(PhoneNumber),
    /// Something like a number, but not a full one ("555-1234").
    Incomplete,
    /// No number at all.
    Unknown,
}

impl Caller {
    /// The number, when known.
    pub fn number(&self) -> Option<&PhoneNumber> {
        match self {
            Caller::Known(n) => Some(n),
            _ => None,
        }
    }
}

/// Runs of digits with the punctuation people write numbers with (`(312) 555-1234`, `+1 312…`).
fn candidates(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices() {
        let part = c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')' | '+');
        match (part, start) {
            (true, None) if c.is_ascii_digit() || c == '+' || c == '(' => start = Some(i),
            (false, Some(s)) => {
                out.push(text[s..i].trim());
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(text[s..bytes.len()].trim());
    }
    out.retain(|c| c.chars().filter(char::is_ascii_digit).count() >= 7);
    out
}

/// The caller in `text`, read in `region`.
pub fn in_text(text: &str, region: Region) -> Caller {
    let mut found = Caller::Unknown;
    for candidate in candidates(text) {
        match PhoneNumber::parse(candidate, region) {
            Ok(number) => return Caller::Known(number),
            Err(_) => found = Caller::Incomplete,
        }
    }
    found
}

/// The caller of a conversation: the client's word first, else the latest number the customer
/// wrote (a later full number replaces an earlier incomplete one).
pub fn of_conversation<'a>(
    hint: Option<&str>,
    user_texts: impl DoubleEndedIterator<Item = &'a str>,
    region: Region,
) -> Caller {
    if let Some(hint) = hint.map(str::trim).filter(|h| !h.is_empty())
        && let Ok(number) = PhoneNumber::parse(hint, region)
    {
        return Caller::Known(number);
    }
    let mut seen = Caller::Unknown;
    for text in user_texts.rev() {
        match in_text(text, region) {
            Caller::Known(n) => return Caller::Known(n),
            Caller::Incomplete if seen == Caller::Unknown => seen = Caller::Incomplete,
            _ => {}
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us() -> Region {
        Region::parse("US").unwrap()
    }

    #[test]
    fn numbers_are_found_in_what_people_write() {
        let known = |t: &str| in_text(t, us()).number().map(|n| n.as_str().to_string());
        assert_eq!(known("it's 312-555-1234").as_deref(), Some("+13125551234"));
        assert_eq!(known("(312) 555-1234, thanks").as_deref(), Some("+13125551234"));
        assert_eq!(known("+1 312 555 1234").as_deref(), Some("+13125551234"));
        assert_eq!(in_text("John Doe, 555-1234, consultation", us()), Caller::Incomplete);
        assert_eq!(in_text("next Tuesday at 2pm", us()), Caller::Unknown);
        assert_eq!(in_text("the 12th at 10:30", us()), Caller::Unknown);
    }

    #[test]
    fn the_clients_word_comes_first_then_the_latest_number_written() {
        let texts = ["John Doe, 555-1234", "312-555-1234"];
        let caller = of_conversation(None, texts.iter().copied(), us());
        assert_eq!(caller.number().unwrap().as_str(), "+13125551234");
        let caller = of_conversation(Some("+1 773 555 0000"), texts.iter().copied(), us());
        assert_eq!(caller.number().unwrap().as_str(), "+17735550000");
        assert_eq!(of_conversation(None, ["John Doe, 555-1234"].into_iter(), us()), Caller::Incomplete);
        assert_eq!(of_conversation(Some("not a number"), ["hi"].into_iter(), us()), Caller::Unknown);
    }
}

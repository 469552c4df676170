//! What a customer's text asks for (SPEC §8), tolerant of case, spacing, punctuation and common
//! phrasings. Pure: no I/O.

/// A parsed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsCommand {
    /// Cancel the n-th upcoming appointment (1 = the next one).
    Cancel(usize),
    /// STOP family: no more texts.
    OptOut,
    /// START/UNSTOP: texts again.
    OptIn,
    /// HELP/INFO.
    Help,
    /// Anything else.
    Other,
}

/// Carrier opt-out words (CTIA, Telnyx defaults, FCC 2025 list), matched as the whole message.
const OPT_OUT: &[&str] = &["stop", "stopall", "stop all", "unsubscribe", "end", "quit", "revoke", "opt out", "optout"];
const OPT_IN: &[&str] = &["start", "unstop", "subscribe", "resume"];
const HELP: &[&str] = &["help", "info", "h"];
/// Words that may surround "cancel" in a cancellation request.
const FILLER: &[&str] = &[
    "my",
    "the",
    "a",
    "an",
    "appointment",
    "appointments",
    "appt",
    "appts",
    "booking",
    "reservation",
    "please",
    "pls",
    "plz",
    "i",
    "id",
    "want",
    "wanna",
    "to",
    "need",
    "would",
    "like",
    "can",
    "you",
    "it",
    "this",
    "that",
    "next",
    "upcoming",
    "one",
    "thanks",
    "thank",
    "thx",
    "hi",
    "hello",
    "hey",
    "ok",
    "okay",
    "sorry",
    "have",
    "just",
    "for",
    "me",
    "number",
    "no",
];

fn normalize(text: &str) -> String {
    let cleaned: String =
        text.chars().map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { ' ' }).collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `c`, `c2`, `c 2`, `cancel`, `cancel 2`, `cancel #2`, "please cancel my appointment", …
fn cancellation(words: &[&str]) -> Option<usize> {
    let mut number = None;
    let mut saw_cancel = false;
    let mut rest = words.iter().peekable();
    while let Some(word) = rest.next() {
        let (head, digits) = word.split_at(word.find(|c: char| c.is_ascii_digit()).unwrap_or(word.len()));
        match head {
            "c" | "cancel" | "cancell" | "cancle" | "cancelled" | "canceled" | "cxl" if !saw_cancel => {
                saw_cancel = true;
                if !digits.is_empty() {
                    number = Some(digits.parse().ok()?);
                } else if let Some(next) = rest.peek()
                    && next.bytes().all(|b| b.is_ascii_digit())
                {
                    number = Some(next.parse().ok()?);
                    rest.next();
                }
            }
            _ if FILLER.contains(word) => {}
            _ => return None,
        }
    }
    match (saw_cancel, number) {
        (true, Some(n)) if (1..=9).contains(&n) => Some(n),
        (true, Some(_)) => None,
        (true, None) => Some(1),
        (false, _) => None,
    }
}

/// Parses a customer's text.
pub fn parse(text: &str) -> SmsCommand {
    let normalized = normalize(text);
    let n = normalized.as_str();
    if OPT_OUT.contains(&n) {
        return SmsCommand::OptOut;
    }
    if OPT_IN.contains(&n) {
        return SmsCommand::OptIn;
    }
    if HELP.contains(&n) {
        return SmsCommand::Help;
    }
    let words: Vec<&str> = n.split(' ').filter(|w| !w.is_empty()).collect();
    match cancellation(&words) {
        Some(k) => SmsCommand::Cancel(k),
        None => SmsCommand::Other,
    }
}

/// True when the whole text is a carrier opt-out keyword (bare `CANCEL` included): Telnyx may
/// already have blocked replies, so the one confirmation is attempted regardless of our record.
pub fn is_carrier_keyword(text: &str) -> bool {
    let n = normalize(text);
    OPT_OUT.contains(&n.as_str()) || n == "cancel"
}

#[cfg(test)]
mod tests {
    use super::SmsCommand::*;
    use super::*;

    #[test]
    fn cancellations_in_many_spellings() {
        for (text, want) in [
            ("CANCEL", Cancel(1)),
            ("cancel", Cancel(1)),
            (" Cancel. ", Cancel(1)),
            ("C", Cancel(1)),
            ("c!", Cancel(1)),
            ("CANCEL APPOINTMENT", Cancel(1)),
            ("cancel my appointment", Cancel(1)),
            ("Please cancel my appt, thanks!", Cancel(1)),
            ("I need to cancel", Cancel(1)),
            ("C2", Cancel(2)),
            ("c 3", Cancel(3)),
            ("Cancel #2", Cancel(2)),
            ("cancel 2 please", Cancel(2)),
            ("C0", Other),
            ("C12", Other),
            ("can you move my appointment", Other),
            ("don't cancel", Other),
            ("cancel cancel", Other),
            ("What time is my appointment?", Other),
            ("", Other),
        ] {
            assert_eq!(parse(text), want, "{text:?}");
        }
    }

    #[test]
    fn opt_words_only_as_the_whole_message() {
        for t in ["STOP", "stop", "Stop.", "STOPALL", "stop all", "UNSUBSCRIBE", "end", "QUIT", "opt-out", "Revoke"] {
            assert_eq!(parse(t), OptOut, "{t:?}");
        }
        assert_eq!(parse("please stop texting me"), Other);
        for t in ["START", "unstop", "Start!"] {
            assert_eq!(parse(t), OptIn, "{t:?}");
        }
        assert_eq!(parse("HELP"), Help);
        assert_eq!(parse("help?"), Help);
    }

    #[test]
    fn bare_cancel_is_a_carrier_keyword_but_c_is_not() {
        assert!(is_carrier_keyword(" Cancel. "));
        assert!(is_carrier_keyword("STOP"));
        assert!(!is_carrier_keyword("C"));
        assert!(!is_carrier_keyword("cancel my appointment"));
    }
}

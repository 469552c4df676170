//! Turning model text into speech: complete sentences out of a token stream (so the first one can
//! be spoken before the reply is finished) and clean-up so that markdown, JSON and raw ISO
//! timestamps are never read aloud.

use chrono::{DateTime, NaiveDateTime};
use chrono_tz::Tz;

/// Collects streamed text and hands out complete sentences.
#[derive(Debug, Default)]
pub(crate) struct SentenceSplitter {
    buffer: String,
}

impl SentenceSplitter {
    /// Adds streamed text; returns the sentences it completed.
    pub(crate) fn push(&mut self, text: &str) -> Vec<String> {
        self.buffer.push_str(text);
        let mut out = Vec::new();
        while let Some(end) = sentence_end(&self.buffer) {
            let sentence: String = self.buffer.drain(..end).collect();
            let sentence = sentence.trim();
            if !sentence.is_empty() {
                out.push(sentence.to_string());
            }
        }
        out
    }

    /// The rest when the stream ends.
    pub(crate) fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.buffer);
        let rest = rest.trim();
        (!rest.is_empty()).then(|| rest.to_string())
    }
}

/// Byte index just after the first sentence end: `.`, `!` or `?` (or a newline) followed by
/// whitespace, not after a one-letter word (`p.m.`, initials) or inside a number (`2.5`).
fn sentence_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' && i > 0 {
            return Some(i + 1);
        }
        if !matches!(b, b'.' | b'!' | b'?') {
            continue;
        }
        let next = bytes.get(i + 1).copied();
        if !matches!(next, Some(b' ' | b'\n' | b'\t')) {
            continue;
        }
        if b == b'.' {
            let word_start = text[..i].rfind(|c: char| c.is_whitespace() || c == '.').map_or(0, |p| p + 1);
            if i - word_start <= 1 {
                continue;
            }
        }
        return Some(i + 1);
    }
    None
}

/// Makes model text fit to speak: drops markdown marks and JSON fragments, turns ISO timestamps
/// into spoken times in the business zone, collapses whitespace.
pub(crate) fn speakable(text: &str, tz: Tz) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' => depth = depth.saturating_sub(1),
            '*' | '#' | '`' | '_' | '|' | '>' if depth == 0 => out.push(' '),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    let out = replace_timestamps(&out, tz);
    let mut spoken = out.split_whitespace().collect::<Vec<_>>().join(" ");
    for mark in [" .", " ,", " ?", " !", " :", " ;"] {
        spoken = spoken.replace(mark, &mark[1..]);
    }
    spoken
}

fn replace_timestamps(text: &str, tz: Tz) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = find_timestamp(rest) {
        out.push_str(&rest[..start]);
        let candidate = &rest[start..];
        let len = candidate
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, ':' | '+' | '-' | '.')))
            .unwrap_or(candidate.len());
        let token = candidate[..len].trim_end_matches('.');
        let parsed = DateTime::parse_from_rfc3339(token).map(|t| t.with_timezone(&tz)).ok().or_else(|| {
            NaiveDateTime::parse_from_str(&token[..token.len().min(16)], "%Y-%m-%dT%H:%M")
                .ok()
                .and_then(|n| n.and_local_timezone(tz).earliest())
        });
        match parsed {
            Some(t) => out.push_str(&spoken_time(t)),
            None => out.push_str(token),
        }
        rest = &candidate[token.len()..];
    }
    out.push_str(rest);
    out
}

fn find_timestamp(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(15)).find(|&i| {
        let d = |j: usize| b[i + j].is_ascii_digit();
        d(0) && d(1)
            && d(2)
            && d(3)
            && b[i + 4] == b'-'
            && d(5)
            && d(6)
            && b[i + 7] == b'-'
            && d(8)
            && d(9)
            && b[i + 10] == b'T'
    })
}

/// A time as it is spoken: `Tuesday, March 10 at 2:30 PM`.
pub(crate) fn spoken_time<T: chrono::TimeZone>(t: DateTime<T>) -> String
where
    T::Offset: std::fmt::Display,
{
    t.format("%A, %B %-d at %-I:%M %p").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_come_out_as_soon_as_they_are_complete() {
        let mut s = SentenceSplitter::default();
        assert!(s.push("Sure, I can").is_empty());
        assert_eq!(s.push(" help. What day").as_slice(), ["Sure, I can help."]);
        assert_eq!(
            s.push(" works? We open at 9 a.m. on Monday. Also 2.5 hours! Ok").as_slice(),
            ["What day works?", "We open at 9 a.m. on Monday.", "Also 2.5 hours!"]
        );
        assert_eq!(s.finish().as_deref(), Some("Ok"));
        assert_eq!(s.finish(), None);
    }

    #[test]
    fn markdown_json_and_iso_times_are_never_spoken() {
        let tz: Tz = "America/Chicago".parse().unwrap();
        assert_eq!(speakable("**Great!** I found `two` slots: {\"slot_id\":\"s1\"}", tz), "Great! I found two slots:");
        assert_eq!(
            speakable("How about 2026-03-10T14:30:00-05:00, or 2026-03-10T20:00:00Z?", tz),
            "How about Tuesday, March 10 at 2:30 PM, or Tuesday, March 10 at 3:00 PM?"
        );
        assert_eq!(speakable("# Options\n- 9 AM", tz), "Options - 9 AM");
    }
}

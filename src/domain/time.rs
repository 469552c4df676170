//! Local clock times, opening ranges (`"09:00-12:00"`) and their resolution to absolute instants
//! in the business time zone, including DST gaps and overlaps (SPEC §4.1).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Minutes since local midnight, `0..=1440` (1440 is `24:00`, the next local midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct DayMinute(u16);

/// Why a time or range was rejected. The text is shown to the business owner after the config key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeRangeError {
    #[error("{0:?} is not in the form HH:MM-HH:MM")]
    Shape(String),
    #[error("{0:?} is not a valid time (00:00 to 24:00)")]
    BadTime(String),
    #[error("{0:?} ends before it starts")]
    EndsBeforeStart(String),
    #[error("{0:?} is empty (starts and ends at the same time)")]
    Empty(String),
    #[error("{0:?} cannot start at 24:00")]
    StartsAtMidnightEnd(String),
}

impl DayMinute {
    /// `24:00`.
    pub(crate) const END_OF_DAY: DayMinute = DayMinute(1440);

    /// From hours and minutes; `None` when out of range.
    pub(crate) fn from_hm(hour: u16, minute: u16) -> Option<Self> {
        let m = hour.checked_mul(60)?.checked_add(minute)?;
        (minute < 60 && m <= 1440).then_some(Self(m))
    }

    fn parse(text: &str) -> Option<Self> {
        let (h, m) = text.trim().split_once(':')?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return None;
        }
        Self::from_hm(h.parse().ok()?, m.parse().ok()?)
    }
}

impl fmt::Display for DayMinute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// A local opening range on one day, `[start, end)`, with `end` possibly `24:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeRange {
    start: DayMinute,
    end: DayMinute,
}

impl TimeRange {
    /// True when the two ranges share any minute.
    pub(crate) fn overlaps(&self, other: &TimeRange) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// Resolves the range on `date` to absolute instants (SPEC §4.1). `None` when DST makes the
    /// range empty (e.g. `02:00-02:30` on a spring-forward day).
    pub(crate) fn on(&self, date: NaiveDate, tz: Tz) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let open = resolve_local(tz, date, self.start);
        let close = resolve_local(tz, date, self.end);
        (open < close).then_some((open, close))
    }
}

impl FromStr for TimeRange {
    type Err = TimeRangeError;
    fn from_str(text: &str) -> Result<Self, TimeRangeError> {
        let (a, b) = text.split_once('-').ok_or_else(|| TimeRangeError::Shape(text.to_string()))?;
        let parse = |part: &str| {
            if !part.trim().contains(':') {
                return Err(TimeRangeError::Shape(text.to_string()));
            }
            DayMinute::parse(part).ok_or_else(|| TimeRangeError::BadTime(part.trim().to_string()))
        };
        let (start, end) = (parse(a)?, parse(b)?);
        if start == DayMinute::END_OF_DAY {
            return Err(TimeRangeError::StartsAtMidnightEnd(text.to_string()));
        }
        if end < start {
            return Err(TimeRangeError::EndsBeforeStart(text.to_string()));
        }
        if end == start {
            return Err(TimeRangeError::Empty(text.to_string()));
        }
        Ok(Self { start, end })
    }
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// The instant of local time `minute` on `date` in `tz` (SPEC §4.1): `24:00` is the next local
/// midnight; a time inside a DST gap resolves to the instant the gap ends; an ambiguous time (fall
/// back) resolves to the earlier instant.
pub(crate) fn resolve_local(tz: Tz, date: NaiveDate, minute: DayMinute) -> DateTime<Utc> {
    let (date, minute) =
        if minute == DayMinute::END_OF_DAY { (date.succ_opt().expect("date in range"), 0) } else { (date, minute.0) };
    let time = NaiveTime::from_num_seconds_from_midnight_opt(u32::from(minute) * 60, 0).expect("valid minute");
    let local = date.and_time(time);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        LocalResult::None => {
            // Inside a gap: the first local minute that exists again is where the gap ends, and
            // that minute's instant is the transition itself. Real gaps are at most a day long.
            (1..=48 * 60)
                .find_map(|m| tz.from_local_datetime(&(local + Duration::minutes(m))).earliest())
                .expect("DST gaps are shorter than two days")
                .with_timezone(&Utc)
        }
    }
}

/// The business-local calendar date of an instant.
pub fn local_date(tz: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(s: &str) -> Result<TimeRange, TimeRangeError> {
        s.parse()
    }

    #[test]
    fn parses_ranges_including_end_of_day() {
        let r = range("09:00-24:00").unwrap();
        assert_eq!(r.start.0, 540);
        assert_eq!(r.end, DayMinute::END_OF_DAY);
        assert_eq!(range(" 9:30 - 12:00 ").unwrap().to_string(), "09:30-12:00");
    }

    #[test]
    fn rejects_malformed_ranges_with_a_reason() {
        assert_eq!(range("13:00-12:00"), Err(TimeRangeError::EndsBeforeStart("13:00-12:00".into())));
        assert_eq!(range("9-5"), Err(TimeRangeError::Shape("9-5".into())));
        assert_eq!(range("09:00"), Err(TimeRangeError::Shape("09:00".into())));
        assert_eq!(range("09:00-25:00"), Err(TimeRangeError::BadTime("25:00".into())));
        assert_eq!(range("09:60-10:00"), Err(TimeRangeError::BadTime("09:60".into())));
        assert_eq!(range("10:00-10:00"), Err(TimeRangeError::Empty("10:00-10:00".into())));
        assert_eq!(range("24:00-24:00"), Err(TimeRangeError::StartsAtMidnightEnd("24:00-24:00".into())));
    }

    #[test]
    fn a_time_in_the_spring_forward_gap_resolves_to_the_end_of_the_gap() {
        let tz: Tz = "America/Chicago".parse().unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        let t = resolve_local(tz, d, DayMinute::from_hm(2, 30).unwrap());
        // 03:00 CDT = 08:00 UTC
        assert_eq!(t.to_rfc3339(), "2026-03-08T08:00:00+00:00");
    }

    #[test]
    fn an_ambiguous_fall_back_time_resolves_to_the_earlier_instant() {
        let tz: Tz = "America/Chicago".parse().unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let t = resolve_local(tz, d, DayMinute::from_hm(1, 30).unwrap());
        // 01:30 CDT (the first one) = 06:30 UTC
        assert_eq!(t.to_rfc3339(), "2026-11-01T06:30:00+00:00");
    }

    #[test]
    fn end_of_day_is_the_next_local_midnight() {
        let tz: Tz = "America/Chicago".parse().unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 3, 7).unwrap();
        assert_eq!(resolve_local(tz, d, DayMinute::END_OF_DAY).to_rfc3339(), "2026-03-08T06:00:00+00:00");
    }
}

/// An instant as people read it in the business zone: `Tue, Mar 10 at 2:30 PM CDT`.
pub(crate) fn human(tz: Tz, at: DateTime<Utc>) -> String {
    at.with_timezone(&tz).format("%a, %b %-d at %-I:%M %p %Z").to_string()
}

#[cfg(test)]
mod human_tests {
    use super::*;

    #[test]
    fn human_times_carry_the_zone_abbreviation() {
        let tz: Tz = "America/Chicago".parse().unwrap();
        let at = "2026-03-10T19:30:00Z".parse().unwrap();
        assert_eq!(human(tz, at), "Tue, Mar 10 at 2:30 PM CDT");
    }
}

//! Half-open intervals of absolute time.

use chrono::{DateTime, Duration, Utc};

/// `[start, end)` in absolute time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    /// First instant inside the interval.
    pub start: DateTime<Utc>,
    /// First instant after the interval.
    pub end: DateTime<Utc>,
}

impl Interval {
    /// An interval from `start` lasting `length`.
    pub fn starting_at(start: DateTime<Utc>, length: Duration) -> Self {
        Self { start, end: start + length }
    }

    /// Length of the interval.
    pub fn length(&self) -> Duration {
        self.end - self.start
    }

    /// True when `other` lies entirely inside `self`.
    pub fn contains(&self, other: &Interval) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// True when the gap between the two (negative when they overlap) is less than `gap`.
    pub fn closer_than(&self, other: &Interval, gap: Duration) -> bool {
        self.start < other.end + gap && other.start < self.end + gap
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 9, h, m, 0).unwrap()
    }

    #[test]
    fn touching_intervals_are_not_closer_than_zero() {
        let a = Interval { start: at(9, 0), end: at(10, 0) };
        let b = Interval { start: at(10, 0), end: at(11, 0) };
        assert!(!a.closer_than(&b, Duration::zero()));
        assert!(a.closer_than(&b, Duration::minutes(1)));
        assert!(!a.closer_than(&Interval { start: at(10, 15), end: at(11, 0) }, Duration::minutes(15)));
        assert!(a.closer_than(&Interval { start: at(10, 14), end: at(11, 0) }, Duration::minutes(15)));
    }
}

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

    /// True when `other` lies entirely inside `self`.
    pub fn contains(&self, other: &Interval) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// True when the gap between the two (negative when they overlap) is less than `gap`.
    pub fn closer_than(&self, other: &Interval, gap: Duration) -> bool {
        self.start < other.end + gap && other.start < self.end + gap
    }
}

/// `busy` with every part covered by `taken` removed (what is left of each interval, in order).
/// Used to discount our own appointments from a calendar's merged busy time.
pub(crate) fn subtract(busy: &[Interval], taken: &[Interval]) -> Vec<Interval> {
    let mut taken: Vec<Interval> = taken.to_vec();
    taken.sort_unstable();
    let mut out = Vec::with_capacity(busy.len());
    for b in busy {
        let mut cursor = b.start;
        for t in taken.iter().filter(|t| t.start < b.end && b.start < t.end) {
            if t.start > cursor {
                out.push(Interval { start: cursor, end: t.start });
            }
            cursor = cursor.max(t.end);
        }
        if cursor < b.end {
            out.push(Interval { start: cursor, end: b.end });
        }
    }
    out
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

    #[test]
    fn subtracting_keeps_only_the_uncovered_parts() {
        let iv = |a: (u32, u32), b: (u32, u32)| Interval { start: at(a.0, a.1), end: at(b.0, b.1) };
        let busy = [iv((9, 0), (12, 0)), iv((13, 0), (14, 0))];
        let ours = [iv((10, 0), (10, 30)), iv((11, 30), (13, 30)), iv((8, 0), (8, 30))];
        assert_eq!(subtract(&busy, &ours), vec![iv((9, 0), (10, 0)), iv((10, 30), (11, 30)), iv((13, 30), (14, 0))]);
        assert_eq!(subtract(&busy, &[iv((8, 0), (15, 0))]), vec![]);
        assert_eq!(subtract(&busy, &[]), busy.to_vec());
    }
}

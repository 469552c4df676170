//! The one place that reads the wall clock. Everything else receives `now` from a [`Clock`],
//! so tests and `--now` can fix time.

use chrono::{DateTime, Utc};

/// A source of the current instant.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock stopped at one instant (for `--now`, scripts and tests).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// A clock that starts at one instant and runs forward in real time (`serve --now T`: a
/// reminder day, a call window and a retry can be played without waiting for the calendar).
#[derive(Debug, Clone, Copy)]
pub struct RunningClock {
    start: DateTime<Utc>,
    since: std::time::Instant,
}

impl RunningClock {
    /// A clock showing `start` now.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self { start, since: std::time::Instant::now() }
    }
}

impl Clock for RunningClock {
    fn now(&self) -> DateTime<Utc> {
        self.start + chrono::Duration::from_std(self.since.elapsed()).unwrap_or(chrono::Duration::MAX)
    }
}

/// A clock tests move by hand.
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock showing `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(std::sync::Mutex::new(at))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = at;
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: chrono::Duration) {
        *self.0.lock().expect("clock lock") += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_clock_starts_at_its_instant_and_moves_with_real_time() {
        let start: DateTime<Utc> = "2026-12-07T07:00:00Z".parse().unwrap();
        let clock = RunningClock::starting_at(start);
        let (first, real) = (clock.now(), std::time::Instant::now());
        assert!(first >= start && first - start < chrono::Duration::seconds(5), "{first}");
        while real.elapsed() < std::time::Duration::from_millis(20) {
            std::hint::spin_loop();
        }
        let second = clock.now();
        assert!(second - first >= chrono::Duration::milliseconds(20), "{first} then {second}");
    }
}

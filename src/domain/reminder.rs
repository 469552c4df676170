//! Reminder channels and when a reminder call may ring (issue #17): never outside the business's
//! local call window. A call that would fall outside it moves to the window's next opening when
//! that is still ahead of the appointment; otherwise the customer gets a text instead. Retries
//! follow the same rule.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::text_enum;
use super::time::{TimeRange, local_date};

/// How reminders reach customers (`[reminders] channel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReminderChannel {
    /// A text.
    #[default]
    Sms,
    /// A phone call only.
    Call,
    /// A call; a text when the call did not reach a person (voicemail, no answer, failed).
    CallThenSms,
}

text_enum!(ReminderChannel { Sms => "sms", Call => "call", CallThenSms => "call_then_sms" });

impl ReminderChannel {
    /// Whether reminders on this channel start with a call.
    pub fn calls(self) -> bool {
        self != ReminderChannel::Sms
    }
}

/// What to do for a reminder call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallPlan {
    /// Dial at this instant (inside the window, ahead of the appointment).
    Dial(DateTime<Utc>),
    /// No time inside the window is left before the appointment: text instead.
    TextInstead,
}

/// When a call wanted at `wanted` may ring, given the local `window` in `tz` and the
/// appointment's `start`.
pub fn plan_call(window: TimeRange, tz: Tz, wanted: DateTime<Utc>, start: DateTime<Utc>) -> CallPlan {
    let mut date = local_date(tz, wanted);
    // The window opens every day; a DST change can empty it for one day at the most.
    for _ in 0..3 {
        if let Some((open, close)) = window.on(date, tz) {
            let at = wanted.max(open);
            if at < close {
                return if at < start { CallPlan::Dial(at) } else { CallPlan::TextInstead };
            }
        }
        date = date.succ_opt().expect("dates in range");
    }
    CallPlan::TextInstead
}

/// When attempt `made + 1` may ring after an attempt at `last` that did not reach anyone:
/// `retry_after` later, inside the window; `None` once `max_attempts` were made or no time is
/// left before the appointment.
pub fn next_attempt(
    window: TimeRange,
    tz: Tz,
    last: DateTime<Utc>,
    made: u32,
    max_attempts: u32,
    retry_after: Duration,
    start: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if made >= max_attempts {
        return None;
    }
    match plan_call(window, tz, last + retry_after, start) {
        CallPlan::Dial(at) => Some(at),
        CallPlan::TextInstead => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const CHICAGO: Tz = chrono_tz::America::Chicago;

    fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        CHICAGO.with_ymd_and_hms(2026, 12, d, h, m, 0).unwrap().with_timezone(&Utc)
    }

    fn window() -> TimeRange {
        "09:00-20:00".parse().unwrap()
    }

    #[test]
    fn a_call_due_inside_the_window_rings_when_due() {
        assert_eq!(plan_call(window(), CHICAGO, at(7, 14, 0), at(9, 14, 0)), CallPlan::Dial(at(7, 14, 0)));
    }

    #[test]
    fn a_call_due_before_the_window_opens_waits_for_nine() {
        assert_eq!(plan_call(window(), CHICAGO, at(7, 7, 0), at(9, 7, 0)), CallPlan::Dial(at(7, 9, 0)));
    }

    #[test]
    fn a_call_due_after_the_window_closed_rings_the_next_morning() {
        assert_eq!(plan_call(window(), CHICAGO, at(7, 20, 0), at(9, 20, 0)), CallPlan::Dial(at(8, 9, 0)));
        assert_eq!(plan_call(window(), CHICAGO, at(7, 23, 30), at(9, 23, 30)), CallPlan::Dial(at(8, 9, 0)));
    }

    #[test]
    fn when_the_next_opening_is_not_ahead_of_the_appointment_a_text_goes_instead() {
        // Due 21:00 for an 08:30 appointment the next morning: 09:00 is too late.
        assert_eq!(plan_call(window(), CHICAGO, at(7, 21, 0), at(8, 8, 30)), CallPlan::TextInstead);
        // Due at 07:00 for an appointment at 09:00 sharp: ringing at 09:00 is not ahead of it.
        assert_eq!(plan_call(window(), CHICAGO, at(8, 7, 0), at(8, 9, 0)), CallPlan::TextInstead);
    }

    #[test]
    fn the_window_is_local_time_across_a_dst_change() {
        let march = |d: u32, h: u32| CHICAGO.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap().with_timezone(&Utc);
        // Clocks spring forward on 2026-03-08: 09:00 local is 14:00 UTC that day, 15:00 the day before.
        assert_eq!(plan_call(window(), CHICAGO, march(8, 3), march(10, 9)), CallPlan::Dial(march(8, 9)));
        assert_eq!(march(8, 9).format("%H").to_string(), "14");
        assert_eq!(march(7, 9).format("%H").to_string(), "15");
    }

    #[test]
    fn retries_wait_their_interval_stay_in_the_window_and_stop_at_the_maximum() {
        let hour = Duration::hours(1);
        assert_eq!(next_attempt(window(), CHICAGO, at(7, 10, 0), 1, 3, hour, at(9, 10, 0)), Some(at(7, 11, 0)));
        assert_eq!(next_attempt(window(), CHICAGO, at(7, 19, 30), 1, 3, hour, at(9, 10, 0)), Some(at(8, 9, 0)));
        assert_eq!(next_attempt(window(), CHICAGO, at(7, 10, 0), 3, 3, hour, at(9, 10, 0)), None);
        assert_eq!(next_attempt(window(), CHICAGO, at(8, 19, 30), 1, 3, hour, at(9, 8, 0)), None, "no time left");
    }

    #[test]
    fn channels_read_and_write_their_config_words() {
        for c in [ReminderChannel::Sms, ReminderChannel::Call, ReminderChannel::CallThenSms] {
            assert_eq!(c.as_str().parse::<ReminderChannel>(), Ok(c));
        }
        assert!("voice".parse::<ReminderChannel>().is_err());
        assert!(!ReminderChannel::Sms.calls() && ReminderChannel::CallThenSms.calls());
    }
}

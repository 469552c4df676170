//! `[reminders]` (issue #17): the channel (`sms`, `call`, `call_then_sms`), how long before the
//! appointment, the local call window, attempts and the wait between them, and answering-machine
//! detection. The old `[sms] reminder_hours_before` is still read, with a warning.
//!
//! The defaults work together with the default 24-hour cancellation notice: reminders go out 48
//! hours ahead, so "reply C" or "press 2" to cancel is still inside the policy when they arrive.

use super::Problem;
use super::raw::RawReminders;
use crate::domain::{BookingPolicy, ReminderChannel, TimeRange};

/// Hours before the appointment when no one says otherwise.
pub(crate) const DEFAULT_HOURS_BEFORE: u32 = 48;

/// Which answering-machine detection Telnyx runs on reminder calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MachineDetection {
    /// `detect_beep`: human or machine, then the beep (included with calls).
    #[default]
    DetectBeep,
    /// `premium`: Telnyx's more accurate detection (billed per call).
    Premium,
}

crate::domain::text_enum!(MachineDetection { DetectBeep => "detect_beep", Premium => "premium" });

/// `[reminders]`, validated.
#[derive(Debug, Clone)]
pub struct ReminderSettings {
    /// How reminders reach customers.
    pub channel: ReminderChannel,
    /// Hours before the start (0: no reminders).
    pub hours_before: u32,
    /// Local times calls may ring.
    pub call_window: TimeRange,
    /// Calls per reminder at most (a person or a voicemail ends them).
    pub max_attempts: u32,
    /// Wait after an unanswered call before the next.
    pub retry_after_minutes: u32,
    /// Answering-machine detection on reminder calls.
    pub machine_detection: MachineDetection,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        Self {
            channel: ReminderChannel::Sms,
            hours_before: DEFAULT_HOURS_BEFORE,
            call_window: "09:00-20:00".parse().expect("a valid range"),
            max_attempts: 2,
            retry_after_minutes: 60,
            machine_detection: MachineDetection::DetectBeep,
        }
    }
}

fn problem(list: &mut Vec<Problem>, key: &str, message: impl Into<String>) {
    list.push(Problem { key: key.into(), message: message.into() });
}

/// Validates `raw` (and the old `sms.reminder_hours_before`) against the booking `policy`;
/// `has_number` says whether `business.phone_number` (the number calls come from) is set.
pub(super) fn validate(
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Problem>,
    raw: &RawReminders,
    old_hours: Option<u32>,
    policy: &BookingPolicy,
    has_number: bool,
) -> ReminderSettings {
    let mut s = ReminderSettings::default();
    if let Some(text) = &raw.channel {
        match text.parse() {
            Ok(channel) => s.channel = channel,
            Err(_) => problem(
                problems,
                "reminders.channel",
                format!("{text:?} is not a channel: use \"sms\", \"call\" or \"call_then_sms\""),
            ),
        }
    }
    s.hours_before = match (raw.hours_before, old_hours) {
        (Some(h), Some(_)) => {
            problem(
                warnings,
                "sms.reminder_hours_before",
                "ignored: reminders.hours_before is set; delete the old key from [sms]",
            );
            h
        }
        (Some(h), None) => h,
        (None, Some(h)) => {
            problem(
                warnings,
                "sms.reminder_hours_before",
                format!("has moved: write `hours_before = {h}` under [reminders] (still read for now)"),
            );
            h
        }
        (None, None) => DEFAULT_HOURS_BEFORE,
    };
    if s.hours_before > 24 * 30 {
        problem(problems, "reminders.hours_before", format!("{} is more than 30 days (720 hours)", s.hours_before));
    }
    if let Some(text) = &raw.call_window {
        match text.parse::<TimeRange>() {
            Ok(window) => s.call_window = window,
            Err(e) => problem(problems, "reminders.call_window", format!("{e} (e.g. \"09:00-20:00\", local time)")),
        }
    }
    if let Some(n) = raw.max_attempts {
        match n {
            1..=5 => s.max_attempts = n,
            _ => problem(problems, "reminders.max_attempts", format!("{n} is not between 1 and 5")),
        }
    }
    if let Some(m) = raw.retry_after_minutes {
        match m {
            5..=720 => s.retry_after_minutes = m,
            _ => problem(problems, "reminders.retry_after_minutes", format!("{m} is not between 5 and 720")),
        }
    }
    if let Some(text) = &raw.machine_detection {
        match text.parse() {
            Ok(amd) => s.machine_detection = amd,
            Err(_) => problem(
                problems,
                "reminders.machine_detection",
                format!("{text:?} is not a detection: use \"detect_beep\" or \"premium\""),
            ),
        }
    }
    if s.channel.calls() && !has_number {
        problem(
            problems,
            "reminders.channel",
            format!("\"{}\" needs business.phone_number: reminder calls come from that number", s.channel),
        );
    }
    let notice = policy.cancel_notice.num_hours();
    if s.hours_before > 0 && i64::from(s.hours_before) <= notice {
        problem(
            warnings,
            "reminders.hours_before",
            format!(
                "{} hours is inside the {notice}-hour cancellation notice: a customer reminded then can no longer \
                 cancel themselves (by text or keypad); use more than {notice} (e.g. {})",
                s.hours_before,
                notice * 2
            ),
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    const BASE: &str = "[business]\nname = \"B\"\ntimezone = \"America/Chicago\"\nphone_number = \"+13125550100\"\n\
                        [[services]]\nid = \"c\"\nname = \"C\"\nduration_minutes = 30\n";

    fn load(extra: &str) -> Result<Config, String> {
        Config::parse(&format!("{BASE}{extra}")).map_err(|e| e.to_string())
    }

    #[test]
    fn the_defaults_remind_two_days_ahead_by_text_inside_nine_to_eight_without_warnings() {
        let c = load("").unwrap();
        assert_eq!(c.reminders.channel, crate::domain::ReminderChannel::Sms);
        assert_eq!(c.reminders.hours_before, 48);
        assert_eq!(c.reminders.call_window.to_string(), "09:00-20:00");
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn every_key_is_read() {
        let c = load(
            "[reminders]\nchannel = \"call_then_sms\"\nhours_before = 36\ncall_window = \"10:00-18:30\"\n\
             max_attempts = 3\nretry_after_minutes = 45\nmachine_detection = \"premium\"\n",
        )
        .unwrap();
        let r = &c.reminders;
        assert_eq!((r.hours_before, r.max_attempts, r.retry_after_minutes), (36, 3, 45));
        assert_eq!(r.call_window.to_string(), "10:00-18:30");
        assert_eq!(r.machine_detection, super::MachineDetection::Premium);
        assert!(r.channel.calls());
    }

    #[test]
    fn the_old_key_is_still_read_with_a_warning_saying_where_it_went() {
        let c = load("[sms]\nreminder_hours_before = 30\n").unwrap();
        assert_eq!(c.reminders.hours_before, 30);
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0].to_string().contains("hours_before = 30` under [reminders]"), "{}", c.warnings[0]);
        let both = load("[sms]\nreminder_hours_before = 30\n[reminders]\nhours_before = 50\n").unwrap();
        assert_eq!(both.reminders.hours_before, 50);
        assert!(both.warnings[0].message.starts_with("ignored"));
    }

    #[test]
    fn a_reminder_inside_the_cancellation_notice_is_warned_about() {
        let c = load("[reminders]\nhours_before = 24\n").unwrap();
        assert_eq!(c.warnings.len(), 1);
        assert_eq!(c.warnings[0].key, "reminders.hours_before");
        assert!(c.warnings[0].message.contains("24-hour cancellation notice"), "{}", c.warnings[0]);
        assert!(load("[reminders]\nhours_before = 0\n").unwrap().warnings.is_empty(), "0 means no reminders");
    }

    #[test]
    fn wrong_values_are_named_all_at_once() {
        let e = load(
            "[reminders]\nchannel = \"voice\"\ncall_window = \"20:00-09:00\"\nmax_attempts = 0\n\
             retry_after_minutes = 1\nmachine_detection = \"maybe\"\n",
        )
        .unwrap_err();
        for key in ["channel", "call_window", "max_attempts", "retry_after_minutes", "machine_detection"] {
            assert!(e.contains(&format!("reminders.{key}")), "{key} missing in {e}");
        }
        let no_number = Config::parse(&format!(
            "{}[reminders]\nchannel = \"call\"\n",
            BASE.replace("phone_number = \"+13125550100\"\n", "")
        ))
        .unwrap_err()
        .to_string();
        assert!(no_number.contains("needs business.phone_number"), "{no_number}");
    }
}

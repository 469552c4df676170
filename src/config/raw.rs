//! The config file's shape exactly as written, before validation. Unknown keys are errors.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{CalendarSettings, VoiceSettings};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub business: RawBusiness,
    #[serde(default)]
    pub hours: RawHours,
    #[serde(default)]
    pub booking: RawBooking,
    #[serde(default)]
    pub services: Vec<RawService>,
    #[serde(default)]
    pub staff: Vec<RawStaff>,
    #[serde(default)]
    pub calendar: CalendarSettings,
    #[serde(default)]
    pub voice: VoiceSettings,
    #[serde(default)]
    pub sms: RawSms,
    #[serde(default)]
    pub reminders: RawReminders,
}

/// `[sms]` as written (`reminder_hours_before` moved to `[reminders] hours_before`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSms {
    #[serde(default = "yes")]
    pub confirmations: bool,
    pub reminder_hours_before: Option<u32>,
}

impl Default for RawSms {
    fn default() -> Self {
        Self { confirmations: true, reminder_hours_before: None }
    }
}

fn yes() -> bool {
    true
}

/// `[reminders]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReminders {
    pub channel: Option<String>,
    pub hours_before: Option<u32>,
    pub call_window: Option<String>,
    pub max_attempts: Option<u32>,
    pub retry_after_minutes: Option<u32>,
    pub machine_detection: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBusiness {
    pub name: String,
    pub timezone: String,
    pub phone_number: Option<String>,
    #[serde(default = "default_country")]
    pub country: String,
    pub transfer_number: Option<String>,
}

fn default_country() -> String {
    "US".into()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWeek {
    pub monday: Option<Vec<String>>,
    pub tuesday: Option<Vec<String>>,
    pub wednesday: Option<Vec<String>>,
    pub thursday: Option<Vec<String>>,
    pub friday: Option<Vec<String>>,
    pub saturday: Option<Vec<String>>,
    pub sunday: Option<Vec<String>>,
}

/// A week's ranges by day name, Monday first.
pub(super) type Days<'a> = [(&'static str, Option<&'a Vec<String>>); 7];

macro_rules! days {
    ($s:ident) => {
        [
            ("monday", $s.monday.as_ref()),
            ("tuesday", $s.tuesday.as_ref()),
            ("wednesday", $s.wednesday.as_ref()),
            ("thursday", $s.thursday.as_ref()),
            ("friday", $s.friday.as_ref()),
            ("saturday", $s.saturday.as_ref()),
            ("sunday", $s.sunday.as_ref()),
        ]
    };
}

impl RawWeek {
    pub(crate) fn days(&self) -> Days<'_> {
        days!(self)
    }
}

impl RawHours {
    pub(crate) fn days(&self) -> Days<'_> {
        days!(self)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHours {
    pub monday: Option<Vec<String>>,
    pub tuesday: Option<Vec<String>>,
    pub wednesday: Option<Vec<String>>,
    pub thursday: Option<Vec<String>>,
    pub friday: Option<Vec<String>>,
    pub saturday: Option<Vec<String>>,
    pub sunday: Option<Vec<String>>,
    #[serde(default)]
    pub closed_dates: Vec<String>,
    #[serde(default)]
    pub special: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct RawBooking {
    pub slot_interval_minutes: i64,
    pub min_notice_minutes: i64,
    pub max_days_ahead: i64,
    pub cancel_notice_hours: i64,
}

impl Default for RawBooking {
    fn default() -> Self {
        Self { slot_interval_minutes: 15, min_notice_minutes: 120, max_days_ahead: 60, cancel_notice_hours: 24 }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawService {
    pub id: String,
    pub name: String,
    pub duration_minutes: i64,
    #[serde(default)]
    pub buffer_minutes: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStaff {
    pub id: String,
    pub name: String,
    pub calendar_id: Option<String>,
    pub services: Option<Vec<String>>,
    pub hours: Option<RawWeek>,
}

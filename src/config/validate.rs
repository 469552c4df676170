//! Turns the raw file into a [`Config`], collecting every problem with its key.

use std::collections::{BTreeMap, BTreeSet};

use std::str::FromStr;

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;

use super::raw::{Days, RawBooking, RawConfig, RawService, RawStaff};
use super::{Config, ConfigError, Problem};
use crate::domain::ids::IdError;
use crate::domain::phone::Region;
use crate::domain::{
    BookingPolicy, Business, PhoneNumber, Schedule, Service, ServiceId, StaffMember, TimeRange, WeeklyHours,
};

#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem { key: key.into(), message: message.into() });
    }
}

pub(super) fn validate(raw: RawConfig) -> Result<Config, ConfigError> {
    let mut p = Problems::default();

    let name = raw.business.name.trim().to_string();
    if name.is_empty() {
        p.add("business.name", "must not be empty");
    }
    let timezone = raw.business.timezone.parse::<Tz>().unwrap_or_else(|_| {
        p.add(
            "business.timezone",
            format!("{:?} is not an IANA time zone name (e.g. \"America/Chicago\")", raw.business.timezone),
        );
        chrono_tz::UTC
    });
    let region = Region::parse(&raw.business.country).unwrap_or_else(|e| {
        p.add("business.country", e.to_string());
        Region::parse("US").expect("US is a region")
    });
    let phone_number = phone(&mut p, "business.phone_number", raw.business.phone_number.as_deref(), region);
    let transfer_number = phone(&mut p, "business.transfer_number", raw.business.transfer_number.as_deref(), region);

    let weekly = week(&mut p, "hours", raw.hours.days());
    let closed_dates = raw
        .hours
        .closed_dates
        .iter()
        .enumerate()
        .filter_map(|(i, d)| date(&mut p, &format!("hours.closed_dates[{i}]"), d))
        .collect::<BTreeSet<_>>();
    let special = raw
        .hours
        .special
        .iter()
        .filter_map(|(d, ranges)| {
            let key = format!("hours.special.{d:?}");
            let day = date(&mut p, &key, d)?;
            Some((day, day_ranges(&mut p, &key, ranges)))
        })
        .collect::<BTreeMap<_, _>>();

    let policy = policy(&mut p, &raw.booking);
    let services = services(&mut p, &raw.services);
    let service_ids: BTreeSet<ServiceId> = services.iter().map(|s| s.id.clone()).collect();
    let mut staff = staff(&mut p, &raw.staff, &service_ids);
    if staff.is_empty() {
        staff.push(StaffMember {
            id: "staff".parse().expect("valid id"),
            name: name.clone(),
            calendar_id: None,
            services: None,
            hours: None,
        });
    }

    let mut warnings = Vec::new();
    let reminders = super::reminders::validate(
        &mut p.0,
        &mut warnings,
        &raw.reminders,
        raw.sms.reminder_hours_before,
        &policy,
        phone_number.is_some(),
    );

    if !p.0.is_empty() {
        return Err(ConfigError::Invalid { path: None, problems: p.0 });
    }
    Ok(Config {
        business: Business {
            name,
            timezone,
            phone_number,
            region,
            transfer_number,
            schedule: Schedule { weekly, closed_dates, special },
            policy,
            services,
            staff,
        },
        calendar: raw.calendar,
        voice: raw.voice,
        sms: super::SmsSettings { confirmations: raw.sms.confirmations },
        reminders,
        warnings,
    })
}

/// Numbers written in E.164 are checked by shape here (fast start-up) and fully by `check`;
/// other spellings are parsed fully in the business region.
fn phone(p: &mut Problems, key: &str, text: Option<&str>, region: Region) -> Option<PhoneNumber> {
    let text = text?;
    if let Some(number) = PhoneNumber::from_e164_shape(text) {
        return Some(number);
    }
    PhoneNumber::parse(text, region).map_err(|e| p.add(key, e.to_string())).ok()
}

fn date(p: &mut Problems, key: &str, text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| p.add(key, format!("{text:?} is not a date in the form YYYY-MM-DD")))
        .ok()
}

fn day_ranges(p: &mut Problems, key: &str, texts: &[String]) -> Vec<TimeRange> {
    let mut ranges: Vec<TimeRange> = Vec::with_capacity(texts.len());
    for (i, text) in texts.iter().enumerate() {
        match text.parse::<TimeRange>() {
            Ok(r) => {
                if let Some(other) = ranges.iter().find(|o| o.overlaps(&r)) {
                    p.add(format!("{key}[{i}]"), format!("{text:?} overlaps \"{other}\""));
                } else {
                    ranges.push(r);
                }
            }
            Err(e) => p.add(format!("{key}[{i}]"), e.to_string()),
        }
    }
    ranges.sort();
    ranges
}

fn week(p: &mut Problems, key: &str, days: Days<'_>) -> WeeklyHours {
    let mut week = WeeklyHours::default();
    for (slot, (day, ranges)) in week.0.iter_mut().zip(days) {
        if let Some(ranges) = ranges {
            *slot = day_ranges(p, &format!("{key}.{day}"), ranges);
        }
    }
    week
}

fn minutes(p: &mut Problems, key: &str, value: i64, min: i64, max: i64) -> i64 {
    if !(min..=max).contains(&value) {
        p.add(key, format!("{value} is out of range ({min} to {max})"));
    }
    value.clamp(min, max)
}

fn policy(p: &mut Problems, raw: &RawBooking) -> BookingPolicy {
    let interval = minutes(p, "booking.slot_interval_minutes", raw.slot_interval_minutes, 1, 1440);
    let notice = minutes(p, "booking.min_notice_minutes", raw.min_notice_minutes, 0, 60 * 24 * 365);
    let days = minutes(p, "booking.max_days_ahead", raw.max_days_ahead, 0, 3660);
    let cancel = minutes(p, "booking.cancel_notice_hours", raw.cancel_notice_hours, 0, 24 * 365);
    BookingPolicy {
        slot_interval: Duration::minutes(interval),
        min_notice: Duration::minutes(notice),
        max_days_ahead: days as u32,
        cancel_notice: Duration::hours(cancel),
    }
}

/// Parses an entry's `id`, which must be unique among `taken`, and checks that its `name` is not
/// empty. `None` when the id is unusable (the entry is then skipped).
fn entry_id<'a, T: FromStr<Err = IdError> + PartialEq + 'a>(
    p: &mut Problems,
    key: &str,
    id: &str,
    name: &str,
    mut taken: impl Iterator<Item = &'a T>,
    what: &str,
) -> Option<T> {
    if name.trim().is_empty() {
        p.add(format!("{key}.name"), "must not be empty");
    }
    match id.parse::<T>() {
        Ok(parsed) if taken.any(|t| *t == parsed) => {
            p.add(format!("{key}.id"), format!("{id:?} is used by another {what}"));
            None
        }
        Ok(parsed) => Some(parsed),
        Err(e) => {
            p.add(format!("{key}.id"), e.to_string());
            None
        }
    }
}

fn services(p: &mut Problems, raw: &[RawService]) -> Vec<Service> {
    if raw.is_empty() {
        p.add("services", "at least one [[services]] entry is required");
    }
    let mut out: Vec<Service> = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        let key = format!("services[{i}]");
        let Some(id) = entry_id(p, &key, &s.id, &s.name, out.iter().map(|o| &o.id), "service") else { continue };
        let duration = minutes(p, &format!("{key}.duration_minutes"), s.duration_minutes, 1, 1440);
        let buffer = minutes(p, &format!("{key}.buffer_minutes"), s.buffer_minutes, 0, 1440);
        out.push(Service {
            id,
            name: s.name.trim().to_string(),
            duration: Duration::minutes(duration),
            buffer: Duration::minutes(buffer),
        });
    }
    out
}

fn staff(p: &mut Problems, raw: &[RawStaff], services: &BTreeSet<ServiceId>) -> Vec<StaffMember> {
    let mut out: Vec<StaffMember> = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        let key = format!("staff[{i}]");
        let Some(id) = entry_id(p, &key, &s.id, &s.name, out.iter().map(|o| &o.id), "staff member") else { continue };
        let offered = s.services.as_ref().map(|list| {
            list.iter()
                .enumerate()
                .filter_map(|(j, sid)| match sid.parse::<ServiceId>() {
                    Ok(id) if services.contains(&id) => Some(id),
                    _ => {
                        p.add(format!("{key}.services[{j}]"), format!("{sid:?} is not the id of a [[services]] entry"));
                        None
                    }
                })
                .collect::<BTreeSet<_>>()
        });
        let hours = s.hours.as_ref().map(|w| week(p, &format!("{key}.hours"), w.days()));
        out.push(StaffMember {
            id,
            name: s.name.trim().to_string(),
            calendar_id: s.calendar_id.clone(),
            services: offered,
            hours,
        });
    }
    out
}

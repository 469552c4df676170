//! The guided dialog's understanding on any utterance: nothing panics, a date is never in the
//! past, a choice is always one of the options, and a name is short and has no digits.
#![no_main]

use std::sync::OnceLock;

use appointment_setter::config::Config;
use appointment_setter::conversation::guided::understand as u;
use appointment_setter::domain::Business;
use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;

fn business() -> &'static Business {
    static BUSINESS: OnceLock<Business> = OnceLock::new();
    BUSINESS.get_or_init(|| {
        Config::parse(include_str!("../../appointment-setter.toml")).expect("the example config").business
    })
}

fuzz_target!(|text: &str| {
    let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
    let words = u::words(text);
    let _ = (u::intent(&words), u::yes_no(&words), u::part_of_day(&words), u::time(&words), u::shift(&words));
    let _ = (u::service(&words, business()), u::staff(&words, business()), u::foreign(text));
    if let Some(date) = u::date(&words, today) {
        assert!(date >= today, "{text:?} → {date}, before today");
    }
    if let Some(i) = u::choice(&words, 3) {
        assert!(i < 3, "{text:?} → option {i} of 3");
    }
    for expecting in [false, true] {
        if let Some(name) = u::name(text, expecting) {
            assert!(!name.is_empty() && name.len() <= 60, "{text:?} → {name:?}");
            assert!(!name.chars().any(|c| c.is_ascii_digit()), "{text:?} → {name:?}");
        }
    }
});

//! Every customer text, as the seed business sends it: snapshot-tested, and one SMS segment.

use crate::support;

use appointment_setter::config::Config;
use appointment_setter::domain::Business;
use appointment_setter::messaging::gsm7::{gsm7_units, segments};
use appointment_setter::messaging::templates;
use support::{appointment, chicago};

/// A customer link as long as a real one on a typical domain (12-character token).
const LINK: &str = "https://book.accuthink-clinic.com/m/AbCdEfGhIjKl";

fn seed() -> Business {
    Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml")).unwrap().business
}

#[test]
fn every_template_matches_its_snapshot_and_fits_one_segment() {
    let biz = seed();
    // The longest names in the seed business, on a two-digit day, in daylight time.
    let a = appointment("standard", "miguel", chicago(2027, 3, 16, 14, 30));
    let b = appointment("extended", "sarah", chicago(2027, 3, 17, 9, 0));
    let c = appointment("consultation", "priya", chicago(2027, 3, 18, 16, 45));
    let texts = [
        ("booked", templates::booked(&biz, &a, None)),
        ("rescheduled", templates::rescheduled(&biz, &a, None)),
        ("booked_with_link", templates::booked(&biz, &a, Some(LINK))),
        ("rescheduled_with_link", templates::rescheduled(&biz, &a, Some(LINK))),
        ("cancelled", templates::cancelled(&biz, &a)),
        ("reminder", templates::reminder(&biz, &a)),
        ("cancelled_with_one_other", templates::cancelled_with_others(&biz, &a, &[(1, &b)])),
        ("cancelled_with_two_others", templates::cancelled_with_others(&biz, &a, &[(1, &b), (2, &c)])),
        ("too_late", templates::too_late(&biz, &a)),
        ("none_upcoming", templates::none_upcoming(&biz)),
        ("no_such_number", templates::no_such_number(&biz, 3, 2)),
        ("help", templates::help(&biz)),
        ("opted_in", templates::opted_in(&biz)),
        ("next_appointment", templates::next_appointment(&biz, Some(&a))),
        ("next_appointment_none", templates::next_appointment(&biz, None)),
    ];
    for (name, text) in &texts {
        insta::assert_snapshot!(*name, text);
        assert!(gsm7_units(text).is_some(), "{name} is GSM-7: {text}");
        let limit = if name.starts_with("cancelled_with_two") { 2 } else { 1 };
        assert!(segments(text) <= limit, "{name} takes {} segments: {text}", segments(text));
    }
}

#[test]
fn confirmations_carry_service_time_zone_staff_business_and_how_to_cancel() {
    let biz = seed();
    let text = templates::booked(&biz, &appointment("consultation", "sarah", chicago(2026, 12, 8, 9, 0)), None);
    for part in
        ["Accuthink Clinic", "Consultation", "Sarah Chen", "Tue, Dec 8 at 9:00 AM CST", "Reply C to cancel", "STOP"]
    {
        assert!(text.contains(part), "{part:?} in {text:?}");
    }
}

#[test]
fn very_long_names_fall_back_to_shorter_wordings_and_never_exceed_three_segments() {
    let mut biz = seed();
    biz.name = "The Extraordinarily Long-Named Downtown Physiotherapy and Wellness Collective".into();
    biz.services[1].name = "Comprehensive Initial Musculoskeletal Assessment".into();
    biz.staff[1].name = "Maximiliano Bartholomew Fitzgerald-Alvarez".into();
    let a = appointment("standard", "miguel", chicago(2027, 3, 16, 14, 30));
    for text in [templates::booked(&biz, &a, None), templates::reminder(&biz, &a), templates::cancelled(&biz, &a)] {
        assert!(segments(&text) <= 3, "{text}");
        assert!(text.contains("Tue, Mar 16 at 2:30 PM CDT"), "the time always survives: {text}");
    }
    assert!(
        !templates::booked(&biz, &a, None).contains("Fitzgerald"),
        "the full staff name is the first thing dropped"
    );
}

#[test]
fn a_confirmation_with_a_link_keeps_the_link_and_stop_in_every_wording() {
    let mut biz = seed();
    let a = appointment("standard", "miguel", chicago(2027, 3, 16, 14, 30));
    let text = templates::booked(&biz, &a, Some(LINK));
    assert!(text.contains(LINK) && text.contains("Reply C to cancel"), "{text}");
    biz.name = "The Extraordinarily Long-Named Downtown Physiotherapy and Wellness Collective".into();
    for text in [templates::booked(&biz, &a, Some(LINK)), templates::rescheduled(&biz, &a, Some(LINK))] {
        assert!(text.contains(LINK) && text.contains("STOP"), "{text}");
        assert!(text.contains("Tue, Mar 16 at 2:30 PM CDT"), "{text}");
        assert!(segments(&text) <= 2, "{text}");
    }
}

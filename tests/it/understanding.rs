//! What the guided dialog understands, as tables of real phrasings (speech-to-text quirks included).

use appointment_setter::conversation::guided::understand::{self, Intent, PartOfDay, words};
use appointment_setter::domain::Business;
use chrono::{NaiveDate, NaiveTime};

fn seed() -> Business {
    appointment_setter::config::Config::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml"),
    )
    .unwrap()
    .business
}

/// Monday 2026-12-07.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
}

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(if m >= 12 { 2026 } else { 2027 }, m, day).unwrap()
}

#[test]
fn intents() {
    let cases: &[(&str, Option<Intent>)] = &[
        ("I'd like to book an appointment", Some(Intent::Book)),
        ("Can I make an appointment for tomorrow?", Some(Intent::Book)),
        ("I need to see someone about my back", Some(Intent::Transfer)),
        ("Do you have any openings Friday?", Some(Intent::Book)),
        ("I want to schedule a consultation", Some(Intent::Book)),
        ("Could I come in next week", Some(Intent::Book)),
        ("I need to cancel my appointment", Some(Intent::Cancel)),
        ("cancel please", Some(Intent::Cancel)),
        ("Can I move my appointment to Thursday?", Some(Intent::Reschedule)),
        ("I'd like to reschedule", Some(Intent::Reschedule)),
        ("I need to change the time", Some(Intent::Reschedule)),
        ("When is my appointment?", Some(Intent::Find)),
        ("What time is my appointment tomorrow", Some(Intent::Find)),
        ("Can I talk to a person", Some(Intent::Transfer)),
        ("operator", Some(Intent::Transfer)),
        ("That's all, bye", Some(Intent::Goodbye)),
        ("uh hello", None),
        ("what's the weather like", None),
    ];
    for (text, want) in cases {
        assert_eq!(understand::intent(&words(text)), *want, "{text:?}");
    }
}

#[test]
fn services_by_name_and_synonym() {
    let biz = seed();
    let cases: &[(&str, Option<&str>)] = &[
        ("a consultation please", Some("consultation")),
        ("just a quick consult", Some("consultation")),
        ("the Consultation", Some("consultation")),
        ("a standard appointment", Some("standard")),
        ("a regular appointment", Some("standard")),
        ("an extended session", Some("extended")),
        ("the long one", Some("extended")),
        ("I'm not sure", None),
    ];
    for (text, want) in cases {
        assert_eq!(understand::service(&words(text), &biz).as_ref().map(|s| s.as_str()), *want, "{text:?}");
    }
}

#[test]
fn dates() {
    let cases: &[(&str, Option<NaiveDate>)] = &[
        ("tomorrow", Some(d(12, 8))),
        ("tomorrow morning please", Some(d(12, 8))),
        ("the day after tomorrow", Some(d(12, 9))),
        ("today", Some(d(12, 7))),
        ("next Tuesday", Some(d(12, 8))),
        ("on Friday", Some(d(12, 11))),
        ("Fridays are best", Some(d(12, 11))),
        ("this Monday", Some(d(12, 7))),
        ("Monday", Some(d(12, 14))),
        ("March 10th", Some(d(3, 10))),
        ("the 10th of March", Some(d(3, 10))),
        ("december 8", Some(d(12, 8))),
        ("Dec 9th", Some(d(12, 9))),
        ("the 12th", Some(d(12, 12))),
        ("the third", Some(d(1, 3))),
        ("january first", Some(d(1, 1))),
        ("The first one, please.", None),
        ("the second option", None),
        ("sometime soon", None),
    ];
    for (text, want) in cases {
        assert_eq!(understand::date(&words(text), today()), *want, "{text:?}");
    }
}

#[test]
fn times_and_parts_of_day() {
    let t = |h: u32, m: u32| Some(NaiveTime::from_hms_opt(h, m, 0).unwrap());
    let cases: &[(&str, Option<NaiveTime>)] = &[
        ("2 pm", t(14, 0)),
        ("2pm", t(14, 0)),
        ("at 2 p.m.", t(14, 0)),
        ("two thirty", t(14, 30)),
        ("to thirty", t(14, 30)),
        ("at 9", t(9, 0)),
        ("9 in the morning", t(9, 0)),
        ("nine am", t(9, 0)),
        ("10:15", t(10, 15)),
        ("around 11", t(11, 0)),
        ("at four", t(16, 0)),
        ("half past two", t(14, 30)),
        ("quarter past two", t(14, 15)),
        ("a quarter after 10", t(10, 15)),
        ("quarter to three", t(14, 45)),
        ("at a quarter of ten in the morning", t(9, 45)),
        ("quarter to one", t(12, 45)),
        ("noon", t(12, 0)),
        ("3 o'clock", t(15, 0)),
        ("I want to come in", None),
        ("for my back", None),
        ("two people", None),
    ];
    for (text, want) in cases {
        assert_eq!(understand::time(&words(text)), *want, "{text:?}");
    }
    let parts: &[(&str, Option<PartOfDay>)] = &[
        ("in the morning", Some(PartOfDay::Morning)),
        ("tomorrow afternoon", Some(PartOfDay::Afternoon)),
        ("after lunch", Some(PartOfDay::Afternoon)),
        ("evening", Some(PartOfDay::Evening)),
        ("whenever", None),
    ];
    for (text, want) in parts {
        assert_eq!(understand::part_of_day(&words(text)), *want, "{text:?}");
    }
}

#[test]
fn yes_no_choices_and_names() {
    let yn: &[(&str, Option<bool>)] = &[
        ("yes", Some(true)),
        ("Yeah, that works", Some(true)),
        ("sure", Some(true)),
        ("yes please", Some(true)),
        ("perfect", Some(true)),
        ("go ahead", Some(true)),
        ("no", Some(false)),
        ("nope", Some(false)),
        ("no that's not right", Some(false)),
        ("hmm", None),
    ];
    for (text, want) in [("hi", true), ("Hello there", true), ("uh hi", true), ("hi, I need a consultation", false)] {
        assert_eq!(understand::greeting(&words(text)), want, "{text:?}");
    }
    for (text, want) in yn {
        assert_eq!(understand::yes_no(&words(text)), *want, "{text:?}");
    }
    let choices: &[(&str, Option<usize>)] = &[
        ("the first one", Some(0)),
        ("second", Some(1)),
        ("the 3rd", Some(2)),
        ("number two", Some(1)),
        ("the last one", Some(2)),
        ("the fifth", None),
    ];
    for (text, want) in choices {
        assert_eq!(understand::choice(&words(text), 3), *want, "{text:?}");
    }
    let names: &[(&str, bool, Option<&str>)] = &[
        ("My name is Jane Doe", false, Some("Jane Doe")),
        ("I'm jane", false, Some("Jane")),
        ("this is Bob Smith", false, Some("Bob Smith")),
        ("it's Maria Garcia-Lopez, thanks", false, Some("Maria Garcia-lopez")),
        ("Jane Doe", true, Some("Jane Doe")),
        ("yes please", false, None),
        ("yes", true, None),
        ("2 pm", true, None),
        ("tomorrow at three", true, None),
        ("It's for an Extended Session", false, None),
        ("I'm looking for Tuesday", false, None),
        ("I'm 10 minutes late", false, None),
        ("I called him yesterday", false, None),
        ("Jane Doe tomorrow at 2", true, Some("Jane Doe")),
        ("İstanbul is where I'm Ayşe", false, Some("Ayşe")),
        ("Book appointment for John Doe, 555-1234, consultation", false, Some("John Doe")),
        ("an appointment for tomorrow", false, None),
        ("an appointment for a consultation", false, None),
    ];
    for (text, expecting, want) in names {
        assert_eq!(understand::name(text, *expecting).as_deref(), *want, "{text:?}");
    }
}

#[test]
fn shifts_staff_and_other_languages() {
    use understand::Shift;
    let shifts: &[(&str, Option<Shift>)] = &[
        ("as early as possible", Some(Shift::Earliest)),
        ("what's the soonest you have", Some(Shift::Earliest)),
        ("the first available", Some(Shift::Earliest)),
        ("anything later?", Some(Shift::Later)),
        ("do you have anything earlier", Some(Shift::Earlier)),
        ("tomorrow at 2", None),
    ];
    for (text, want) in shifts {
        assert_eq!(understand::shift(&words(text)), *want, "{text:?}");
    }
    let biz = seed();
    let staff: &[(&str, Option<&str>)] = &[
        ("with Sarah please", Some("sarah")),
        ("can I see Priya Patel", Some("priya")),
        ("Dr. Chen", Some("sarah")),
        ("my name is Sarah Jones", None),
        ("priya", None),
    ];
    for (text, want) in staff {
        assert_eq!(understand::staff(&words(text), &biz).as_ref().map(|s| s.as_str()), *want, "{text:?}");
    }
    let languages: &[(&str, bool)] = &[
        ("Hola, quiero una cita para mañana", true),
        ("Bonjour, je voudrais un rendez-vous", true),
        ("Guten Tag, ich möchte einen Termin", true),
        ("Olá, queria marcar uma consulta", true),
        ("我想预约", true),
        ("Здравствуйте", true),
        ("blorp", false),
        ("What's the weather like?", false),
        ("My name is José García", false),
        ("a consultation with Sarah para", false),
    ];
    for (text, want) in languages {
        assert_eq!(understand::foreign(text), *want, "{text:?}");
    }
}

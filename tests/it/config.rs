//! Config validation (SPEC §3): every problem names its key and says what is wrong.

use appointment_setter::config::Config;

const BASE: &str = r#"
[business]
name = "Accuthink Clinic"
timezone = "America/Chicago"
phone_number = "+13125550100"

[hours]
monday = ["09:00-12:00", "13:00-17:00"]

[[services]]
id = "consultation"
name = "Consultation"
duration_minutes = 30
buffer_minutes = 15
"#;

fn problems(text: &str) -> String {
    match Config::parse(text) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_minimal_config_is_valid_and_gets_one_implicit_staff_member() {
    let c = Config::parse(BASE).unwrap();
    assert_eq!(c.business.staff.len(), 1);
    assert_eq!(c.business.staff[0].name, "Accuthink Clinic");
    assert_eq!(c.business.policy.min_notice.num_minutes(), 120, "SPEC defaults");
    assert_eq!(c.business.policy.max_days_ahead, 60);
    assert_eq!(c.business.policy.cancel_notice.num_hours(), 24);
}

#[test]
fn local_phone_spellings_in_the_config_are_normalized() {
    let c = Config::parse(&BASE.replace("\"+13125550100\"", "\"(312) 555-0100\"")).unwrap();
    assert_eq!(c.business.phone_number.unwrap().as_str(), "+13125550100");
}

#[test]
fn each_invalid_value_is_reported_with_its_key() {
    let cases: &[(&str, &str, &str)] = &[
        (
            r#"monday = ["09:00-12:00", "13:00-17:00"]"#,
            r#"monday = ["09:00-12:00", "13:00-12:00"]"#,
            r#"hours.monday[1]: "13:00-12:00" ends before it starts"#,
        ),
        (
            r#"monday = ["09:00-12:00", "13:00-17:00"]"#,
            r#"monday = ["09:00-12:00", "11:00-17:00"]"#,
            r#"hours.monday[1]: "11:00-17:00" overlaps "09:00-12:00""#,
        ),
        (
            r#"monday = ["09:00-12:00", "13:00-17:00"]"#,
            r#"monday = ["9am-5pm"]"#,
            r#"hours.monday[0]: "9am-5pm" is not in the form HH:MM-HH:MM"#,
        ),
        ("America/Chicago", "America/Chicgo", r#"business.timezone: "America/Chicgo" is not an IANA time zone name"#),
        ("+13125550100", "555", r#"business.phone_number: "555""#),
        (
            "duration_minutes = 30",
            "duration_minutes = 0",
            "services[0].duration_minutes: 0 is out of range (1 to 1440)",
        ),
        ("buffer_minutes = 15", "buffer_minutes = -5", "services[0].buffer_minutes: -5 is out of range"),
        (r#"id = "consultation""#, r#"id = "Consult ation""#, r#"services[0].id: "Consult ation" may only contain"#),
        ("name = \"Accuthink Clinic\"", "name = \"  \"", "business.name: must not be empty"),
    ];
    for (from, to, expected) in cases {
        let text = BASE.replacen(from, to, 1);
        let message = problems(&text);
        assert!(message.contains(expected), "expected {expected:?} in:\n{message}");
    }
}

#[test]
fn dates_staff_services_and_policy_are_checked() {
    let extra = r#"
[booking]
slot_interval_minutes = 0

[[services]]
id = "consultation"
name = "Again"
duration_minutes = 30

[[staff]]
id = "sarah"
name = "Sarah"
services = ["massage"]
hours = { funday = ["09:00-10:00"] }
"#;
    let text = BASE.replace("[[services]]", &format!("{}\n[[services]]", "")) + extra;
    let message = problems(&text);
    assert!(message.contains("funday"), "unknown keys are named: {message}");

    let text = BASE.to_string() + &extra.replace("hours = { funday = [\"09:00-10:00\"] }", "");
    let message = problems(&text);
    for expected in [
        "booking.slot_interval_minutes: 0 is out of range",
        r#"services[1].id: "consultation" is used by another service"#,
        r#"staff[0].services[0]: "massage" is not the id of a [[services]] entry"#,
    ] {
        assert!(message.contains(expected), "expected {expected:?} in:\n{message}");
    }

    let closed = BASE.replace(
        "[hours]",
        "[hours]\nclosed_dates = [\"2026-02-30\"]\nspecial = { \"christmas\" = [\"09:00-12:00\"] }",
    );
    let message = problems(&closed);
    assert!(
        message.contains(r#"hours.closed_dates[0]: "2026-02-30" is not a date in the form YYYY-MM-DD"#),
        "{message}"
    );
    assert!(message.contains(r#"hours.special."christmas": "christmas" is not a date"#), "{message}");
}

#[test]
fn a_config_without_services_or_with_unknown_sections_is_rejected() {
    let no_services = BASE[..BASE.find("[[services]]").unwrap()].to_string();
    assert!(problems(&no_services).contains("services: at least one [[services]] entry is required"));
    let unknown = BASE.to_string() + "\n[billing]\nplan = \"pro\"\n";
    assert!(problems(&unknown).contains("billing"), "{}", problems(&unknown));
    let secret = BASE.replace("[hours]", "[calendar]\nbackend = \"outlook\"\n\n[hours]");
    assert!(problems(&secret).contains("outlook"), "{}", problems(&secret));
}

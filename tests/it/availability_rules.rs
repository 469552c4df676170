//! Table tests for the scheduling rules of SPEC §4, on the pure availability engine.

use crate::support;

use appointment_setter::domain::{Business, BusyInterval, Interval, SlotSearch, StaffBusy, find_slots};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use support::*;

/// Slots as `"YYYY-MM-DD HH:MM staff"` in the business zone, for readable assertions.
fn slots(
    biz: &Business,
    service: &str,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
    busy: &[(usize, Vec<BusyInterval>)],
) -> Vec<String> {
    let service = biz.service(&service.parse().unwrap()).unwrap();
    let staff: Vec<StaffBusy<'_>> = (0..biz.staff.len())
        .map(|i| StaffBusy { staff: i, busy: busy.iter().find(|(s, _)| *s == i).map_or(&[][..], |(_, b)| b) })
        .collect();
    find_slots(biz, &SlotSearch { service, from, to, now }, &staff)
        .iter()
        .map(|s| format!("{} {}", s.start.with_timezone(&biz.timezone).format("%Y-%m-%d %H:%M"), biz.staff[s.staff].id))
        .collect()
}

fn times(list: &[String]) -> Vec<&str> {
    list.iter().map(|s| &s[11..16]).collect()
}

fn busy(start: DateTime<Utc>, minutes: i64, buffer: i64) -> BusyInterval {
    BusyInterval {
        interval: Interval::starting_at(start, Duration::minutes(minutes)),
        buffer: Duration::minutes(buffer),
    }
}

// Monday 2026-12-07; "now" is the Friday before unless a test says otherwise.
const MON: (i32, u32, u32) = (2026, 12, 7);

fn monday() -> NaiveDate {
    date(MON.0, MON.1, MON.2)
}

fn friday_before() -> DateTime<Utc> {
    chicago(2026, 12, 4, 12, 0)
}

#[test]
fn candidates_step_through_each_opening_range_and_never_span_lunch() {
    let biz = seed_business("");
    let got = slots(&biz, "standard", monday(), monday(), friday_before(), &[]);
    let expected: Vec<&str> = ["09:00", "09:15", "09:30", "09:45", "10:00", "10:15", "10:30", "10:45", "11:00"]
        .into_iter()
        .chain([
            "13:00", "13:15", "13:30", "13:45", "14:00", "14:15", "14:30", "14:45", "15:00", "15:15", "15:30", "15:45",
            "16:00",
        ])
        .collect();
    assert_eq!(times(&got), expected);
}

#[test]
fn closed_dates_have_no_slots_and_special_dates_replace_the_week() {
    let biz = seed_business("");
    let christmas = date(2026, 12, 25);
    assert!(slots(&biz, "consultation", christmas, christmas, chicago(2026, 12, 20, 12, 0), &[]).is_empty());
    let eve = date(2026, 12, 24);
    let got = slots(&biz, "consultation", eve, eve, chicago(2026, 12, 20, 12, 0), &[]);
    assert_eq!(times(&got).first(), Some(&"09:00"));
    assert_eq!(times(&got).last(), Some(&"11:30"));
}

#[test]
fn weekend_days_missing_from_hours_are_closed() {
    let biz = seed_business("");
    let sat = date(2026, 12, 5);
    let sun = date(2026, 12, 6);
    assert!(slots(&biz, "consultation", sat, sun, friday_before(), &[]).is_empty());
}

#[test]
fn staff_hours_replace_the_business_week_for_that_person_only() {
    let biz = seed_business(
        r#"
[[staff]]
id = "sarah"
name = "Sarah"
[[staff]]
id = "priya"
name = "Priya"
hours = { monday = ["10:00-11:00"], saturday = ["09:00-10:00"] }
"#,
    );
    let got = slots(&biz, "consultation", monday(), monday(), friday_before(), &[]);
    let priya: Vec<&str> = got.iter().filter(|s| s.ends_with("priya")).map(|s| &s[11..16]).collect();
    assert_eq!(priya, ["10:00", "10:15", "10:30"]);
    let sat = date(2026, 12, 5);
    let sat_slots = slots(&biz, "consultation", sat, sat, chicago(2026, 12, 3, 12, 0), &[]);
    assert_eq!(sat_slots, ["2026-12-05 09:00 priya", "2026-12-05 09:15 priya", "2026-12-05 09:30 priya"]);
}

#[test]
fn a_slot_exactly_at_the_minimum_notice_is_offered_and_one_minute_later_is_not() {
    let biz = seed_business("");
    // 120 minutes' notice: now 07:00 → 09:00 is exactly at the boundary.
    let got = slots(&biz, "consultation", monday(), monday(), chicago(2026, 12, 7, 7, 0), &[]);
    assert_eq!(times(&got)[0], "09:00");
    let got = slots(&biz, "consultation", monday(), monday(), chicago(2026, 12, 7, 7, 1), &[]);
    assert_eq!(times(&got)[0], "09:15");
}

#[test]
fn no_slot_is_ever_in_the_past_even_with_zero_notice() {
    let biz = seed_business("[booking]\nmin_notice_minutes = 0");
    let got = slots(&biz, "consultation", monday(), monday(), chicago(2026, 12, 7, 10, 5), &[]);
    assert_eq!(times(&got)[0], "10:15");
}

#[test]
fn the_last_day_of_the_window_is_bookable_and_the_day_after_is_not() {
    let biz = seed_business("[booking]\nmax_days_ahead = 3");
    // Friday noon + 3 days = Monday: bookable; Tuesday is not.
    let got = slots(&biz, "consultation", monday(), date(2026, 12, 8), friday_before(), &[]);
    assert!(got.iter().any(|s| s.starts_with("2026-12-07")));
    assert!(!got.iter().any(|s| s.starts_with("2026-12-08")));
}

#[test]
fn buffers_between_services_use_the_larger_of_the_two() {
    let biz = business("America/Chicago", "[hours]\nmonday = [\"09:00-17:00\"]");
    // An Extended Session (buffer 30) 10:00–11:30; a Consultation (buffer 15) needs 30 minutes.
    let existing = busy(chicago(2026, 12, 7, 10, 0), 90, 30);
    let got = slots(&biz, "consultation", monday(), monday(), friday_before(), &[(0, vec![existing])]);
    let t = times(&got);
    assert!(t.contains(&"09:00"), "ends 09:30, 30 minutes before");
    assert!(!t.contains(&"09:15"), "ends 09:45, only 15 minutes before");
    assert!(!t.contains(&"11:45"), "starts 15 minutes after");
    assert!(t.contains(&"12:00"), "starts 30 minutes after");
    // A Consultation (buffer 15) 10:00–10:30; an Extended Session (buffer 30) also needs 30.
    let existing = busy(chicago(2026, 12, 7, 10, 0), 30, 15);
    let got = slots(&biz, "extended", monday(), monday(), friday_before(), &[(0, vec![existing])]);
    let t = times(&got);
    assert_eq!(t.first(), Some(&"11:00"), "nothing fits before (09:00–10:30 overlaps); 10:45 is only 15 minutes after");
}

#[test]
fn outside_busy_time_has_no_buffer_of_its_own_but_the_service_buffer_applies() {
    let biz = business("America/Chicago", "[hours]\nmonday = [\"09:00-17:00\"]");
    let external = busy(chicago(2026, 12, 7, 10, 0), 60, 0);
    let got = slots(&biz, "consultation", monday(), monday(), friday_before(), &[(0, vec![external])]);
    let t = times(&got);
    assert!(t.contains(&"09:15") && !t.contains(&"09:30"));
    assert!(!t.contains(&"11:00") && t.contains(&"11:15"));
}

#[test]
fn buffers_never_apply_at_the_edge_of_opening_ranges() {
    let biz = seed_business("");
    let got = slots(&biz, "extended", monday(), monday(), friday_before(), &[]);
    let t = times(&got);
    assert_eq!(t.first(), Some(&"09:00"));
    assert!(t.contains(&"10:30"), "10:30–12:00 ends exactly at the break");
    assert!(t.contains(&"15:30"), "15:30–17:00 ends exactly at closing");
}

#[test]
fn staff_who_do_not_offer_a_service_get_no_slots_for_it() {
    let biz = seed_business(
        r#"
[[staff]]
id = "sarah"
name = "Sarah"
[[staff]]
id = "miguel"
name = "Miguel"
services = ["consultation"]
"#,
    );
    let got = slots(&biz, "extended", monday(), monday(), friday_before(), &[]);
    assert!(!got.is_empty());
    assert!(got.iter().all(|s| s.ends_with("sarah")));
    let got = slots(&biz, "consultation", monday(), monday(), friday_before(), &[]);
    assert!(got.iter().any(|s| s.ends_with("miguel")));
}

#[test]
fn slots_are_sorted_by_start_then_by_staff_order_of_the_config() {
    let biz = seed_business(
        r#"
[[staff]]
id = "zoe"
name = "Zoe"
[[staff]]
id = "adam"
name = "Adam"
"#,
    );
    // Zoe is busy 09:00–09:30, so Adam alone has 09:00.
    let got = slots(
        &biz,
        "consultation",
        monday(),
        monday(),
        friday_before(),
        &[(0, vec![busy(chicago(2026, 12, 7, 9, 0), 30, 15)])],
    );
    assert_eq!(got[0], "2026-12-07 09:00 adam");
    let ten: Vec<&String> = got.iter().filter(|s| s.contains(" 10:00 ")).collect();
    assert_eq!(ten, ["2026-12-07 10:00 zoe", "2026-12-07 10:00 adam"]);
}

#[test]
fn a_range_ending_at_24_00_runs_to_the_next_local_midnight() {
    let biz = business("America/Chicago", "[hours]\nmonday = [\"22:00-24:00\"]\n[booking]\nslot_interval_minutes = 30");
    let got = slots(&biz, "standard", monday(), monday(), friday_before(), &[]);
    assert_eq!(got, ["2026-12-07 22:00 staff", "2026-12-07 22:30 staff", "2026-12-07 23:00 staff"]);
}

fn all_day_business(zone: &str) -> Business {
    business(
        zone,
        r#"
[hours]
monday = ["00:00-24:00"]
tuesday = ["00:00-24:00"]
wednesday = ["00:00-24:00"]
thursday = ["00:00-24:00"]
friday = ["00:00-24:00"]
saturday = ["00:00-24:00"]
sunday = ["00:00-24:00"]
[booking]
slot_interval_minutes = 60
min_notice_minutes = 0
"#,
    )
}

#[test]
fn a_24_hour_business_has_23_hourly_slots_on_spring_forward_day() {
    let biz = all_day_business("America/Chicago");
    let day = date(2026, 3, 8);
    let got = slots(&biz, "standard", day, day, chicago(2026, 3, 1, 12, 0), &[]);
    assert_eq!(got.len(), 23);
    assert!(!got.iter().any(|s| s.contains(" 02:")), "02:xx does not exist that day");
    assert_eq!(got[2], "2026-03-08 03:00 staff");
}

#[test]
fn a_24_hour_business_has_25_hourly_slots_on_fall_back_day() {
    let biz = all_day_business("America/Chicago");
    let day = date(2026, 11, 1);
    let got = slots(&biz, "standard", day, day, chicago(2026, 10, 25, 12, 0), &[]);
    assert_eq!(got.len(), 25);
    assert_eq!(got.iter().filter(|s| s.contains(" 01:00 ")).count(), 2, "01:00 happens twice");
}

#[test]
fn a_range_starting_in_the_spring_forward_gap_opens_when_the_gap_ends() {
    let biz = business("America/Chicago", "[hours]\nsunday = [\"02:30-04:00\"]\n[booking]\nmin_notice_minutes = 0");
    let day = date(2026, 3, 8);
    let got = slots(&biz, "consultation", day, day, chicago(2026, 3, 1, 12, 0), &[]);
    assert_eq!(times(&got), ["03:00", "03:15", "03:30"]);
}

#[test]
fn an_ambiguous_fall_back_range_start_uses_the_earlier_instant() {
    let biz = business("America/Chicago", "[hours]\nsunday = [\"01:30-02:00\"]\n[booking]\nmin_notice_minutes = 0");
    let day = date(2026, 11, 1);
    let got = slots(&biz, "consultation", day, day, chicago(2026, 10, 25, 12, 0), &[]);
    // 01:30 CDT to 02:00 CST is 90 minutes: 01:30 CDT, 01:45 CDT, 01:00 CST, 01:15 CST, 01:30 CST
    assert_eq!(times(&got), ["01:30", "01:45", "01:00", "01:15", "01:30"]);
}

#[test]
fn a_zone_with_a_quarter_hour_offset_keeps_local_hours() {
    let biz = business("Asia/Kathmandu", "[hours]\nmonday = [\"09:00-10:00\"]");
    let got = slots(&biz, "consultation", monday(), monday(), local("Asia/Kathmandu", 2026, 12, 4, 12, 0), &[]);
    assert_eq!(times(&got), ["09:00", "09:15", "09:30"]);
    let service = biz.service(&"consultation".parse().unwrap()).unwrap();
    let staff = [StaffBusy { staff: 0, busy: &[] }];
    let first =
        find_slots(&biz, &SlotSearch { service, from: monday(), to: monday(), now: friday_before() }, &staff)[0];
    assert_eq!(first.start.to_rfc3339(), "2026-12-07T03:15:00+00:00");
}

#[test]
fn lord_howe_island_skips_half_an_hour_in_spring() {
    // Lord Howe moves from +10:30 to +11:00 at 02:00 on 2026-10-04.
    let biz = business(
        "Australia/Lord_Howe",
        "[hours]\nsunday = [\"01:00-04:00\"]\n[booking]\nslot_interval_minutes = 30\nmin_notice_minutes = 0",
    );
    let day = date(2026, 10, 4);
    let got = slots(&biz, "consultation", day, day, local("Australia/Lord_Howe", 2026, 10, 1, 12, 0), &[]);
    assert_eq!(times(&got), ["01:00", "01:30", "02:30", "03:00", "03:30"]);
}

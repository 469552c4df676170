//! The system prompt (SPEC §9): who we are, today's date, services, hours, policies and the rules
//! of the conversation.

use chrono::{DateTime, Utc};

use crate::domain::{Business, PhoneNumber};

/// The system prompt for a conversation with `caller` (when known) at `now`.
pub(crate) fn system_prompt(biz: &Business, caller: Option<&PhoneNumber>, now: DateTime<Utc>) -> String {
    let local = now.with_timezone(&biz.timezone);
    let services: Vec<String> = biz
        .services
        .iter()
        .map(|s| format!("- {} (id {}): {} minutes", s.name, s.id, s.duration.num_minutes()))
        .collect();
    let staff: Vec<String> = biz.staff.iter().map(|s| format!("- {} (id {})", s.name, s.id)).collect();
    let days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    let hours: Vec<String> = days
        .iter()
        .zip(&biz.schedule.weekly.0)
        .map(|(d, r)| {
            let ranges: Vec<String> = r.iter().map(ToString::to_string).collect();
            format!("- {d}: {}", if ranges.is_empty() { "closed".to_string() } else { ranges.join(", ") })
        })
        .collect();
    let p = &biz.policy;
    format!(
        "You are the friendly phone receptionist of {name}. You speak with callers on the phone: short, natural \
         sentences, no lists, no markdown, never read out ids or raw data.\n\
         Today is {today} ({weekday}), local time {time}, time zone {tz}.\n\
         {caller}\n\
         Services:\n{services}\nStaff:\n{staff}\nOpening hours:\n{hours}\n\
         Policies: bookings need at least {notice} minutes' notice and can be made up to {window} days ahead; \
         appointments can be cancelled or moved up to {cancel} hours before the start.\n\
         Rules: always use the tools to find times and never invent a time; offer at most 3 options at a time; \
         before booking, read back the service, day and time and get a yes; ask for the caller's name before booking; \
         if something fails, apologize and offer to transfer the caller to a person.",
        name = biz.name,
        today = local.format("%Y-%m-%d"),
        weekday = local.format("%A"),
        time = local.format("%H:%M"),
        tz = biz.timezone.name(),
        caller = match caller {
            Some(number) => {
                format!(
                    "The caller's phone number is {number}; every booking, lookup and cancellation is for this number only."
                )
            }
            None =>
                "The caller's phone number is not known yet: before booking or looking up appointments, ask for it \
                     with the area code (the tools refuse until it is given)."
                    .to_string(),
        },
        services = services.join("\n"),
        staff = staff.join("\n"),
        hours = hours.join("\n"),
        notice = p.min_notice.num_minutes(),
        window = p.max_days_ahead,
        cancel = p.cancel_notice.num_hours(),
    )
}

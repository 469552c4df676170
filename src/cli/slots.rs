//! `slots`: the customer-visible free slots (SPEC §4.6), grouped by day for people.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveDate;
use clap::Args;
use serde::Serialize;

use super::output::{clock, day_heading, print_json, rfc3339};
use super::{CliError, Context};
use crate::domain::{ServiceId, StaffId};

/// Arguments of `slots`.
#[derive(Debug, Args)]
pub(crate) struct SlotsArgs {
    /// Service id (see the config's [[services]])
    #[arg(long)]
    service: String,
    /// Only this staff member
    #[arg(long)]
    staff: Option<String>,
    /// First day, YYYY-MM-DD [default: today]
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// Number of days to show
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=366))]
    days: u32,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct SlotJson<'a> {
    start: String,
    end: String,
    staff_id: &'a str,
    staff_name: &'a str,
    service_id: &'a str,
}

fn parse_id<T: std::str::FromStr<Err = crate::domain::ids::IdError>>(flag: &str, text: &str) -> Result<T, CliError> {
    text.parse().map_err(|e| CliError::Usage(format!("{flag}: {e}")))
}

pub(super) async fn run(ctx: &Context, args: SlotsArgs) -> Result<(), CliError> {
    let service: ServiceId = parse_id("--service", &args.service)?;
    let staff: Option<StaffId> = args.staff.as_deref().map(|s| parse_id("--staff", s)).transpose()?;
    let from = match &args.from {
        Some(d) => Context::date("--from", d)?,
        None => ctx.today(),
    };
    let slots = ctx.booking.find_slots(&service, staff.as_ref(), from, args.days).await?;
    let biz = ctx.booking.business();
    let tz = biz.timezone;
    let service = biz.service(&service).expect("found by find_slots");

    if args.json {
        let out: Vec<SlotJson<'_>> = slots
            .iter()
            .map(|s| SlotJson {
                start: rfc3339(tz, s.start),
                end: rfc3339(tz, s.end),
                staff_id: biz.staff[s.staff].id.as_str(),
                staff_name: &biz.staff[s.staff].name,
                service_id: service.id.as_str(),
            })
            .collect();
        print_json(&out)?;
        return Ok(());
    }

    let to = from + chrono::Days::new(u64::from(args.days - 1));
    let mut text = format!(
        "{} ({} min) · {} to {} · times in {}\n",
        service.name,
        service.duration.num_minutes(),
        day_heading(from),
        day_heading(to),
        tz.name()
    );
    if slots.is_empty() {
        text.push_str("\nNo free slots in this period.\n");
    }
    // day → start → staff names, in order
    let mut by_day: BTreeMap<NaiveDate, Vec<(String, Vec<&str>)>> = BTreeMap::new();
    for s in &slots {
        let day = by_day.entry(s.start.with_timezone(&tz).date_naive()).or_default();
        let time = clock(tz, s.start);
        let name = biz.staff[s.staff].name.as_str();
        match day.last_mut() {
            Some((t, names)) if *t == time => names.push(name),
            _ => day.push((time, vec![name])),
        }
    }
    for (day, times) in by_day {
        let _ = writeln!(text, "\n{}", day_heading(day));
        for (time, names) in times {
            let _ = writeln!(text, "  {time:>8}  {}", names.join(", "));
        }
    }
    print!("{text}");
    Ok(())
}

//! `appointments list|book|cancel|reschedule`: staff actions on appointments.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use clap::{Args, Subcommand};

use super::output::{AppointmentJson, clock, day_heading, describe, print_json};
use super::{CliError, Context};
use crate::booking::{BookRequest, Tell};
use crate::domain::time::resolve_local;
use crate::domain::{Actor, AppointmentId, Channel, DayMinute};
use crate::store::AppointmentFilter;

/// The `appointments` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum AppointmentsCommand {
    /// List upcoming appointments, grouped by day
    List(ListArgs),
    /// Book an appointment
    Book(BookArgs),
    /// Cancel an appointment
    Cancel(CancelArgs),
    /// Move an appointment to a new start time (same staff member)
    Reschedule(RescheduleArgs),
}

/// Arguments of `appointments list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Only this customer's appointments
    #[arg(long)]
    phone: Option<String>,
    /// From this day, YYYY-MM-DD [default: now]
    #[arg(long, value_name = "DATE")]
    from: Option<String>,
    /// Include cancelled appointments
    #[arg(long)]
    include_cancelled: bool,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
}

/// Arguments of `appointments book`.
#[derive(Debug, Args)]
pub(crate) struct BookArgs {
    /// Service id
    #[arg(long)]
    service: String,
    /// Start: RFC 3339 (2026-03-10T14:30:00-05:00) or local 2026-03-10T14:30
    #[arg(long)]
    start: String,
    /// Customer phone number
    #[arg(long)]
    phone: String,
    /// Customer name
    #[arg(long)]
    name: String,
    /// Staff id [default: whoever is free]
    #[arg(long)]
    staff: Option<String>,
    /// Notes for the appointment
    #[arg(long)]
    notes: Option<String>,
    /// Override minimum notice and booking window (never conflicts)
    #[arg(long)]
    force: bool,
    /// Repeat-safe key: the same key books at most once
    #[arg(long, value_name = "KEY")]
    idempotency_key: Option<String>,
    /// Customer email (for the calendar invite)
    #[arg(long)]
    email: Option<String>,
    /// Text the customer a confirmation (sent by the running server)
    #[arg(long)]
    notify: bool,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
}

/// Arguments of `appointments cancel`.
#[derive(Debug, Args)]
pub(crate) struct CancelArgs {
    /// Appointment id
    id: String,
    /// Text the customer a confirmation (sent by the running server)
    #[arg(long)]
    notify: bool,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
}

/// Arguments of `appointments reschedule`.
#[derive(Debug, Args)]
pub(crate) struct RescheduleArgs {
    /// Appointment id
    id: String,
    /// New start: RFC 3339 or local 2026-03-10T14:30
    #[arg(long)]
    start: String,
    /// Override minimum notice and booking window (never conflicts)
    #[arg(long)]
    force: bool,
    /// Text the customer a confirmation (sent by the running server)
    #[arg(long)]
    notify: bool,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
}

fn tell(notify: bool) -> Tell {
    if notify { Tell::Confirmation } else { Tell::Nothing }
}

pub(super) async fn run(ctx: &Context, cmd: AppointmentsCommand) -> Result<(), CliError> {
    match cmd {
        AppointmentsCommand::List(args) => list(ctx, args).await,
        AppointmentsCommand::Book(args) => book(ctx, args).await,
        AppointmentsCommand::Cancel(args) => cancel(ctx, args).await,
        AppointmentsCommand::Reschedule(args) => reschedule(ctx, args).await,
    }
}

fn appointment_id(text: &str) -> Result<AppointmentId, CliError> {
    text.parse().map_err(|e| CliError::Usage(format!("{e}")))
}

fn parse<T: std::str::FromStr<Err = crate::domain::ids::IdError>>(flag: &str, text: &str) -> Result<T, CliError> {
    text.parse().map_err(|e| CliError::Usage(format!("{flag}: {e}")))
}

async fn list(ctx: &Context, args: ListArgs) -> Result<(), CliError> {
    let biz = ctx.booking.business();
    let from = match &args.from {
        Some(d) => {
            resolve_local(biz.timezone, Context::date("--from", d)?, DayMinute::from_hm(0, 0).expect("midnight"))
        }
        None => ctx.booking.now(),
    };
    let filter = AppointmentFilter {
        phone: args.phone.as_deref().map(|p| ctx.phone(p)).transpose()?,
        from: Some(from),
        include_cancelled: args.include_cancelled,
        ..AppointmentFilter::default()
    };
    // A customer's appointments are read back from the calendar first, as texts and calls do
    // (staff may have moved or deleted the event there); the whole book is listed as stored.
    let found = if filter.phone.is_some() {
        ctx.booking.list_current(&filter).await?
    } else {
        ctx.booking.list(&filter).await?
    };
    if args.json {
        let out: Vec<_> = found.iter().map(|a| AppointmentJson::new(biz, a, None)).collect();
        print_json(&out)?;
        return Ok(());
    }
    if found.is_empty() {
        println!("No appointments.");
        return Ok(());
    }
    let tz = biz.timezone;
    let mut by_day: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for a in &found {
        by_day.entry(a.start.with_timezone(&tz).date_naive()).or_default().push(a);
    }
    let mut text = format!("Times in {}\n", tz.name());
    for (day, list) in by_day {
        let _ = writeln!(text, "\n{}", day_heading(day));
        for a in list {
            let service = biz.service(&a.service_id).map_or(a.service_id.as_str(), |s| &s.name);
            let staff = biz.staff_member(&a.staff_id).map_or(a.staff_id.as_str(), |s| &s.name);
            let cancelled = if a.status == crate::domain::Status::Cancelled { "  [cancelled]" } else { "" };
            let _ = writeln!(
                text,
                "  {:>8}–{:<8}  {service} with {staff}  ·  {} {}  ·  {}{cancelled}",
                clock(tz, a.start),
                clock(tz, a.end),
                a.customer_name,
                a.customer_phone,
                a.id
            );
        }
    }
    print!("{text}");
    Ok(())
}

async fn book(ctx: &Context, args: BookArgs) -> Result<(), CliError> {
    let name = args.name.trim();
    if name.is_empty() {
        return Err(CliError::Usage("--name: must not be empty".into()));
    }
    let email_given = args.email.as_deref().is_some_and(|e| !e.trim().is_empty());
    let req = BookRequest {
        service: parse("--service", &args.service)?,
        staff: args.staff.as_deref().map(|s| parse("--staff", s)).transpose()?,
        start: ctx.start(&args.start)?,
        customer_name: name.to_string(),
        customer_phone: ctx.phone(&args.phone)?,
        notes: args.notes,
        channel: Channel::Cli,
        actor: Actor::Staff { force: args.force },
        idempotency_key: Some(args.idempotency_key.unwrap_or_else(|| format!("cli:{}", uuid::Uuid::new_v4()))),
        conversation: None,
        customer_email: args.email,
        // `--email` asks for the invite by itself; `--notify` adds the text.
        tell: if !args.notify && email_given { Tell::EmailOnly } else { tell(args.notify) },
    };
    let booked = ctx.booking.book(req).await?;
    let biz = ctx.booking.business();
    if args.json {
        print_json(&AppointmentJson::new(biz, &booked.appointment, Some(booked.created)))?;
    } else {
        let verb = if booked.created { "Booked" } else { "Already booked" };
        println!("{verb}: {}\nid: {}", describe(biz, &booked.appointment), booked.appointment.id);
    }
    Ok(())
}

async fn cancel(ctx: &Context, args: CancelArgs) -> Result<(), CliError> {
    let id = appointment_id(&args.id)?;
    let a = ctx.booking.cancel(id, &Actor::Staff { force: false }, tell(args.notify)).await?;
    if args.json {
        print_json(&AppointmentJson::new(ctx.booking.business(), &a, None))?;
    } else {
        println!("Cancelled: {}", describe(ctx.booking.business(), &a));
    }
    Ok(())
}

async fn reschedule(ctx: &Context, args: RescheduleArgs) -> Result<(), CliError> {
    let id = appointment_id(&args.id)?;
    let start = ctx.start(&args.start)?;
    let a = ctx.booking.reschedule(id, start, &Actor::Staff { force: args.force }, tell(args.notify)).await?;
    if args.json {
        print_json(&AppointmentJson::new(ctx.booking.business(), &a, None))?;
    } else {
        println!("Rescheduled: {}", describe(ctx.booking.business(), &a));
    }
    Ok(())
}

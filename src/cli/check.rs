//! `check`: is the config valid and is everything it needs reachable? Prints a pass/fail table.
//! Config errors never get here: they stop [`super::Context::open`] with exit code 2.

use super::{CliError, Context};
use crate::domain::PhoneNumber;
use crate::store::{Backend, redact_url};

pub(super) async fn run(ctx: &Context) -> Result<(), CliError> {
    let biz = &ctx.config.business;
    let mut failed = Vec::new();
    println!(
        "ok    config    {}: {} services, {} staff, time zone {}",
        ctx.config_path.display(),
        biz.services.len(),
        biz.staff.len(),
        biz.timezone.name()
    );
    for (key, number) in
        [("business.phone_number", &biz.phone_number), ("business.transfer_number", &biz.transfer_number)]
    {
        let Some(number) = number else { continue };
        match PhoneNumber::parse(number.as_str(), biz.region) {
            Ok(_) => println!("ok    phone     {key} {number} is a valid number"),
            Err(e) => {
                println!("FAIL  phone     {key}: {e}");
                failed.push(key);
            }
        }
    }
    let db = match ctx.store.backend() {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    let usable = match ctx.store.ping().await {
        Ok(()) => ctx.store.check_writable().await.map_err(|e| format!("cannot write: {e}")),
        Err(e) => Err(e.to_string()),
    };
    match usable {
        Ok(()) => println!("ok    database  {db} at {} (migrations applied, writable)", redact_url(&ctx.database_url)),
        Err(e) => {
            println!("FAIL  database  {db} at {}: {e}", redact_url(&ctx.database_url));
            failed.push("database");
        }
    }
    match ctx.config.calendar.backend {
        crate::config::CalendarBackend::Local => println!("ok    calendar  local (appointments live in the database)"),
        crate::config::CalendarBackend::Google => {
            let now = ctx.booking.now();
            let window = crate::domain::Interval { start: now, end: now + chrono::Duration::hours(1) };
            let staff: Vec<&crate::domain::StaffMember> = biz.staff.iter().collect();
            let read = ctx.calendar.busy(&staff, window, crate::calendar::Freshness::Fresh).await;
            for (staff, read) in staff.iter().zip(read) {
                let calendar = staff.calendar_id.as_deref().unwrap_or("(no calendar_id)");
                // Reading is not enough: bookings write events.
                let usable = match read {
                    Ok(_) => ctx.calendar.check_write(staff).await,
                    Err(e) => Err(e),
                };
                match usable {
                    Ok(()) => println!("ok    calendar  {} can read and write {calendar}", staff.name),
                    Err(e) => {
                        println!("FAIL  calendar  {}: {e}", staff.name);
                        failed.push("calendar");
                    }
                }
            }
        }
    }
    if failed.is_empty() {
        println!("\nAll checks passed.");
        Ok(())
    } else {
        Err(CliError::Failed(anyhow::anyhow!("failed checks: {}", failed.join(", "))))
    }
}

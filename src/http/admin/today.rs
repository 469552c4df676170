//! The day page (`/admin?date=YYYY-MM-DD`, today by default): each staff member's appointments
//! on a quarter-hour grid in the business's time zone, with the free time between them. Owners
//! see everyone; staff see only themselves.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Days, NaiveDate, TimeZone as _, Timelike as _, Utc};
use serde::Deserialize;

use super::style::ROWS;
use super::views::{Block, Column, Today};
use super::{AdminConsole, DATABASE_DOWN, actions, nav, render_page, signed_in};
use crate::accounts::Principal;
use crate::domain::{Appointment, Business, Interval, StaffMember};
use crate::store::{AppointmentFilter, Role};

#[derive(Deserialize)]
pub(super) struct DayQuery {
    date: Option<String>,
}

/// Local midnight of `date`, as an instant.
pub(super) fn midnight(biz: &Business, date: NaiveDate) -> DateTime<Utc> {
    let local = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    biz.timezone.from_local_datetime(&local).earliest().map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
}

fn clock(biz: &Business, at: DateTime<Utc>) -> String {
    at.with_timezone(&biz.timezone).format("%-I:%M %p").to_string()
}

/// Quarter-hours from local midnight of `date` to `at`.
fn quarter(biz: &Business, at: DateTime<Utc>) -> usize {
    let local = at.with_timezone(&biz.timezone);
    (local.hour() * 4 + local.minute() / 15) as usize
}

/// `member`'s column on `date`: appointments and free time at absolute quarter-hour rows; `None`
/// when they neither work nor have appointments that day.
pub(super) fn column_for(
    biz: &Business,
    date: NaiveDate,
    member: &StaffMember,
    appointments: &[Appointment],
    name: String,
) -> Option<Column> {
    let open: Vec<Interval> = biz.opening_ranges(member, date).map(|(start, end)| Interval { start, end }).collect();
    let day = Interval { start: midnight(biz, date), end: midnight(biz, date + Days::new(1)) };
    let mine: Vec<&Appointment> =
        appointments.iter().filter(|a| a.staff_id == member.id && a.start < day.end && a.end > day.start).collect();
    if open.is_empty() && mine.is_empty() {
        return None;
    }
    let taken: Vec<Interval> = mine.iter().map(|a| Interval { start: a.start, end: a.end }).collect();
    let free = crate::domain::interval::subtract(&open, &taken);
    let mut blocks: Vec<(DateTime<Utc>, Block)> = Vec::new();
    for a in &mine {
        let service = biz.service(&a.service_id).map_or(a.service_id.to_string(), |s| s.name.clone());
        let title = format!("{service} · {}", a.customer_name);
        let confirmed = if a.customer_confirmed_at.is_some() { " · confirmed by the customer" } else { "" };
        let detail = format!("{} · {}{confirmed}", a.customer_phone.masked(), a.booked_via.as_str());
        blocks
            .push((a.start, block(biz, a.start, a.end, title, detail, Some(format!("/admin/appointments/{}", a.id)))));
    }
    for f in &free {
        blocks.push((f.start, block(biz, f.start, f.end, "Free".into(), String::new(), None)));
    }
    blocks.sort_by_key(|(start, _)| *start);
    Some(Column { name, booked: mine.len(), blocks: blocks.into_iter().map(|(_, b)| b).collect() })
}

/// Makes the columns' rows relative to the first whole hour any of them shows; returns the
/// grid's first and last absolute rows.
pub(super) fn align(columns: &mut [Column]) -> (usize, usize) {
    let (mut first, mut last) = (ROWS, 0);
    for b in columns.iter().flat_map(|c| &c.blocks) {
        first = first.min(b.row);
        last = last.max(b.row + b.rows);
    }
    let first = if first == ROWS { 0 } else { first / 4 * 4 };
    for b in columns.iter_mut().flat_map(|c| &mut c.blocks) {
        b.row -= first;
    }
    (first, last.max(first))
}

/// The hour labels of a grid from `first` to `last` (absolute rows), at rows relative to `first`.
pub(super) fn hour_labels(first: usize, last: usize) -> Vec<(usize, String)> {
    (first / 4..last.div_ceil(4))
        .map(|h| {
            let label = chrono::NaiveTime::from_hms_opt(h as u32, 0, 0)
                .map_or(String::new(), |t| t.format("%-I %p").to_string());
            (h * 4 - first, label)
        })
        .collect()
}

/// A block from `start` to `end`; `link` is the appointment's page (`None`: free time).
fn block(
    biz: &Business,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    title: String,
    detail: String,
    link: Option<String>,
) -> Block {
    let row = quarter(biz, start);
    let end_row = quarter(biz, end).max(row + 1);
    Block {
        row,
        rows: (end_row - row).min(ROWS - row),
        time: format!("{} – {}", clock(biz, start), clock(biz, end)),
        title,
        detail,
        free: link.is_none(),
        link: link.unwrap_or_default(),
    }
}

/// The staff members `p` may see, and their appointments on the `days` days from `first`.
pub(super) async fn visible_days<'a>(
    console: &'a AdminConsole,
    p: &Principal,
    first: NaiveDate,
    days: u64,
) -> Result<(Vec<&'a StaffMember>, Vec<Appointment>), HttpResponse> {
    let biz = console.booking.business();
    let staff = biz.staff.iter().filter(|m| actions::may_handle(p, &m.id)).collect();
    let filter = AppointmentFilter {
        from: Some(midnight(biz, first)),
        until: Some(midnight(biz, first + Days::new(days))),
        staff: if p.role == Role::Owner { None } else { p.staff.clone() },
        ..Default::default()
    };
    match console.store.appointments().list(&filter).await {
        Ok(list) => Ok((staff, list)),
        Err(e) => {
            tracing::error!(error = %e, "the schedule could not read appointments");
            Err(HttpResponse::ServiceUnavailable().body(DATABASE_DOWN))
        }
    }
}

pub(super) async fn page(req: HttpRequest, query: web::Query<DayQuery>) -> HttpResponse {
    let (console, auth) = match signed_in(&req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let biz = console.booking.business();
    let today = biz.today(console.booking.now());
    let date = query.date.as_deref().and_then(|d| d.parse::<NaiveDate>().ok()).unwrap_or(today);
    let p = &auth.principal;
    let (staff, appointments) = match visible_days(&console, p, date, 1).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let mut columns: Vec<Column> =
        staff.iter().filter_map(|m| column_for(biz, date, m, &appointments, m.name.clone())).collect();
    let (first, last) = align(&mut columns);
    let hours = hour_labels(first, last);
    let view = Today {
        nav: nav(&console, p),
        day: date.format("%A, %B %-d, %Y").to_string(),
        date: date.to_string(),
        previous: (date - Days::new(1)).to_string(),
        next: (date + Days::new(1)).to_string(),
        hours,
        columns,
    };
    render_page(&console, &auth, view)
}

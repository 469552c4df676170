//! The week page (`/admin/week?date=YYYY-MM-DD`: the Monday-to-Sunday week holding that date,
//! this week by default): a table of each staff member's bookings and free hours per day, then
//! each staff member's week on the day page's quarter-hour grid, free time shown. Owners see
//! everyone; staff only themselves. One read of the week's appointments serves the whole page.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Datelike as _, Days, NaiveDate};

use super::today::{align, column_for, hour_labels, visible_days};
use super::views::{Column, Nav};
use super::{nav, render_page, signed_in};

#[derive(serde::Deserialize)]
pub(super) struct WeekQuery {
    date: Option<String>,
}

/// One staff member's week.
pub(crate) struct StaffWeek {
    pub name: String,
    /// Per day: (the day page's date, appointments, free time like "4 h 30 min", works that day).
    pub summary: Vec<(String, usize, String, bool)>,
    pub hours: Vec<(usize, String)>,
    pub columns: Vec<Column>,
}

#[derive(Template)]
#[template(path = "admin/week.html")]
pub(crate) struct WeekPage {
    pub nav: Nav,
    pub title: String,
    pub previous: String,
    pub next: String,
    /// "Mon 7" … "Sun 13".
    pub days: Vec<String>,
    pub staff: Vec<StaffWeek>,
}

fn free_time(quarters: usize) -> String {
    match (quarters / 4, quarters % 4 * 15) {
        (0, 0) => "—".into(),
        (h, 0) => format!("{h} h"),
        (0, m) => format!("{m} min"),
        (h, m) => format!("{h} h {m} min"),
    }
}

pub(super) async fn page(req: HttpRequest, query: web::Query<WeekQuery>) -> HttpResponse {
    let (console, auth) = match signed_in(&req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let biz = console.booking.business();
    let today = biz.today(console.booking.now());
    let date = query.date.as_deref().and_then(|d| d.parse::<NaiveDate>().ok()).unwrap_or(today);
    let monday = date - Days::new(u64::from(date.weekday().num_days_from_monday()));
    let days: Vec<NaiveDate> = (0..7).map(|i| monday + Days::new(i)).collect();
    let p = &auth.principal;
    let (members, appointments) = match visible_days(&console, p, monday, 7).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let mut staff = Vec::new();
    for member in members {
        let mut columns = Vec::new();
        let mut summary = Vec::new();
        for day in &days {
            let label = day.format("%a %-d").to_string();
            match column_for(biz, *day, member, &appointments, label) {
                Some(column) => {
                    let free: usize = column.blocks.iter().filter(|b| b.free).map(|b| b.rows).sum();
                    summary.push((day.to_string(), column.booked, free_time(free), true));
                    columns.push(column);
                }
                None => {
                    summary.push((day.to_string(), 0, "off".into(), false));
                    columns.push(Column { name: day.format("%a %-d").to_string(), booked: 0, blocks: Vec::new() });
                }
            }
        }
        let (first, last) = align(&mut columns);
        staff.push(StaffWeek { name: member.name.clone(), summary, hours: hour_labels(first, last), columns });
    }
    let sunday = monday + Days::new(6);
    let view = WeekPage {
        nav: nav(&console, p),
        title: format!("{} – {}", monday.format("%B %-d"), sunday.format("%B %-d, %Y")),
        previous: (monday - Days::new(7)).to_string(),
        next: (monday + Days::new(7)).to_string(),
        days: days.iter().map(|d| d.format("%a %-d").to_string()).collect(),
        staff,
    };
    render_page(&console, &auth, view)
}

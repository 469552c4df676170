//! Booking from the console (`/admin/book`): pick a service, a staff member and a day, then one
//! of the real free times (or, with "ignore notice and window", any time: never a conflict), the
//! customer's name and number. It books through the booking service like a call does (the
//! customer is texted a confirmation), once however often the form is sent (the form carries its
//! own idempotency key), and writes the audit log. Staff book for themselves only.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::views::{BookPage, Choice};
use super::{AdminConsole, csrf_ok, csrf_refused, nav, render_page, signed_in};
use crate::accounts::Authenticated;
use crate::booking::{BookRequest, BookingError, Tell};
use crate::domain::{Actor, Channel, PhoneNumber, ServiceId, StaffId};
use crate::store::Role;

#[derive(Deserialize, Default)]
pub(super) struct BookQuery {
    service: Option<String>,
    staff: Option<String>,
    date: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct BookForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    staff: String,
    #[serde(default)]
    date: String,
    /// One of the free times (RFC 3339).
    #[serde(default)]
    start: String,
    /// Or a time typed as HH:MM.
    #[serde(default)]
    time: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    force: Option<String>,
}

async fn render(console: &AdminConsole, auth: &Authenticated, q: &BookQuery, error: Option<String>) -> HttpResponse {
    let biz = console.booking.business();
    let p = &auth.principal;
    let staff: Vec<(String, String)> = biz
        .staff
        .iter()
        .filter(|m| p.role == Role::Owner || p.staff.as_ref() == Some(&m.id))
        .map(|m| (m.id.to_string(), m.name.clone()))
        .collect();
    let service =
        q.service.clone().unwrap_or_else(|| biz.services.first().map(|s| s.id.to_string()).unwrap_or_default());
    let member = q
        .staff
        .clone()
        .filter(|s| staff.iter().any(|(id, _)| id == s))
        .unwrap_or_else(|| staff.first().map(|(id, _)| id.clone()).unwrap_or_default());
    let date =
        q.date.as_deref().and_then(|d| d.parse::<NaiveDate>().ok()).unwrap_or_else(|| biz.today(console.booking.now()));
    let (service_id, staff_id) = (service.parse::<ServiceId>().ok(), member.parse::<StaffId>().ok());
    let slots = match (&service_id, &staff_id) {
        (Some(s), Some(m)) => console.booking.find_slots(s, Some(m), date, 1).await.unwrap_or_default(),
        _ => Vec::new(),
    };
    let tz = biz.timezone;
    let view = BookPage {
        nav: nav(console, p),
        key: uuid::Uuid::new_v4().to_string(),
        services: biz.services.iter().map(|s| (s.id.to_string(), s.name.clone())).collect(),
        staff,
        service,
        member,
        date: date.to_string(),
        choices: slots
            .iter()
            .map(|s| Choice {
                value: s.start.to_rfc3339(),
                label: s.start.with_timezone(&tz).format("%-I:%M %p").to_string(),
            })
            .collect(),
        error,
    };
    render_page(console, auth, view)
}

pub(super) async fn form(req: HttpRequest, q: web::Query<BookQuery>) -> HttpResponse {
    match signed_in(&req).await {
        Ok((console, auth)) => render(&console, &auth, &q, None).await,
        Err(response) => response,
    }
}

/// A time typed as `HH:MM` on `date`, in the business zone.
fn typed_time(console: &AdminConsole, date: &str, time: &str) -> Option<DateTime<Utc>> {
    let date: NaiveDate = date.parse().ok()?;
    let time = chrono::NaiveTime::parse_from_str(time.trim(), "%H:%M").ok()?;
    let local = date.and_time(time);
    use chrono::TimeZone as _;
    console.booking.business().timezone.from_local_datetime(&local).earliest().map(|t| t.with_timezone(&Utc))
}

pub(super) async fn submit(req: HttpRequest, form: web::Form<BookForm>) -> HttpResponse {
    let (console, auth) = match signed_in(&req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if !csrf_ok(&auth.principal, &form.csrf) {
        return csrf_refused();
    }
    let p = &auth.principal;
    let q = BookQuery {
        service: Some(form.service.clone()),
        staff: Some(form.staff.clone()),
        date: Some(form.date.clone()),
    };
    let again = |message: String| async { with_status(render(&console, &auth, &q, Some(message)).await) };
    let biz = console.booking.business();
    let (Ok(service), Ok(staff)) = (form.service.parse::<ServiceId>(), form.staff.parse::<StaffId>()) else {
        return again("Pick a service and a staff member.".into()).await;
    };
    let start = DateTime::parse_from_rfc3339(&form.start)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| typed_time(&console, &form.date, &form.time));
    let Some(start) = start else { return again("Pick one of the free times (or type a time as HH:MM).".into()).await };
    let Ok(phone) = PhoneNumber::parse(&form.phone, biz.region) else {
        return again(format!("{:?} is not a phone number; write it with the area code.", form.phone)).await;
    };
    let req = BookRequest {
        service,
        staff: Some(staff),
        start,
        customer_name: form.name.trim().to_string(),
        customer_phone: phone,
        notes: None,
        channel: Channel::Admin,
        actor: Actor::Staff { force: form.force.is_some() },
        idempotency_key: Some(format!("console:{}", form.key)),
        conversation: None,
        customer_email: None,
        tell: Tell::Confirmation,
    };
    match super::actions::book(&console, p, req).await {
        Ok(booked) => {
            let id = booked.appointment.id.to_string();
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/admin/appointments/{id}?done=booked")))
                .finish()
        }
        Err(BookingError::Refused { message, .. }) => again(message).await,
        Err(BookingError::Invalid { problem, .. }) if problem == super::actions::STAFF_FOR_THEMSELVES => {
            again(problem).await
        }
        Err(BookingError::Invalid { field, problem }) => again(format!("{field}: {problem}")).await,
        Err(e) => {
            tracing::error!(error = %e, "a console booking failed");
            again("The calendar or the database did not answer; nothing was booked. Try again in a moment.".into())
                .await
        }
    }
}

fn with_status(mut response: HttpResponse) -> HttpResponse {
    *response.status_mut() = actix_web::http::StatusCode::CONFLICT;
    response
}

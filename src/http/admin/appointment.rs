//! One appointment (`/admin/appointments/{id}`): who, what, when in the business's zone, how it
//! was booked and by which conversation, every message about it with its status, its history,
//! and the staff actions (cancel, move to one of the real free times), each through the booking
//! service with the usual texts and written to the audit log. Staff reach only their own
//! appointments: anyone else's is "not found".

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::views::{AppointmentPage, Choice, Line};
use super::{AdminConsole, csrf_ok, csrf_refused, nav, not_found, render_page, signed_in};
use crate::accounts::Authenticated;
use crate::booking::{BookingError, Tell};
use crate::domain::{Appointment, Status};

#[derive(Deserialize)]
pub(super) struct ActionForm {
    #[serde(default)]
    csrf: String,
    /// For a move: the new start (RFC 3339).
    #[serde(default)]
    start: String,
}

#[derive(Deserialize)]
pub(super) struct Shown {
    done: Option<String>,
}

use super::actions::{self, visible};

fn when(console: &AdminConsole, at: DateTime<Utc>) -> String {
    crate::domain::time::human(console.booking.business().timezone, at)
}

async fn render(
    console: &AdminConsole,
    auth: &Authenticated,
    a: &Appointment,
    notice: Option<String>,
    error: Option<String>,
) -> HttpResponse {
    let biz = console.booking.business();
    let service = biz.service(&a.service_id).map_or(a.service_id.to_string(), |s| s.name.clone());
    let staff = biz.staff_member(&a.staff_id).map_or(a.staff_id.to_string(), |s| s.name.clone());
    let messages = console.store.outbox().messages_about(a.id).await.unwrap_or_default();
    let mut history =
        vec![Line { when: when(console, a.created_at), what: format!("Booked by {}", a.booked_via.as_str()) }];
    for e in console.store.users().audit_of(&a.id.to_string()).await.unwrap_or_default() {
        let who = match e.user_id {
            Some(id) => console.store.users().by_id(&id).await.ok().flatten().map_or(id, |u| u.email),
            None => "someone".into(),
        };
        history.push(Line {
            when: when(console, e.at),
            what: format!("{} by {who}{}", e.action, e.detail.map(|d| format!(": {d}")).unwrap_or_default()),
        });
    }
    let upcoming = a.status == Status::Confirmed && a.start > console.booking.now();
    let choices = if upcoming {
        let from = biz.today(console.booking.now());
        let slots = console.booking.find_slots(&a.service_id, Some(&a.staff_id), from, 14).await.unwrap_or_default();
        slots
            .iter()
            .filter(|s| s.start != a.start)
            .take(12)
            .map(|s| Choice { value: s.start.to_rfc3339(), label: when(console, s.start) })
            .collect()
    } else {
        Vec::new()
    };
    let view = AppointmentPage {
        nav: nav(console, &auth.principal),
        id: a.id.to_string(),
        service,
        staff,
        customer: a.customer_name.clone(),
        phone: a.customer_phone.as_str().to_string(),
        email: a.customer_email.clone().unwrap_or_default(),
        when: format!("{} – {}", when(console, a.start), a.end.with_timezone(&biz.timezone).format("%-I:%M %p")),
        status: a.status.as_str(),
        customer_confirmed: a.customer_confirmed_at.map(|at| when(console, at)).unwrap_or_default(),
        booked_via: a.booked_via.as_str(),
        conversation: a.conversation.clone().unwrap_or_default(),
        notes: a.notes.clone().unwrap_or_default(),
        messages: messages
            .iter()
            .map(|m| Line {
                when: when(console, m.created_at),
                what: format!("{} {} · {}", m.channel.as_str(), m.status.as_str(), kind(&m.cause)),
            })
            .collect(),
        history,
        choices,
        upcoming,
        notice,
        error,
    };
    render_page(console, auth, view)
}

/// What a message was, from its cause (`appointment:<id>:<seq>:confirmation`, `reminder:…`).
fn kind(cause: &str) -> String {
    if cause.starts_with("reminder:") {
        return "reminder".into();
    }
    cause.rsplit(':').next().unwrap_or("message").replace('_', " ")
}

pub(super) async fn page(req: HttpRequest, id: web::Path<String>, shown: web::Query<Shown>) -> HttpResponse {
    let (console, auth) = match signed_in(&req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(a) = visible(&console, &auth.principal, &id).await else { return not_found(req).await };
    let notice = shown
        .done
        .as_deref()
        .map(|d| match d {
            "cancelled" => "Cancelled. The customer gets a text.".to_string(),
            "moved" => "Moved. The customer gets a text with the new time.".to_string(),
            "booked" => "Booked. The customer gets a text.".to_string(),
            _ => String::new(),
        })
        .filter(|n| !n.is_empty());
    render(&console, &auth, &a, notice, None).await
}

pub(super) async fn cancel(req: HttpRequest, id: web::Path<String>, form: web::Form<ActionForm>) -> HttpResponse {
    act(req, &id, &form, Action::Cancel).await
}

pub(super) async fn reschedule(req: HttpRequest, id: web::Path<String>, form: web::Form<ActionForm>) -> HttpResponse {
    act(req, &id, &form, Action::Move).await
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Cancel,
    Move,
}

async fn act(req: HttpRequest, id: &str, form: &ActionForm, action: Action) -> HttpResponse {
    let (console, auth) = match signed_in(&req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if !csrf_ok(&auth.principal, &form.csrf) {
        return csrf_refused();
    }
    let Some(a) = visible(&console, &auth.principal, id).await else { return not_found(req).await };
    let p = &auth.principal;
    let result = match action {
        Action::Cancel => actions::cancel(&console, p, &a, Tell::Confirmation).await.map(|_| "cancelled"),
        Action::Move => match DateTime::parse_from_rfc3339(&form.start) {
            Ok(start) => {
                let start = start.with_timezone(&Utc);
                actions::reschedule(&console, p, &a, start, false, Tell::Confirmation).await.map(|_| "moved")
            }
            Err(_) => Err(BookingError::Invalid { field: "start", problem: "pick one of the free times".into() }),
        },
    };
    match result {
        Ok(done) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/admin/appointments/{}?done={done}", a.id)))
            .finish(),
        Err(e) => {
            let message = match &e {
                BookingError::Refused { message, .. } => message.clone(),
                BookingError::Invalid { problem, .. } => problem.clone(),
                e => {
                    tracing::error!(error = %e, "a console change failed");
                    "The calendar or the database did not answer; nothing was changed. Try again in a moment.".into()
                }
            };
            let a = visible(&console, &auth.principal, id).await.unwrap_or(a);
            let mut response = render(&console, &auth, &a, None, Some(message)).await;
            *response.status_mut() = actix_web::http::StatusCode::CONFLICT;
            response
        }
    }
}

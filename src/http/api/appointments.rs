//! `/api/v1/appointments` and `/api/v1/slots`: list (filters, cursor), get, book, cancel,
//! reschedule and free times, through [`crate::http::admin::actions`] like the console's forms.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};

use super::wire::{
    ApiAppointment, ApiError, ApiSlot, AppointmentQuery, BookBody, CancelBody, Page, RescheduleBody, SlotQuery,
};
use super::{Problem, authorized, booking_error, cursor, error, page_size, problem, read_cursor, unavailable};
use crate::booking::{BookRequest, Tell};
use crate::domain::phone::PhoneNumber;
use crate::domain::{Actor, Channel};
use crate::http::admin::actions;
use crate::store::{AppointmentFilter, Role};

fn instant(field: &str, text: &str) -> Result<DateTime<Utc>, Problem> {
    DateTime::parse_from_rfc3339(text.trim()).map(|t| t.with_timezone(&Utc)).map_err(|_| {
        let message = format!("{field}: {text:?} is not an RFC 3339 time (e.g. 2026-12-08T15:00:00Z)");
        problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
    })
}

fn tell(notify: Option<bool>) -> Tell {
    if notify.unwrap_or(true) { Tell::Confirmation } else { Tell::Nothing }
}

/// Appointments, by start (staff accounts: their own).
#[utoipa::path(get, path = "/api/v1/appointments", params(AppointmentQuery),
    responses((status = 200, body = Page<ApiAppointment>), (status = 400, body = ApiError), (status = 401, body = ApiError)))]
pub(super) async fn list(req: HttpRequest) -> HttpResponse {
    let (console, p) = try_response!(authorized(&req).await);
    let q: AppointmentQuery = try_response!(super::query(&req));
    let biz = console.booking().business();
    let mut filter = AppointmentFilter {
        include_cancelled: q.include_cancelled,
        limit: Some(page_size(q.limit) + 1),
        ..Default::default()
    };
    if let Some(from) = &q.from {
        filter.from = Some(try_response!(instant("from", from)));
    }
    if let Some(until) = &q.until {
        filter.until = Some(try_response!(instant("until", until)));
    }
    if let Some(phone) = &q.phone {
        let Ok(phone) = PhoneNumber::parse(phone, biz.region) else {
            return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "phone: not a phone number");
        };
        filter.phone = Some(phone);
    }
    filter.staff = match (&q.staff, p.role) {
        (_, Role::Staff) => p.staff.clone(),
        (Some(s), Role::Owner) => match s.parse() {
            Ok(s) => Some(s),
            Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid", &format!("staff: {e}")),
        },
        (None, Role::Owner) => None,
    };
    if let Some(c) = &q.cursor {
        let parts = try_response!(read_cursor(c, 3));
        let bad = || error(StatusCode::BAD_REQUEST, "bad_cursor", "pass back a next_cursor exactly as a page gave it");
        let (Ok(at), Ok(staff), Ok(id)) = (parts[0].parse::<i64>(), parts[1].parse(), parts[2].parse()) else {
            return bad();
        };
        let Some(at) = DateTime::from_timestamp(at, 0) else { return bad() };
        filter.after = Some((at, staff, id));
    }
    let size = page_size(q.limit) as usize;
    let mut found = match console.store().appointments().list(&filter).await {
        Ok(found) => found,
        Err(e) => {
            tracing::error!(error = %e, "the API could not list appointments");
            return unavailable();
        }
    };
    let more = found.len() > size;
    found.truncate(size);
    let next_cursor = found
        .last()
        .filter(|_| more)
        .map(|a| cursor(&[&a.start.timestamp().to_string(), a.staff_id.as_str(), &a.id.to_string()]));
    let data = found.iter().map(|a| ApiAppointment::new(a, biz.timezone)).collect();
    HttpResponse::Ok().json(Page { data, next_cursor })
}

/// One appointment (another staff member's: 404).
#[utoipa::path(get, path = "/api/v1/appointments/{id}", params(("id" = String, Path)),
    responses((status = 200, body = ApiAppointment), (status = 404, body = ApiError), (status = 401, body = ApiError)))]
pub(super) async fn get(req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (console, p) = try_response!(authorized(&req).await);
    match actions::visible(&console, &p, &id).await {
        Some(a) => HttpResponse::Ok().json(ApiAppointment::new(&a, console.booking().business().timezone)),
        None => error(StatusCode::NOT_FOUND, "not_found", "there is no such appointment of yours"),
    }
}

/// Books (the customer is texted unless `notify` is false; staff accounts book for themselves).
#[utoipa::path(post, path = "/api/v1/appointments", request_body = BookBody,
    responses((status = 201, body = ApiAppointment), (status = 200, description = "the same idempotency key booked it before", body = ApiAppointment),
        (status = 409, description = "a booking rule refused (code says which)", body = ApiError), (status = 422, body = ApiError)))]
pub(super) async fn book(req: HttpRequest, bytes: web::Bytes) -> HttpResponse {
    let (console, p) = try_response!(authorized(&req).await);
    let body: BookBody = try_response!(super::body(&bytes));
    let biz = console.booking().business();
    let start = try_response!(instant("start", &body.start));
    let invalid = |m: String| error(StatusCode::UNPROCESSABLE_ENTITY, "invalid", &m);
    let Ok(service) = body.service.parse() else { return invalid(format!("service: {:?} is not an id", body.service)) };
    let staff = match body.staff.as_deref().map(str::parse).transpose() {
        Ok(staff) => staff,
        Err(e) => return invalid(format!("staff: {e}")),
    };
    let Ok(phone) = PhoneNumber::parse(&body.customer_phone, biz.region) else {
        return invalid("customer_phone: not a phone number (give it with the area code, or in +E.164)".into());
    };
    let request = BookRequest {
        service,
        staff,
        start,
        customer_name: body.customer_name.trim().to_string(),
        customer_phone: phone,
        notes: body.notes.clone(),
        channel: Channel::Admin,
        actor: Actor::Staff { force: body.force },
        idempotency_key: body.idempotency_key.as_ref().map(|k| format!("api:{}:{k}", p.user_id)),
        conversation: None,
        customer_email: body.customer_email.clone(),
        tell: tell(body.notify),
    };
    match actions::book(&console, &p, request).await {
        Ok(booked) => {
            let status = if booked.created { StatusCode::CREATED } else { StatusCode::OK };
            HttpResponse::build(status).json(ApiAppointment::new(&booked.appointment, biz.timezone))
        }
        Err(e) => booking_error(&e),
    }
}

/// Cancels (the customer is texted unless `notify` is false).
#[utoipa::path(post, path = "/api/v1/appointments/{id}/cancel", params(("id" = String, Path)), request_body = CancelBody,
    responses((status = 200, body = ApiAppointment), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub(super) async fn cancel(req: HttpRequest, id: web::Path<String>, bytes: web::Bytes) -> HttpResponse {
    let (console, p) = try_response!(authorized(&req).await);
    let body: CancelBody = try_response!(super::body(&bytes));
    let Some(a) = actions::visible(&console, &p, &id).await else {
        return error(StatusCode::NOT_FOUND, "not_found", "there is no such appointment of yours");
    };
    match actions::cancel(&console, &p, &a, tell(body.notify)).await {
        Ok(done) => HttpResponse::Ok().json(ApiAppointment::new(&done, console.booking().business().timezone)),
        Err(e) => booking_error(&e),
    }
}

/// Moves to another time (the customer is texted unless `notify` is false).
#[utoipa::path(post, path = "/api/v1/appointments/{id}/reschedule", params(("id" = String, Path)), request_body = RescheduleBody,
    responses((status = 200, body = ApiAppointment), (status = 404, body = ApiError), (status = 409, body = ApiError)))]
pub(super) async fn reschedule(req: HttpRequest, id: web::Path<String>, bytes: web::Bytes) -> HttpResponse {
    let (console, p) = try_response!(authorized(&req).await);
    let body: RescheduleBody = try_response!(super::body(&bytes));
    let start = try_response!(instant("start", &body.start));
    let Some(a) = actions::visible(&console, &p, &id).await else {
        return error(StatusCode::NOT_FOUND, "not_found", "there is no such appointment of yours");
    };
    match actions::reschedule(&console, &p, &a, start, body.force, tell(body.notify)).await {
        Ok(done) => HttpResponse::Ok().json(ApiAppointment::new(&done, console.booking().business().timezone)),
        Err(e) => booking_error(&e),
    }
}

/// Free times for a service (staff accounts: their own).
#[utoipa::path(get, path = "/api/v1/slots", params(SlotQuery),
    responses((status = 200, body = [ApiSlot]), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub(super) async fn slots(req: HttpRequest) -> HttpResponse {
    let (console, p) = try_response!(authorized(&req).await);
    let q: SlotQuery = try_response!(super::query(&req));
    let biz = console.booking().business();
    let invalid = |m: String| error(StatusCode::UNPROCESSABLE_ENTITY, "invalid", &m);
    let Ok(service) = q.service.parse() else { return invalid(format!("service: {:?} is not an id", q.service)) };
    let staff = match (q.staff.as_deref().map(str::parse).transpose(), p.role) {
        (_, Role::Staff) => p.staff.clone(),
        (Ok(staff), Role::Owner) => staff,
        (Err(e), Role::Owner) => return invalid(format!("staff: {e}")),
    };
    let from = match q.date.as_deref().map(str::parse::<NaiveDate>).transpose() {
        Ok(date) => date.unwrap_or_else(|| biz.today(console.booking().now())),
        Err(_) => return invalid("date: give YYYY-MM-DD".into()),
    };
    let days = q.days.unwrap_or(7).clamp(1, 31);
    match console.booking().find_slots(&service, staff.as_ref(), from, days).await {
        Ok(slots) => {
            let out: Vec<ApiSlot> = slots
                .iter()
                .map(|s| ApiSlot {
                    start: super::wire::rfc3339(s.start),
                    end: super::wire::rfc3339(s.end),
                    local_start: s.start.with_timezone(&biz.timezone).format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
                    staff: biz.staff.get(s.staff).map(|m| m.id.to_string()).unwrap_or_default(),
                })
                .collect();
            HttpResponse::Ok().json(out)
        }
        Err(e) => booking_error(&e),
    }
}

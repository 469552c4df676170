//! Customers (`/admin/customers`, owners only): everyone who booked, the latest first, and each
//! one's page (`/admin/customers/{+1…}`): name, number, whether they opted out of texts, upcoming
//! and past appointments, and the conversations that booked them.

use actix_web::{HttpRequest, HttpResponse, web};

use super::views::{CustomerPage, Customers, Line};
use super::{nav, not_found, owner_signed_in, render_page};
use crate::domain::PhoneNumber;
use crate::store::AppointmentFilter;

/// Customers on the list page.
const LISTED: i64 = 200;

pub(super) async fn list(req: HttpRequest) -> HttpResponse {
    let (console, auth) = match owner_signed_in(&req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let customers = console.store.appointments().customers(LISTED).await.unwrap_or_default();
    let rows = customers
        .iter()
        .map(|(phone, name, n)| (phone.as_str().to_string(), name.clone(), phone.masked(), *n))
        .collect();
    render_page(&console, &auth, Customers { nav: nav(&console, &auth.principal), rows })
}

pub(super) async fn page(req: HttpRequest, phone: web::Path<String>) -> HttpResponse {
    let (console, auth) = match owner_signed_in(&req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Ok(phone) = PhoneNumber::parse(&phone, console.booking.business().region) else { return not_found(req).await };
    let filter = AppointmentFilter { phone: Some(phone.clone()), include_cancelled: true, ..Default::default() };
    let all = console.store.appointments().list(&filter).await.unwrap_or_default();
    let Some(latest) = all.iter().max_by_key(|a| a.created_at) else { return not_found(req).await };
    let biz = console.booking.business();
    let now = console.booking.now();
    let line = |a: &crate::domain::Appointment| {
        let service = biz.service(&a.service_id).map_or(a.service_id.to_string(), |s| s.name.clone());
        (
            a.id.to_string(),
            Line {
                when: crate::domain::time::human(biz.timezone, a.start),
                what: format!("{service} · {}", a.status.as_str()),
            },
        )
    };
    let mut conversations: Vec<String> = all.iter().filter_map(|a| a.conversation.clone()).collect();
    conversations.dedup();
    let view = CustomerPage {
        nav: nav(&console, &auth.principal),
        name: latest.customer_name.clone(),
        phone: phone.as_str().to_string(),
        opted_out: console.store.opt_outs().is_opted_out(&phone).await.unwrap_or(false),
        texts_only: console.store.preferences().of(&phone).await.ok().flatten().map_or_else(String::new, |p| {
            format!("said on a {}, {}", p.said_via, crate::domain::time::human(biz.timezone, p.at))
        }),
        upcoming: all.iter().filter(|a| a.end > now).map(line).collect(),
        past: all.iter().rev().filter(|a| a.end <= now).map(line).collect(),
        conversations,
    };
    render_page(&console, &auth, view)
}

//! The customer's page behind the link in a confirmation text (`/m/<token>`, SPEC §15): the
//! appointment, and within the policy a cancel button and the real free times to move it to;
//! inside the cancellation notice, "please call us" with a `tel:` link. Changes go through the
//! booking service as the customer (same rules, same texts as by text message).
//!
//! A wrong, tampered or expired token, a cancelled or past appointment, and one now booked for
//! someone else all get the same "link has expired" page with the same status, so the page tells
//! a guesser nothing; page loads are rate limited per address. Forms carry a token bound to the
//! link and the appointment's version (no session here), so a stale page cannot act.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::admin::{AdminConsole, console, security_headers, style};
use crate::booking::{BookingError, CustomerLinks, Tell};
use crate::domain::rules::check_cancellable;
use crate::domain::time::human;
use crate::domain::{Actor, Appointment};

/// The customer-link routes, under `/m`.
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/m")
            .wrap(security_headers())
            .route("/static/style.css", web::get().to(style::css))
            .route("/{token}", web::get().to(page))
            .route("/{token}/cancel", web::post().to(cancel))
            .route("/{token}/move", web::post().to(reschedule)),
    );
}

/// Free times offered for a move, at most, and per day.
const CHOICES: usize = 12;
const CHOICES_PER_DAY: usize = 3;

struct Choice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "customer/manage.html")]
struct Manage {
    business: String,
    token: String,
    form: String,
    service: String,
    staff: String,
    first_name: String,
    when: String,
    changeable: bool,
    notice_hours: i64,
    phone: Option<String>,
    choices: Vec<Choice>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "customer/done.html")]
struct Cancelled {
    business: String,
    service: String,
    when: String,
    phone: Option<String>,
}

#[derive(Template)]
#[template(path = "customer/gone.html")]
struct Gone {
    business: String,
    phone: Option<String>,
}

#[derive(Deserialize)]
struct ActionForm {
    #[serde(default)]
    form: String,
    #[serde(default)]
    start: String,
}

#[derive(Deserialize)]
struct Shown {
    done: Option<String>,
}

/// The number customers call: the transfer number, else the business line.
fn phone(console: &AdminConsole) -> Option<String> {
    let biz = console.booking().business();
    biz.transfer_number.as_ref().or(biz.phone_number.as_ref()).map(|n| n.as_str().to_string())
}

fn html(status: StatusCode, view: impl Template) -> HttpResponse {
    match view.render() {
        Ok(body) => HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body),
        Err(e) => {
            tracing::error!(error = %e, "a customer page failed to render");
            HttpResponse::InternalServerError().body("Something went wrong on our side. Please call us.")
        }
    }
}

/// The one answer to every link that does not open an appointment.
fn gone(console: &AdminConsole) -> HttpResponse {
    let business = console.booking().business().name.clone();
    html(StatusCode::NOT_FOUND, Gone { business, phone: phone(console) })
}

fn too_many() -> HttpResponse {
    HttpResponse::TooManyRequests()
        .insert_header((header::RETRY_AFTER, "60"))
        .content_type("text/plain; charset=utf-8")
        .body("Too many tries from your address. Wait a minute and open the link from your text again.")
}

/// The console (for its booking service and store), the links, and the appointment `token` opens,
/// or the response to send instead.
async fn opened(req: &HttpRequest, token: &str) -> Result<(AdminConsole, CustomerLinks, Appointment), HttpResponse> {
    let Some(console) = console(req).cloned() else { return Err(HttpResponse::NotFound().finish()) };
    let Some(links) = console.booking().links().cloned() else { return Err(gone(&console)) };
    let address = req.peer_addr().map_or(std::net::IpAddr::from([0, 0, 0, 0]), |a| a.ip());
    if !console.may_open_link(address) {
        metrics::counter!("customer_link_refusals_total", "reason" => "rate_limited").increment(1);
        return Err(too_many());
    }
    // Anything but a well-formed token is refused before the database is asked.
    let well_formed = token.len() == 12 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let found = match well_formed {
        true => match console.store().customer_links().appointment(&CustomerLinks::digest(token)).await {
            Ok(Some(id)) => console.store().appointments().get(id).await,
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        },
        false => Ok(None),
    };
    match found {
        Ok(Some(a)) if links.opens(token, &a, console.booking().now()) => Ok((console, links, a)),
        Ok(_) => {
            metrics::counter!("customer_link_refusals_total", "reason" => "not_open").increment(1);
            Err(gone(&console))
        }
        Err(e) => {
            tracing::error!(error = %e, "could not look up a customer link");
            Err(HttpResponse::ServiceUnavailable()
                .content_type("text/plain; charset=utf-8")
                .body("We can't show your appointment right now. Try again in a moment, or call us."))
        }
    }
}

async fn render(
    console: &AdminConsole,
    links: &CustomerLinks,
    token: &str,
    a: &Appointment,
    notice: Option<String>,
    error: Option<String>,
) -> HttpResponse {
    let booking = console.booking();
    let biz = booking.business();
    let now = booking.now();
    let customer = Actor::Customer { phone: a.customer_phone.clone() };
    let changeable = check_cancellable(biz, a.start, now, &customer).is_ok();
    let choices = if changeable {
        let slots = booking.find_slots(&a.service_id, Some(&a.staff_id), biz.today(now), 14).await.unwrap_or_default();
        // A few times on each of several days rather than one morning's every quarter-hour.
        let mut per_day = std::collections::HashMap::new();
        slots
            .iter()
            .filter(|s| s.start != a.start)
            .filter(|s| {
                let n = per_day.entry(s.start.with_timezone(&biz.timezone).date_naive()).or_insert(0);
                *n += 1;
                *n <= CHOICES_PER_DAY
            })
            .take(CHOICES)
            .map(|s| Choice { value: s.start.to_rfc3339(), label: human(biz.timezone, s.start) })
            .collect()
    } else {
        Vec::new()
    };
    let view = Manage {
        business: biz.name.clone(),
        token: token.to_string(),
        form: links.form_token(token, a),
        service: biz.service(&a.service_id).map_or(a.service_id.to_string(), |s| s.name.clone()),
        staff: biz.staff_member(&a.staff_id).map_or(a.staff_id.to_string(), |s| s.name.clone()),
        first_name: a.customer_name.split_whitespace().next().unwrap_or("you").to_string(),
        when: human(biz.timezone, a.start),
        changeable,
        notice_hours: biz.policy.cancel_notice.num_hours(),
        phone: phone(console),
        choices,
        notice,
        error,
    };
    html(StatusCode::OK, view)
}

async fn page(req: HttpRequest, token: web::Path<String>, shown: web::Query<Shown>) -> HttpResponse {
    let (console, links, a) = match opened(&req, &token).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let notice = (shown.done.as_deref() == Some("moved"))
        .then(|| "Done: your appointment is moved. We've sent you a text with the new time.".to_string());
    render(&console, &links, &token, &a, notice, None).await
}

/// What the customer asked for.
#[derive(Clone, Copy)]
enum Wish {
    Cancel,
    /// Move to this start (`None`: the form's time did not parse).
    Move(Option<DateTime<Utc>>),
}

async fn cancel(req: HttpRequest, token: web::Path<String>, form: web::Form<ActionForm>) -> HttpResponse {
    act(req, &token, &form, Wish::Cancel).await
}

async fn reschedule(req: HttpRequest, token: web::Path<String>, form: web::Form<ActionForm>) -> HttpResponse {
    let start = DateTime::parse_from_rfc3339(&form.start).ok().map(|s| s.with_timezone(&Utc));
    act(req, &token, &form, Wish::Move(start)).await
}

/// Cancels or moves the appointment, as its customer.
async fn act(req: HttpRequest, token: &str, form: &ActionForm, wish: Wish) -> HttpResponse {
    let (console, links, a) = match opened(&req, token).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let expected = links.form_token(token, &a);
    if !crate::secrets::same_secret(&expected, &form.form) {
        let stale = "This page was out of date, so nothing was changed. Here is your appointment as it is now.";
        let mut response = render(&console, &links, token, &a, None, Some(stale.into())).await;
        *response.status_mut() = StatusCode::FORBIDDEN;
        return response;
    }
    let customer = Actor::Customer { phone: a.customer_phone.clone() };
    let biz = console.booking().business();
    let result = match wish {
        Wish::Cancel => console.booking().cancel(a.id, &customer, Tell::Confirmation).await,
        Wish::Move(None) => Err(BookingError::Invalid { field: "start", problem: "pick one of the free times".into() }),
        Wish::Move(Some(start)) => console.booking().reschedule(a.id, start, &customer, Tell::Confirmation).await,
    };
    match (result, wish) {
        (Ok(done), Wish::Cancel) => {
            tracing::info!(appointment = %done.id, "cancelled by the customer's link");
            let service = biz.service(&done.service_id).map_or(done.service_id.to_string(), |s| s.name.clone());
            let when = human(biz.timezone, done.start);
            html(StatusCode::OK, Cancelled { business: biz.name.clone(), service, when, phone: phone(&console) })
        }
        (Ok(done), Wish::Move(_)) => {
            tracing::info!(appointment = %done.id, "moved by the customer's link");
            HttpResponse::SeeOther().insert_header((header::LOCATION, format!("/m/{token}?done=moved"))).finish()
        }
        (Err(e), _) => {
            let message = match &e {
                BookingError::Refused { message, .. } => capitalized(message),
                BookingError::Invalid { problem, .. } => capitalized(problem),
                e => {
                    tracing::error!(error = %e, "a change by customer link failed");
                    "We couldn't reach our calendar, so nothing was changed. Try again in a moment.".into()
                }
            };
            let current = console.store().appointments().get(a.id).await.ok().flatten().unwrap_or(a);
            let mut response = render(&console, &links, token, &current, None, Some(message)).await;
            *response.status_mut() = StatusCode::CONFLICT;
            response
        }
    }
}

/// The booking service's sentences start in lower case (they follow "sorry, …" elsewhere).
fn capitalized(sentence: &str) -> String {
    let mut chars = sentence.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default() + "."
}

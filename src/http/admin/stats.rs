//! Stats (`/admin/stats`, owners): the roadmap's monitoring list over the last 14 days, each as a
//! server-rendered SVG bar chart with its numbers beside it: bookings and cancellations per day,
//! the cancellation rate, calls per day with their booking conversion and transfer rate, free
//! times on each of the next 7 days, and the calendar's and Telnyx's API error rates since this
//! server started (from the process's own metrics).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;

use super::views::Nav;
use super::{DATABASE_DOWN, charts, nav, not_found, render_page, signed_in};
use crate::domain::Status;
use crate::store::{BookingFact, CallFact, Role};

/// Days the charts cover, ending today.
pub(crate) const DAYS: u32 = 14;
/// Days ahead the free-time chart covers, from today.
const AHEAD: u32 = 7;

/// Per-day counts over a window of the business's days, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub days: Vec<NaiveDate>,
    pub booked: Vec<u32>,
    pub cancelled: Vec<u32>,
    pub calls: Vec<u32>,
    pub calls_booked: Vec<u32>,
    pub transferred: Vec<u32>,
    /// Of the appointments booked in the window, how many are now cancelled.
    pub booked_then_cancelled: u32,
}

/// Buckets `bookings` and `calls` into the `days` business days ending `today` (in `tz`).
pub(crate) fn tally(bookings: &[BookingFact], calls: &[CallFact], tz: Tz, today: NaiveDate, days: u32) -> Tally {
    let first = today - Days::new(u64::from(days.saturating_sub(1)));
    let index = |at: DateTime<Utc>| {
        let day = at.with_timezone(&tz).date_naive();
        (first..=today).contains(&day).then(|| (day - first).num_days() as usize)
    };
    let n = days as usize;
    let mut t = Tally {
        days: (0..days).map(|i| first + Days::new(u64::from(i))).collect(),
        booked: vec![0; n],
        cancelled: vec![0; n],
        calls: vec![0; n],
        calls_booked: vec![0; n],
        transferred: vec![0; n],
        booked_then_cancelled: 0,
    };
    for b in bookings {
        if let Some(i) = index(b.created_at) {
            t.booked[i] += 1;
            t.booked_then_cancelled += u32::from(b.status == Status::Cancelled);
        }
        if b.status == Status::Cancelled
            && let Some(i) = index(b.updated_at)
        {
            t.cancelled[i] += 1;
        }
    }
    for c in calls {
        if let Some(i) = index(c.started_at) {
            t.calls[i] += 1;
            t.calls_booked[i] += u32::from(c.booked);
            t.transferred[i] += u32::from(c.outcome.as_deref() == Some("transferred"));
        }
    }
    t
}

/// `part / whole` as a percentage for people (`—` when there is no whole).
pub(crate) fn percent(part: u32, whole: u32) -> String {
    if whole == 0 { "—".into() } else { format!("{:.0}%", f64::from(part) * 100.0 / f64::from(whole)) }
}

/// Calls of a counter in Prometheus text, by outcome: (all, not ok).
fn api_calls(metrics: &str, name: &str) -> (u64, u64) {
    let (mut all, mut failed) = (0u64, 0u64);
    for line in metrics.lines().filter(|l| l.starts_with(name) && l[name.len()..].starts_with('{')) {
        let Some(value) = line.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()) else { continue };
        all += value as u64;
        if !line.contains("outcome=\"ok\"") {
            failed += value as u64;
        }
    }
    (all, failed)
}

/// One chart and its numbers.
pub(crate) struct Chart {
    pub title: &'static str,
    pub summary: String,
    pub svg: String,
    pub rows: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "admin/stats.html")]
pub(crate) struct StatsPage {
    pub nav: Nav,
    pub charts: Vec<Chart>,
    pub rates: Vec<(&'static str, String, String)>,
}

fn chart(title: &'static str, summary: String, days: &[NaiveDate], values: &[u32], colour: (u8, u8, u8)) -> Chart {
    let floats: Vec<f64> = values.iter().map(|v| f64::from(*v)).collect();
    Chart {
        title,
        summary,
        svg: charts::bars(&floats, colour).unwrap_or_default(),
        rows: days.iter().zip(values).map(|(d, v)| (d.format("%a %b %-d").to_string(), v.to_string())).collect(),
    }
}

pub(super) async fn page(req: HttpRequest) -> HttpResponse {
    let (console, auth) = match signed_in(&req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if auth.principal.role != Role::Owner {
        return not_found(req).await;
    }
    let biz = console.booking.business();
    let now = console.booking.now();
    let today = biz.today(now);
    let since = now - chrono::Duration::days(i64::from(DAYS) + 1);
    let (bookings, calls) =
        match (console.store.stats().bookings_since(since).await, console.store.stats().calls_since(since).await) {
            (Ok(b), Ok(c)) => (b, c),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(error = %e, "the stats page could not read the store");
                return HttpResponse::ServiceUnavailable().body(DATABASE_DOWN);
            }
        };
    let t = tally(&bookings, &calls, biz.timezone, today, DAYS);
    let sum = |v: &[u32]| v.iter().sum::<u32>();
    let (booked, cancelled, all_calls) = (sum(&t.booked), sum(&t.cancelled), sum(&t.calls));
    let (converted, transferred) = (sum(&t.calls_booked), sum(&t.transferred));

    // Free times ahead: the first service, every staff member who offers it.
    let mut free = vec![0u32; AHEAD as usize];
    let ahead: Vec<NaiveDate> = (0..AHEAD).map(|i| today + Days::new(u64::from(i))).collect();
    if let Some(service) = biz.services.first() {
        let slots = console.booking.find_slots(&service.id, None, today, AHEAD).await.unwrap_or_default();
        for s in slots {
            let day = s.start.with_timezone(&biz.timezone).date_naive();
            if let Some(i) = ahead.iter().position(|d| *d == day) {
                free[i] += 1;
            }
        }
    }
    let service = biz.services.first().map_or(String::new(), |s| s.name.clone());
    let average = f64::from(sum(&free)) / f64::from(AHEAD);

    let metrics = req.app_data::<web::Data<crate::http::AppState>>().map(|s| s.metrics.render()).unwrap_or_default();
    let (calendar, calendar_failed) = api_calls(&metrics, "calendar_api_calls_total");
    let (telnyx, telnyx_failed) = api_calls(&metrics, "telnyx_requests_total");
    let blue = (21, 112, 239);
    let view = StatsPage {
        nav: nav(&console, &auth.principal),
        charts: vec![
            chart("Bookings per day", format!("{booked} in {DAYS} days"), &t.days, &t.booked, blue),
            chart("Cancellations per day", format!("{cancelled} in {DAYS} days"), &t.days, &t.cancelled, (217, 45, 32)),
            chart("Calls per day", format!("{all_calls} in {DAYS} days"), &t.days, &t.calls, (105, 65, 198)),
            chart(
                "Free times, next 7 days",
                format!("{average:.1} a day on average ({service})"),
                &ahead,
                &free,
                (3, 152, 85),
            ),
        ],
        rates: vec![
            (
                "Cancellation rate",
                percent(t.booked_then_cancelled, booked),
                format!("{} of {booked} booked in {DAYS} days", t.booked_then_cancelled),
            ),
            ("Calls that booked", percent(converted, all_calls), format!("{converted} of {all_calls} calls")),
            ("Calls transferred", percent(transferred, all_calls), format!("{transferred} of {all_calls} calls")),
            (
                "Calendar API errors",
                percent(calendar_failed as u32, calendar as u32),
                format!("{calendar_failed} of {calendar} calls since start"),
            ),
            (
                "Telnyx API errors",
                percent(telnyx_failed as u32, telnyx as u32),
                format!("{telnyx_failed} of {telnyx} requests since start"),
            ),
        ],
    };
    render_page(&console, &auth, view)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn facts_fall_on_the_business_day_they_happened() {
        let tz: Tz = "America/Chicago".parse().unwrap();
        let at = |d, h| tz.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap().with_timezone(&Utc);
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let bookings = [
            BookingFact { created_at: at(7, 23), updated_at: at(7, 23), status: Status::Confirmed },
            BookingFact { created_at: at(6, 9), updated_at: at(7, 1), status: Status::Cancelled },
            BookingFact { created_at: at(1, 9), updated_at: at(1, 9), status: Status::Confirmed },
        ];
        let calls = [
            CallFact { started_at: at(7, 8), outcome: Some("transferred".into()), booked: false },
            CallFact { started_at: at(7, 9), outcome: Some("normal_clearing".into()), booked: true },
        ];
        let t = tally(&bookings, &calls, tz, today, 3);
        assert_eq!(t.days.first(), NaiveDate::from_ymd_opt(2026, 12, 5).as_ref());
        assert_eq!(t.booked, [0, 1, 1], "23:00 local on the 7th is the 7th, though UTC says the 8th");
        assert_eq!(t.cancelled, [0, 0, 1]);
        assert_eq!((t.calls, t.calls_booked, t.transferred), (vec![0, 0, 2], vec![0, 0, 1], vec![0, 0, 1]));
        assert_eq!(t.booked_then_cancelled, 1, "the one from the 1st is outside the window");
        assert_eq!((percent(1, 2), percent(0, 0)), ("50%".to_string(), "—".to_string()));
    }

    #[test]
    fn api_error_rates_come_from_the_counters() {
        let text = "# TYPE telnyx_requests_total counter\ntelnyx_requests_total{what=\"speak\",outcome=\"ok\"} 8\n\
                    telnyx_requests_total{what=\"send\",outcome=\"unavailable\"} 2\ncalendar_api_calls_total_x 5\n";
        assert_eq!(api_calls(text, "telnyx_requests_total"), (10, 2));
        assert_eq!(api_calls(text, "calendar_api_calls_total"), (0, 0));
    }
}

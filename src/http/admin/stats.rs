//! Stats (`/admin/stats`, owners): the roadmap's monitoring list over the last 14 days, each as a
//! server-rendered SVG bar chart with its numbers beside it: bookings and cancellations per day,
//! the cancellation rate, calls per day with their booking conversion and transfer rate, free
//! hours (opening hours minus bookings, over all staff) on each of the next 7 days, and the calendar's and Telnyx's API error rates since this
//! server started (from the process's own metrics).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Days, NaiveDate};
use chrono_tz::Tz;

use super::views::Nav;
use super::{DATABASE_DOWN, charts, nav, owner_signed_in, render_page};
use crate::domain::Interval;
use crate::store::Bucket;

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

/// Adds quarter-hour `buckets` up into the `days` business days ending `today` (in `tz`).
pub(crate) fn tally(buckets: &[Bucket], tz: Tz, today: NaiveDate, days: u32) -> Tally {
    let first = today - Days::new(u64::from(days.saturating_sub(1)));
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
    for b in buckets {
        let day = b.at.with_timezone(&tz).date_naive();
        if !(first..=today).contains(&day) {
            continue;
        }
        let i = (day - first).num_days() as usize;
        t.booked[i] += b.booked;
        t.booked_then_cancelled += b.booked_then_cancelled;
        t.cancelled[i] += b.cancelled;
        t.calls[i] += b.calls;
        t.calls_booked[i] += b.calls_booked;
        t.transferred[i] += b.transferred;
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

/// Minutes of opening hours and of free time on each of `days`, over every staff member.
async fn free_ahead(
    console: &super::AdminConsole,
    days: &[NaiveDate],
) -> Result<(Vec<u32>, Vec<u32>), crate::store::StoreError> {
    let biz = console.booking.business();
    let (Some(first), Some(last)) = (days.first(), days.last()) else { return Ok((Vec::new(), Vec::new())) };
    let from = super::today::midnight(biz, *first);
    let to = super::today::midnight(biz, *last + Days::new(1));
    let busy = console.store.stats().busy_between(from, to).await?;
    let (mut open, mut free) = (vec![0u32; days.len()], vec![0u32; days.len()]);
    let minutes = |spans: &[Interval]| spans.iter().map(|i| (i.end - i.start).num_minutes().max(0) as u32).sum::<u32>();
    for member in &biz.staff {
        let taken: Vec<Interval> = busy
            .iter()
            .filter(|(staff, _, _)| staff == member.id.as_str())
            .map(|(_, start, end)| Interval { start: *start, end: *end })
            .collect();
        for (i, day) in days.iter().enumerate() {
            let hours: Vec<Interval> =
                biz.opening_ranges(member, *day).map(|(start, end)| Interval { start, end }).collect();
            open[i] += minutes(&hours);
            free[i] += minutes(&crate::domain::interval::subtract(&hours, &taken));
        }
    }
    Ok((open, free))
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
    let (console, auth) = match owner_signed_in(&req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let biz = console.booking.business();
    let now = console.booking.now();
    let today = biz.today(now);
    let since = now - chrono::Duration::days(i64::from(DAYS) + 1);
    let buckets = match console.store.stats().buckets_since(since).await {
        Ok(buckets) => buckets,
        Err(e) => {
            tracing::error!(error = %e, "the stats page could not read the store");
            return HttpResponse::ServiceUnavailable().body(DATABASE_DOWN);
        }
    };
    let t = tally(&buckets, biz.timezone, today, DAYS);
    let sum = |v: &[u32]| v.iter().sum::<u32>();
    let (booked, cancelled, all_calls) = (sum(&t.booked), sum(&t.cancelled), sum(&t.calls));
    let (converted, transferred) = (sum(&t.calls_booked), sum(&t.transferred));

    // Free time ahead: each day's opening hours of every staff member, minus what is booked.
    let ahead: Vec<NaiveDate> = (0..AHEAD).map(|i| today + Days::new(u64::from(i))).collect();
    let (open, free) = match free_ahead(&console, &ahead).await {
        Ok(found) => found,
        Err(e) => {
            tracing::error!(error = %e, "the stats page could not read the store");
            return HttpResponse::ServiceUnavailable().body(DATABASE_DOWN);
        }
    };
    let (open_total, free_total) = (sum(&open), sum(&free));
    let average = f64::from(free_total) / f64::from(AHEAD) / 60.0;

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
                "Free hours, next 7 days",
                format!("{average:.1} h a day on average; {} of opening hours free", percent(free_total, open_total)),
                &ahead,
                &free.iter().map(|m| m / 60).collect::<Vec<_>>(),
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
    use chrono::{TimeZone, Utc};

    #[test]
    fn quarter_hours_fall_on_the_business_day_they_happened() {
        let tz: Tz = "America/Chicago".parse().unwrap();
        let at = |d, h| tz.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap().with_timezone(&Utc);
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let buckets = [
            Bucket { at: at(7, 23), booked: 1, ..Bucket::default() },
            Bucket { at: at(6, 9), booked: 1, booked_then_cancelled: 1, ..Bucket::default() },
            Bucket { at: at(7, 1), cancelled: 1, ..Bucket::default() },
            Bucket { at: at(1, 9), booked: 1, booked_then_cancelled: 1, ..Bucket::default() },
            Bucket { at: at(7, 8), calls: 2, calls_booked: 1, transferred: 1, ..Bucket::default() },
        ];
        let t = tally(&buckets, tz, today, 3);
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

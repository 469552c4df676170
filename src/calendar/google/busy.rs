//! Busy time from Google's `freeBusy` (SPEC §6): one query for all the calendars a search needs
//! (at most 50 calendars and 60 days per query, so longer ranges and bigger teams are split into
//! queries sent together), each calendar's own errors surfaced for that calendar only, and a short
//! cache for slot search. A booking always asks again ([`Freshness::Fresh`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use dashmap::DashMap;
use google_calendar3::api::{FreeBusyRequest, FreeBusyRequestItem, FreeBusyResponse, Scope};

use super::super::{CalendarError, Freshness};
use super::GoogleCalendar;
use super::access::Principal;
use super::route::Route;
use crate::domain::{Interval, StaffMember};

/// Google answers at most ~90 days per query; SPEC §6 splits above 60.
pub(crate) const MAX_DAYS: i64 = 60;
/// Google accepts at most 50 calendars per query.
pub(crate) const MAX_CALENDARS: usize = 50;
/// Default lifetime of a cached answer (SPEC §6: at most 30 s).
pub(crate) const DEFAULT_TTL: Duration = Duration::from_secs(30);
/// Above this many entries, expired ones are dropped on the next insert.
const CACHE_TIDY_AT: usize = 1024;

/// The queries covering `calendars` over `range`: pieces of at most [`MAX_DAYS`] days times groups of
/// at most [`MAX_CALENDARS`] calendars.
pub(crate) fn queries(calendars: &[String], range: Interval) -> Vec<FreeBusyRequest> {
    let mut pieces = Vec::new();
    let mut start = range.start;
    while start < range.end {
        let end = (start + chrono::Duration::days(MAX_DAYS)).min(range.end);
        pieces.push(Interval { start, end });
        start = end;
    }
    pieces
        .iter()
        .flat_map(|piece| {
            calendars.chunks(MAX_CALENDARS).map(move |group| FreeBusyRequest {
                time_min: Some(piece.start),
                time_max: Some(piece.end),
                items: Some(group.iter().map(|id| FreeBusyRequestItem { id: Some(id.clone()) }).collect()),
                ..FreeBusyRequest::default()
            })
        })
        .collect()
}

/// One calendar's busy time out of a query's answer; a calendar Google could not read (its
/// `errors`, or missing from the answer) is an error for that calendar.
pub(crate) fn calendar_busy(
    answer: &FreeBusyResponse,
    calendar: &str,
    staff: &str,
    account: &Principal,
) -> Result<Vec<Interval>, CalendarError> {
    let access = |reason: &str| CalendarError::Access {
        staff: staff.to_string(),
        detail: format!("Google cannot read it ({reason}): {}", account.share_hint(calendar)),
    };
    let Some(entry) = answer.calendars.as_ref().and_then(|c| c.get(calendar)) else {
        return Err(access("missing from the freeBusy answer"));
    };
    if let Some(error) = entry.errors.as_ref().and_then(|e| e.first()) {
        let reason = error.reason.as_deref().unwrap_or("unknown");
        return Err(match reason {
            "notFound" | "forbidden" => access(reason),
            other => CalendarError::Unavailable(format!("Google could not compute busy time of {calendar:?}: {other}")),
        });
    }
    Ok(entry
        .busy
        .iter()
        .flatten()
        .filter_map(|p| match (p.start, p.end) {
            (Some(start), Some(end)) if start < end => Some(Interval { start, end }),
            _ => None,
        })
        .collect())
}

type Answer = Result<Vec<Interval>, CalendarError>;

impl GoogleCalendar {
    /// [`crate::calendar::Calendar::busy`]: cached answers where allowed, then one set of queries
    /// per principal (a connected account sees only its own calendars) sent together.
    pub(super) async fn busy_of(&self, staff: &[&StaffMember], range: Interval, freshness: Freshness) -> Vec<Answer> {
        let mut answers: Vec<Option<Answer>> = Vec::with_capacity(staff.len());
        // Per principal: who, the calendars to ask for, the first staff member (for messages).
        let mut groups: Vec<(Arc<Principal>, Vec<String>, usize)> = Vec::new();
        let mut group_of: Vec<Option<usize>> = Vec::with_capacity(staff.len());
        let mut calendar_of: Vec<Option<String>> = Vec::with_capacity(staff.len());
        for (i, m) in staff.iter().enumerate() {
            let route = match self.route(m).await {
                Ok(route) => route,
                Err(e) => {
                    answers.push(Some(Err(e)));
                    group_of.push(None);
                    calendar_of.push(None);
                    continue;
                }
            };
            let cached =
                (freshness == Freshness::MayBeCached).then(|| self.cache.get(&route.calendar, range)).flatten();
            if let Some(busy) = cached {
                answers.push(Some(Ok(busy)));
                group_of.push(None);
                calendar_of.push(None);
                continue;
            }
            let g = match groups.iter().position(|(who, _, _)| Arc::ptr_eq(who, &route.who)) {
                Some(g) => g,
                None => {
                    groups.push((route.who.clone(), Vec::new(), i));
                    groups.len() - 1
                }
            };
            if !groups[g].1.contains(&route.calendar) {
                groups[g].1.push(route.calendar.clone());
            }
            answers.push(None);
            group_of.push(Some(g));
            calendar_of.push(Some(route.calendar));
        }
        let asks: Vec<(usize, FreeBusyRequest)> = groups
            .iter()
            .enumerate()
            .flat_map(|(g, (_, calendars, _))| queries(calendars, range).into_iter().map(move |q| (g, q)))
            .collect();
        let replies = futures::future::join_all(asks.iter().map(|(g, q)| {
            let (who, _, first) = &groups[*g];
            async move {
                let at = Route { who: who.clone(), calendar: "freeBusy".into() };
                let reply = self
                    .call(staff[*first], &at, move |d| {
                        let hub = &who.hub;
                        async move {
                            let mut d = d;
                            hub.freebusy().query(q.clone()).add_scope(Scope::Full).delegate(&mut d).doit().await
                        }
                    })
                    .await;
                (*g, reply)
            }
        }))
        .await;
        // Per calendar: every piece of time must have answered.
        let mut found: HashMap<(usize, &str), Answer> = HashMap::new();
        for (i, m) in staff.iter().enumerate() {
            let (Some(g), Some(cal)) = (group_of[i], calendar_of[i].as_deref()) else { continue };
            let result = found
                .entry((g, cal))
                .or_insert_with(|| {
                    let (mut all, mut reported) = (Vec::new(), false);
                    for (_, reply) in replies.iter().filter(|(rg, _)| *rg == g) {
                        let (_, r) = reply.as_ref().map_err(|f| f.error.clone())?;
                        if r.calendars.as_ref().is_some_and(|c| c.contains_key(cal)) {
                            reported = true;
                            all.extend(calendar_busy(r, cal, m.id.as_str(), &groups[g].0)?);
                        }
                    }
                    if !reported {
                        return Err(CalendarError::Access {
                            staff: m.id.to_string(),
                            detail: format!("Google did not report calendar {cal:?}"),
                        });
                    }
                    self.cache.put(cal, range, all.clone());
                    Ok(all)
                })
                .clone();
            answers[i] = Some(result.map_err(|e| match e {
                CalendarError::Access { detail, .. } => CalendarError::Access { staff: m.id.to_string(), detail },
                other => other,
            }));
        }
        answers.into_iter().map(|a| a.expect("answered")).collect()
    }
}

type Key = (String, DateTime<Utc>, DateTime<Utc>);

/// Recent busy answers per calendar and range.
pub(crate) struct BusyCache {
    ttl: Duration,
    entries: DashMap<Key, (Instant, Vec<Interval>)>,
}

impl BusyCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self { ttl: ttl.min(DEFAULT_TTL), entries: DashMap::new() }
    }

    /// A fresh-enough answer for `calendar` over exactly `range`.
    pub(crate) fn get(&self, calendar: &str, range: Interval) -> Option<Vec<Interval>> {
        let entry = self.entries.get(&(calendar.to_string(), range.start, range.end))?;
        (entry.0.elapsed() < self.ttl).then(|| entry.1.clone())
    }

    pub(crate) fn put(&self, calendar: &str, range: Interval, busy: Vec<Interval>) {
        if self.ttl.is_zero() {
            return;
        }
        if self.entries.len() >= CACHE_TIDY_AT {
            self.entries.retain(|_, (at, _)| at.elapsed() < self.ttl);
        }
        self.entries.insert((calendar.to_string(), range.start, range.end), (Instant::now(), busy));
    }

    /// Forgets `calendar` (we just changed an event in it).
    pub(crate) fn forget(&self, calendar: &str) {
        self.entries.retain(|(id, _, _), _| id != calendar);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::days(i64::from(d))
    }

    #[test]
    fn long_ranges_and_big_teams_are_split_into_allowed_queries() {
        let calendars: Vec<String> = (0..51).map(|i| format!("c{i}")).collect();
        let range = Interval { start: day(0), end: day(62) };
        let qs = queries(&calendars, range);
        assert_eq!(qs.len(), 4, "two pieces of time times two groups of calendars");
        for q in &qs {
            assert!(q.time_max.unwrap() - q.time_min.unwrap() <= chrono::Duration::days(MAX_DAYS));
            assert!(q.items.as_ref().unwrap().len() <= MAX_CALENDARS);
        }
        assert_eq!(qs[0].time_min, Some(day(0)));
        assert_eq!(qs[0].time_max, Some(day(60)));
        assert_eq!(qs[2].time_min, Some(day(60)));
        assert_eq!(qs[3].time_max, Some(day(62)));
        assert_eq!(queries(&calendars[..5], Interval { start: day(0), end: day(14) }).len(), 1);
    }

    #[test]
    fn the_cache_answers_only_within_its_lifetime_and_forgets_changed_calendars() {
        let range = Interval { start: day(0), end: day(1) };
        let cache = BusyCache::new(Duration::from_secs(30));
        cache.put("a", range, vec![range]);
        cache.put("b", range, vec![]);
        assert_eq!(cache.get("a", range), Some(vec![range]));
        assert_eq!(cache.get("a", Interval { start: day(0), end: day(2) }), None);
        cache.forget("a");
        assert_eq!(cache.get("a", range), None);
        assert_eq!(cache.get("b", range), Some(vec![]));
        let off = BusyCache::new(Duration::ZERO);
        off.put("a", range, vec![]);
        assert_eq!(off.get("a", range), None);
    }
}

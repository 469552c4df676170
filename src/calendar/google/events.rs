//! Reading and writing our events in a staff calendar: building an event from an appointment,
//! inserting and deleting it, reading it back (what staff did to it), finding a customer's events
//! by number, the overlap check after an insert, and the conditional move.

use std::collections::HashMap;

use google_calendar3::api::{Event, EventDateTime, EventExtendedProperties, Scope};

use super::call::{Failure, classify};
use super::route::Route;
use super::{APPOINTMENT_PROPERTY, GoogleCalendar, connect_error, event_id, is_ours, path_segment};
use crate::calendar::{CalendarError, EventState};
use crate::domain::time::{DayMinute, resolve_local};
use crate::domain::{Appointment, Interval, PhoneNumber, StaffMember};

/// Which events to list.
#[derive(Clone, Copy)]
struct Listing<'a> {
    /// Events ending after this.
    from: chrono::DateTime<chrono::Utc>,
    /// Events starting before this.
    to: Option<chrono::DateTime<chrono::Utc>>,
    /// A `privateExtendedProperty` filter (`key=value`).
    property: Option<&'a str>,
    /// Deleted events too (Google keeps them as cancelled tombstones).
    deleted: bool,
}

impl GoogleCalendar {
    /// Inserts `event` (our id in it) without notifying anyone.
    pub(super) async fn insert(&self, staff: &StaffMember, at: &Route, event: &Event) -> Result<Event, Failure> {
        let (_, created) = self
            .call(staff, at, |d| async move {
                let mut d = d;
                let insert = at.who.hub.events().insert(event.clone(), &path_segment(&at.calendar));
                insert.send_updates("none").add_scope(Scope::Full).delegate(&mut d).doit().await
            })
            .await?;
        Ok(created)
    }

    /// Deletes event `id` without notifying anyone.
    pub(super) async fn delete(&self, staff: &StaffMember, at: &Route, id: &str) -> Result<(), Failure> {
        self.call(staff, at, |d| async move {
            let mut d = d;
            let delete = at.who.hub.events().delete(&path_segment(&at.calendar), &path_segment(id));
            delete.send_updates("none").add_scope(Scope::Full).delegate(&mut d).doit().await
        })
        .await
        .map(|_| ())
    }

    pub(super) fn when(&self, t: chrono::DateTime<chrono::Utc>) -> EventDateTime {
        EventDateTime { date_time: Some(t), time_zone: Some(self.business.timezone.name().to_string()), date: None }
    }

    /// An event's interval; all-day events span their local days.
    pub(super) fn span(&self, e: &Event) -> Option<Interval> {
        let at = |t: &EventDateTime| {
            t.date_time.or_else(|| {
                t.date.map(|d| resolve_local(self.business.timezone, d, DayMinute::from_hm(0, 0).expect("midnight")))
            })
        };
        let (start, end) = (at(e.start.as_ref()?)?, at(e.end.as_ref()?)?);
        (start < end).then_some(Interval { start, end })
    }

    pub(super) fn event(&self, a: &Appointment) -> Event {
        let biz = &self.business;
        let service = biz.service(&a.service_id).map_or(a.service_id.as_str(), |s| s.name.as_str());
        let mut private = HashMap::new();
        private.insert(APPOINTMENT_PROPERTY.to_string(), a.id.to_string());
        private.insert("customer_phone".to_string(), a.customer_phone.to_string());
        private.insert("service_id".to_string(), a.service_id.to_string());
        private.insert("booked_via".to_string(), a.booked_via.to_string());
        Event {
            id: Some(event_id(a)),
            summary: Some(format!("{service} - {}", a.customer_name)),
            description: Some(format!(
                "{service} for {} ({}), booked by {} through appointment-setter.{}",
                a.customer_name,
                a.customer_phone,
                a.booked_via,
                a.notes.as_deref().map(|n| format!("\nNotes: {n}")).unwrap_or_default()
            )),
            start: Some(self.when(a.start)),
            end: Some(self.when(a.end)),
            extended_properties: Some(EventExtendedProperties { private: Some(private), shared: None }),
            ..Event::default()
        }
    }

    /// Every event in `calendar` matching `q`, all pages.
    async fn list_all(&self, staff: &StaffMember, at: &Route, q: Listing<'_>) -> Result<Vec<Event>, CalendarError> {
        let mut all = Vec::new();
        let mut page: Option<String> = None;
        loop {
            let token = page.as_deref();
            let (_, events) = self
                .call(staff, at, |d| async move {
                    let mut d = d;
                    let mut list = at
                        .who
                        .hub
                        .events()
                        .list(&path_segment(&at.calendar))
                        .time_min(q.from)
                        .single_events(true)
                        .order_by("startTime")
                        .show_deleted(q.deleted)
                        .max_results(250)
                        .add_scope(Scope::Full);
                    if let Some(to) = q.to {
                        list = list.time_max(to);
                    }
                    if let Some(property) = q.property {
                        list = list.add_private_extended_property(property);
                    }
                    if let Some(token) = token {
                        list = list.page_token(token);
                    }
                    list.delegate(&mut d).doit().await
                })
                .await
                .map_err(|f| f.error)?;
            all.extend(events.items.into_iter().flatten());
            match events.next_page_token {
                Some(token) if !token.is_empty() => page = Some(token),
                _ => return Ok(all),
            }
        }
    }

    /// Whether a busy event that is not ours overlaps `range` in `calendar`, listed one by one
    /// (freeBusy would merge someone's event into ours): the check right after an insert.
    pub(super) async fn others_in(
        &self,
        staff: &StaffMember,
        at: &Route,
        range: Interval,
    ) -> Result<bool, CalendarError> {
        let q = Listing { from: range.start, to: Some(range.end), property: None, deleted: false };
        Ok(self.list_all(staff, at, q).await?.iter().any(|e| {
            !is_ours(e)
                && e.status.as_deref() != Some("cancelled")
                && e.transparency.as_deref() != Some("transparent")
                && self.span(e).is_some_and(|s| s.start < range.end && range.start < s.end)
        }))
    }

    /// What `event` (as read from Google; `None` = 404/410) means for our record of `a`.
    pub(super) fn state_of(&self, event: Option<&Event>, a: &Appointment) -> EventState {
        let Some(event) = event else {
            // Google keeps deleted events as tombstones: a 404 for an event we never recorded as
            // created means our insert never landed.
            return if a.external_event_id.is_none() { EventState::Missing } else { EventState::Gone };
        };
        if let (Some(id), Some(etag)) = (&event.id, &event.etag) {
            self.etags.insert(id.clone(), etag.clone());
        }
        if event.status.as_deref() == Some("cancelled") {
            return EventState::Gone;
        }
        match self.span(event) {
            Some(now) if now != a.interval() => EventState::Moved(now),
            _ => EventState::AsBooked,
        }
    }

    /// Our events for `phone` in `calendar` ending after `from`, deleted ones included, by id
    /// (SPEC §6: `privateExtendedProperty=customer_phone=…`, all pages).
    pub(super) async fn events_of_customer(
        &self,
        staff: &StaffMember,
        at: &Route,
        phone: &PhoneNumber,
        from: chrono::DateTime<chrono::Utc>,
    ) -> Result<HashMap<String, Event>, CalendarError> {
        let property = format!("customer_phone={phone}");
        let q = Listing { from, to: None, property: Some(&property), deleted: true };
        let events = self.list_all(staff, at, q).await?;
        Ok(events.into_iter().filter_map(|e| Some((e.id.clone()?, e))).collect())
    }

    /// Reads our event for `a`: `None` when Google says 404/410.
    pub(super) async fn fetch(
        &self,
        staff: &StaffMember,
        at: &Route,
        a: &Appointment,
    ) -> Result<Option<Event>, CalendarError> {
        let id = event_id(a);
        let id = &id;
        let got = self
            .call(staff, at, |d| async move {
                let mut d = d;
                at.who
                    .hub
                    .events()
                    .get(&path_segment(&at.calendar), &path_segment(id))
                    .add_scope(Scope::Full)
                    .delegate(&mut d)
                    .doit()
                    .await
            })
            .await;
        match got {
            Ok((_, event)) => Ok(Some(event)),
            Err(f) if f.code == 404 || f.code == 410 => Ok(None),
            Err(f) => Err(f.error),
        }
    }

    /// PATCH with `If-Match` (reqwest: google-calendar3 cannot set request headers).
    pub(super) async fn patch_if_match(
        &self,
        staff: &StaffMember,
        at: &Route,
        id: &str,
        change: &Event,
        etag: Option<String>,
    ) -> Result<Event, Failure> {
        let path = format!("calendars/{}/events/{}", path_segment(&at.calendar), path_segment(id));
        let mut url = reqwest::Url::parse(&format!("{}/{path}", self.api_base.trim_end_matches('/')))
            .map_err(|e| Failure::new(0, "config", connect_error(format!("GOOGLE_API_BASE: {e}"))))?;
        url.query_pairs_mut().append_pair("sendUpdates", "none");
        // Only the fields we change: a null in a PATCH would clear what staff wrote (google-calendar3
        // strips them the same way).
        let mut body = serde_json::to_value(change).expect("event serializes");
        google_calendar3::common::remove_json_null_values(&mut body);
        self.guard
            .run(&at.who, |_| {
                let (url, body, etag) = (url.clone(), body.clone(), etag.clone());
                async move {
                    let token = at.who.tokens.token().await.map_err(|error| match error {
                        CalendarError::Access { detail, .. } => Failure::new(
                            400,
                            "reconnect",
                            CalendarError::Access { staff: staff.id.to_string(), detail },
                        ),
                        other => Failure::new(0, "token", other),
                    })?;
                    let mut request = self.http.patch(url).bearer_auth(token).json(&body);
                    if let Some(etag) = etag {
                        request = request.header("if-match", etag);
                    }
                    let response = request.send().await.map_err(|e| {
                        Failure::new(0, "connection", CalendarError::Unavailable(format!("Google Calendar: {e}")))
                    })?;
                    let status = response.status().as_u16();
                    let retry_after = crate::net::retry_after(response.headers());
                    let value: serde_json::Value = response.json().await.unwrap_or_default();
                    if (200..300).contains(&status) {
                        return serde_json::from_value(value).map_err(|e| {
                            let odd = format!("Google Calendar sent an odd event: {e}");
                            Failure::new(0, "parse", CalendarError::Unavailable(odd))
                        });
                    }
                    let reason = value["error"]["errors"][0]["reason"].as_str().unwrap_or_default().to_string();
                    let error = classify(staff.id.as_str(), &at.calendar, &at.who, status, &reason, "");
                    Err(Failure { retry_after, ..Failure::new(status, &reason, error) })
                }
            })
            .await
    }
}

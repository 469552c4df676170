//! The booking service (SPEC §4.7–4.8, §5): the one place that books, cancels and reschedules.
//! Voice, SMS, CLI and admin all come through here; nothing else writes appointments.
//!
//! Consistency: every change re-checks the rules inside a transaction that holds the commit lock
//! of the staff members involved (see [`crate::store::Store::begin_for_staff`]). Two writers for
//! one staff member are therefore serialized across threads and processes, and the second sees
//! the first's appointment when it re-checks. Idempotency keys are checked under the same lock
//! and are unique in the table.

mod changes;
mod error;
mod messages;
mod notify;
mod reconcile;

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
pub use error::BookingError;
use notify::Change;
pub use notify::{Messaging, Notify, confirmation_cause};

use crate::calendar::{Calendar, CalendarError, Freshness};
use crate::clock::Clock;
use crate::domain::availability::{SlotSearch, StaffBusy, find_slots};
use crate::domain::interval::subtract;
use crate::domain::rules::{check_hours, check_timing, is_free};
use crate::domain::time::{local_date, resolve_local};
use crate::domain::{
    Actor, Appointment, AppointmentId, Business, BusyInterval, Channel, DayMinute, Interval, PhoneNumber, Refusal,
    Service, ServiceId, Slot, StaffId, StaffMember, Status,
};
use crate::store::{AppointmentFilter, Store};

/// A request to book.
#[derive(Debug, Clone)]
pub struct BookRequest {
    /// The service.
    pub service: ServiceId,
    /// A staff preference; `None` = whoever is free (fewest appointments that day, then config order).
    pub staff: Option<StaffId>,
    /// Start instant.
    pub start: DateTime<Utc>,
    /// Customer's name.
    pub customer_name: String,
    /// Customer's phone.
    pub customer_phone: PhoneNumber,
    /// Free-text notes.
    pub notes: Option<String>,
    /// Where the request came from.
    pub channel: Channel,
    /// Who asks (customers are held to notice and window).
    pub actor: Actor,
    /// Derived from the request's cause; the same key always yields the same appointment.
    pub idempotency_key: Option<String>,
    /// Customer's email, if given.
    pub customer_email: Option<String>,
    /// What to tell the customer.
    pub notify: Notify,
}

/// The outcome of a booking.
#[derive(Debug, Clone)]
pub struct Booked {
    /// The appointment.
    pub appointment: Appointment,
    /// False when the idempotency key had already booked it.
    pub created: bool,
}

/// The booking service: a cheap-to-clone handle.
#[derive(Clone)]
pub struct BookingService {
    business: Arc<Business>,
    store: Store,
    calendar: Arc<dyn Calendar>,
    clock: Arc<dyn Clock>,
    messaging: Messaging,
    changed: Option<Arc<tokio::sync::Notify>>,
}

/// Who made a change, as a metric label.
fn actor_label(actor: &Actor) -> &'static str {
    match actor {
        Actor::Customer { .. } => "customer",
        Actor::Staff { .. } => "staff",
    }
}

/// Busy time of `member`: our stored appointments (except `moving`) with their buffers, plus the
/// calendar's busy time that none of our appointments explains (outside events need no buffer of
/// their own, SPEC §4.4). Discounting all our appointments, `moving` included, keeps our own events
/// from counting twice or against themselves; time an outside event shares with one of ours stays
/// busy through ours.
fn combined_busy(
    member: &StaffMember,
    calendar: &[Interval],
    stored: &[Appointment],
    moving: Option<AppointmentId>,
) -> Vec<BusyInterval> {
    let mine = || stored.iter().filter(|a| a.staff_id == member.id);
    let mut busy: Vec<BusyInterval> = mine().filter(|a| Some(a.id) != moving).map(Appointment::as_busy).collect();
    // The local backend reports no calendar time: nothing to discount.
    if !calendar.is_empty() {
        let ours: Vec<Interval> = mine().map(Appointment::interval).collect();
        let outside = subtract(calendar, &ours).into_iter();
        busy.extend(outside.map(|interval| BusyInterval { interval, buffer: Duration::zero() }));
    }
    busy
}

/// How far around an interval stored appointments can matter (buffers are at most a day).
fn margin() -> Duration {
    Duration::days(1)
}

impl BookingService {
    /// Builds the service.
    pub fn new(business: Arc<Business>, store: Store, calendar: Arc<dyn Calendar>, clock: Arc<dyn Clock>) -> Self {
        Self { business, store, calendar, clock, messaging: Messaging::default(), changed: None }
    }

    /// Sets how customer messages are recorded with changes.
    pub fn with_messaging(mut self, messaging: Messaging) -> Self {
        self.messaging = messaging;
        self
    }

    /// Notifies `changed` after every committed change (wakes the outbox and reminder loops).
    pub fn with_change_signal(mut self, changed: Arc<tokio::sync::Notify>) -> Self {
        self.changed = Some(changed);
        self
    }

    fn signal_change(&self) {
        if let Some(changed) = &self.changed {
            changed.notify_waiters();
        }
    }

    /// The store this service writes to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The business this service books for.
    pub fn business(&self) -> &Business {
        &self.business
    }

    /// The current instant according to the injected clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn service(&self, id: &ServiceId) -> Result<&Service, BookingError> {
        self.business.service(id).ok_or_else(|| {
            BookingError::refused(Refusal::UnknownService, messages::unknown_service(&self.business, id))
        })
    }

    fn staff_for(&self, service: &Service, wanted: Option<&StaffId>) -> Result<Vec<&StaffMember>, BookingError> {
        match wanted {
            Some(id) => {
                let member = self.business.staff_member(id).ok_or_else(|| {
                    BookingError::refused(Refusal::UnknownStaff, messages::unknown_staff(&self.business, id))
                })?;
                if !member.offers(&service.id) {
                    return Err(BookingError::refused(
                        Refusal::UnknownStaff,
                        format!("{} does not offer {}", member.name, service.name),
                    ));
                }
                Ok(vec![member])
            }
            None => Ok(self.business.staff.iter().filter(|s| s.offers(&service.id)).collect()),
        }
    }

    /// Calendar busy time of each of `staff` over `range`, read now (a booking re-checks the
    /// exact time); any unreadable calendar fails the change. Read before taking the commit lock,
    /// since it may be a network call.
    async fn calendar_busy(&self, staff: &[&StaffMember], range: Interval) -> Result<Vec<Vec<Interval>>, BookingError> {
        let answers = self.calendar.busy(staff, range, Freshness::Fresh).await;
        answers.into_iter().map(|a| a.map_err(BookingError::from)).collect()
    }

    /// Customer-visible slots for `service` from local date `from` for `days` days (SPEC §4.6).
    pub async fn find_slots(
        &self,
        service: &ServiceId,
        staff: Option<&StaffId>,
        from: NaiveDate,
        days: u32,
    ) -> Result<Vec<Slot>, BookingError> {
        let service = self.service(service)?;
        let members = self.staff_for(service, staff)?;
        let now = self.clock.now();
        let to = from + chrono::Days::new(u64::from(days.max(1) - 1));
        let tz = self.business.timezone;
        let range = Interval {
            start: resolve_local(tz, from, DayMinute::from_hm(0, 0).expect("midnight")) - margin(),
            end: resolve_local(tz, to, DayMinute::END_OF_DAY) + margin(),
        };
        let ids: Vec<&StaffId> = members.iter().map(|m| &m.id).collect();
        let stored = self.store.confirmed_for_staff(&ids, range.start, range.end).await?;
        // A calendar we cannot read offers no slots (never offer a time we could not check); the
        // other staff members still do. Only when every calendar fails is the search an error.
        let mut readable = Vec::with_capacity(members.len());
        let mut last_error = None;
        let answers = self.calendar.busy(&members, range, Freshness::MayBeCached).await;
        for (member, answer) in members.iter().zip(answers) {
            match answer {
                Ok(calendar) => readable.push((*member, calendar)),
                Err(e) => {
                    tracing::warn!(staff = %member.id, error = %e, "calendar unreadable; this staff member offers no slots");
                    metrics::counter!("calendar_errors_total", "staff" => member.id.to_string()).increment(1);
                    last_error = Some(e);
                }
            }
        }
        if readable.is_empty()
            && let Some(e) = last_error
        {
            return Err(e.into());
        }
        let busy: Vec<Vec<BusyInterval>> =
            readable.iter().map(|(m, calendar)| combined_busy(m, calendar, &stored, None)).collect();
        let staff_busy: Vec<StaffBusy<'_>> = readable
            .iter()
            .zip(&busy)
            .map(|((m, _), b)| StaffBusy {
                staff: self.business.staff_index(&m.id).expect("member of business"),
                busy: b,
            })
            .collect();
        Ok(find_slots(&self.business, &SlotSearch { service, from, to, now }, &staff_busy))
    }

    /// Books an appointment, re-checking every rule at commit (SPEC §4.7).
    pub async fn book(&self, req: BookRequest) -> Result<Booked, BookingError> {
        let service = self.service(&req.service)?;
        let members = self.staff_for(service, req.staff.as_ref())?;
        if let Some(key) = &req.idempotency_key
            && let Some(existing) = self.store.by_idempotency_key(key).await?
        {
            return self.replayed(existing, &req.notify).await;
        }
        let now = self.clock.now();
        check_timing(&self.business, req.start, now, &req.actor).map_err(|r| self.timing_refusal(r, req.start, now))?;
        let wanted = Interval::starting_at(req.start, service.duration);
        let in_hours = self.in_hours(service, &members, req.start)?;

        let day = local_date(self.business.timezone, req.start);
        let range = self.day_range(day);
        let ids: Vec<&StaffId> = in_hours.iter().map(|m| &m.id).collect();
        let calendars = self.calendar_busy(&in_hours, range).await?;

        let mut tx = self.store.begin_for_staff(&ids).await?;
        if let Some(key) = &req.idempotency_key
            && let Some(existing) = tx.by_idempotency_key(key).await?
        {
            return self.replayed(existing, &req.notify).await;
        }
        let stored = tx.confirmed_for_staff(&ids, range.start, range.end).await?;
        let chosen = in_hours
            .iter()
            .zip(&calendars)
            .filter_map(|(m, calendar)| {
                let busy = combined_busy(m, calendar, &stored, None);
                is_free(service, &wanted, &busy).then(|| {
                    let that_day = stored
                        .iter()
                        .filter(|a| a.staff_id == m.id && local_date(self.business.timezone, a.start) == day)
                        .count();
                    (that_day, *m)
                })
            })
            // min_by_key keeps the first of equals: config order breaks ties.
            .min_by_key(|(count, _)| *count)
            .map(|(_, m)| m)
            .ok_or_else(|| {
                BookingError::refused(Refusal::SlotUnavailable, messages::slot_unavailable(&self.business, req.start))
            })?;

        let appointment = Appointment {
            id: AppointmentId::new_random(),
            service_id: service.id.clone(),
            staff_id: chosen.id.clone(),
            start: wanted.start,
            end: wanted.end,
            buffer_minutes: service.buffer.num_minutes(),
            customer_name: req.customer_name.trim().to_string(),
            customer_phone: req.customer_phone,
            customer_email: req.customer_email.filter(|e| !e.trim().is_empty()),
            notes: req.notes.filter(|n| !n.trim().is_empty()),
            status: Status::Confirmed,
            booked_via: req.channel,
            external_event_id: None,
            idempotency_key: req.idempotency_key.clone(),
            created_at: now,
            updated_at: now,
            sequence: 0,
        };
        match tx.insert(&appointment).await {
            Ok(()) => {
                notify::record(
                    &mut tx,
                    &self.business,
                    &self.messaging,
                    Change::Booked,
                    &appointment,
                    &req.notify,
                    now,
                )
                .await?;
                tx.commit().await?
            }
            Err(e) if e.is_unique_violation() && req.idempotency_key.is_some() => {
                drop(tx);
                let key = req.idempotency_key.as_deref().expect("checked");
                let existing = self.store.by_idempotency_key(key).await?.ok_or(e)?;
                return self.replayed(existing, &req.notify).await;
            }
            Err(e) => return Err(e.into()),
        }
        let appointment = self.mirror_created(chosen, appointment, now).await?;
        // Confirmed only once the calendar holds the event (a refused event must not confirm).
        self.confirm_booking(&appointment, &req.notify, now).await?;
        self.signal_change();
        metrics::counter!("bookings_total", "channel" => req.channel.as_str()).increment(1);
        tracing::info!(appointment = %appointment.id, staff = %chosen.id, service = %service.id, via = %req.channel, "booked");
        Ok(Booked { appointment, created: true })
    }

    /// A repeated request: the same appointment, and its confirmation if an interrupted first
    /// attempt never recorded it (recording is idempotent by cause).
    async fn replayed(&self, existing: Appointment, tell: &Notify) -> Result<Booked, BookingError> {
        if existing.status == Status::Confirmed && existing.sequence == 0 {
            self.confirm_booking(&existing, tell, self.clock.now()).await?;
        }
        Ok(Booked { appointment: existing, created: false })
    }

    /// Records the booking's confirmation messages (at most once per appointment: keyed by cause).
    async fn confirm_booking(
        &self,
        appointment: &Appointment,
        tell: &Notify,
        now: DateTime<Utc>,
    ) -> Result<(), BookingError> {
        for message in notify::messages(&self.business, &self.messaging, Change::Booked, appointment, tell, now) {
            self.store.enqueue_message(&message, now).await?;
        }
        Ok(())
    }

    /// Creates the calendar event; if the backend fails, the booking is undone so nothing is half-done.
    async fn mirror_created(
        &self,
        staff: &StaffMember,
        mut appointment: Appointment,
        now: DateTime<Utc>,
    ) -> Result<Appointment, BookingError> {
        match self.calendar.create_event(staff, &appointment).await {
            Ok(Some(event_id)) => {
                self.store.set_external_event_id(appointment.id, &event_id).await?;
                appointment.external_event_id = Some(event_id);
                Ok(appointment)
            }
            Ok(None) => Ok(appointment),
            Err(e) => {
                let mut tx = self.store.begin_for_staff(&[&staff.id]).await?;
                tx.set_status(appointment.id, Status::Cancelled, now).await?;
                tx.cancel_reminder(appointment.id, now).await?;
                tx.commit().await?;
                if !matches!(e, CalendarError::Conflict) {
                    // The insert may have landed although its answer was lost: take it back out
                    // in the background (404 = it never landed), so no event is left without a
                    // booking and the caller is not kept waiting for a second deadline.
                    let (calendar, staff, cancelled) = (self.calendar.clone(), staff.clone(), appointment.clone());
                    tokio::spawn(async move {
                        if let Err(e) = calendar.cancel_event(&staff, &cancelled).await {
                            tracing::warn!(appointment = %cancelled.id, error = %e, "cannot remove the event of a failed booking");
                        }
                    });
                }
                Err(match e {
                    CalendarError::Conflict => BookingError::refused(
                        Refusal::SlotUnavailable,
                        messages::slot_unavailable(&self.business, appointment.start),
                    ),
                    other => other.into(),
                })
            }
        }
    }

    /// Staff among `members` whose hours contain the interval; a refusal naming the best reason if none.
    fn in_hours<'a>(
        &self,
        service: &Service,
        members: &[&'a StaffMember],
        start: DateTime<Utc>,
    ) -> Result<Vec<&'a StaffMember>, BookingError> {
        let mut best = Refusal::Closed;
        let ok: Vec<&StaffMember> = members
            .iter()
            .filter(|m| match check_hours(&self.business, service, m, start) {
                Ok(_) => true,
                Err(r) => {
                    if r == Refusal::OutsideHours {
                        best = r;
                    }
                    false
                }
            })
            .copied()
            .collect();
        if ok.is_empty() {
            return Err(BookingError::refused(best, messages::hours(&self.business, best, start)));
        }
        Ok(ok)
    }

    fn timing_refusal(&self, reason: Refusal, start: DateTime<Utc>, now: DateTime<Utc>) -> BookingError {
        BookingError::refused(reason, messages::timing(&self.business, reason, start, now))
    }

    /// The local day around `day` widened by the largest possible buffer.
    fn day_range(&self, day: NaiveDate) -> Interval {
        let tz = self.business.timezone;
        Interval {
            start: resolve_local(tz, day, DayMinute::from_hm(0, 0).expect("midnight")) - margin(),
            end: resolve_local(tz, day, DayMinute::END_OF_DAY) + margin(),
        }
    }

    /// Loads an appointment the actor may see; customers only see their own.
    async fn visible(&self, id: AppointmentId, actor: &Actor) -> Result<Appointment, BookingError> {
        let found = self.store.appointment(id).await?;
        match (found, actor) {
            (Some(a), Actor::Customer { phone }) if &a.customer_phone != phone => Err(Self::not_found(id)),
            (Some(a), _) => Ok(a),
            (None, _) => Err(Self::not_found(id)),
        }
    }

    fn not_found(id: AppointmentId) -> BookingError {
        BookingError::refused(Refusal::NotFound, format!("there is no appointment {id}"))
    }

    fn staff_of(&self, a: &Appointment) -> Result<&StaffMember, BookingError> {
        self.business.staff_member(&a.staff_id).ok_or_else(|| {
            BookingError::refused(Refusal::UnknownStaff, messages::unknown_staff(&self.business, &a.staff_id))
        })
    }

    /// Appointments matching `filter`.
    pub async fn list(&self, filter: &AppointmentFilter) -> Result<Vec<Appointment>, BookingError> {
        Ok(self.store.list(filter).await?)
    }

    /// A customer's appointments matching `filter`, each first brought in line with its calendar
    /// event (staff may have moved or deleted it there); ones that are no longer confirmed are
    /// dropped unless the filter asks for cancelled ones too.
    pub async fn list_current(&self, filter: &AppointmentFilter) -> Result<Vec<Appointment>, BookingError> {
        let mut list = self.reconcile_all(self.store.list(filter).await?).await?;
        if !filter.include_cancelled {
            list.retain(|a| a.status == Status::Confirmed);
        }
        list.sort_by_key(|a| a.start);
        Ok(list)
    }

    /// One appointment.
    pub async fn get(&self, id: AppointmentId) -> Result<Appointment, BookingError> {
        self.visible(id, &Actor::Staff { force: false }).await
    }
}

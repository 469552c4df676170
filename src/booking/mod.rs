//! The booking service (SPEC §4.7–4.8, §5): the one place that books, cancels and reschedules.
//! Voice, SMS, CLI and admin all come through here; nothing else writes appointments.
//!
//! Consistency: every change re-checks the rules inside a transaction that holds the commit lock
//! of the staff members involved (see [`crate::store::Store::begin_for_staff`]). Two writers for
//! one staff member are therefore serialized across threads and processes, and the second sees
//! the first's appointment when it re-checks. Idempotency keys are checked under the same lock
//! and are unique in the table.

mod book;
mod changes;
mod error;
pub mod google;
mod links;
mod messages;
mod notify;
mod reconcile;
mod search;
mod writes;

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
pub use error::BookingError;
pub use links::CustomerLinks;
use notify::Notices;
pub use notify::Tell;
pub(crate) use notify::confirmation_cause;
pub(crate) use notify::{Change, ConfirmationWriter};

use crate::calendar::Calendar;
use crate::clock::Clock;
use crate::domain::rules::check_hours;
use crate::domain::time::{local_date, resolve_local};
use crate::domain::{
    Actor, Appointment, AppointmentId, Business, Channel, DayMinute, Interval, PhoneNumber, Refusal, Service,
    ServiceId, StaffId, StaffMember, Status,
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
    /// The conversation (call or chat) asking, if one is.
    pub conversation: Option<String>,
    /// Customer's email, if given.
    pub customer_email: Option<String>,
    /// What to tell the customer.
    pub tell: Tell,
}

impl BookRequest {
    /// The front desk books `staff` at `start` for a customer (from the command line; `force`
    /// books over the rules): nothing optional given, nothing told. Set other fields with
    /// struct update syntax.
    pub fn front_desk(
        service: ServiceId,
        staff: StaffId,
        start: DateTime<Utc>,
        customer_name: impl Into<String>,
        customer_phone: PhoneNumber,
        force: bool,
    ) -> Self {
        Self {
            service,
            staff: Some(staff),
            start,
            customer_name: customer_name.into(),
            customer_phone,
            notes: None,
            channel: Channel::Cli,
            actor: Actor::Staff { force },
            idempotency_key: None,
            conversation: None,
            customer_email: None,
            tell: Tell::Nothing,
        }
    }
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
    notices: Notices,
    changed: Option<Arc<tokio::sync::Notify>>,
}

/// Who made a change, as a metric label.
fn actor_label(actor: &Actor) -> &'static str {
    match actor {
        Actor::Customer { .. } => "customer",
        Actor::Staff { .. } => "staff",
    }
}

/// How far around an interval stored appointments can matter (buffers are at most a day).
fn margin() -> Duration {
    Duration::days(1)
}

impl BookingService {
    /// Builds the service.
    pub fn new(business: Arc<Business>, store: Store, calendar: Arc<dyn Calendar>, clock: Arc<dyn Clock>) -> Self {
        let notices = Notices { reminder_before: Some(Duration::hours(24)), writer: None, links: None };
        Self { business, store, calendar, clock, notices, changed: None }
    }

    /// Records the messages `writer` words with every change (confirmations, invites); without
    /// one, changes record no messages.
    pub fn with_confirmations(mut self, writer: Arc<dyn ConfirmationWriter>) -> Self {
        self.notices.writer = Some(writer);
        self
    }

    /// Records a customer link with each booking and move, and passes it to the confirmation
    /// writer for the text.
    pub fn with_links(mut self, links: CustomerLinks) -> Self {
        self.notices.links = Some(links);
        self
    }

    /// The customer links, when they are on.
    pub fn links(&self) -> Option<&CustomerLinks> {
        self.notices.links.as_ref()
    }

    /// Sets the reminder lead time (`None`: no reminders; default 24 hours).
    pub fn with_reminders(mut self, before: Option<Duration>) -> Self {
        self.notices.reminder_before = before;
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
                        Refusal::ServiceNotOffered,
                        format!("{} does not offer {}", member.name, service.name),
                    ));
                }
                Ok(vec![member])
            }
            None => Ok(self.business.staff.iter().filter(|s| s.offers(&service.id)).collect()),
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
            let day = local_date(self.business.timezone, start);
            if best == Refusal::Closed && self.business.open_on(day) {
                return Err(BookingError::refused(
                    Refusal::NotWorking,
                    messages::not_working(&self.business, members, day),
                ));
            }
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
        let found = self.store.appointments().get(id).await?;
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
        Ok(self.store.appointments().list(filter).await?)
    }

    /// A customer's appointments matching `filter`, each first brought in line with its calendar
    /// event (staff may have moved or deleted it there); ones that are no longer confirmed are
    /// dropped unless the filter asks for cancelled ones too.
    pub async fn list_current(&self, filter: &AppointmentFilter) -> Result<Vec<Appointment>, BookingError> {
        let mut list = self.reconcile_all(self.store.appointments().list(filter).await?).await?;
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

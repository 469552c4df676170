//! Running a [`ToolRequest`] against the booking service, as the caller.

use chrono::{DateTime, Timelike, Utc};

use super::{
    AfterTurn, AppointmentView, FailureKind, OfferedSlot, SlotOffer, SlotQuery, ToolContext, ToolFailure, ToolOutcome,
    ToolRequest,
};
use crate::booking::{BookRequest, BookingError, Tell};
use crate::conversation::speech::spoken_time;
use crate::domain::{Actor, Appointment, AppointmentId, PhoneNumber, Refusal};
use crate::store::AppointmentFilter;

/// Slots offered per search, at most.
const MAX_SLOTS: usize = 8;

/// Runs one request.
pub(crate) async fn run(request: ToolRequest, cx: &mut ToolContext<'_>) -> ToolOutcome {
    let result = match request {
        ToolRequest::FindSlots(query) => find_slots(&query, cx).await,
        ToolRequest::Book { slot_id, customer_name, notes } => book(&slot_id, &customer_name, notes, cx).await,
        ToolRequest::FindMine => mine(cx).await,
        ToolRequest::Cancel { appointment_id } => cancel(&appointment_id, cx).await,
        ToolRequest::Reschedule { appointment_id, slot_id } => reschedule(&appointment_id, &slot_id, cx).await,
        ToolRequest::Transfer { .. } => {
            if cx.booking.business().transfer_number.is_some() {
                *cx.action = Some(AfterTurn::Transfer);
                Ok(ToolOutcome::Transferring)
            } else {
                Err(ToolFailure::new(
                    FailureKind::NoTransferNumber,
                    "there is no one to transfer to; offer to take a message or help yourself",
                ))
            }
        }
        ToolRequest::EndCall { .. } => {
            *cx.action = Some(AfterTurn::Hangup);
            Ok(ToolOutcome::Ending)
        }
    };
    result.unwrap_or_else(ToolOutcome::Failed)
}

fn refusal(e: BookingError) -> ToolFailure {
    match e {
        BookingError::Refused { reason, message } => ToolFailure::new(FailureKind::Refused(reason), message),
        BookingError::Invalid { field, problem } => {
            ToolFailure::new(FailureKind::BadArguments, format!("{field}: {problem}; ask the caller again"))
        }
        other => {
            tracing::warn!(error = %other, "tool failed");
            ToolFailure::new(FailureKind::TemporarilyUnavailable, "the calendar is not available right now")
        }
    }
}

fn view(cx: &ToolContext<'_>, a: &Appointment) -> AppointmentView {
    let biz = cx.booking.business();
    let start = a.start.with_timezone(&biz.timezone);
    AppointmentView {
        appointment_id: a.id.to_string(),
        start: start.fixed_offset(),
        spoken: spoken_time(start),
        service_id: a.service_id.clone(),
        service: biz.service(&a.service_id).map_or(a.service_id.as_str(), |s| s.name.as_str()).to_string(),
        staff_name: biz.staff_member(&a.staff_id).map_or(a.staff_id.as_str(), |s| s.name.as_str()).to_string(),
    }
}

async fn find_slots(q: &SlotQuery, cx: &mut ToolContext<'_>) -> Result<ToolOutcome, ToolFailure> {
    let (service, staff) = (&q.service, q.staff.as_ref());
    let to = q.to.unwrap_or(q.from + chrono::Days::new(6)).max(q.from);
    let days = u32::try_from((to - q.from).num_days() + 1).unwrap_or(1).min(60);
    let biz = cx.booking.business();
    let tz = biz.timezone;
    let slots = cx.booking.find_slots(service, staff, q.from, days).await.map_err(refusal)?;
    let picked = slots
        .into_iter()
        .filter(|s| q.after.is_none_or(|t| s.start.with_timezone(&tz).time() >= t))
        .filter(|s| q.part_of_day.is_none_or(|part| part.contains(s.start.with_timezone(&tz).hour())))
        .take(MAX_SLOTS);
    cx.slots.clear();
    let mut out = Vec::new();
    for (i, s) in picked.enumerate() {
        let slot_id = format!("s{}", i + 1);
        let member = &biz.staff[s.staff];
        cx.slots.insert(
            slot_id.clone(),
            OfferedSlot { start: s.start, service: service.to_string(), staff: member.id.to_string() },
        );
        let start = s.start.with_timezone(&tz);
        out.push(SlotOffer {
            slot_id,
            start: start.fixed_offset(),
            end: s.end.with_timezone(&tz).fixed_offset(),
            staff_id: member.id.to_string(),
            staff_name: member.name.clone(),
            spoken: spoken_time(start),
        });
    }
    Ok(ToolOutcome::Slots(out))
}

fn slot(cx: &ToolContext<'_>, id: &str) -> Result<OfferedSlot, ToolFailure> {
    cx.slots.get(id.trim()).cloned().ok_or_else(|| {
        let message = format!("{id:?} is not a slot from the latest search; search again and use its slot_id");
        ToolFailure::new(FailureKind::UnknownSlot, message)
    })
}

/// A fresh search over the slot's day and the two after it.
async fn alternatives(cx: &mut ToolContext<'_>, s: &OfferedSlot) -> ToolOutcome {
    let day = s.start.with_timezone(&cx.booking.business().timezone).date_naive();
    let Ok(service) = s.service.parse() else {
        return ToolOutcome::Failed(ToolFailure::new(FailureKind::Refused(Refusal::UnknownService), "bad slot"));
    };
    let query = SlotQuery {
        service,
        from: day,
        to: Some(day + chrono::Days::new(2)),
        staff: None,
        part_of_day: None,
        after: None,
    };
    find_slots(&query, cx).await.unwrap_or_else(ToolOutcome::Failed)
}

/// The caller's number, which booking and looking up appointments need.
fn caller(cx: &ToolContext<'_>) -> Result<PhoneNumber, ToolFailure> {
    cx.caller.cloned().ok_or_else(|| {
        ToolFailure::new(
            FailureKind::PhoneNeeded,
            "the caller's phone number is not known: ask for it, with the area code, then try again",
        )
    })
}

async fn book(
    slot_id: &str,
    customer_name: &str,
    notes: Option<String>,
    cx: &mut ToolContext<'_>,
) -> Result<ToolOutcome, ToolFailure> {
    let s = slot(cx, slot_id)?;
    let phone = caller(cx)?;
    if customer_name.trim().is_empty() {
        return Err(ToolFailure::new(FailureKind::MissingName, "ask for the caller's name first"));
    }
    let bad_slot = |reason| ToolFailure::new(FailureKind::Refused(reason), "bad slot");
    let req = BookRequest {
        service: s.service.parse().map_err(|_| bad_slot(Refusal::UnknownService))?,
        staff: Some(s.staff.parse().map_err(|_| bad_slot(Refusal::UnknownStaff))?),
        start: s.start,
        customer_name: customer_name.trim().to_string(),
        customer_phone: phone.clone(),
        notes,
        channel: cx.channel,
        actor: Actor::Customer { phone },
        // The cause and the slot, not the model's call id: a turn replayed (a chat client's retry
        // re-runs the model, which names its calls afresh) books the same slot once.
        idempotency_key: Some(format!("{}:{}:{}", cx.cause, s.staff, s.start.timestamp())),
        conversation: Some(cx.conversation.to_string()),
        customer_email: None,
        tell: Tell::Confirmation,
    };
    match cx.booking.book(req).await {
        Ok(booked) => Ok(ToolOutcome::Booked(view(cx, &booked.appointment))),
        Err(BookingError::Refused { reason: Refusal::SlotUnavailable, message }) => {
            let alternatives = alternatives(cx, &s).await;
            let kind = FailureKind::Refused(Refusal::SlotUnavailable);
            Err(ToolFailure { kind, message, alternatives: Some(Box::new(alternatives)) })
        }
        Err(e) => Err(refusal(e)),
    }
}

async fn mine(cx: &mut ToolContext<'_>) -> Result<ToolOutcome, ToolFailure> {
    let now: DateTime<Utc> = cx.booking.now();
    let filter = AppointmentFilter { phone: Some(caller(cx)?), from: Some(now), ..AppointmentFilter::default() };
    let list = cx.booking.list_current(&filter).await.map_err(refusal)?;
    Ok(ToolOutcome::Appointments(list.iter().map(|a| view(cx, a)).collect()))
}

fn appointment_id(text: &str) -> Result<AppointmentId, ToolFailure> {
    text.parse().map_err(|_| {
        ToolFailure::new(FailureKind::Refused(Refusal::NotFound), "no such appointment; use find_my_appointments")
    })
}

async fn cancel(id: &str, cx: &mut ToolContext<'_>) -> Result<ToolOutcome, ToolFailure> {
    let id = appointment_id(id)?;
    let actor = Actor::Customer { phone: caller(cx)? };
    let done = cx.booking.cancel(id, &actor, Tell::Confirmation).await.map_err(refusal)?;
    Ok(ToolOutcome::Cancelled(view(cx, &done)))
}

async fn reschedule(id: &str, slot_id: &str, cx: &mut ToolContext<'_>) -> Result<ToolOutcome, ToolFailure> {
    let id = appointment_id(id)?;
    let s = slot(cx, slot_id)?;
    let actor = Actor::Customer { phone: caller(cx)? };
    let moved = cx.booking.reschedule(id, s.start, &actor, Tell::Confirmation).await.map_err(refusal)?;
    Ok(ToolOutcome::Rescheduled(view(cx, &moved)))
}

//! The seven receptionist tools (SPEC §9): their JSON schemas, typed arguments and one dispatch
//! point. Every tool acts as the caller (the number of the call, never one the model names), so
//! nothing said on the call can reach another customer's appointments. Bad arguments come back to
//! the model as error results it can recover from.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::conversation::ToolCall;
use super::llm::ToolSpec;
use super::speech::spoken_time;
use crate::booking::{BookRequest, BookingError, BookingService, Notify};
use crate::domain::{Actor, AppointmentId, Channel, PhoneNumber, ServiceId, StaffId};
use crate::store::AppointmentFilter;

/// Slots offered per search, at most.
const MAX_SLOTS: usize = 8;

/// A slot the model may book by its short id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OfferedSlot {
    /// Start.
    pub start: DateTime<Utc>,
    /// Service.
    pub service: String,
    /// Staff.
    pub staff: String,
}

/// What a tool asks the call to do after speaking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallAction {
    /// Transfer to the business's human.
    Transfer,
    /// Say goodbye and hang up.
    Hangup,
}

/// Per-call context the tools work in.
pub struct ToolContext<'a> {
    /// The booking service.
    pub booking: &'a BookingService,
    /// The caller (from the call).
    pub caller: &'a PhoneNumber,
    /// Slots from the latest search, by short id.
    pub slots: &'a mut HashMap<String, OfferedSlot>,
    /// Makes bookings idempotent: the triggering event id.
    pub cause: &'a str,
    /// Where bookings come from.
    pub channel: Channel,
    /// Set when a tool wants the call transferred or ended.
    pub action: &'a mut Option<CallAction>,
}

/// The tools as offered to the model.
pub fn specs() -> Vec<ToolSpec> {
    vec![
        ToolSpec {
            name: "find_available_slots",
            description: "Find free appointment times. Returns up to 8 slots, each with a slot_id to book with.",
            parameters: json!({"type": "object", "properties": {
                "service": {"type": "string", "description": "service id or name"},
                "date_from": {"type": "string", "description": "first day, YYYY-MM-DD"},
                "date_to": {"type": "string", "description": "last day, YYYY-MM-DD (optional)"},
                "staff": {"type": "string", "description": "staff id or name (optional)"},
                "part_of_day": {"type": "string", "enum": ["morning", "afternoon", "evening"]},
                "after": {"type": "string", "description": "only times at or after this local time, HH:MM (optional)"}
            }, "required": ["service", "date_from"]}),
        },
        ToolSpec {
            name: "book_appointment",
            description: "Book a slot from the latest search for the caller. Read back date, time and service and get a yes first.",
            parameters: json!({"type": "object", "properties": {
                "slot_id": {"type": "string"}, "customer_name": {"type": "string"}, "notes": {"type": "string"}
            }, "required": ["slot_id", "customer_name"]}),
        },
        ToolSpec {
            name: "find_my_appointments",
            description: "The caller's upcoming appointments.",
            parameters: json!({"type": "object", "properties": {}}),
        },
        ToolSpec {
            name: "cancel_appointment",
            description: "Cancel one of the caller's appointments.",
            parameters: json!({"type": "object", "properties": {"appointment_id": {"type": "string"}}, "required": ["appointment_id"]}),
        },
        ToolSpec {
            name: "reschedule_appointment",
            description: "Move one of the caller's appointments to a slot from the latest search.",
            parameters: json!({"type": "object", "properties": {
                "appointment_id": {"type": "string"}, "slot_id": {"type": "string"}
            }, "required": ["appointment_id", "slot_id"]}),
        },
        ToolSpec {
            name: "transfer_to_human",
            description: "Transfer the call to a person at the business.",
            parameters: json!({"type": "object", "properties": {"reason": {"type": "string"}}}),
        },
        ToolSpec {
            name: "end_call",
            description: "End the call after saying goodbye.",
            parameters: json!({"type": "object", "properties": {"reason": {"type": "string"}}}),
        },
    ]
}

#[derive(Deserialize)]
struct FindSlots {
    service: String,
    date_from: String,
    date_to: Option<String>,
    staff: Option<String>,
    part_of_day: Option<String>,
    after: Option<String>,
}

#[derive(Deserialize)]
struct Book {
    slot_id: String,
    customer_name: String,
    notes: Option<String>,
}

#[derive(Deserialize)]
struct ById {
    appointment_id: String,
}

#[derive(Deserialize)]
struct Move {
    appointment_id: String,
    slot_id: String,
}

fn error(code: &str, message: impl Into<String>) -> Value {
    json!({"error": code, "message": message.into()})
}

fn args<T: for<'de> Deserialize<'de>>(call: &ToolCall) -> Result<T, Value> {
    let text = if call.arguments.trim().is_empty() { "{}" } else { call.arguments.as_str() };
    serde_json::from_str(text).map_err(|e| error("bad_arguments", format!("arguments for {}: {e}", call.name)))
}

/// Runs one tool call; the JSON result goes back to the model.
pub async fn run(call: &ToolCall, cx: &mut ToolContext<'_>) -> Value {
    let result = match call.name.as_str() {
        "find_available_slots" => find_slots(call, cx).await,
        "book_appointment" => book(call, cx).await,
        "find_my_appointments" => mine(cx).await,
        "cancel_appointment" => cancel(call, cx).await,
        "reschedule_appointment" => reschedule(call, cx).await,
        "transfer_to_human" => {
            if cx.booking.business().transfer_number.is_some() {
                *cx.action = Some(CallAction::Transfer);
                Ok(json!({"ok": true, "note": "say you are transferring them now"}))
            } else {
                Err(error(
                    "no_transfer_number",
                    "there is no one to transfer to; offer to take a message or help yourself",
                ))
            }
        }
        "end_call" => {
            *cx.action = Some(CallAction::Hangup);
            Ok(json!({"ok": true, "note": "say a short goodbye"}))
        }
        other => Err(error("unknown_tool", format!("there is no tool {other}"))),
    };
    result.unwrap_or_else(|e| e)
}

fn resolve_service(cx: &ToolContext<'_>, text: &str) -> Result<ServiceId, Value> {
    let biz = cx.booking.business();
    let t = text.trim().to_lowercase();
    biz.services
        .iter()
        .find(|s| s.id.as_str() == t || s.name.to_lowercase() == t)
        .or_else(|| {
            biz.services.iter().find(|s| s.name.to_lowercase().contains(&t) || t.contains(&s.name.to_lowercase()))
        })
        .map(|s| s.id.clone())
        .ok_or_else(|| {
            let names: Vec<&str> = biz.services.iter().map(|s| s.name.as_str()).collect();
            error("unknown_service", format!("no service {text:?}; we offer: {}", names.join(", ")))
        })
}

fn resolve_staff(cx: &ToolContext<'_>, text: &str) -> Result<StaffId, Value> {
    let t = text.trim().to_lowercase();
    let biz = cx.booking.business();
    biz.staff
        .iter()
        .find(|s| {
            s.id.as_str() == t
                || s.name.to_lowercase() == t
                || s.name.to_lowercase().split_whitespace().next() == Some(t.as_str())
        })
        .map(|s| s.id.clone())
        .ok_or_else(|| error("unknown_staff", format!("no staff member {text:?}")))
}

fn date(text: &str) -> Result<NaiveDate, Value> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| error("bad_date", format!("{text:?} is not YYYY-MM-DD")))
}

fn refusal(e: BookingError) -> Value {
    match e {
        BookingError::Refused { reason, message } => error(reason.code(), message),
        other => {
            tracing::warn!(error = %other, "tool failed");
            error("temporarily_unavailable", "the calendar is not available right now")
        }
    }
}

fn describe(cx: &ToolContext<'_>, a: &crate::domain::Appointment) -> Value {
    let biz = cx.booking.business();
    json!({
        "appointment_id": a.id.to_string(),
        "start": a.start.with_timezone(&biz.timezone).to_rfc3339(),
        "spoken": spoken_time(a.start.with_timezone(&biz.timezone)),
        "service": biz.service(&a.service_id).map_or(a.service_id.as_str(), |s| s.name.as_str()),
        "staff_name": biz.staff_member(&a.staff_id).map_or(a.staff_id.as_str(), |s| s.name.as_str()),
    })
}

async fn find_slots(call: &ToolCall, cx: &mut ToolContext<'_>) -> Result<Value, Value> {
    let a: FindSlots = args(call)?;
    let service = resolve_service(cx, &a.service)?;
    let staff = a.staff.as_deref().filter(|s| !s.trim().is_empty()).map(|s| resolve_staff(cx, s)).transpose()?;
    let from = date(&a.date_from)?;
    let to = a.date_to.as_deref().map(date).transpose()?.unwrap_or(from + chrono::Days::new(6)).max(from);
    let days = u32::try_from((to - from).num_days() + 1).unwrap_or(1).min(60);
    let biz = cx.booking.business();
    let tz = biz.timezone;
    let wanted_part = a.part_of_day.as_deref().map(str::to_lowercase);
    let after = match a.after.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(t) => Some(
            chrono::NaiveTime::parse_from_str(t.trim(), "%H:%M")
                .map_err(|_| error("bad_time", format!("{t:?} is not HH:MM")))?,
        ),
        None => None,
    };
    let slots = cx.booking.find_slots(&service, staff.as_ref(), from, days).await.map_err(refusal)?;
    let picked: Vec<_> = slots
        .into_iter()
        .filter(|s| after.is_none_or(|t| s.start.with_timezone(&tz).time() >= t))
        .filter(|s| {
            let hour = s.start.with_timezone(&tz).hour();
            match wanted_part.as_deref() {
                Some("morning") => hour < 12,
                Some("afternoon") => (12..17).contains(&hour),
                Some("evening") => hour >= 17,
                _ => true,
            }
        })
        .take(MAX_SLOTS)
        .collect();
    cx.slots.clear();
    let mut out = Vec::new();
    for (i, s) in picked.iter().enumerate() {
        let id = format!("s{}", i + 1);
        let member = &biz.staff[s.staff];
        cx.slots.insert(
            id.clone(),
            OfferedSlot { start: s.start, service: service.to_string(), staff: member.id.to_string() },
        );
        out.push(json!({
            "slot_id": id,
            "start": s.start.with_timezone(&tz).to_rfc3339(),
            "end": s.end.with_timezone(&tz).to_rfc3339(),
            "staff_id": member.id.as_str(),
            "staff_name": member.name,
            "spoken": spoken_time(s.start.with_timezone(&tz)),
        }));
    }
    if out.is_empty() {
        return Ok(json!({"slots": [], "note": "nothing free then; suggest other days or times"}));
    }
    Ok(json!({"slots": out}))
}

fn slot(cx: &ToolContext<'_>, id: &str) -> Result<OfferedSlot, Value> {
    cx.slots.get(id.trim()).cloned().ok_or_else(|| {
        error("unknown_slot", format!("{id:?} is not a slot from the latest search; search again and use its slot_id"))
    })
}

async fn alternatives(cx: &mut ToolContext<'_>, s: &OfferedSlot) -> Value {
    let biz = cx.booking.business();
    let day = s.start.with_timezone(&biz.timezone).date_naive();
    let call = ToolCall {
        id: "alternatives".into(),
        name: "find_available_slots".into(),
        arguments: json!({"service": s.service, "date_from": day.to_string(), "date_to": (day + chrono::Days::new(2)).to_string()}).to_string(),
    };
    find_slots(&call, cx).await.unwrap_or_else(|e| e)
}

async fn book(call: &ToolCall, cx: &mut ToolContext<'_>) -> Result<Value, Value> {
    let a: Book = args(call)?;
    let s = slot(cx, &a.slot_id)?;
    if a.customer_name.trim().is_empty() {
        return Err(error("missing_name", "ask for the caller's name first"));
    }
    let req = BookRequest {
        service: s.service.parse().map_err(|_| error("unknown_service", "bad slot"))?,
        staff: Some(s.staff.parse().map_err(|_| error("unknown_staff", "bad slot"))?),
        start: s.start,
        customer_name: a.customer_name.trim().to_string(),
        customer_phone: cx.caller.clone(),
        notes: a.notes,
        channel: cx.channel,
        actor: Actor::Customer { phone: cx.caller.clone() },
        idempotency_key: Some(format!("{}:{}", cx.cause, call.id)),
        customer_email: None,
        notify: Notify::Confirmation,
    };
    match cx.booking.book(req).await {
        Ok(booked) => Ok(describe(cx, &booked.appointment)),
        Err(BookingError::Refused { reason, message }) if reason == crate::domain::Refusal::SlotUnavailable => {
            let alternatives = alternatives(cx, &s).await;
            Err(json!({"error": reason.code(), "message": message, "alternatives": alternatives}))
        }
        Err(e) => Err(refusal(e)),
    }
}

async fn mine(cx: &mut ToolContext<'_>) -> Result<Value, Value> {
    let filter = AppointmentFilter {
        phone: Some(cx.caller.clone()),
        from: Some(cx.booking.now()),
        ..AppointmentFilter::default()
    };
    let list = cx.booking.list_current(&filter).await.map_err(refusal)?;
    Ok(json!({"appointments": list.iter().map(|a| describe(cx, a)).collect::<Vec<_>>()}))
}

fn appointment_id(text: &str) -> Result<AppointmentId, Value> {
    text.parse().map_err(|_| error("not_found", "no such appointment; use find_my_appointments"))
}

async fn cancel(call: &ToolCall, cx: &mut ToolContext<'_>) -> Result<Value, Value> {
    let a: ById = args(call)?;
    let id = appointment_id(&a.appointment_id)?;
    let actor = Actor::Customer { phone: cx.caller.clone() };
    let done = cx.booking.cancel(id, &actor, Notify::Confirmation).await.map_err(refusal)?;
    Ok(json!({"ok": true, "cancelled": describe(cx, &done)}))
}

async fn reschedule(call: &ToolCall, cx: &mut ToolContext<'_>) -> Result<Value, Value> {
    let a: Move = args(call)?;
    let id = appointment_id(&a.appointment_id)?;
    let s = slot(cx, &a.slot_id)?;
    let actor = Actor::Customer { phone: cx.caller.clone() };
    let moved = cx.booking.reschedule(id, s.start, &actor, Notify::Confirmation).await.map_err(refusal)?;
    Ok(json!({"ok": true, "appointment": describe(cx, &moved)}))
}

//! The tools on the wire: their JSON schemas for the model, the model's JSON arguments parsed into
//! a [`ToolRequest`], and a [`ToolOutcome`] written back as the JSON result. This is the only place
//! the tools meet `serde_json::Value`.

use chrono::{NaiveDate, NaiveTime};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AppointmentView, FailureKind, PartOfDay, SlotOffer, SlotQuery, ToolFailure, ToolOutcome, ToolRequest};
use crate::conversation::history::ToolCall;
use crate::conversation::llm::ToolSpec;
use crate::domain::{Business, Refusal, ServiceId, StaffId};

/// The tools as offered to the model.
pub(crate) fn specs() -> Vec<ToolSpec> {
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
struct Reason {
    reason: Option<String>,
}

#[derive(Deserialize)]
struct Move {
    appointment_id: String,
    slot_id: String,
}

fn args<T: for<'de> Deserialize<'de>>(call: &ToolCall) -> Result<T, ToolFailure> {
    let text = if call.arguments.trim().is_empty() { "{}" } else { call.arguments.as_str() };
    serde_json::from_str(text)
        .map_err(|e| ToolFailure::new(FailureKind::BadArguments, format!("arguments for {}: {e}", call.name)))
}

fn date(text: &str) -> Result<NaiveDate, ToolFailure> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| ToolFailure::new(FailureKind::BadDate, format!("{text:?} is not YYYY-MM-DD")))
}

fn time(text: &str) -> Result<NaiveTime, ToolFailure> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M")
        .map_err(|_| ToolFailure::new(FailureKind::BadTime, format!("{text:?} is not HH:MM")))
}

fn part_of_day(text: &str) -> Option<PartOfDay> {
    text.to_lowercase().parse().ok()
}

/// The request the model's call asks for; services and staff are named by id or name, as the
/// model heard them, and resolved against `biz` (in the order the arguments are read: service,
/// staff, dates, time).
pub(crate) fn parse(call: &ToolCall, biz: &Business) -> Result<ToolRequest, ToolFailure> {
    Ok(match call.name.as_str() {
        "find_available_slots" => {
            let a: FindSlots = args(call)?;
            ToolRequest::FindSlots(SlotQuery {
                service: resolve_service(biz, &a.service)?,
                staff: a
                    .staff
                    .as_deref()
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| resolve_staff(biz, s))
                    .transpose()?,
                from: date(&a.date_from)?,
                to: a.date_to.as_deref().map(date).transpose()?,
                part_of_day: a.part_of_day.as_deref().and_then(part_of_day),
                after: a.after.as_deref().filter(|t| !t.trim().is_empty()).map(time).transpose()?,
            })
        }
        "book_appointment" => {
            let a: Book = args(call)?;
            ToolRequest::Book { slot_id: a.slot_id, customer_name: a.customer_name, notes: a.notes }
        }
        "find_my_appointments" => ToolRequest::FindMine,
        "cancel_appointment" => ToolRequest::Cancel { appointment_id: args::<ById>(call)?.appointment_id },
        "reschedule_appointment" => {
            let a: Move = args(call)?;
            ToolRequest::Reschedule { appointment_id: a.appointment_id, slot_id: a.slot_id }
        }
        // A reason is only for the record: one the model got wrong never stops the call's action.
        "transfer_to_human" => ToolRequest::Transfer { reason: args::<Reason>(call).ok().and_then(|r| r.reason) },
        "end_call" => ToolRequest::EndCall { reason: args::<Reason>(call).ok().and_then(|r| r.reason) },
        other => return Err(ToolFailure::new(FailureKind::UnknownTool, format!("there is no tool {other}"))),
    })
}

/// The tool name and JSON arguments of a request, as the model would have written them (the guided
/// dialog records its calls in the history this way).
pub(crate) fn call_of(request: &ToolRequest) -> (&'static str, Value) {
    let reason = |r: &Option<String>| r.as_ref().map_or_else(|| json!({}), |r| json!({"reason": r}));
    match request {
        ToolRequest::FindSlots(q) => {
            let mut args = json!({"service": q.service.as_str(), "date_from": q.from.to_string()});
            if let Some(to) = q.to {
                args["date_to"] = json!(to.to_string());
            }
            if let Some(staff) = &q.staff {
                args["staff"] = json!(staff.as_str());
            }
            if let Some(after) = q.after {
                args["after"] = json!(after.format("%H:%M").to_string());
            }
            if let Some(part) = q.part_of_day {
                args["part_of_day"] = json!(part.as_str());
            }
            ("find_available_slots", args)
        }
        ToolRequest::Book { slot_id, customer_name, notes } => {
            let mut args = json!({"slot_id": slot_id, "customer_name": customer_name});
            if let Some(notes) = notes {
                args["notes"] = json!(notes);
            }
            ("book_appointment", args)
        }
        ToolRequest::FindMine => ("find_my_appointments", json!({})),
        ToolRequest::Cancel { appointment_id } => ("cancel_appointment", json!({"appointment_id": appointment_id})),
        ToolRequest::Reschedule { appointment_id, slot_id } => {
            ("reschedule_appointment", json!({"appointment_id": appointment_id, "slot_id": slot_id}))
        }
        ToolRequest::Transfer { reason: r } => ("transfer_to_human", reason(r)),
        ToolRequest::EndCall { reason: r } => ("end_call", reason(r)),
    }
}

fn resolve_service(biz: &Business, text: &str) -> Result<ServiceId, ToolFailure> {
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
            let message = format!("no service {text:?}; we offer: {}", names.join(", "));
            ToolFailure::new(FailureKind::Refused(Refusal::UnknownService), message)
        })
}

fn resolve_staff(biz: &Business, text: &str) -> Result<StaffId, ToolFailure> {
    let t = text.trim().to_lowercase();
    biz.staff
        .iter()
        .find(|s| {
            s.id.as_str() == t
                || s.name.to_lowercase() == t
                || s.name.to_lowercase().split_whitespace().next() == Some(t.as_str())
        })
        .map(|s| s.id.clone())
        .ok_or_else(|| {
            ToolFailure::new(FailureKind::Refused(Refusal::UnknownStaff), format!("no staff member {text:?}"))
        })
}

fn slot(s: &SlotOffer) -> Value {
    json!({
        "slot_id": s.slot_id,
        "start": s.start.to_rfc3339(),
        "end": s.end.to_rfc3339(),
        "staff_id": s.staff_id,
        "staff_name": s.staff_name,
        "spoken": s.spoken,
    })
}

fn appointment(a: &AppointmentView) -> Value {
    json!({
        "appointment_id": a.appointment_id,
        "start": a.start.to_rfc3339(),
        "spoken": a.spoken,
        "service": a.service,
        "staff_name": a.staff_name,
    })
}

/// The JSON result the model reads.
pub(crate) fn to_json(outcome: &ToolOutcome) -> Value {
    match outcome {
        ToolOutcome::Slots(slots) if slots.is_empty() => {
            json!({"slots": [], "note": "nothing free then; suggest other days or times"})
        }
        ToolOutcome::Slots(slots) => json!({"slots": slots.iter().map(slot).collect::<Vec<_>>()}),
        ToolOutcome::Booked(a) => appointment(a),
        ToolOutcome::Appointments(list) => json!({"appointments": list.iter().map(appointment).collect::<Vec<_>>()}),
        ToolOutcome::Cancelled(a) => json!({"ok": true, "cancelled": appointment(a)}),
        ToolOutcome::Rescheduled(a) => json!({"ok": true, "appointment": appointment(a)}),
        ToolOutcome::Transferring => json!({"ok": true, "note": "say you are transferring them now"}),
        ToolOutcome::Ending => json!({"ok": true, "note": "say a short goodbye"}),
        ToolOutcome::Failed(f) => {
            let mut v = json!({"error": f.kind.code(), "message": f.message});
            if let Some(alternatives) = &f.alternatives {
                v["alternatives"] = to_json(alternatives);
            }
            v
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn business() -> Business {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml");
        crate::config::Config::load(&path).unwrap().business
    }

    fn call(request: &ToolRequest) -> ToolCall {
        let (name, arguments) = call_of(request);
        ToolCall { id: "c1".into(), name: name.into(), arguments: arguments.to_string() }
    }

    #[test]
    fn every_request_the_guided_dialog_records_reads_back_as_the_same_request() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
        let requests = [
            ToolRequest::FindSlots(SlotQuery {
                service: "consultation".parse().unwrap(),
                from: day,
                to: Some(day),
                staff: Some("sarah".parse().unwrap()),
                part_of_day: Some(PartOfDay::Morning),
                after: NaiveTime::from_hms_opt(9, 30, 0),
            }),
            ToolRequest::Book {
                slot_id: "s2".into(),
                customer_name: "Jane Doe".into(),
                notes: Some("first visit".into()),
            },
            ToolRequest::FindMine,
            ToolRequest::Cancel { appointment_id: "a".into() },
            ToolRequest::Reschedule { appointment_id: "a".into(), slot_id: "s1".into() },
            ToolRequest::Transfer { reason: Some("not understood".into()) },
            ToolRequest::EndCall { reason: None },
        ];
        let biz = business();
        for request in requests {
            assert_eq!(parse(&call(&request), &biz), Ok(request.clone()), "{request:?}");
        }
    }

    #[test]
    fn the_model_names_services_and_staff_as_it_heard_them_and_wrong_arguments_come_back_as_failures() {
        let biz = business();
        let find = |args: Value| {
            parse(&ToolCall { id: "c".into(), name: "find_available_slots".into(), arguments: args.to_string() }, &biz)
        };
        let Ok(ToolRequest::FindSlots(q)) =
            find(json!({"service": "Consultation", "date_from": "2026-12-08", "staff": "Sarah"}))
        else {
            panic!("names resolve");
        };
        assert_eq!((q.service.as_str(), q.staff.as_ref().map(|s| s.as_str())), ("consultation", Some("sarah")));
        let code = |r: Result<ToolRequest, ToolFailure>| r.unwrap_err().kind.code();
        // The service is read first, as before the tools were typed: an unknown one wins over a bad date.
        assert_eq!(code(find(json!({"service": "massage", "date_from": "tomorrow"}))), "unknown_service");
        assert_eq!(code(find(json!({"service": "consultation", "date_from": "tomorrow"}))), "bad_date");
        assert_eq!(
            code(find(json!({"service": "consultation", "date_from": "2026-12-08", "after": "9am"}))),
            "bad_time"
        );
        assert_eq!(code(find(json!({"date_from": "2026-12-08"}))), "bad_arguments");
        let unknown = ToolCall { id: "c".into(), name: "order_pizza".into(), arguments: String::new() };
        assert_eq!(code(parse(&unknown, &biz)), "unknown_tool");
    }
}

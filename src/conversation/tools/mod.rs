//! The seven receptionist tools (SPEC §9) as typed values: a [`ToolRequest`] in, a [`ToolOutcome`]
//! out. The LLM agent gets requests from the model's JSON through [`wire`] and sends outcomes back
//! the same way; the guided dialog builds requests and reads outcomes directly. Every tool acts as
//! the caller (the number of the call, never one the model names), so nothing said in a
//! conversation can reach another customer's appointments. Bad arguments come back as failures
//! the model can recover from.

mod run;
pub(crate) mod wire;

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};

pub(crate) use run::run;

use crate::booking::BookingService;
use crate::conversation::Turn;
use crate::domain::{Channel, PhoneNumber, Refusal, ServiceId, StaffId, text_enum};

/// A part of the day, as a caller says it and the slot search filters by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PartOfDay {
    /// Before noon.
    Morning,
    /// Noon to five.
    Afternoon,
    /// After five.
    Evening,
}

text_enum!(PartOfDay { Morning => "morning", Afternoon => "afternoon", Evening => "evening" });

impl PartOfDay {
    /// Whether a local hour of the day falls in this part.
    pub(crate) fn contains(self, hour: u32) -> bool {
        match self {
            PartOfDay::Morning => hour < 12,
            PartOfDay::Afternoon => (12..17).contains(&hour),
            PartOfDay::Evening => hour >= 17,
        }
    }
}

/// What to search for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SlotQuery {
    /// The service.
    pub service: ServiceId,
    /// First day.
    pub from: NaiveDate,
    /// Last day (default: a week from `from`).
    pub to: Option<NaiveDate>,
    /// Only this staff member.
    pub staff: Option<StaffId>,
    /// Only this part of the day.
    pub part_of_day: Option<PartOfDay>,
    /// Only times at or after this local time.
    pub after: Option<NaiveTime>,
}

/// One tool call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ToolRequest {
    /// `find_available_slots`.
    FindSlots(SlotQuery),
    /// `book_appointment`: a slot of the latest search, for the caller.
    Book {
        /// The short id from the latest search.
        slot_id: String,
        /// The caller's name.
        customer_name: String,
        /// Free-text notes.
        notes: Option<String>,
    },
    /// `find_my_appointments`.
    FindMine,
    /// `cancel_appointment`.
    Cancel {
        /// The appointment, as found by `find_my_appointments`.
        appointment_id: String,
    },
    /// `reschedule_appointment`.
    Reschedule {
        /// The appointment.
        appointment_id: String,
        /// The short id of the new slot.
        slot_id: String,
    },
    /// `transfer_to_human`.
    Transfer {
        /// Why (for the record).
        reason: Option<String>,
    },
    /// `end_call`.
    EndCall {
        /// Why (for the record).
        reason: Option<String>,
    },
}

/// What a tool asks the call to do after speaking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterTurn {
    /// Transfer to the business's human.
    Transfer,
    /// Say goodbye and hang up.
    Hangup,
}

/// A slot the model may book by its short id (kept in the conversation between turns).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OfferedSlot {
    /// Start.
    pub start: DateTime<Utc>,
    /// Service.
    pub service: String,
    /// Staff.
    pub staff: String,
}

/// A free slot as offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SlotOffer {
    /// The short id to book it with.
    pub slot_id: String,
    /// Start, in the business's zone.
    pub start: DateTime<FixedOffset>,
    /// End, in the business's zone.
    pub end: DateTime<FixedOffset>,
    /// Who.
    pub staff_id: String,
    /// Their name.
    pub staff_name: String,
    /// The start as said aloud ("Tuesday, December 8 at 9:00 AM").
    pub spoken: String,
}

/// One of the caller's appointments as the tools describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppointmentView {
    /// Its id.
    pub appointment_id: String,
    /// Start, in the business's zone.
    pub start: DateTime<FixedOffset>,
    /// The start as said aloud.
    pub spoken: String,
    /// The service's id.
    pub service_id: ServiceId,
    /// The service's name.
    pub service: String,
    /// The staff member's name.
    pub staff_name: String,
}

/// Why a tool did not do what was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// A booking rule said no.
    Refused(Refusal),
    /// The arguments were not valid JSON of the tool's shape.
    BadArguments,
    /// No tool of that name.
    UnknownTool,
    /// A date that is not `YYYY-MM-DD`.
    BadDate,
    /// A time that is not `HH:MM`.
    BadTime,
    /// A slot id that is not from the latest search.
    UnknownSlot,
    /// A booking without a name.
    MissingName,
    /// Nobody to transfer to.
    NoTransferNumber,
    /// The turn's tool budget is spent.
    TooManyToolCalls,
    /// Booking or looking up appointments needs the caller's full phone number first.
    PhoneNeeded,
    /// The calendar or the database failed.
    TemporarilyUnavailable,
}

impl FailureKind {
    /// The stable code the model sees.
    pub(crate) fn code(self) -> &'static str {
        match self {
            FailureKind::Refused(reason) => reason.code(),
            FailureKind::BadArguments => "bad_arguments",
            FailureKind::UnknownTool => "unknown_tool",
            FailureKind::BadDate => "bad_date",
            FailureKind::BadTime => "bad_time",
            FailureKind::UnknownSlot => "unknown_slot",
            FailureKind::MissingName => "missing_name",
            FailureKind::NoTransferNumber => "no_transfer_number",
            FailureKind::TooManyToolCalls => "too_many_tool_calls",
            FailureKind::PhoneNeeded => "phone_needed",
            FailureKind::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

/// A tool failure: what went wrong, a sentence for the model, and for a taken slot the
/// alternatives found right away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ToolFailure {
    /// What went wrong.
    pub kind: FailureKind,
    /// A sentence for the model (or the guided dialog to read out).
    pub message: String,
    /// For a taken slot: a fresh search around it.
    pub alternatives: Option<Box<ToolOutcome>>,
}

impl ToolFailure {
    /// A failure without alternatives.
    pub(crate) fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), alternatives: None }
    }
}

/// What a tool did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ToolOutcome {
    /// Free slots (possibly none).
    Slots(Vec<SlotOffer>),
    /// Booked.
    Booked(AppointmentView),
    /// The caller's upcoming appointments.
    Appointments(Vec<AppointmentView>),
    /// Cancelled.
    Cancelled(AppointmentView),
    /// Moved.
    Rescheduled(AppointmentView),
    /// The call will be transferred after speaking.
    Transferring,
    /// The call will end after speaking.
    Ending,
    /// Nothing was done.
    Failed(ToolFailure),
}

impl ToolOutcome {
    /// The failure, if the tool failed.
    pub(crate) fn failure(&self) -> Option<&ToolFailure> {
        match self {
            ToolOutcome::Failed(f) => Some(f),
            _ => None,
        }
    }
}

/// Per-conversation context the tools work in.
pub(crate) struct ToolContext<'a> {
    /// The booking service.
    pub booking: &'a BookingService,
    /// The caller (from the call), if known.
    pub caller: Option<&'a PhoneNumber>,
    /// Slots from the latest search, by short id.
    pub slots: &'a mut HashMap<String, OfferedSlot>,
    /// Makes bookings idempotent: the booking's key is the cause with the slot (see `run::book`).
    pub cause: &'a str,
    /// Where bookings come from.
    pub channel: Channel,
    /// The conversation, recorded with its bookings.
    pub conversation: &'a str,
    /// Set when a tool wants the call transferred or ended.
    pub action: &'a mut Option<AfterTurn>,
}

impl<'a> ToolContext<'a> {
    /// The context of one turn: its caller, cause and channel, the conversation's offered slots,
    /// and where a tool's call action goes.
    pub(crate) fn for_turn(
        booking: &'a BookingService,
        turn: &Turn<'a>,
        slots: &'a mut HashMap<String, OfferedSlot>,
        action: &'a mut Option<AfterTurn>,
    ) -> Self {
        Self {
            booking,
            caller: turn.caller,
            slots,
            cause: turn.cause,
            channel: turn.channel,
            conversation: turn.conversation,
            action,
        }
    }
}

//! What the guided dialog knows between turns (stored with the conversation).

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use super::understand::Intent;
use crate::conversation::tools::PartOfDay;

/// What the dialog is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) enum Awaiting {
    /// Nothing in particular.
    #[default]
    Anything,
    /// Which of the offered times.
    Choice,
    /// The caller's name.
    Name,
    /// A yes to the read-back.
    Confirm,
    /// Which of the caller's appointments.
    Target,
    /// The caller's phone number (the chat endpoint, before a full number was given).
    Phone,
}

/// An offered slot: its short id, how it was said, its local time and who it is with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct Offer {
    pub(super) slot_id: String,
    pub(super) spoken: String,
    pub(super) at: NaiveTime,
    pub(super) staff_name: String,
}

/// One of the caller's appointments: its id, how it is described, and its service.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Target {
    pub(super) id: String,
    pub(super) description: String,
    pub(super) service: String,
}

/// What the dialog knows so far (stored with the conversation; fields added later default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GuidedState {
    /// The guided dialog is answering this conversation.
    pub active: bool,
    pub(super) intent: Option<Intent>,
    pub(super) service: Option<String>,
    pub(super) date: Option<NaiveDate>,
    pub(super) part: Option<PartOfDay>,
    pub(super) time: Option<NaiveTime>,
    pub(super) name: Option<String>,
    /// The staff member the caller asked for (their id).
    pub(super) staff: Option<String>,
    /// "As early as possible": the first free times, from today when no day was named.
    pub(super) earliest: bool,
    /// "Anything later/earlier?": only times after / before these.
    pub(super) after: Option<NaiveTime>,
    pub(super) before: Option<NaiveTime>,
    /// Slots offered (at most three) and the chosen one.
    pub(super) offered: Vec<Offer>,
    pub(super) chosen: Option<Offer>,
    /// The caller's appointment being cancelled or moved, and the candidates.
    pub(super) targets: Vec<Target>,
    pub(super) target: Option<Target>,
    pub(super) awaiting: Awaiting,
    pub(super) misunderstood: u8,
    /// How much of the history the state has taken in (a turn cut short leaves words unheard).
    pub(super) heard: usize,
}

impl GuidedState {
    /// Forgets the offered and chosen times (the caller changed what they want): no choice is
    /// pending any more.
    pub(super) fn drop_offers(&mut self) {
        self.offered.clear();
        self.chosen = None;
        if self.awaiting == Awaiting::Choice {
            self.awaiting = Awaiting::Anything;
        }
    }
}

impl GuidedState {
    /// A fresh start that remembers only who is calling.
    pub(super) fn fresh(&self) -> Self {
        Self { active: true, name: self.name.clone(), heard: self.heard, ..Self::default() }
    }
}

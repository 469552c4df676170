//! Messaging (SPEC §8): everything customers receive and send by text or email.
//!
//! - Inbound: [`command`] says what a customer's text means (`C`, `CANCEL 2`, `STOP`, `HELP`…);
//!   [`inbound`] acts on it through the booking service and records the reply; [`opt_out`] is the
//!   one place an opt-out or opt-in is recorded, whatever signalled it.
//! - Outbound: [`templates`] word every text to fit one GSM-7 segment where it can ([`gsm7`]);
//!   [`Confirmations`] are the messages the booking service records with each change; [`ics`] and
//!   [`email`] add the calendar invite; [`outbox`] sends what was recorded, exactly once;
//!   [`reminders`] turn due reminder rows into messages; [`Workers`] starts and stops both loops.
//!
//! Messaging sits above the booking service: it books and cancels only through it, and plugs its
//! wording into it through [`crate::booking::ConfirmationWriter`].

pub mod command;
mod confirmations;
pub mod email;
pub mod gsm7;
pub mod ics;
pub(crate) mod inbound;
pub(crate) mod opt_out;
pub mod outbox;
pub mod reminders;
pub mod templates;
mod workers;

pub use confirmations::{ConfirmationSettings, Confirmations};
pub use inbound::SmsHandler;
pub(crate) use inbound::{DeliveryReport, InboundText, SmsError};
pub use outbox::OutboxSettings;
pub use workers::{WorkerExtras, Workers};

//! appointment-setter: an AI receptionist for a small appointment-based business.
//!
//! `main.rs` only calls [`cli::main`]; everything is here so tests and benches can reach it. The
//! parts, top to bottom (a part imports only parts below it; `tests/architecture.rs` checks):
//!
//! - [`cli`]: commands, output and exit codes; wires the parts together for each command.
//! - [`http`]: the actix-web edge (webhooks, health, metrics); [`startup`] builds the server;
//!   [`demo`] drives a scripted call and texts through the production pieces.
//! - [`ingest`]: the durable webhook inbox, ordered dispatch, and the router to the features.
//! - [`voice`]: the phone call state machine. [`messaging`]: texts, templates, outbox, email,
//!   reminders.
//! - [`conversation`]: the receptionist (LLM agent, guided dialog, fallback) and its typed tools.
//! - [`booking`]: the one service that books, cancels and reschedules (and the only writer of
//!   appointments).
//! - [`calendar`] (local / Google), [`store`] (SQLite / PostgreSQL repositories), [`telnyx`]
//!   (signatures, events, API client): one external system each.
//! - [`config`], [`clock`], [`net`], [`observability`]: settings, time, HTTP helpers, logs and
//!   metrics, used across the parts.
//! - [`domain`]: pure scheduling rules and types (no I/O, no clock reads).

pub mod booking;
pub mod calendar;
pub mod cli;
pub mod clock;
pub mod config;
pub mod conversation;
pub mod demo;
pub mod domain;
pub mod http;
pub mod ingest;
pub mod messaging;
pub mod net;
pub mod observability;
pub mod startup;
pub mod store;
pub mod telnyx;
pub mod voice;

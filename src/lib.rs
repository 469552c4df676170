//! appointment-setter: an AI receptionist for a small appointment-based business.
//!
//! `main.rs` only calls [`cli::main`]; everything else is here so tests and benches can reach it.
//! What is `pub` is what the binary, the tests, the benches, the fuzz targets and the examples
//! use; the rest is `pub(crate)`. The parts, top to bottom (a part names only parts below it;
//! `tests/it/architecture.rs` checks), one line each:
//!
//! - [`cli`]: the commands, their output and exit codes; wires the parts together per command.
//! - [`http`]: the actix-web edge: `/webhooks/telnyx`, health, metrics, error bodies.
//! - [`startup`]: builds the server (inbox, dispatcher, recovery sweep) on a given listener.
//! - [`demo`]: a scripted call and texts through the production pieces and a fake Telnyx.
//! - [`ingest`]: the durable webhook inbox, ordered dispatch, and the router to the features.
//! - [`voice`]: the phone call state machine (answer, greet, turns, barge-in, silence, hangup).
//! - [`chat`]: the receptionist as a chat model: a stateless conversation per request, continued
//!   from the recorded state of its previous turn.
//! - [`messaging`]: customers' texts, templates, confirmations, outbox, email, reminders, opt-outs.
//! - [`conversation`]: the receptionist (LLM agent, guided dialog, fallback) and its typed tools.
//! - [`booking`]: the one service that books, cancels and reschedules, and the only appointment writer.
//! - [`calendar`]: the `Calendar` trait with the local and the Google backends.
//! - [`store`]: SQLite / PostgreSQL through sqlx, one repository per concern, the per-staff lock.
//! - [`telnyx`]: webhook signatures, the typed event model, the Call Control and Messaging client.
//! - [`config`]: the TOML file, validated into a `domain::Business` and feature settings.
//! - [`clock`]: the one place that reads the wall clock (and the clocks tests fix or move).
//! - [`net`]: helpers shared by the HTTP clients (`Retry-After`).
//! - [`observability`]: log and Prometheus set-up.
//! - [`domain`]: pure scheduling rules and types: no I/O, no clock reads.

pub mod accounts;
pub mod booking;
pub mod calendar;
pub mod chat;
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
pub mod secrets;
pub mod setup;
pub mod startup;
pub mod store;
pub mod telnyx;
pub mod voice;

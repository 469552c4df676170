//! appointment-setter: an AI receptionist for a small appointment-based business.
//!
//! The library holds everything; `main.rs` only parses the command line and calls [`cli::run`].
//! Data flows one way: edge (CLI, later HTTP) → [`booking::BookingService`] → [`calendar`] / [`store`].
//! [`domain`] is pure (no I/O, no async, time injected) and is where the scheduling rules live.

pub mod agent;
pub mod app_handler;
pub mod background;
pub mod booking;
pub mod calendar;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod dispatch;
pub mod domain;
pub mod guided;
pub mod http;
pub mod inbox;
pub mod net;
pub mod notify;
pub mod observability;
pub mod receptionist;
pub mod reminders;
pub mod sms;
pub mod startup;
pub mod store;
pub mod telnyx;
pub mod voice;

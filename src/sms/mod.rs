//! Texts from customers (SPEC §8): the command parser and the handler.

pub mod command;
pub mod handler;

pub use command::{SmsCommand, parse};
pub use handler::{SmsError, SmsHandler};

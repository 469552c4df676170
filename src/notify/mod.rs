//! What customers receive: text templates, SMS segment arithmetic, iCalendar invites, and the
//! outbox worker that sends recorded messages (SPEC §8).

pub mod email;
pub mod gsm7;
pub mod ics;
pub mod outbox;
pub mod templates;

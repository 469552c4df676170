//! Ingest (SPEC §7): what happens to a verified webhook between the HTTP edge and the features.
//!
//! - [`inbox`]: parse, dedupe (recent ids, then insert-if-absent in the store, group-committed by
//!   [`writer`]), bound the work in flight, recover what a crashed instance left unfinished.
//! - [`dispatch`]: events sharing an order key (a call, a phone number) are handled one at a time
//!   in arrival order; different keys run concurrently.
//! - [`router`]: turns a `TelnyxEvent` into the typed input of the feature that owns it (a text,
//!   a call event, a delivery report) and hands it over.
//!
//! The arrows point one way: inbox → dispatch → handler; the writer is used by both and imports
//! neither. Nothing here knows how a feature does its work.

mod dispatch;
mod handler;
mod inbox;
mod recent;
mod router;
mod writer;

pub(crate) use dispatch::Dispatcher;
pub use handler::{EventHandler, HandlerError};
pub use inbox::Inbox;
pub(crate) use inbox::{Accepted, IngestError};
pub use router::{Router, call_event};

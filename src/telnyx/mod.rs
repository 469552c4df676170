//! Telnyx: webhook signature verification, the typed event model and the API client.
//! No actix type appears here; the HTTP edge lives in [`crate::http`].

pub mod client;
pub mod command;
pub mod error;
pub mod events;
pub mod signature;

pub use client::{ApiKey, CallAction, OutgoingMessage, RetryPolicy, SentMessage, SpeakStop, TelnyxApi, TelnyxClient};
pub use command::CommandId;
pub use error::{OPTED_OUT_CODE, TelnyxError};
pub use events::{CallControlId, EventId, EventKind, OrderKey, TelnyxEvent};
pub use signature::{PublicKey, SignatureError, VerifiedWebhook, Verifier};

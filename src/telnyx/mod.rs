//! Telnyx: webhook signature verification, the typed event model and the API client.
//! No actix type appears here; the HTTP edge lives in [`crate::http`].

pub(crate) mod actions;
pub(crate) mod client;
pub(crate) mod command;
pub(crate) mod error;
pub mod events;
pub mod signature;

pub use actions::{CallAction, Dial, Dialed, SpeakStop};
pub use client::{ApiKey, OutgoingMessage, RetryPolicy, SentMessage, TelnyxApi, TelnyxClient};
pub use command::CommandId;
pub use error::TelnyxError;
pub use events::{CallControlId, EventKind, OrderKey, TelnyxEvent};
pub(crate) use signature::VerifiedWebhook;
pub use signature::{PublicKey, SignatureError, Verifier};

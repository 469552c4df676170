//! Telnyx: webhook signature verification, the typed event model and the API client.
//! No actix type appears here; the HTTP edge lives in [`crate::http`].

pub(crate) mod client;
pub(crate) mod command;
pub(crate) mod error;
pub mod events;
pub mod signature;

pub use client::ApiKey;

pub use client::CallAction;

pub use client::OutgoingMessage;

pub use client::RetryPolicy;

pub use client::SentMessage;

pub use client::SpeakStop;

pub use client::TelnyxApi;

pub use client::TelnyxClient;
pub use command::CommandId;
pub use error::TelnyxError;
pub use events::CallControlId;
pub use events::EventKind;
pub use events::OrderKey;
pub use events::TelnyxEvent;
pub use signature::PublicKey;
pub use signature::SignatureError;
pub(crate) use signature::VerifiedWebhook;
pub use signature::Verifier;

//! The guided dialog: an LLM-free receptionist used when no LLM is configured and as the fallback
//! when the LLM fails during a call. [`understand`] turns words into meaning (pure functions),
//! [`state`] is what is known between turns, `dialog` listens and decides what to ask, `flows`
//! carries out booking, finding, cancelling and moving through the same typed tools as the agent.

mod dialog;
mod flows;
mod offers;
mod state;
pub mod understand;

pub use dialog::GuidedDialog;
pub(crate) use state::GuidedState;

//! The guided dialog (issue #8): an LLM-free receptionist used when no LLM is configured and as
//! the fallback when the LLM fails during a call.

mod dialog;
pub mod understand;

pub use dialog::{Awaiting, GuidedDialog, GuidedState};

//! The guided dialog (issue #8): an LLM-free receptionist.

pub mod understand;

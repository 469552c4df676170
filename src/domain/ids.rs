//! Identifier newtypes. Each parses once at the edge; code that receives one never re-checks it.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// Why an identifier was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("must not be empty")]
    Empty,
    #[error("{0:?} may only contain lowercase letters, digits, '-' and '_' (at most 64 characters)")]
    InvalidSlug(String),
    #[error("{0:?} is not an appointment id (expected a UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e)")]
    InvalidAppointmentId(String),
}

fn check_slug(s: &str) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    let ok = s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok { Ok(()) } else { Err(IdError::InvalidSlug(s.to_string())) }
}

macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                check_slug(s)?;
                Ok(Self(s.to_string()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}

slug_id!(
    /// A service id from the config (`[[services]] id`), e.g. `consultation`.
    ServiceId
);
slug_id!(
    /// A staff id from the config (`[[staff]] id`), e.g. `sarah`.
    StaffId
);

/// An appointment id: a UUID, stored and printed in its hyphenated lowercase form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AppointmentId(uuid::Uuid);

impl AppointmentId {
    /// A fresh random id.
    pub(crate) fn new_random() -> Self {
        Self(uuid::Uuid::new_v4())
    }

    /// The underlying UUID.
    pub(crate) fn uuid(&self) -> uuid::Uuid {
        self.0
    }
}

impl FromStr for AppointmentId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        uuid::Uuid::parse_str(s.trim()).map(Self).map_err(|_| IdError::InvalidAppointmentId(s.to_string()))
    }
}

impl fmt::Display for AppointmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl Serialize for AppointmentId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_accept_lowercase_digits_dash_and_underscore() {
        assert_eq!("extended-session_2".parse::<ServiceId>().unwrap().as_str(), "extended-session_2");
    }

    #[test]
    fn slugs_reject_empty_uppercase_and_spaces() {
        assert_eq!("".parse::<StaffId>(), Err(IdError::Empty));
        assert!("Sarah".parse::<StaffId>().is_err());
        assert!("a b".parse::<StaffId>().is_err());
        assert!("x".repeat(65).parse::<StaffId>().is_err());
    }

    #[test]
    fn appointment_ids_round_trip_through_text() {
        let id = AppointmentId::new_random();
        assert_eq!(id.to_string().parse::<AppointmentId>().unwrap(), id);
        assert!("not-a-uuid".parse::<AppointmentId>().is_err());
    }
}

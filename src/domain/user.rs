//! People and their roles.

use super::{clean_text, ParseError};
use serde::{Serialize, Serializer};
use std::fmt;

/// What a signed-in user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Patient,
    Practitioner,
    Admin,
}

impl Role {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        match input.trim() {
            "patient" => Ok(Self::Patient),
            "practitioner" => Ok(Self::Practitioner),
            "admin" => Ok(Self::Admin),
            other => Err(ParseError::new(format!(
                "unknown role {other:?}; expected patient, practitioner or admin"
            ))),
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Patient => "patient",
            Self::Practitioner => "practitioner",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A display name: trimmed, 1 to 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        clean_text("name", input, 200, false).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for PersonName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_round_trips_and_refuses_unknown() {
        for r in [Role::Patient, Role::Practitioner, Role::Admin] {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
        }
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn names_may_hold_markup_but_not_line_breaks() {
        assert_eq!(PersonName::parse("<script>").unwrap().as_str(), "<script>");
        assert!(PersonName::parse("Eve\nBcc: x").is_err());
    }
}

//! Where a person lives and what they read: IANA time zone and language.

use super::ParseError;
use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// An IANA time zone (`Europe/Paris`), validated against the bundled tz database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        chrono_tz::Tz::from_str(input.trim())
            .map(Self)
            .map_err(|_| ParseError::new(format!("unknown IANA time zone {:?}", input.trim())))
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// Minutes after midnight on this zone's wall clock at `at`.
    pub fn minute_of_day(&self, at: super::Timestamp) -> u16 {
        use chrono::Timelike;
        let local = at.to_datetime().with_timezone(&self.0);
        (local.hour() * 60 + local.minute()) as u16
    }
}

impl Default for TimeZone {
    fn default() -> Self {
        Self(chrono_tz::UTC)
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for TimeZone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// A language carebell has texts for. Unknown tags are refused at the boundary so a
/// recipient never silently receives a language they did not choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    En,
    Fr,
    Ar,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::En, Language::Fr, Language::Ar];

    /// Accepts a BCP 47 tag and keeps its primary subtag (`fr-CA` → `fr`).
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let primary = input
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Ok(Self::En),
            "fr" => Ok(Self::Fr),
            "ar" => Ok(Self::Ar),
            _ => Err(ParseError::new(format!(
                "unsupported language {:?}; supported: en, fr, ar",
                input.trim()
            ))),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Fr => "fr",
            Self::Ar => "ar",
        }
    }

    /// Whether text in this language is laid out right to left.
    pub fn is_rtl(&self) -> bool {
        matches!(self, Self::Ar)
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Language {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zone_accepts_iana_names_only() {
        assert_eq!(
            TimeZone::parse("Europe/Paris").unwrap().name(),
            "Europe/Paris"
        );
        assert!(TimeZone::parse("Mars/Olympus").is_err());
        assert!(TimeZone::parse("").is_err());
    }

    #[test]
    fn language_keeps_primary_subtag_and_refuses_unknown() {
        assert_eq!(Language::parse("fr-CA").unwrap(), Language::Fr);
        assert_eq!(Language::parse("AR").unwrap(), Language::Ar);
        assert!(Language::parse("de").is_err());
        assert!(Language::Ar.is_rtl() && !Language::Fr.is_rtl());
    }
}

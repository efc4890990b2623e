//! Instants and slot windows. Storage keeps instants as milliseconds since the Unix
//! epoch (UTC) on both engines, so comparisons are integer comparisons everywhere.

use chrono::{DateTime, TimeZone as _, Utc};
use serde::{Serialize, Serializer};
use std::fmt;

/// An instant in UTC with millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub fn from_datetime(dt: DateTime<Utc>) -> Self {
        Self(dt.timestamp_millis())
    }

    pub fn millis(&self) -> i64 {
        self.0
    }

    pub fn to_datetime(self) -> DateTime<Utc> {
        // Every stored value came from a DateTime, so it is always in range; the
        // fallback only guards against a hand-edited database.
        Utc.timestamp_millis_opt(self.0)
            .single()
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// Parses an RFC 3339 instant with any offset (`2026-12-01T09:00:00+01:00`).
    pub fn parse_rfc3339(input: &str) -> Result<Self, super::ParseError> {
        DateTime::parse_from_rfc3339(input.trim())
            .map(|dt| Self::from_datetime(dt.with_timezone(&Utc)))
            .map_err(|_| {
                super::ParseError::new(format!(
                    "{:?} is not an RFC 3339 time such as 2026-12-01T09:00:00Z",
                    input.trim()
                ))
            })
    }

    pub fn plus(self, d: std::time::Duration) -> Self {
        Self(
            self.0
                .saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        )
    }

    pub fn minus(self, d: std::time::Duration) -> Self {
        Self(
            self.0
                .saturating_sub(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}",
            self.to_datetime()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse_rfc3339(&s).map_err(serde::de::Error::custom)
    }
}

/// Why a slot window was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlotWindowError {
    #[error("a slot must end after it starts")]
    EndsBeforeStart,
    #[error("a slot may last at most {0} hours")]
    TooLong(i64),
    #[error("a slot must start in the future")]
    InThePast,
    #[error("a slot may start at most {0} days ahead")]
    TooFarAhead(i64),
}

/// The start and end of an availability slot, checked against `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotWindow {
    starts_at: Timestamp,
    ends_at: Timestamp,
}

impl SlotWindow {
    pub const MAX_HOURS: i64 = 12;
    pub const MAX_DAYS_AHEAD: i64 = 2 * 366;

    pub fn new(
        starts_at: Timestamp,
        ends_at: Timestamp,
        now: Timestamp,
    ) -> Result<Self, SlotWindowError> {
        if ends_at <= starts_at {
            return Err(SlotWindowError::EndsBeforeStart);
        }
        if ends_at.millis() - starts_at.millis() > Self::MAX_HOURS * 3_600_000 {
            return Err(SlotWindowError::TooLong(Self::MAX_HOURS));
        }
        if starts_at <= now {
            return Err(SlotWindowError::InThePast);
        }
        if starts_at.millis() - now.millis() > Self::MAX_DAYS_AHEAD * 86_400_000 {
            return Err(SlotWindowError::TooFarAhead(Self::MAX_DAYS_AHEAD));
        }
        Ok(Self { starts_at, ends_at })
    }

    /// A window kept as a record (an imported appointment of the past, say): it must end
    /// after it starts and last at most [`Self::MAX_HOURS`], whenever it is.
    pub fn of_record(starts_at: Timestamp, ends_at: Timestamp) -> Result<Self, SlotWindowError> {
        if ends_at <= starts_at {
            return Err(SlotWindowError::EndsBeforeStart);
        }
        if ends_at.millis() - starts_at.millis() > Self::MAX_HOURS * 3_600_000 {
            return Err(SlotWindowError::TooLong(Self::MAX_HOURS));
        }
        Ok(Self { starts_at, ends_at })
    }

    pub fn starts_at(&self) -> Timestamp {
        self.starts_at
    }

    pub fn ends_at(&self) -> Timestamp {
        self.ends_at
    }

    pub fn overlaps(&self, other: &SlotWindow) -> bool {
        self.starts_at < other.ends_at && other.starts_at < self.ends_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn slot_window_refuses_inverted_long_and_past_windows() {
        let now = Timestamp::from_millis(1_000 * H);
        let t = |h: i64| Timestamp::from_millis(1_000 * H + h * H);
        assert_eq!(
            SlotWindow::new(t(2), t(1), now),
            Err(SlotWindowError::EndsBeforeStart)
        );
        assert_eq!(
            SlotWindow::new(t(1), t(1), now),
            Err(SlotWindowError::EndsBeforeStart)
        );
        assert_eq!(
            SlotWindow::new(t(1), t(14), now),
            Err(SlotWindowError::TooLong(12))
        );
        assert_eq!(
            SlotWindow::new(t(-1), t(1), now),
            Err(SlotWindowError::InThePast)
        );
        assert!(SlotWindow::new(t(1), t(2), now).is_ok());
    }

    #[test]
    fn adjacent_windows_do_not_overlap() {
        let now = Timestamp::from_millis(0);
        let a = SlotWindow::new(
            Timestamp::from_millis(H),
            Timestamp::from_millis(2 * H),
            now,
        )
        .unwrap();
        let b = SlotWindow::new(
            Timestamp::from_millis(2 * H),
            Timestamp::from_millis(3 * H),
            now,
        )
        .unwrap();
        let c = SlotWindow::new(
            Timestamp::from_millis(H + 1),
            Timestamp::from_millis(H + 2),
            now,
        )
        .unwrap();
        assert!(!a.overlaps(&b) && !b.overlaps(&a));
        assert!(a.overlaps(&c) && c.overlaps(&a));
    }

    #[test]
    fn rfc3339_with_offset_is_normalised_to_utc() {
        let t = Timestamp::parse_rfc3339("2026-12-01T10:00:00+01:00").unwrap();
        assert_eq!(t.to_string(), "2026-12-01T09:00:00Z");
        assert!(Timestamp::parse_rfc3339("tomorrow").is_err());
    }
}

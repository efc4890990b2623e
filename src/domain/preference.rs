//! What a recipient chose: channels per category of message, and quiet hours in their own
//! zone. Pure rules; the dispatcher applies them when a job falls due.

use super::{Channel, NotificationKind, ParseError, TimeZone, Timestamp};
use chrono::{Duration as Days, LocalResult, NaiveDate, NaiveDateTime, TimeZone as _, Timelike};
use serde::{Serialize, Serializer};
use std::fmt;

string_enum!(
    /// The groups of messages a recipient turns channels on or off for.
    Category {
        AppointmentUpdates => "appointment_updates",
        Reminders => "reminders",
        Availability => "availability",
        Notices => "notices",
        Account => "account",
    }
);

impl Category {
    /// The category of a kind of notification.
    pub fn of(kind: NotificationKind) -> Category {
        use NotificationKind as K;
        match kind {
            K::AppointmentReminder => Category::Reminders,
            K::NewAvailability => Category::Availability,
            K::SystemNotice => Category::Notices,
            K::PasswordReset => Category::Account,
            K::WebhookDisabled => Category::Notices,
            K::BookingReceived
            | K::AppointmentRequested
            | K::AppointmentConfirmed
            | K::AppointmentDeclined
            | K::CancellationConfirmed
            | K::PatientCancelled
            | K::AppointmentCancelled
            | K::AppointmentModified
            | K::WaitlistOffer => Category::AppointmentUpdates,
        }
    }

    /// The categories a recipient chooses channels for. `Account` is not one: a message
    /// about one's own account that one asked for (a password reset) always goes by email.
    pub const CHOOSABLE: &'static [Category] = &[
        Category::AppointmentUpdates,
        Category::Reminders,
        Category::Availability,
        Category::Notices,
    ];

    pub fn is_choosable(&self) -> bool {
        Self::CHOOSABLE.contains(self)
    }

    /// Messages not about the recipient's own appointment: their emails carry one-click
    /// unsubscribe (RFC 8058).
    pub fn is_bulk(&self) -> bool {
        matches!(self, Category::Availability | Category::Notices)
    }
}

/// The channels a recipient turns on and off (in-app is always on).
pub const CHOOSABLE: [Channel; 4] = [
    Channel::Email,
    Channel::Sms,
    Channel::Push,
    Channel::WhatsApp,
];

/// `category.channel` (`availability.sms`), as the settings write a pair.
pub fn preference_key(input: &str) -> Result<(Category, Channel), ParseError> {
    let (category, channel) = input.trim().split_once('.').ok_or_else(|| {
        ParseError::new(format!(
            "{input:?} is not category.channel (availability.sms)"
        ))
    })?;
    let channel = Channel::parse(channel)?;
    if !CHOOSABLE.contains(&channel) {
        return Err(ParseError::new(format!("{input:?}: in-app is always on")));
    }
    let category = Category::parse(category)?;
    if !category.is_choosable() {
        return Err(ParseError::new(format!(
            "{input:?}: account messages cannot be turned off"
        )));
    }
    Ok((category, channel))
}

/// A time of day on the wall clock, to the minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime(u16);

impl LocalTime {
    /// `HH:MM`, 00:00 to 23:59.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let bad = || ParseError::new(format!("{:?} is not a time of day (HH:MM)", input.trim()));
        let (h, m) = input.trim().split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if h > 23 || m > 59 {
            return Err(bad());
        }
        Ok(Self(h * 60 + m))
    }

    /// `hour:minute`, each taken modulo a day and an hour.
    pub const fn at(hour: u16, minute: u16) -> Self {
        Self((hour % 24) * 60 + minute % 60)
    }

    pub fn from_minutes(minutes: u16) -> Result<Self, ParseError> {
        if minutes < 24 * 60 {
            Ok(Self(minutes))
        } else {
            Err(ParseError::new(format!(
                "{minutes} minutes is past the end of a day"
            )))
        }
    }

    pub fn minutes(&self) -> u16 {
        self.0
    }

    fn on(&self, date: NaiveDate) -> NaiveDateTime {
        date.and_hms_opt(u32::from(self.0 / 60), u32::from(self.0 % 60), 0)
            .unwrap_or_default()
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for LocalTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for LocalTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Quiet hours: from `start` to `end` on the recipient's wall clock, across midnight when
/// `end` is earlier than `start` (21:00–08:00). Equal times mean no quiet hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QuietHours {
    pub start: LocalTime,
    pub end: LocalTime,
}

impl QuietHours {
    fn contains_minute(&self, minute: u16) -> bool {
        let (s, e) = (self.start.0, self.end.0);
        if s <= e {
            s <= minute && minute < e
        } else {
            minute >= s || minute < e
        }
    }

    /// When `at` falls inside quiet hours in `zone`: the instant they end. The end is the
    /// first instant at or after `end` on the wall clock, so a night whose clocks change
    /// (a skipped or repeated hour) still ends at the right moment.
    pub fn ends_after(&self, at: Timestamp, zone: TimeZone) -> Option<Timestamp> {
        let local = at.to_datetime().with_timezone(&zone.tz()).naive_local();
        let minute = (local.hour() * 60 + local.minute()) as u16;
        if !self.contains_minute(minute) {
            return None;
        }
        let date = if minute < self.end.0 {
            local.date()
        } else {
            local.date() + Days::days(1)
        };
        Some(first_instant_at_or_after(self.end.on(date), zone))
    }

    /// When `at` falls inside quiet hours: the instant this quiet period began (the last
    /// moment a message may go out before it is one minute earlier).
    pub fn began_before(&self, at: Timestamp, zone: TimeZone) -> Option<Timestamp> {
        let local = at.to_datetime().with_timezone(&zone.tz()).naive_local();
        let minute = (local.hour() * 60 + local.minute()) as u16;
        if !self.contains_minute(minute) {
            return None;
        }
        let date = if minute >= self.start.0 {
            local.date()
        } else {
            local.date() - Days::days(1)
        };
        Some(first_instant_at_or_after(self.start.on(date), zone))
    }
}

/// The instant a wall-clock time happens in `zone`: the earlier of two when the hour is
/// repeated, and the first instant after the gap when it is skipped.
pub(super) fn first_instant_at_or_after(local: NaiveDateTime, zone: TimeZone) -> Timestamp {
    let tz = zone.tz();
    let mut probe = local;
    // A gap is at most a few hours; step forward a minute at a time until the time exists.
    for _ in 0..(24 * 60) {
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(t) => return Timestamp::from_datetime(t.to_utc()),
            LocalResult::Ambiguous(earlier, _) => {
                return Timestamp::from_datetime(earlier.to_utc())
            }
            LocalResult::None => probe += Days::minutes(1),
        }
    }
    // Unreachable for real zones; read the time as UTC rather than fail.
    Timestamp::from_datetime(local.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> Timestamp {
        Timestamp::parse_rfc3339(rfc3339).unwrap()
    }

    fn night() -> QuietHours {
        QuietHours {
            start: LocalTime::parse("21:00").unwrap(),
            end: LocalTime::parse("08:00").unwrap(),
        }
    }

    #[test]
    fn times_of_day_parse_strictly() {
        assert_eq!(LocalTime::parse(" 08:05 ").unwrap().minutes(), 485);
        for bad in ["8:00", "24:00", "12:60", "noon", "", "12-00"] {
            assert!(LocalTime::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(LocalTime::parse("21:30").unwrap().to_string(), "21:30");
    }

    #[test]
    fn a_night_in_paris_ends_at_eight_local() {
        let paris = TimeZone::parse("Europe/Paris").unwrap();
        // 23:30 in Paris (UTC+1 in January) is quiet until 08:00 the next morning.
        assert_eq!(
            night().ends_after(at("2026-01-15T22:30:00Z"), paris),
            Some(at("2026-01-16T07:00:00Z"))
        );
        assert_eq!(
            night().began_before(at("2026-01-15T22:30:00Z"), paris),
            Some(at("2026-01-15T20:00:00Z"))
        );
        // 06:00 is quiet until 08:00 the same morning; 08:00 itself and 20:59 are not.
        assert_eq!(
            night().ends_after(at("2026-01-16T05:00:00Z"), paris),
            Some(at("2026-01-16T07:00:00Z"))
        );
        assert_eq!(night().ends_after(at("2026-01-16T07:00:00Z"), paris), None);
        assert_eq!(night().ends_after(at("2026-01-16T19:59:00Z"), paris), None);
    }

    #[test]
    fn nights_when_the_clocks_change_end_at_the_wall_clock_hour() {
        let paris = TimeZone::parse("Europe/Paris").unwrap();
        let new_york = TimeZone::parse("America/New_York").unwrap();
        // Paris springs forward on 29 March 2026 (02:00 → 03:00): the night that began at
        // 21:00 UTC+1 ends at 08:00 UTC+2, ten hours later, not eleven.
        let began = night()
            .began_before(at("2026-03-29T00:30:00Z"), paris)
            .unwrap();
        let ends = night()
            .ends_after(at("2026-03-29T00:30:00Z"), paris)
            .unwrap();
        assert_eq!(
            (began, ends),
            (at("2026-03-28T20:00:00Z"), at("2026-03-29T06:00:00Z"))
        );
        // New York falls back on 1 November 2026 (02:00 → 01:00): twelve hours.
        let ends = night()
            .ends_after(at("2026-11-01T06:30:00Z"), new_york)
            .unwrap();
        let began = night()
            .began_before(at("2026-11-01T06:30:00Z"), new_york)
            .unwrap();
        assert_eq!(
            (began, ends),
            (at("2026-11-01T01:00:00Z"), at("2026-11-01T13:00:00Z"))
        );
        // Quiet hours that end inside the skipped hour end when the clock reaches it.
        let odd = QuietHours {
            start: LocalTime::parse("01:00").unwrap(),
            end: LocalTime::parse("02:30").unwrap(),
        };
        assert_eq!(
            odd.ends_after(at("2026-03-29T00:15:00Z"), paris),
            Some(at("2026-03-29T01:00:00Z")),
            "02:30 does not exist that night; 03:00 (01:00 UTC) is the first time after it"
        );
    }

    #[test]
    fn equal_times_mean_no_quiet_hours_and_daytime_windows_work() {
        let utc = TimeZone::default();
        let none = QuietHours {
            start: LocalTime::parse("10:00").unwrap(),
            end: LocalTime::parse("10:00").unwrap(),
        };
        assert_eq!(none.ends_after(at("2026-01-15T10:00:00Z"), utc), None);
        let lunch = QuietHours {
            start: LocalTime::parse("12:00").unwrap(),
            end: LocalTime::parse("14:00").unwrap(),
        };
        assert_eq!(
            lunch.ends_after(at("2026-01-15T13:00:00Z"), utc),
            Some(at("2026-01-15T14:00:00Z"))
        );
        assert_eq!(lunch.ends_after(at("2026-01-15T14:00:00Z"), utc), None);
    }

    #[test]
    fn every_kind_has_a_category_and_only_non_appointment_ones_are_bulk() {
        for kind in NotificationKind::ALL {
            let c = Category::of(*kind);
            assert_eq!(
                c.is_bulk(),
                matches!(
                    kind,
                    NotificationKind::NewAvailability
                        | NotificationKind::SystemNotice
                        | NotificationKind::WebhookDisabled
                )
            );
        }
    }
}

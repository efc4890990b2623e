//! The one formatter of times: in the reader's zone and language.

use crate::domain::{Language, TimeZone, Timestamp};
use chrono::Locale;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeStyle {
    /// For messages read away from the dashboard: full weekday and month, with the zone
    /// named: `mardi 1 décembre 2026, 09:00 (Europe/Paris)`.
    Long,
    /// For pages, which name the zone once in their header: `mar. 1 déc. 2026, 09:00`.
    Short,
}

/// `t` as a reader in `zone` who reads `lang` expects it.
pub fn when(t: Timestamp, zone: &TimeZone, lang: Language, style: TimeStyle) -> String {
    let (locale, long, short) = match lang {
        Language::En => (Locale::en_GB, "%A %-d %B %Y, %H:%M", "%a %-d %b %Y, %H:%M"),
        Language::Fr => (Locale::fr_FR, "%A %-d %B %Y, %H:%M", "%a %-d %b %Y, %H:%M"),
        // Egyptian Arabic names the Gregorian months (Saudi locales use Hijri names); its
        // abbreviated weekdays are single letters, so both styles spell them out.
        Language::Ar => (Locale::ar_EG, "%A %-d %B %Y، %H:%M", "%A %-d %B %Y، %H:%M"),
    };
    let local = t.to_datetime().with_timezone(&zone.tz());
    match style {
        TimeStyle::Long => format!("{} ({})", local.format_localized(long, locale), zone.name()),
        TimeStyle::Short => local.format_localized(short, locale).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_language_spells_its_own_date() {
        let t = Timestamp::from_millis(1_796_115_600_000); // 2026-12-01T09:00Z
        let paris = TimeZone::parse("Europe/Paris").unwrap();
        assert_eq!(
            when(t, &paris, Language::En, TimeStyle::Long),
            "Tuesday 1 December 2026, 10:00 (Europe/Paris)"
        );
        assert_eq!(
            when(t, &paris, Language::Fr, TimeStyle::Short),
            "mar. 1 déc. 2026, 10:00"
        );
        let ar = when(t, &paris, Language::Ar, TimeStyle::Short);
        assert!(ar.starts_with("الثلاثاء 1 ديسمبر"), "{ar}");
    }
}

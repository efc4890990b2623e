//! Notices: a message written by a person (an admin, or a practitioner to their day's
//! patients) for an audience, in one or more languages. Pure types; the fan-out lives in
//! the store and the dispatcher.

use super::{clean_text, Language, ParseError, TimeZone, Timestamp};
use serde::{Deserialize, Serialize, Serializer};

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 120;
/// Longest text, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2_000;
/// Longest title and text together when the notice goes by SMS too: two or three
/// segments at most.
pub const MAX_SMS_NOTICE_CHARS: usize = 300;
/// Most people a notice to a list of users may name.
pub const MAX_LISTED_USERS: usize = 10_000;

string_enum!(
    /// Where a notice is in its life: written and shown to its sender with the size of
    /// its audience (`draft`), being written to its recipients (`sending`), written to
    /// all of them (`sent`; deliveries may still be under way), or stopped (`cancelled`).
    NoticeState {
        Draft => "draft",
        Sending => "sending",
        Sent => "sent",
        Cancelled => "cancelled",
    }
);

/// A title and its text in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeText {
    pub title: String,
    pub message: String,
}

impl NoticeText {
    /// A title without line breaks (it becomes an email subject), a text with them.
    pub fn parse(title: &str, message: &str) -> Result<Self, ParseError> {
        let title = clean_text("title", title, MAX_TITLE_CHARS, false)?;
        let message = message.trim().replace("\r\n", "\n");
        if message.is_empty() {
            return Err(ParseError::new("message must not be empty"));
        }
        if message.chars().count() > MAX_MESSAGE_CHARS {
            return Err(ParseError::new(format!(
                "message must be at most {MAX_MESSAGE_CHARS} characters"
            )));
        }
        if message
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(ParseError::new(
                "message must not contain control characters",
            ));
        }
        Ok(Self { title, message })
    }
}

/// A notice's texts, at least one language, in the order of [`Language::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeTexts(Vec<(Language, NoticeText)>);

impl NoticeTexts {
    /// Texts by language code (`en`, `fr`, `ar`); at least one, each code once. With
    /// `by_sms`, each title and text together fit [`MAX_SMS_NOTICE_CHARS`].
    pub fn parse<'a>(
        given: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
        by_sms: bool,
    ) -> Result<Self, ParseError> {
        let mut texts: Vec<(Language, NoticeText)> = Vec::new();
        for (code, title, message) in given {
            let lang = Language::parse(code)
                .map_err(|e| ParseError::new(format!("texts.{code}: {}", e.0)))?;
            if texts.iter().any(|(l, _)| *l == lang) {
                return Err(ParseError::new(format!("texts.{code}: given twice")));
            }
            let text = NoticeText::parse(title, message)
                .map_err(|e| ParseError::new(format!("texts.{code}: {}", e.0)))?;
            let chars = text.title.chars().count() + text.message.chars().count();
            if by_sms && chars > MAX_SMS_NOTICE_CHARS {
                return Err(ParseError::new(format!(
                    "texts.{code}: a notice sent by SMS has at most {MAX_SMS_NOTICE_CHARS} characters of title and text together ({chars} given)"
                )));
            }
            texts.push((lang, text));
        }
        if texts.is_empty() {
            return Err(ParseError::new(
                "texts: give the title and text in at least one language",
            ));
        }
        texts.sort_by_key(|(l, _)| Language::ALL.iter().position(|x| x == l));
        Ok(Self(texts))
    }

    /// The text a reader of `lang` gets: theirs, else English, else the first given.
    pub fn for_reader(&self, lang: Language) -> &NoticeText {
        self.0
            .iter()
            .find(|(l, _)| *l == lang)
            .or_else(|| self.0.iter().find(|(l, _)| *l == Language::En))
            .map(|(_, t)| t)
            .unwrap_or(&self.0[0].1)
    }

    pub fn iter(&self) -> impl Iterator<Item = &(Language, NoticeText)> {
        self.0.iter()
    }

    /// As stored and answered: `{"en": {"title", "message"}, …}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.0
                .iter()
                .map(|(l, t)| (l.code().to_owned(), serde_json::json!(t)))
                .collect(),
        )
    }

    /// Reads back [`NoticeTexts::to_json`].
    pub fn from_json(value: &str) -> Result<Self, ParseError> {
        let map: std::collections::BTreeMap<String, NoticeText> = serde_json::from_str(value)
            .map_err(|e| ParseError::new(format!("notice texts: {e}")))?;
        Self::parse(
            map.iter()
                .map(|(l, t)| (l.as_str(), t.title.as_str(), t.message.as_str())),
            false,
        )
    }
}

/// Who a notice goes to. Deactivated accounts and the sender are never among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Every account.
    Everyone,
    Patients,
    Practitioners,
    /// Patients with a requested or confirmed appointment with the practitioner, at any
    /// time.
    PatientsOf {
        practitioner_id: i64,
    },
    /// Patients with a requested or confirmed appointment starting in `[from, until)`,
    /// with the practitioner when one is named.
    BookedBetween {
        from: Timestamp,
        until: Timestamp,
        practitioner_id: Option<i64>,
    },
    /// The accounts named, at most [`MAX_LISTED_USERS`].
    Users(Vec<i64>),
}

impl Audience {
    /// The stored name of its kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Everyone => "everyone",
            Self::Patients => "patients",
            Self::Practitioners => "practitioners",
            Self::PatientsOf { .. } => "patients_of",
            Self::BookedBetween { .. } => "booked_between",
            Self::Users(_) => "users",
        }
    }

    /// The practitioner it is about, if any.
    pub fn practitioner_id(&self) -> Option<i64> {
        match self {
            Self::PatientsOf { practitioner_id } => Some(*practitioner_id),
            Self::BookedBetween {
                practitioner_id, ..
            } => *practitioner_id,
            _ => None,
        }
    }
}

/// The instants a calendar day `YYYY-MM-DD` spans on the clock of `zone`: from its first
/// instant to the next day's (23 or 25 hours on a day the clocks change).
pub fn day_in(date: &str, zone: TimeZone) -> Result<(Timestamp, Timestamp), ParseError> {
    let day = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
        .map_err(|_| ParseError::new(format!("{:?} is not a date (YYYY-MM-DD)", date.trim())))?;
    let next = day
        .succ_opt()
        .ok_or_else(|| ParseError::new("that date is out of range"))?;
    let start = |d: chrono::NaiveDate| {
        super::preference::first_instant_at_or_after(d.and_time(chrono::NaiveTime::MIN), zone)
    };
    Ok((start(day), start(next)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_gets_their_language_else_english_else_the_first_given() {
        let texts = NoticeTexts::parse(
            [("fr", "Fermé", "Lundi"), ("en", "Closed", "On Monday")],
            false,
        )
        .unwrap();
        assert_eq!(texts.for_reader(Language::Fr).title, "Fermé");
        assert_eq!(texts.for_reader(Language::Ar).title, "Closed");
        let only_arabic = NoticeTexts::parse([("ar", "مغلق", "يوم الاثنين")], false).unwrap();
        assert_eq!(only_arabic.for_reader(Language::Fr).title, "مغلق");
        let back = NoticeTexts::from_json(&texts.to_json().to_string()).unwrap();
        assert_eq!(back, texts);
    }

    #[test]
    fn texts_are_checked_at_the_boundary() {
        let bad = [
            vec![],
            vec![("de", "Zu", "Montag")],
            vec![("en", "", "x")],
            vec![("en", "Line\nbreak", "x")],
            vec![("en", "T", "  ")],
            vec![("en", "T", "x"), ("en-GB", "T", "y")],
        ];
        for given in bad {
            assert!(
                NoticeTexts::parse(given.clone(), false).is_err(),
                "{given:?}"
            );
        }
        let long = "x".repeat(MAX_SMS_NOTICE_CHARS);
        assert!(NoticeTexts::parse([("en", "T", long.as_str())], false).is_ok());
        assert!(NoticeTexts::parse([("en", "T", long.as_str())], true).is_err());
        let lines = NoticeTexts::parse([("en", "T", "one\r\ntwo")], false).unwrap();
        assert_eq!(lines.for_reader(Language::En).message, "one\ntwo");
    }

    #[test]
    fn a_day_spans_its_local_midnights_even_when_the_clocks_change() {
        let paris = TimeZone::parse("Europe/Paris").unwrap();
        let (from, until) = day_in("2026-03-29", paris).unwrap();
        assert_eq!(from.to_string(), "2026-03-28T23:00:00Z");
        assert_eq!(until.to_string(), "2026-03-29T22:00:00Z", "23 hours");
        assert!(day_in("29/03/2026", paris).is_err());
    }
}

//! Domain types: parsed newtypes and state machines. No I/O lives here.

mod appointment;
mod contact;
mod locale;
#[macro_use]
mod notification;
pub mod notice;
pub mod payload;
mod preference;
mod schema;
mod time;
mod user;

pub use appointment::{
    AppointmentStatus, CancelledBy, Transition, TransitionError, Urgency, MAX_REASON_CHARS,
};
pub use contact::{Email, PhoneNumber};
pub use locale::{Language, TimeZone};
pub use notification::{Channel, NotificationKind, Severity};
pub use preference::{preference_key, Category, LocalTime, QuietHours, CHOOSABLE};
pub use time::{SlotWindow, SlotWindowError, Timestamp};
pub use user::{PersonName, Role};

/// Error returned when a string cannot be parsed into a domain value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    pub(crate) fn new(detail: impl Into<String>) -> Self {
        Self(detail.into())
    }
}

/// Trims `input` and refuses control characters (CR/LF would let a value inject headers
/// into an email or a log line) and anything longer than `max_chars`.
pub(crate) fn clean_text(
    field: &str,
    input: &str,
    max_chars: usize,
    allow_empty: bool,
) -> Result<String, ParseError> {
    let trimmed = input.trim();
    if !allow_empty && trimmed.is_empty() {
        return Err(ParseError::new(format!("{field} must not be empty")));
    }
    if trimmed.chars().count() > max_chars {
        return Err(ParseError::new(format!(
            "{field} must be at most {max_chars} characters"
        )));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(ParseError::new(format!(
            "{field} must not contain control characters"
        )));
    }
    Ok(trimmed.to_owned())
}

/// A free-text reason (for a visit, a decline, a cancellation): up to
/// [`MAX_REASON_CHARS`], line breaks and tabs allowed, other control characters refused.
pub fn clean_reason(input: &str) -> Result<String, ParseError> {
    let trimmed = input.trim().replace("\r\n", "\n");
    if trimmed.chars().count() > MAX_REASON_CHARS {
        return Err(ParseError::new(format!(
            "reason must be at most {MAX_REASON_CHARS} characters"
        )));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(ParseError::new(
            "reason must not contain control characters",
        ));
    }
    Ok(trimmed)
}

#[cfg(test)]
mod tests {
    use super::{clean_reason, clean_text};

    #[test]
    fn reasons_may_span_lines_but_hold_no_other_control_characters() {
        assert_eq!(clean_reason(" a\r\nb ").unwrap(), "a\nb");
        assert!(clean_reason("a\u{7}b").is_err());
        assert!(clean_reason(&"x".repeat(1_001)).is_err());
    }

    #[test]
    fn clean_text_refuses_line_breaks_and_overlong_input() {
        assert!(clean_text("name", "a\r\nBcc: x", 50, false).is_err());
        assert!(clean_text("name", &"x".repeat(51), 50, false).is_err());
        assert!(clean_text("name", "   ", 50, false).is_err());
        assert_eq!(clean_text("name", "  Ada  ", 50, false).unwrap(), "Ada");
        assert_eq!(clean_text("reason", "", 50, true).unwrap(), "");
    }
}

//! iCalendar (RFC 5545) files for confirmed, moved and cancelled appointments. The UID is
//! the appointment's, the SEQUENCE its version, so calendar programs update one event.

use crate::domain::Timestamp;

/// The appointment as the calendar sees it.
#[derive(Debug, Clone, Copy)]
pub struct CalendarEvent {
    pub appointment_id: i64,
    pub version: i64,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarMethod {
    Request,
    Cancel,
}

impl CalendarMethod {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Request => "REQUEST",
            Self::Cancel => "CANCEL",
        }
    }
}

/// Builds the calendar file; `domain` makes the UID globally unique.
pub fn calendar_for(
    a: &CalendarEvent,
    method: CalendarMethod,
    summary: &str,
    organizer: &str,
    attendee: &str,
    domain: &str,
    now: Timestamp,
) -> String {
    let stamp = |t: Timestamp| t.to_datetime().format("%Y%m%dT%H%M%SZ").to_string();
    let status = match method {
        CalendarMethod::Request => "CONFIRMED",
        CalendarMethod::Cancel => "CANCELLED",
    };
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//carebell//carebell//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        format!("METHOD:{}", method.as_str()),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:appointment-{}@{}", a.appointment_id, domain),
        format!("SEQUENCE:{}", a.version),
        format!("DTSTAMP:{}", stamp(now)),
        format!("DTSTART:{}", stamp(a.starts_at)),
        format!("DTEND:{}", stamp(a.ends_at)),
        format!("SUMMARY:{}", escape_text(summary)),
        format!("ORGANIZER:mailto:{organizer}"),
        format!("ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:{attendee}"),
        format!("STATUS:{status}"),
        "TRANSP:OPAQUE".to_owned(),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ];
    let mut out = String::new();
    for line in lines {
        fold_into(&mut out, &line);
    }
    out
}

/// TEXT values escape backslash, semicolon, comma and line breaks (RFC 5545 3.3.11).
fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Lines longer than 75 octets are folded with CRLF + space, never inside a character.
fn fold_into(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        fold_into(&mut out, &format!("SUMMARY:{}", "é".repeat(60)));
        for line in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        assert_eq!(
            out.replace("\r\n ", ""),
            format!("SUMMARY:{}\r\n", "é".repeat(60))
        );
    }

    #[test]
    fn text_values_are_escaped() {
        assert_eq!(escape_text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}

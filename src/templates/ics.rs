//! iCalendar (RFC 5545) files for confirmed, moved and cancelled appointments, sent as
//! iTIP (RFC 5546) `REQUEST` or `CANCEL`. The UID is the appointment's (with the
//! installation's id), the SEQUENCE its version, so calendar programs update one event.

use crate::domain::payload::CalendarChange;
use crate::domain::Timestamp;

/// A person named in the event.
#[derive(Debug, Clone)]
pub struct CalendarParty {
    pub name: String,
    pub email: String,
}

/// The appointment as the calendar sees it.
#[derive(Debug, Clone)]
pub struct CalendarEvent {
    pub uid: String,
    pub sequence: i64,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub summary: String,
    pub description: String,
    pub location: String,
    pub organizer: CalendarParty,
    pub attendee: CalendarParty,
}

impl CalendarChange {
    /// The iTIP method.
    pub fn method(&self) -> &'static str {
        match self {
            Self::Request => "REQUEST",
            Self::Cancel => "CANCEL",
        }
    }
}

/// Builds the calendar file.
pub fn calendar_for(e: &CalendarEvent, change: CalendarChange, now: Timestamp) -> String {
    let stamp = |t: Timestamp| t.to_datetime().format("%Y%m%dT%H%M%SZ").to_string();
    let status = match change {
        CalendarChange::Request => "CONFIRMED",
        CalendarChange::Cancel => "CANCELLED",
    };
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//carebell//carebell//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        format!("METHOD:{}", change.method()),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", e.uid),
        format!("SEQUENCE:{}", e.sequence),
        format!("DTSTAMP:{}", stamp(now)),
        format!("DTSTART:{}", stamp(e.starts_at)),
        format!("DTEND:{}", stamp(e.ends_at)),
        format!("SUMMARY:{}", escape_text(&e.summary)),
        format!("DESCRIPTION:{}", escape_text(&e.description)),
        format!("LOCATION:{}", escape_text(&e.location)),
        format!(
            "ORGANIZER;CN={}:mailto:{}",
            param_value(&e.organizer.name),
            e.organizer.email
        ),
        format!(
            "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE:mailto:{}",
            param_value(&e.attendee.name),
            e.attendee.email
        ),
        format!("STATUS:{status}"),
        "TRANSP:OPAQUE".to_owned(),
    ];
    if change == CalendarChange::Request {
        lines.extend([
            "BEGIN:VALARM".to_owned(),
            "ACTION:DISPLAY".to_owned(),
            "TRIGGER:-PT1H".to_owned(),
            format!("DESCRIPTION:{}", escape_text(&e.summary)),
            "END:VALARM".to_owned(),
        ]);
    }
    lines.extend(["END:VEVENT".to_owned(), "END:VCALENDAR".to_owned()]);
    let mut out = String::new();
    for line in lines {
        fold_into(&mut out, &line);
    }
    out
}

/// A parameter value (a CN) is quoted; quotes and control characters cannot appear in
/// one (RFC 5545 3.1), so they are dropped.
fn param_value(s: &str) -> String {
    let clean: String = s.chars().filter(|c| *c != '"' && !c.is_control()).collect();
    format!("\"{clean}\"")
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

//! What a notification is about, as one type: written when the notification is planned,
//! stored with it (its `data`), read back to render every channel's text and the
//! calendar file. The patient's reason for the visit is deliberately not a field: it is
//! medical information, and email, SMS and webhooks must not carry it.

use super::{AppointmentStatus, CancelledBy, Timestamp, Urgency};
use serde::{Deserialize, Serialize};

/// The facts of one notification. Stored as JSON without a tag (the API's `data`); the
/// variants have disjoint required fields, so the shape says which one it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Payload {
    Appointment(AppointmentFacts),
    Availability(AvailabilityFacts),
    Notice(NoticeFacts),
    Account(AccountFacts),
    Endpoint(EndpointFacts),
    Offer(OfferFacts),
}

/// An appointment as it is after the change the notification tells about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppointmentFacts {
    pub appointment_id: i64,
    pub appointment_version: i64,
    pub status: AppointmentStatus,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    /// For a move: where it was before.
    #[serde(default)]
    pub previous_starts_at: Option<Timestamp>,
    pub patient_name: String,
    pub practitioner_name: String,
    #[serde(default)]
    pub cancelled_by: Option<CancelledBy>,
    /// Why the practice declined or cancelled (what they typed for the patient).
    #[serde(default)]
    pub status_reason: Option<String>,
    pub urgency: Urgency,
    /// What this step does to a calendar that holds the appointment: set when it was
    /// confirmed, moved while confirmed, or cancelled after being confirmed. Emails carry
    /// an iCalendar file exactly then, and only then say so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<CalendarChange>,
    /// For reminders: how long before the start, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder_offset_s: Option<u64>,
    /// For the confirmation follow-up: a reminder sent because the patient has not said
    /// they are coming.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub attendance_check: bool,
}

/// Free time with a practitioner a patient follows or waits for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvailabilityFacts {
    pub practitioner_id: i64,
    pub practitioner_name: String,
    pub slot_ids: Vec<i64>,
    #[serde(default)]
    pub first_slot_starts_at: Option<Timestamp>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A notice written by a person: its title and text in the reader's language (chosen
/// from the languages it was written in when it was planned).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeFacts {
    pub title: String,
    pub message: String,
    /// The notice it belongs to (absent on notices written before notices were sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_id: Option<i64>,
    /// The practitioner who wrote it; absent for the clinic's own notices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
}

/// A message about the reader's own account. Its link is made when it is rendered (a
/// password reset link is signed then), so nothing secret is stored here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountFacts {
    /// The password reset the message offers.
    pub reset_id: i64,
    /// Until when its link works.
    pub expires_at: Timestamp,
}

/// A webhook endpoint carebell turned off because every delivery to it failed for days
/// (told to admins).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointFacts {
    pub endpoint_id: i64,
    pub url: String,
    #[serde(default)]
    pub failing_since: Option<Timestamp>,
}

/// A freed slot held for the reader for a while (the waitlist).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferFacts {
    pub offer_id: i64,
    pub practitioner_name: String,
    pub slot_starts_at: Timestamp,
    pub slot_ends_at: Timestamp,
    /// Until when it is held.
    pub hold_until: Timestamp,
    /// For "anything earlier than my appointment": when that appointment is now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moves_from: Option<Timestamp>,
}

/// The change an iCalendar file makes (RFC 5546 method).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CalendarChange {
    /// Add or update the event (`METHOD:REQUEST`).
    Request,
    /// Remove it (`METHOD:CANCEL`).
    Cancel,
}

impl Payload {
    pub fn appointment(&self) -> Option<&AppointmentFacts> {
        match self {
            Self::Appointment(a) => Some(a),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_variant_reads_back_as_itself() {
        let t = Timestamp::from_millis(1_796_115_600_000);
        let all = [
            Payload::Appointment(AppointmentFacts {
                appointment_id: 1,
                appointment_version: 2,
                status: AppointmentStatus::Confirmed,
                starts_at: t,
                ends_at: t,
                previous_starts_at: None,
                patient_name: "Lucie".into(),
                practitioner_name: "Dr Haddad".into(),
                cancelled_by: None,
                status_reason: None,
                urgency: Urgency::Routine,
                calendar: Some(CalendarChange::Request),
                reminder_offset_s: Some(7200),
                attendance_check: true,
            }),
            Payload::Availability(AvailabilityFacts {
                practitioner_id: 3,
                practitioner_name: "Dr Haddad".into(),
                slot_ids: vec![4, 5],
                first_slot_starts_at: Some(t),
                note: None,
            }),
            Payload::Notice(NoticeFacts {
                title: "Closed".into(),
                message: "On Monday".into(),
                notice_id: Some(7),
                sender_name: None,
            }),
            Payload::Account(AccountFacts {
                reset_id: 9,
                expires_at: t,
            }),
            Payload::Offer(OfferFacts {
                offer_id: 3,
                practitioner_name: "Dr Haddad".into(),
                slot_starts_at: t,
                slot_ends_at: t,
                hold_until: t,
                moves_from: Some(t),
            }),
        ];
        for p in all {
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<Payload>(&json).unwrap(), p, "{json}");
        }
    }
}

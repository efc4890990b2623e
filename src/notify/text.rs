//! The English title and message stored with each in-app notification. Times are shown
//! in the recipient's own time zone, with the zone named.

use super::Parties;
use crate::domain::{CancelledBy, NotificationKind, Timestamp};
use crate::store::slots::Slot;
use crate::store::users::User;

pub(super) struct Text {
    pub title: String,
    pub message: String,
}

/// `Tue 1 Dec 2026, 09:00 (Europe/Paris)`.
pub(crate) fn local_time(t: Timestamp, recipient: &User) -> String {
    let tz = recipient.time_zone.tz();
    format!(
        "{} ({})",
        t.to_datetime()
            .with_timezone(&tz)
            .format("%a %-d %b %Y, %H:%M"),
        recipient.time_zone.name()
    )
}

pub(super) fn appointment(
    kind: NotificationKind,
    to: &User,
    p: &Parties<'_>,
    previous_start: Option<Timestamp>,
) -> Text {
    use NotificationKind as K;
    let a = p.appointment;
    let when = local_time(a.starts_at, to);
    let doctor = p.practitioner.name.as_str();
    let patient = p.patient.name.as_str();
    let reason = a
        .status_reason
        .as_deref()
        .filter(|r| !r.is_empty())
        .map(|r| format!(" Reason: {r}"))
        .unwrap_or_default();
    let (title, message) = match kind {
        K::BookingReceived => (
            "Booking received".to_owned(),
            format!("Your request for an appointment with {doctor} on {when} was received. You will be told as soon as it is confirmed."),
        ),
        K::AppointmentRequested => (
            "New appointment request".to_owned(),
            format!("{patient} requested an appointment on {when}. Urgency: {}.", a.urgency.as_str()),
        ),
        K::AppointmentConfirmed => (
            "Appointment confirmed".to_owned(),
            format!("{doctor} confirmed your appointment on {when}."),
        ),
        K::AppointmentDeclined => (
            "Appointment declined".to_owned(),
            format!("{doctor} could not accept your request for {when}.{reason}"),
        ),
        K::CancellationConfirmed => (
            "Cancellation confirmed".to_owned(),
            if to.id == p.patient.id {
                format!("Your appointment with {doctor} on {when} is cancelled.")
            } else {
                format!("The appointment with {patient} on {when} is cancelled.")
            },
        ),
        K::PatientCancelled => (
            "Patient cancelled".to_owned(),
            format!("{patient} cancelled the appointment on {when}.{reason}"),
        ),
        K::AppointmentCancelled => (
            "Appointment cancelled".to_owned(),
            match a.cancelled_by {
                Some(CancelledBy::Practitioner) => {
                    format!("{doctor} cancelled your appointment on {when}.{reason}")
                }
                _ if to.id == p.patient.id => {
                    format!("Your appointment with {doctor} on {when} was cancelled by the clinic.{reason}")
                }
                _ => format!("The clinic cancelled the appointment with {patient} on {when}.{reason}"),
            },
        ),
        K::AppointmentModified => {
            let before = previous_start
                .map(|t| format!(" from {}", local_time(t, to)))
                .unwrap_or_default();
            let who = if to.id == p.patient.id {
                format!("Your appointment with {doctor}")
            } else {
                format!("{patient}'s appointment")
            };
            ("Appointment moved".to_owned(), format!("{who} was moved{before} to {when}."))
        }
        K::AppointmentReminder => (
            "Appointment reminder".to_owned(),
            format!("Reminder: your appointment with {doctor} is on {when}."),
        ),
        K::NewAvailability | K::SystemNotice => (kind.as_str().to_owned(), String::new()),
    };
    Text { title, message }
}

pub(super) fn availability(
    to: &User,
    practitioner: &User,
    free: &[Slot],
    note: Option<&str>,
) -> Text {
    let doctor = practitioner.name.as_str();
    let mut message = match free.first() {
        Some(first) => format!(
            "{doctor} has {} free slot{}; the first is on {}.",
            free.len(),
            if free.len() == 1 { "" } else { "s" },
            local_time(first.starts_at, to)
        ),
        None => format!("{doctor} has new availability."),
    };
    if let Some(note) = note.filter(|n| !n.is_empty()) {
        message.push_str(&format!(" Note: {note}"));
    }
    Text {
        title: format!("New availability with {doctor}"),
        message,
    }
}

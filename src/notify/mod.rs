//! Who is told what, on which channels: PRODUCT.md's notification matrix as code.
//!
//! [`plan`] is pure: it turns a lifecycle event into the notification records to write.
//! The lifecycle writes them in the transaction that changed the state.

mod text;

use crate::domain::{CancelledBy, Channel, NotificationKind, Severity, Timestamp};
use crate::store::appointments::Appointment;
use crate::store::notifications::NewNotification;
use crate::store::slots::Slot;
use crate::store::users::User;
use serde_json::json;

/// Something that happened that people must hear about.
pub enum Event<'a> {
    Booked(Parties<'a>),
    Accepted(Parties<'a>),
    Declined(Parties<'a>),
    Cancelled {
        parties: Parties<'a>,
        by: CancelledBy,
    },
    Rescheduled {
        parties: Parties<'a>,
        by: CancelledBy,
        previous_start: Timestamp,
    },
    Availability {
        practitioner: &'a User,
        audience: &'a [User],
        /// The practitioner's free slots to mention, soonest first.
        free_slots: &'a [Slot],
        note: Option<&'a str>,
    },
}

/// The appointment (as it is after the change) and the two people on it.
#[derive(Clone, Copy)]
pub struct Parties<'a> {
    pub appointment: &'a Appointment,
    pub patient: &'a User,
    pub practitioner: &'a User,
}

/// The notifications an event causes, one per recipient.
pub fn plan(event: &Event<'_>) -> Vec<NewNotification> {
    use NotificationKind as K;
    use Severity as S;
    match event {
        Event::Booked(p) => vec![
            for_patient(p, K::BookingReceived, S::Info, &[Channel::Email], None),
            for_practitioner(p, K::AppointmentRequested, S::Info, &[Channel::Email], None),
        ],
        Event::Accepted(p) => vec![for_patient(
            p,
            K::AppointmentConfirmed,
            S::Success,
            &[Channel::Email, Channel::Sms],
            None,
        )],
        Event::Declined(p) => vec![for_patient(
            p,
            K::AppointmentDeclined,
            S::Warning,
            &[Channel::Email],
            None,
        )],
        Event::Cancelled { parties: p, by } => match by {
            CancelledBy::Patient => vec![
                for_patient(
                    p,
                    K::CancellationConfirmed,
                    S::Info,
                    &[Channel::Email],
                    None,
                ),
                for_practitioner(p, K::PatientCancelled, S::Warning, &[Channel::Email], None),
            ],
            CancelledBy::Practitioner => vec![
                for_patient(
                    p,
                    K::AppointmentCancelled,
                    S::Error,
                    &[Channel::Email, Channel::Sms],
                    None,
                ),
                for_practitioner(p, K::CancellationConfirmed, S::Info, &[], None),
            ],
            CancelledBy::System => vec![
                for_patient(
                    p,
                    K::AppointmentCancelled,
                    S::Error,
                    &[Channel::Email, Channel::Sms],
                    None,
                ),
                for_practitioner(p, K::AppointmentCancelled, S::Warning, &[], None),
            ],
        },
        Event::Rescheduled {
            parties: p,
            by,
            previous_start,
        } => {
            let mut out = vec![for_patient(
                p,
                K::AppointmentModified,
                S::Info,
                &[Channel::Email, Channel::Sms],
                Some(*previous_start),
            )];
            if *by == CancelledBy::Patient {
                out.push(for_practitioner(
                    p,
                    K::AppointmentModified,
                    S::Info,
                    &[],
                    Some(*previous_start),
                ));
            }
            out
        }
        Event::Availability {
            practitioner,
            audience,
            free_slots,
            note,
        } => audience
            .iter()
            .map(|patient| {
                let t = text::availability(patient, practitioner, free_slots, *note);
                NewNotification {
                    recipient_id: patient.id,
                    kind: K::NewAvailability,
                    severity: S::Info,
                    title: t.title,
                    message: t.message,
                    link: Some(format!("/practitioners/{}", practitioner.id)),
                    data: json!({
                        "practitioner_id": practitioner.id,
                        "practitioner_name": practitioner.name.as_str(),
                        "slot_ids": free_slots.iter().map(|s| s.id).collect::<Vec<_>>(),
                        "first_slot_starts_at": free_slots.first().map(|s| s.starts_at),
                        "note": note,
                    }),
                    appointment_id: None,
                    appointment_version: None,
                    channels: channels_for(patient, &[Channel::Email]),
                    visible_from: None,
                    reminder_offset: None,
                }
            })
            .collect(),
    }
}

fn for_patient(
    p: &Parties<'_>,
    kind: NotificationKind,
    severity: Severity,
    channels: &[Channel],
    previous_start: Option<Timestamp>,
) -> NewNotification {
    let link = format!("/appointments/{}", p.appointment.id);
    about_appointment(p, p.patient, kind, severity, channels, previous_start, link)
}

fn for_practitioner(
    p: &Parties<'_>,
    kind: NotificationKind,
    severity: Severity,
    channels: &[Channel],
    previous_start: Option<Timestamp>,
) -> NewNotification {
    let link = format!("/appointments/{}", p.appointment.id);
    about_appointment(
        p,
        p.practitioner,
        kind,
        severity,
        channels,
        previous_start,
        link,
    )
}

fn about_appointment(
    p: &Parties<'_>,
    recipient: &User,
    kind: NotificationKind,
    severity: Severity,
    channels: &[Channel],
    previous_start: Option<Timestamp>,
    link: String,
) -> NewNotification {
    let a = p.appointment;
    let t = text::appointment(kind, recipient, p, previous_start);
    NewNotification {
        recipient_id: recipient.id,
        kind,
        severity,
        title: t.title,
        message: t.message,
        link: Some(link),
        // What templates of other channels need. The reason for the visit is left out on
        // purpose: it is medical information and SMS/email must not carry it.
        data: json!({
            "appointment_id": a.id,
            "appointment_version": a.version,
            "status": a.status,
            "starts_at": a.starts_at,
            "ends_at": a.ends_at,
            "previous_starts_at": previous_start,
            "patient_name": p.patient.name.as_str(),
            "practitioner_name": p.practitioner.name.as_str(),
            "cancelled_by": a.cancelled_by,
            "status_reason": a.status_reason,
        }),
        appointment_id: Some(a.id),
        appointment_version: Some(a.version),
        channels: channels_for(recipient, channels),
        visible_from: None,
        reminder_offset: None,
    }
}

/// The reminders of a confirmed appointment: one per offset whose time is still ahead of
/// `now`, shown in-app and sent by email and SMS at start − offset (absolute time, so a
/// daylight-saving change in between does not move it).
pub fn plan_reminders(
    p: &Parties<'_>,
    offsets: &[std::time::Duration],
    now: Timestamp,
) -> Vec<NewNotification> {
    offsets
        .iter()
        .filter_map(|offset| {
            let due = p.appointment.starts_at.minus(*offset);
            (due > now).then(|| {
                let mut n = for_patient(
                    p,
                    NotificationKind::AppointmentReminder,
                    Severity::Info,
                    &[Channel::Email, Channel::Sms],
                    None,
                );
                n.visible_from = Some(due);
                n.reminder_offset = Some(*offset);
                n.data["reminder_offset_s"] = json!(offset.as_secs());
                n
            })
        })
        .collect()
}

/// The matrix's channels, less SMS for someone without a phone number.
fn channels_for(recipient: &User, wanted: &[Channel]) -> Vec<Channel> {
    wanted
        .iter()
        .copied()
        .filter(|c| *c != Channel::Sms || recipient.phone.is_some())
        .collect()
}

#[cfg(test)]
mod tests;

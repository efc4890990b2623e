//! Who is told what, on which channels: PRODUCT.md's notification matrix as code.
//!
//! [`plan`] is pure: it turns a lifecycle event into the notification records to write.
//! The lifecycle writes them in the transaction that changed the state.

use crate::domain::payload::{
    AppointmentFacts, AvailabilityFacts, CalendarChange, OfferFacts, Payload,
};
use crate::domain::{
    AppointmentStatus, CancelledBy, Channel, NotificationKind, Role, Severity, Timestamp,
};
use crate::store::appointments::Appointment;
use crate::store::notifications::NewNotification;
use crate::store::slots::Slot;
use crate::store::users::User;

/// Something that happened that people must hear about.
pub enum Event<'a> {
    Booked(Parties<'a>),
    Accepted(Parties<'a>),
    Declined(Parties<'a>),
    Cancelled {
        parties: Parties<'a>,
        by: CancelledBy,
        /// It was confirmed (so in calendars) before this cancellation.
        was_confirmed: bool,
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
    /// A freed slot is held for a waiting patient.
    Offered {
        offer: &'a crate::store::waitlist::Offer,
        slot: &'a Slot,
        patient: &'a User,
        practitioner: &'a User,
        /// For "anything earlier": when the patient's appointment is now.
        moves_from: Option<Timestamp>,
    },
}

/// The appointment (as it is after the change) and the two people on it.
#[derive(Clone, Copy)]
pub struct Parties<'a> {
    pub appointment: &'a Appointment,
    pub patient: &'a User,
    pub practitioner: &'a User,
}

/// Clinic choices that change who is told what.
#[derive(Debug, Clone, Copy)]
pub struct Matrix {
    /// Practitioners get the calendar invite too: an email (with the `.ics`) whenever a
    /// confirmed appointment is confirmed, moved or cancelled, whoever made the change.
    pub invite_practitioners: bool,
}

impl Default for Matrix {
    fn default() -> Self {
        Self {
            invite_practitioners: true,
        }
    }
}

/// Every kind a role can receive: each pair has its own texts in the catalogue
/// (`<kind>-to-<role>`), checked at start.
pub const AUDIENCE: &[(NotificationKind, Role)] = &[
    (NotificationKind::BookingReceived, Role::Patient),
    (NotificationKind::AppointmentRequested, Role::Practitioner),
    (NotificationKind::AppointmentConfirmed, Role::Patient),
    (NotificationKind::AppointmentConfirmed, Role::Practitioner),
    (NotificationKind::AppointmentDeclined, Role::Patient),
    (NotificationKind::CancellationConfirmed, Role::Patient),
    (NotificationKind::CancellationConfirmed, Role::Practitioner),
    (NotificationKind::PatientCancelled, Role::Practitioner),
    (NotificationKind::AppointmentCancelled, Role::Patient),
    (NotificationKind::AppointmentCancelled, Role::Practitioner),
    (NotificationKind::AppointmentModified, Role::Patient),
    (NotificationKind::AppointmentModified, Role::Practitioner),
    (NotificationKind::AppointmentReminder, Role::Patient),
    (NotificationKind::NewAvailability, Role::Patient),
    (NotificationKind::WaitlistOffer, Role::Patient),
];

/// Kinds with one text for every reader, whatever their role: the clinic's and
/// practitioners' notices, and password resets.
pub const ANY_ROLE: &[NotificationKind] = &[
    NotificationKind::SystemNotice,
    NotificationKind::PasswordReset,
    NotificationKind::WebhookDisabled,
];

/// The notifications an event causes, one per recipient.
pub fn plan(event: &Event<'_>, matrix: &Matrix) -> Vec<NewNotification> {
    use NotificationKind as K;
    use Severity as S;
    // The calendar change the practitioner's copy carries: the patient's, when invites
    // are on. Their copy goes by email exactly when it carries one (a patient's cancel
    // is emailed to them anyway).
    let doctor_change =
        |change: Option<CalendarChange>| change.filter(|_| matrix.invite_practitioners);
    let by_email_if = |change: Option<CalendarChange>| -> &'static [Channel] {
        match change {
            Some(_) => &[Channel::Email],
            None => &[],
        }
    };
    match event {
        Event::Booked(p) => vec![
            for_patient(
                p,
                K::BookingReceived,
                S::Info,
                &[Channel::Email],
                None,
                None,
            ),
            for_practitioner(
                p,
                K::AppointmentRequested,
                S::Info,
                &[Channel::Email],
                None,
                None,
            ),
        ],
        Event::Accepted(p) => {
            let change = Some(CalendarChange::Request);
            let mut out = vec![for_patient(
                p,
                K::AppointmentConfirmed,
                S::Success,
                &[Channel::Email, Channel::Sms],
                None,
                change,
            )];
            let to_doctor = doctor_change(change);
            if to_doctor.is_some() {
                out.push(for_practitioner(
                    p,
                    K::AppointmentConfirmed,
                    S::Success,
                    by_email_if(to_doctor),
                    None,
                    to_doctor,
                ));
            }
            out
        }
        Event::Declined(p) => vec![for_patient(
            p,
            K::AppointmentDeclined,
            S::Warning,
            &[Channel::Email],
            None,
            None,
        )],
        Event::Cancelled {
            parties: p,
            by,
            was_confirmed,
        } => {
            let change = was_confirmed.then_some(CalendarChange::Cancel);
            let doctor_calendar = doctor_change(change);
            // (kind, severity, channels) for the patient, then for the practitioner.
            let (to_patient, to_doctor) = match by {
                CancelledBy::Patient => (
                    (K::CancellationConfirmed, S::Info, &[Channel::Email][..]),
                    (K::PatientCancelled, S::Warning, &[Channel::Email][..]),
                ),
                CancelledBy::Practitioner => (
                    (
                        K::AppointmentCancelled,
                        S::Error,
                        &[Channel::Email, Channel::Sms][..],
                    ),
                    (
                        K::CancellationConfirmed,
                        S::Info,
                        by_email_if(doctor_calendar),
                    ),
                ),
                CancelledBy::System => (
                    (
                        K::AppointmentCancelled,
                        S::Error,
                        &[Channel::Email, Channel::Sms][..],
                    ),
                    (
                        K::AppointmentCancelled,
                        S::Warning,
                        by_email_if(doctor_calendar),
                    ),
                ),
            };
            vec![
                for_patient(p, to_patient.0, to_patient.1, to_patient.2, None, change),
                for_practitioner(
                    p,
                    to_doctor.0,
                    to_doctor.1,
                    to_doctor.2,
                    None,
                    doctor_calendar,
                ),
            ]
        }
        Event::Rescheduled {
            parties: p,
            by,
            previous_start,
        } => {
            let change = (p.appointment.status == AppointmentStatus::Confirmed)
                .then_some(CalendarChange::Request);
            let mut out = vec![for_patient(
                p,
                K::AppointmentModified,
                S::Info,
                &[Channel::Email, Channel::Sms],
                Some(*previous_start),
                change,
            )];
            let to_doctor = doctor_change(change);
            if *by == CancelledBy::Patient || to_doctor.is_some() {
                out.push(for_practitioner(
                    p,
                    K::AppointmentModified,
                    S::Info,
                    by_email_if(to_doctor),
                    Some(*previous_start),
                    to_doctor,
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
            .map(|patient| NewNotification {
                recipient_id: patient.id,
                kind: K::NewAvailability,
                severity: S::Info,
                link: Some(format!("/practitioners/{}", practitioner.id)),
                data: Payload::Availability(AvailabilityFacts {
                    practitioner_id: practitioner.id,
                    practitioner_name: practitioner.name.as_str().to_owned(),
                    slot_ids: free_slots.iter().map(|s| s.id).collect(),
                    first_slot_starts_at: free_slots.first().map(|s| s.starts_at),
                    note: note.map(str::to_owned),
                }),
                appointment_id: None,
                appointment_version: None,
                channels: channels_for(patient, &[Channel::Email]),
                visible_from: None,
                reminder_offset: None,
                jobs_due: None,
            })
            .collect(),
        Event::Offered {
            offer,
            slot,
            patient,
            practitioner,
            moves_from,
        } => vec![NewNotification {
            recipient_id: patient.id,
            kind: K::WaitlistOffer,
            severity: S::Success,
            link: Some(format!("/offers/{}", offer.id)),
            data: Payload::Offer(OfferFacts {
                offer_id: offer.id,
                practitioner_name: practitioner.name.as_str().to_owned(),
                slot_starts_at: slot.starts_at,
                slot_ends_at: slot.ends_at,
                hold_until: offer.expires_at,
                moves_from: *moves_from,
            }),
            appointment_id: None,
            appointment_version: None,
            channels: channels_for(patient, &[Channel::Email, Channel::Sms]),
            visible_from: None,
            reminder_offset: None,
            jobs_due: None,
        }],
    }
}

fn for_patient(
    p: &Parties<'_>,
    kind: NotificationKind,
    severity: Severity,
    channels: &[Channel],
    previous_start: Option<Timestamp>,
    calendar: Option<CalendarChange>,
) -> NewNotification {
    about_appointment(
        p,
        p.patient,
        kind,
        severity,
        channels,
        previous_start,
        calendar,
    )
}

fn for_practitioner(
    p: &Parties<'_>,
    kind: NotificationKind,
    severity: Severity,
    channels: &[Channel],
    previous_start: Option<Timestamp>,
    calendar: Option<CalendarChange>,
) -> NewNotification {
    about_appointment(
        p,
        p.practitioner,
        kind,
        severity,
        channels,
        previous_start,
        calendar,
    )
}

fn about_appointment(
    p: &Parties<'_>,
    recipient: &User,
    kind: NotificationKind,
    severity: Severity,
    channels: &[Channel],
    previous_start: Option<Timestamp>,
    calendar: Option<CalendarChange>,
) -> NewNotification {
    let a = p.appointment;
    NewNotification {
        recipient_id: recipient.id,
        kind,
        severity,
        link: Some(format!("/appointments/{}", a.id)),
        data: Payload::Appointment(AppointmentFacts {
            appointment_id: a.id,
            appointment_version: a.version,
            status: a.status,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            previous_starts_at: previous_start,
            patient_name: p.patient.name.as_str().to_owned(),
            practitioner_name: p.practitioner.name.as_str().to_owned(),
            cancelled_by: a.cancelled_by,
            status_reason: a.status_reason.clone(),
            urgency: a.urgency,
            calendar,
            reminder_offset_s: None,
            attendance_check: false,
        }),
        appointment_id: Some(a.id),
        appointment_version: Some(a.version),
        channels: channels_for(recipient, channels),
        visible_from: None,
        reminder_offset: None,
        jobs_due: None,
    }
}

/// Every event type integrators may subscribe to.
pub const WEBHOOK_EVENTS: &[&str] = &[
    "appointment.requested",
    "appointment.confirmed",
    "appointment.declined",
    "appointment.cancelled",
    "appointment.rescheduled",
    "delivery.sent",
    "delivery.delivered",
    "delivery.failed",
    "delivery.dead",
];

/// What integrators are told of an event (the type of its webhook and its data), if
/// anything: ids, status and times of the appointment, never the reason for the visit nor
/// what the practice typed about it.
pub fn webhook_event(event: &Event<'_>) -> Option<(&'static str, serde_json::Value)> {
    let (kind, p, by, previous) = match event {
        Event::Booked(p) => ("appointment.requested", p, None, None),
        Event::Accepted(p) => ("appointment.confirmed", p, None, None),
        Event::Declined(p) => ("appointment.declined", p, None, None),
        Event::Cancelled { parties, by, .. } => ("appointment.cancelled", parties, Some(*by), None),
        Event::Rescheduled {
            parties,
            by,
            previous_start,
        } => (
            "appointment.rescheduled",
            parties,
            Some(*by),
            Some(*previous_start),
        ),
        Event::Availability { .. } | Event::Offered { .. } => return None,
    };
    let a = p.appointment;
    let mut data = serde_json::json!({
        "appointment_id": a.id,
        "version": a.version,
        "status": a.status.as_str(),
        "patient_id": a.patient_id,
        "practitioner_id": a.practitioner_id,
        "slot_id": a.slot_id,
        "starts_at": a.starts_at.to_string(),
        "ends_at": a.ends_at.to_string(),
        "urgency": a.urgency.as_str(),
    });
    if let Some(by) = by {
        data["by"] = serde_json::json!(by.as_str());
    }
    if let Some(previous) = previous {
        data["previous_starts_at"] = serde_json::json!(previous.to_string());
    }
    Some((kind, data))
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
                    None,
                );
                n.visible_from = Some(due);
                n.reminder_offset = Some(*offset);
                if let Payload::Appointment(facts) = &mut n.data {
                    facts.reminder_offset_s = Some(offset.as_secs());
                }
                n
            })
        })
        .collect()
}

/// The confirmation follow-up of a confirmed appointment, `offset` before it if that is
/// still ahead: a reminder by email (and push or WhatsApp where the patient has them), not
/// by SMS, the channel the first reminders asked for the reply on.
pub fn plan_attendance_check(
    p: &Parties<'_>,
    offset: std::time::Duration,
    now: Timestamp,
) -> Option<NewNotification> {
    let mut n = plan_reminders(p, &[offset], now).pop()?;
    n.channels.retain(|c| *c != Channel::Sms);
    if let Payload::Appointment(facts) = &mut n.data {
        facts.attendance_check = true;
    }
    Some(n)
}

/// The matrix's channels for a recipient: SMS only with a phone number; WhatsApp beside
/// SMS for someone who agreed to it; push beside every message for someone with a
/// browser that takes notifications.
fn channels_for(recipient: &User, wanted: &[Channel]) -> Vec<Channel> {
    let mut out: Vec<Channel> = wanted
        .iter()
        .copied()
        .filter(|c| *c != Channel::Sms || recipient.phone.is_some())
        .collect();
    if wanted.contains(&Channel::Sms)
        && recipient.phone.is_some()
        && recipient.whatsapp_opt_in_at.is_some()
    {
        out.push(Channel::WhatsApp);
    }
    if recipient.push_enabled_at.is_some() {
        out.push(Channel::Push);
    }
    out
}

pub mod choices;
#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;

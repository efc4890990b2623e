use super::fixtures::appointment;
use super::*;
use crate::domain::{AppointmentStatus, Email, Language, PersonName, PhoneNumber, Role, TimeZone};

fn user(id: i64, role: Role, phone: bool, tz: &str) -> User {
    User {
        id,
        role,
        name: PersonName::parse(&format!("User {id}")).unwrap(),
        email: Email::parse(&format!("u{id}@clinic.example")).unwrap(),
        phone: phone.then(|| PhoneNumber::parse("+33612345678").unwrap()),
        time_zone: TimeZone::parse(tz).unwrap(),
        language: Language::En,
        deactivated_at: None,
        whatsapp_opt_in_at: None,
        push_enabled_at: None,
    }
}

fn summary(ns: &[NewNotification]) -> Vec<(i64, &'static str, Vec<&'static str>)> {
    ns.iter()
        .map(|n| {
            (
                n.recipient_id,
                n.kind.as_str(),
                n.channels.iter().map(|c| c.as_str()).collect(),
            )
        })
        .collect()
}

#[test]
fn matrix_rows_match_product_design() {
    let patient = user(1, Role::Patient, true, "Europe/Paris");
    let doctor = user(2, Role::Practitioner, true, "Europe/Paris");
    let requested = appointment(AppointmentStatus::Requested, None);
    let confirmed = appointment(AppointmentStatus::Confirmed, None);
    let p = |a| Parties {
        appointment: a,
        patient: &patient,
        practitioner: &doctor,
    };
    let m = Matrix::default();
    let no_invites = Matrix {
        invite_practitioners: false,
    };

    assert_eq!(
        summary(&plan(&Event::Booked(p(&requested)), &m)),
        vec![
            (1, "booking_received", vec!["email"]),
            (2, "appointment_requested", vec!["email"])
        ]
    );
    assert_eq!(
        summary(&plan(&Event::Accepted(p(&confirmed)), &m)),
        vec![
            (1, "appointment_confirmed", vec!["email", "sms"]),
            (2, "appointment_confirmed", vec!["email"])
        ]
    );
    assert_eq!(
        summary(&plan(&Event::Accepted(p(&confirmed)), &no_invites)),
        vec![(1, "appointment_confirmed", vec!["email", "sms"])]
    );
    let declined = appointment(AppointmentStatus::Declined, None);
    assert_eq!(
        summary(&plan(&Event::Declined(p(&declined)), &m)),
        vec![(1, "appointment_declined", vec!["email"])]
    );
    let by_patient = appointment(AppointmentStatus::Cancelled, Some(CancelledBy::Patient));
    let cancelled = |a, by, was_confirmed| Event::Cancelled {
        parties: p(a),
        by,
        was_confirmed,
    };
    assert_eq!(
        summary(&plan(
            &cancelled(&by_patient, CancelledBy::Patient, true),
            &m
        )),
        vec![
            (1, "cancellation_confirmed", vec!["email"]),
            (2, "patient_cancelled", vec!["email"])
        ]
    );
    let by_doctor = appointment(
        AppointmentStatus::Cancelled,
        Some(CancelledBy::Practitioner),
    );
    assert_eq!(
        summary(&plan(
            &cancelled(&by_doctor, CancelledBy::Practitioner, false),
            &m
        )),
        vec![
            (1, "appointment_cancelled", vec!["email", "sms"]),
            (2, "cancellation_confirmed", vec![])
        ],
        "a request that was never confirmed is in no calendar: no invite to withdraw"
    );
    assert_eq!(
        summary(&plan(
            &cancelled(&by_doctor, CancelledBy::Practitioner, true),
            &m
        )),
        vec![
            (1, "appointment_cancelled", vec!["email", "sms"]),
            (2, "cancellation_confirmed", vec!["email"])
        ]
    );
    let moved = |by| Event::Rescheduled {
        parties: p(&confirmed),
        by,
        previous_start: Timestamp::from_millis(1_796_029_200_000),
    };
    assert_eq!(
        summary(&plan(&moved(CancelledBy::Patient), &no_invites)),
        vec![
            (1, "appointment_modified", vec!["email", "sms"]),
            (2, "appointment_modified", vec![])
        ]
    );
    assert_eq!(
        summary(&plan(&moved(CancelledBy::Practitioner), &no_invites)),
        vec![(1, "appointment_modified", vec!["email", "sms"])]
    );
    assert_eq!(
        summary(&plan(&moved(CancelledBy::Practitioner), &m)),
        vec![
            (1, "appointment_modified", vec!["email", "sms"]),
            (2, "appointment_modified", vec!["email"])
        ]
    );
}

#[test]
fn no_sms_without_a_phone_number() {
    let patient = user(1, Role::Patient, false, "UTC");
    let doctor = user(2, Role::Practitioner, true, "UTC");
    let a = appointment(AppointmentStatus::Confirmed, None);
    let ns = plan(
        &Event::Accepted(Parties {
            appointment: &a,
            patient: &patient,
            practitioner: &doctor,
        }),
        &Matrix::default(),
    );
    assert_eq!(summary(&ns)[0], (1, "appointment_confirmed", vec!["email"]));
}

#[test]
fn no_visit_reason_is_carried() {
    let patient = user(1, Role::Patient, true, "America/New_York");
    let doctor = user(2, Role::Practitioner, true, "Europe/Paris");
    let a = appointment(AppointmentStatus::Requested, None);
    let ns = plan(
        &Event::Booked(Parties {
            appointment: &a,
            patient: &patient,
            practitioner: &doctor,
        }),
        &Matrix::default(),
    );
    for n in &ns {
        let stored = serde_json::to_string(&n.data).unwrap();
        assert!(!stored.contains("cough"), "{stored}");
        assert_eq!(n.appointment_version, Some(2));
    }
}

#[test]
fn availability_reaches_each_patient_of_the_audience_once() {
    let doctor = user(2, Role::Practitioner, false, "UTC");
    let audience = [
        user(1, Role::Patient, true, "UTC"),
        user(5, Role::Patient, false, "Asia/Tokyo"),
    ];
    let slot = Slot {
        id: 9,
        practitioner_id: 2,
        starts_at: Timestamp::from_millis(1_796_115_600_000),
        ends_at: Timestamp::from_millis(1_796_117_400_000),
    };
    let ns = plan(
        &Event::Availability {
            practitioner: &doctor,
            audience: &audience,
            free_slots: std::slice::from_ref(&slot),
            note: None,
        },
        &Matrix::default(),
    );
    assert_eq!(
        summary(&ns),
        vec![
            (1, "new_availability", vec!["email"]),
            (5, "new_availability", vec!["email"])
        ]
    );
}

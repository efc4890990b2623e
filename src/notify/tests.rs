use super::*;
use crate::domain::{
    AppointmentStatus, Email, Language, PersonName, PhoneNumber, Role, TimeZone, Urgency,
};

fn user(id: i64, role: Role, phone: bool, tz: &str) -> User {
    User {
        id,
        role,
        name: PersonName::parse(&format!("User {id}")).unwrap(),
        email: Email::parse(&format!("u{id}@clinic.example")).unwrap(),
        phone: phone.then(|| PhoneNumber::parse("+33612345678").unwrap()),
        time_zone: TimeZone::parse(tz).unwrap(),
        language: Language::En,
    }
}

fn appointment(status: AppointmentStatus, by: Option<CancelledBy>) -> Appointment {
    Appointment {
        id: 7,
        slot_id: Some(3),
        patient_id: 1,
        practitioner_id: 2,
        status,
        reason: "persistent cough".into(),
        urgency: Urgency::Routine,
        version: 2,
        // 2026-12-01T09:00:00Z
        starts_at: Timestamp::from_millis(1_796_115_600_000),
        ends_at: Timestamp::from_millis(1_796_117_400_000),
        cancelled_by: by,
        status_reason: by.map(|_| "ill".to_owned()),
        created_at: Timestamp::from_millis(0),
        updated_at: Timestamp::from_millis(0),
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

    assert_eq!(
        summary(&plan(&Event::Booked(p(&requested)))),
        vec![
            (1, "booking_received", vec!["email"]),
            (2, "appointment_requested", vec!["email"])
        ]
    );
    assert_eq!(
        summary(&plan(&Event::Accepted(p(&confirmed)))),
        vec![(1, "appointment_confirmed", vec!["email", "sms"])]
    );
    let declined = appointment(AppointmentStatus::Declined, None);
    assert_eq!(
        summary(&plan(&Event::Declined(p(&declined)))),
        vec![(1, "appointment_declined", vec!["email"])]
    );
    let by_patient = appointment(AppointmentStatus::Cancelled, Some(CancelledBy::Patient));
    assert_eq!(
        summary(&plan(&Event::Cancelled {
            parties: p(&by_patient),
            by: CancelledBy::Patient
        })),
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
        summary(&plan(&Event::Cancelled {
            parties: p(&by_doctor),
            by: CancelledBy::Practitioner
        })),
        vec![
            (1, "appointment_cancelled", vec!["email", "sms"]),
            (2, "cancellation_confirmed", vec![])
        ]
    );
    let moved_by_patient = plan(&Event::Rescheduled {
        parties: p(&confirmed),
        by: CancelledBy::Patient,
        previous_start: Timestamp::from_millis(1_796_029_200_000),
    });
    assert_eq!(
        summary(&moved_by_patient),
        vec![
            (1, "appointment_modified", vec!["email", "sms"]),
            (2, "appointment_modified", vec![])
        ]
    );
    let moved_by_doctor = plan(&Event::Rescheduled {
        parties: p(&confirmed),
        by: CancelledBy::Practitioner,
        previous_start: Timestamp::from_millis(1_796_029_200_000),
    });
    assert_eq!(
        summary(&moved_by_doctor),
        vec![(1, "appointment_modified", vec!["email", "sms"])]
    );
}

#[test]
fn no_sms_without_a_phone_number() {
    let patient = user(1, Role::Patient, false, "UTC");
    let doctor = user(2, Role::Practitioner, true, "UTC");
    let a = appointment(AppointmentStatus::Confirmed, None);
    let ns = plan(&Event::Accepted(Parties {
        appointment: &a,
        patient: &patient,
        practitioner: &doctor,
    }));
    assert_eq!(
        summary(&ns),
        vec![(1, "appointment_confirmed", vec!["email"])]
    );
}

#[test]
fn times_are_shown_in_the_recipients_zone_and_no_visit_reason_is_carried() {
    let patient = user(1, Role::Patient, true, "America/New_York");
    let doctor = user(2, Role::Practitioner, true, "Europe/Paris");
    let a = appointment(AppointmentStatus::Requested, None);
    let ns = plan(&Event::Booked(Parties {
        appointment: &a,
        patient: &patient,
        practitioner: &doctor,
    }));
    assert!(
        ns[0]
            .message
            .contains("Tue 1 Dec 2026, 04:00 (America/New_York)"),
        "{}",
        ns[0].message
    );
    assert!(
        ns[1]
            .message
            .contains("Tue 1 Dec 2026, 10:00 (Europe/Paris)"),
        "{}",
        ns[1].message
    );
    for n in &ns {
        assert!(!n.message.contains("cough") && !n.data.to_string().contains("cough"));
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
    let ns = plan(&Event::Availability {
        practitioner: &doctor,
        audience: &audience,
        free_slots: std::slice::from_ref(&slot),
        note: None,
    });
    assert_eq!(
        summary(&ns),
        vec![
            (1, "new_availability", vec!["email"]),
            (5, "new_availability", vec!["email"])
        ]
    );
    assert!(
        ns[1].message.contains("18:00 (Asia/Tokyo)"),
        "{}",
        ns[1].message
    );
}

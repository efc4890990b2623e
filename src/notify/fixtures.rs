//! Test fixtures shared by the matrix's and the renderer's tests.

use crate::domain::{AppointmentStatus, CancelledBy, Timestamp, Urgency};
use crate::store::appointments::Appointment;

/// 2026-12-01T09:00Z.
pub const START_MS: i64 = 1_796_115_600_000;
/// The patient's reason for the visit: no notification may carry it.
pub const VISIT_REASON: &str = "persistent cough";

/// Appointment 7 of patient 1 with practitioner 2, at [`START_MS`] for 30 minutes, at
/// version 2; cancelled or declined ones carry the practice's reason.
pub fn appointment(status: AppointmentStatus, by: Option<CancelledBy>) -> Appointment {
    Appointment {
        id: 7,
        slot_id: Some(3),
        patient_id: 1,
        practitioner_id: 2,
        status,
        reason: VISIT_REASON.into(),
        urgency: Urgency::Soon,
        version: 2,
        starts_at: Timestamp::from_millis(START_MS),
        ends_at: Timestamp::from_millis(START_MS + 1_800_000),
        cancelled_by: by,
        status_reason: by.map(|_| "the doctor is ill".to_owned()),
        created_at: Timestamp::from_millis(0),
        updated_at: Timestamp::from_millis(0),
        attendance_confirmed_at: None,
    }
}

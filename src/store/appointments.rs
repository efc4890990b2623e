//! Appointments. Every update checks the version it read (optimistic concurrency), so
//! two conflicting changes can never both succeed.

use super::{Backend, Conn, StoreResult};
use crate::domain::{AppointmentStatus, CancelledBy, Timestamp, Urgency};
use serde::Serialize;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Appointment {
    pub id: i64,
    pub slot_id: Option<i64>,
    pub patient_id: i64,
    pub practitioner_id: i64,
    pub status: AppointmentStatus,
    pub reason: String,
    pub urgency: Urgency,
    pub version: i64,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub cancelled_by: Option<CancelledBy>,
    pub status_reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When the patient said they are coming (a reply C, or the appointment page).
    pub attendance_confirmed_at: Option<Timestamp>,
}

const COLUMNS: &str =
    "id, slot_id, patient_id, practitioner_id, status, reason, urgency, version, \
     starts_at, ends_at, cancelled_by, status_reason, created_at, updated_at, attendance_confirmed_at";

fn from_row(row: &AnyRow) -> StoreResult<Appointment> {
    Ok(<Appointment as sqlx::FromRow<AnyRow>>::from_row(row)?)
}

/// A new `requested` appointment for a slot. If another active appointment holds the slot
/// the unique index refuses it with [`super::StoreError::Conflict`].
pub struct NewAppointment<'a> {
    pub slot: &'a super::slots::Slot,
    pub patient_id: i64,
    pub reason: &'a str,
    pub urgency: Urgency,
}

pub async fn insert(
    c: &mut Conn,
    a: NewAppointment<'_>,
    now: Timestamp,
) -> StoreResult<Appointment> {
    let row = sqlx::query(&format!(
        "INSERT INTO appointments (slot_id, patient_id, practitioner_id, status, reason, urgency, version,
             starts_at, ends_at, created_at, updated_at)
         VALUES ($1, $2, $3, 'requested', $4, $5, 1, $6, $7, $8, $8) RETURNING {COLUMNS}"
    ))
    .bind(a.slot.id)
    .bind(a.patient_id)
    .bind(a.slot.practitioner_id)
    .bind(a.reason)
    .bind(a.urgency.as_str())
    .bind(a.slot.starts_at.millis())
    .bind(a.slot.ends_at.millis())
    .bind(now.millis())
    .fetch_one(&mut *c)
    .await?;
    from_row(&row)
}

pub async fn get(c: &mut Conn, id: i64) -> StoreResult<Option<Appointment>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM appointments WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Reads the appointment inside a write transaction, locking it on PostgreSQL.
pub async fn lock(c: &mut Conn, backend: Backend, id: i64) -> StoreResult<Option<Appointment>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM appointments WHERE id = $1{}",
        backend.for_update()
    ))
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Whose appointments to list.
#[derive(Debug, Clone, Copy)]
pub enum Party {
    Patient(i64),
    Practitioner(i64),
    Everyone,
}

pub async fn list(
    c: &mut Conn,
    party: Party,
    status: Option<AppointmentStatus>,
    limit: i64,
) -> StoreResult<Vec<Appointment>> {
    let (filter, id) = match party {
        Party::Patient(id) => ("patient_id = $1", Some(id)),
        Party::Practitioner(id) => ("practitioner_id = $1", Some(id)),
        Party::Everyone => ("CAST($1 AS BIGINT) IS NULL", None),
    };
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM appointments
         WHERE {filter} AND (CAST($2 AS TEXT) IS NULL OR status = $2)
         ORDER BY starts_at DESC, id DESC LIMIT $3"
    ))
    .bind(id)
    .bind(status.map(|s| s.as_str()))
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Sets a new status if the appointment is still at `expected_version`; returns the
/// updated appointment, or `None` when someone else changed it first.
pub async fn set_status(
    c: &mut Conn,
    current: &Appointment,
    status: AppointmentStatus,
    cancelled_by: Option<CancelledBy>,
    status_reason: Option<&str>,
    now: Timestamp,
) -> StoreResult<Option<Appointment>> {
    let row = sqlx::query(&format!(
        "UPDATE appointments SET status = $1, cancelled_by = $2, status_reason = $3, version = version + 1,
             updated_at = $4
         WHERE id = $5 AND version = $6 RETURNING {COLUMNS}"
    ))
    .bind(status.as_str())
    .bind(cancelled_by.map(|b| b.as_str()))
    .bind(status_reason.map(str::to_owned))
    .bind(now.millis())
    .bind(current.id)
    .bind(current.version)
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Moves the appointment to another slot, freeing the old one (same optimistic check).
pub async fn move_to_slot(
    c: &mut Conn,
    current: &Appointment,
    slot: &super::slots::Slot,
    now: Timestamp,
) -> StoreResult<Option<Appointment>> {
    let row = sqlx::query(&format!(
        "UPDATE appointments SET slot_id = $1, starts_at = $2, ends_at = $3, version = version + 1,
             updated_at = $4
         WHERE id = $5 AND version = $6 RETURNING {COLUMNS}"
    ))
    .bind(slot.id)
    .bind(slot.starts_at.millis())
    .bind(slot.ends_at.millis())
    .bind(now.millis())
    .bind(current.id)
    .bind(current.version)
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The appointment of this patient with this practitioner starting at `starts_at`, if any
/// (the key an import recognises a row by).
pub async fn find_by_parties_at(
    c: &mut Conn,
    patient_id: i64,
    practitioner_id: i64,
    starts_at: Timestamp,
) -> StoreResult<Option<Appointment>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM appointments
         WHERE patient_id = $1 AND practitioner_id = $2 AND starts_at = $3
         ORDER BY id LIMIT 1"
    ))
    .bind(patient_id)
    .bind(practitioner_id)
    .bind(starts_at.millis())
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Records that the patient said they are coming. `false` when it was already recorded.
pub async fn confirm_attendance(c: &mut Conn, id: i64, now: Timestamp) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE appointments SET attendance_confirmed_at = $1 WHERE id = $2 AND attendance_confirmed_at IS NULL",
    )
    .bind(now.millis())
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The upcoming confirmed or requested appointments of the accounts with this phone number
/// that were sent a reminder by SMS since `since`, soonest first: what a reply to a
/// reminder may be about.
pub async fn reminded_by_sms(
    c: &mut Conn,
    phone: &str,
    since: Timestamp,
    now: Timestamp,
) -> StoreResult<Vec<Appointment>> {
    let rows = sqlx::query(&format!(
        "SELECT {} FROM appointments a
         WHERE a.status IN ('requested', 'confirmed') AND a.starts_at > $3
           AND a.patient_id IN (SELECT u.id FROM users u WHERE u.phone = $1)
           AND EXISTS (SELECT 1 FROM notifications n JOIN delivery_jobs j ON j.notification_id = n.id
                       WHERE n.appointment_id = a.id AND n.kind = 'appointment_reminder'
                         AND j.channel = 'sms' AND j.state = 'sent' AND j.sent_at >= $2)
         ORDER BY a.starts_at, a.id",
        COLUMNS
            .split(',')
            .map(|c| format!("a.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .bind(phone)
    .bind(since.millis())
    .bind(now.millis())
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(from_row).collect()
}

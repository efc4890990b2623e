//! Patients following practitioners, for availability alerts.

use super::{users, Conn, StoreResult};
use crate::domain::Timestamp;

/// Follows; following twice is not an error.
pub async fn follow(
    c: &mut Conn,
    patient_id: i64,
    practitioner_id: i64,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO follows (patient_id, practitioner_id, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (patient_id, practitioner_id) DO NOTHING",
    )
    .bind(patient_id)
    .bind(practitioner_id)
    .bind(now.millis())
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn unfollow(c: &mut Conn, patient_id: i64, practitioner_id: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM follows WHERE patient_id = $1 AND practitioner_id = $2")
        .bind(patient_id)
        .bind(practitioner_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Practitioners the patient follows.
pub async fn followed_by(c: &mut Conn, patient_id: i64) -> StoreResult<Vec<users::User>> {
    let rows = sqlx::query(&format!(
        "SELECT {} FROM follows f JOIN users u ON u.id = f.practitioner_id
         WHERE f.patient_id = $1 ORDER BY u.name, u.id",
        users::COLUMNS
    ))
    .bind(patient_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(users::from_row).collect()
}

/// Who hears about a practitioner's new availability: their followers and the patients
/// waiting on a request with them (as the system carebell replaces did), each once.
pub async fn availability_audience(
    c: &mut Conn,
    practitioner_id: i64,
) -> StoreResult<Vec<users::User>> {
    let rows = sqlx::query(&format!(
        "SELECT {} FROM users u WHERE u.role = 'patient' AND u.id IN (
             SELECT patient_id FROM follows WHERE practitioner_id = $1
             UNION
             SELECT patient_id FROM appointments WHERE practitioner_id = $1 AND status = 'requested'
         ) ORDER BY u.id",
        users::COLUMNS
    ))
    .bind(practitioner_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(users::from_row).collect()
}

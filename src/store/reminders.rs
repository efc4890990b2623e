//! Reminder bookkeeping: voiding when an appointment changes, the check made at send time,
//! and what is due soon (for operators).

use super::{col, Conn, StoreResult};
use crate::domain::Timestamp;
use serde::Serialize;

/// A reminder job already handed to its provider when the appointment changed.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct InFlight {
    #[sqlx(rename = "id")]
    pub job_id: i64,
    pub channel: crate::domain::Channel,
    pub recipient_id: i64,
}

/// Voids every reminder of the appointment not yet shown in-app, and every reminder job
/// not yet handed to its provider (pending, or claimed but not yet past its send-time
/// check), whatever their version: called in the transaction that cancels, declines or
/// moves the appointment. Jobs already handed over cannot be called back: they are marked
/// `in_flight_at_change` (admins see it) and returned, so that the change's own message on
/// that channel is made to follow them.
pub async fn void_for_appointment(
    c: &mut Conn,
    appointment_id: i64,
    now: Timestamp,
) -> StoreResult<Vec<InFlight>> {
    sqlx::query(
        "UPDATE delivery_jobs SET state = 'voided', last_error = 'appointment changed', lease_until = NULL,
             updated_at = $1
         WHERE (state = 'pending' OR (state = 'sending' AND handed_at IS NULL)) AND notification_id IN (
             SELECT id FROM notifications WHERE appointment_id = $2 AND kind = 'appointment_reminder')",
    )
    .bind(now.millis())
    .bind(appointment_id)
    .execute(&mut *c)
    .await?;
    let rows = sqlx::query(
        "UPDATE delivery_jobs SET in_flight_at_change = $1, updated_at = $1
         WHERE state = 'sending' AND handed_at IS NOT NULL AND in_flight_at_change IS NULL
           AND notification_id IN (
             SELECT id FROM notifications WHERE appointment_id = $2 AND kind = 'appointment_reminder')
         RETURNING id, channel,
             (SELECT n.recipient_id FROM notifications n WHERE n.id = delivery_jobs.notification_id) AS recipient_id",
    )
    .bind(now.millis())
    .bind(appointment_id)
    .fetch_all(&mut *c)
    .await?;
    sqlx::query(
        "UPDATE notifications SET voided_at = $1
         WHERE appointment_id = $2 AND kind = 'appointment_reminder' AND delivered_at IS NULL AND voided_at IS NULL",
    )
    .bind(now.millis())
    .bind(appointment_id)
    .execute(&mut *c)
    .await?;
    rows.iter()
        .map(|r| Ok(<InFlight as sqlx::FromRow<sqlx::any::AnyRow>>::from_row(r)?))
        .collect()
}

/// Makes the messages just written about the appointment for the recipient of an in-flight
/// reminder, on its channel, wait until that reminder's send has finished: the
/// cancellation or move always arrives after the reminder it overtakes.
pub async fn follow_in_flight(
    c: &mut Conn,
    appointment_id: i64,
    in_flight: &[InFlight],
    now: Timestamp,
) -> StoreResult<()> {
    for f in in_flight {
        sqlx::query(
            "UPDATE delivery_jobs SET after_job_id = $1
             WHERE channel = $2 AND state = 'pending' AND after_job_id IS NULL AND notification_id IN (
                 SELECT id FROM notifications WHERE appointment_id = $3 AND recipient_id = $4
                   AND kind <> 'appointment_reminder' AND created_at = $5)",
        )
        .bind(f.job_id)
        .bind(f.channel.as_str())
        .bind(appointment_id)
        .bind(f.recipient_id)
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

/// Whether the reminder may still go out at `now`; `Err(reason)` when not:
/// - its appointment is no longer confirmed, or has moved on to another version;
/// - the appointment has started (never remind after the start);
/// - a later reminder of the same version is also due, which makes this one stale
///   (after downtime only the most recent meaningful reminder is sent).
pub async fn still_applies(
    c: &mut Conn,
    notification_id: i64,
    now: Timestamp,
) -> StoreResult<Result<(), String>> {
    let row = sqlx::query(
        "SELECT n.appointment_version AS n_version, n.reminder_offset_s, n.voided_at,
                a.id AS a_id, a.status, a.version, a.starts_at
         FROM notifications n LEFT JOIN appointments a ON a.id = n.appointment_id
         WHERE n.id = $1",
    )
    .bind(notification_id)
    .fetch_optional(&mut *c)
    .await?;
    let Some(row) = row else {
        return Ok(Err("the reminder no longer exists".into()));
    };
    if col::<Option<i64>>(&row, "voided_at")?.is_some() {
        return Ok(Err("the reminder was voided".into()));
    }
    let Some(appointment_id) = col::<Option<i64>>(&row, "a_id")? else {
        return Ok(Err("the appointment no longer exists".into()));
    };
    let status: String = col(&row, "status")?;
    if status != "confirmed" {
        return Ok(Err(format!("the appointment is {status}")));
    }
    let version: i64 = col(&row, "version")?;
    let reminded: Option<i64> = col(&row, "n_version")?;
    if reminded != Some(version) {
        return Ok(Err(
            "the appointment was changed since this reminder was planned".into(),
        ));
    }
    if now.millis() >= col::<i64>(&row, "starts_at")? {
        return Ok(Err("the appointment has started".into()));
    }
    let offset: i64 = col::<Option<i64>>(&row, "reminder_offset_s")?.unwrap_or(i64::MAX);
    let later_due: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications
         WHERE appointment_id = $1 AND appointment_version = $2 AND kind = 'appointment_reminder'
           AND reminder_offset_s < $3 AND visible_from <= $4 AND voided_at IS NULL",
    )
    .bind(appointment_id)
    .bind(version)
    .bind(offset)
    .bind(now.millis())
    .fetch_one(&mut *c)
    .await?;
    if later_due > 0 {
        return Ok(Err(
            "a later reminder of this appointment is also due".into()
        ));
    }
    Ok(Ok(()))
}

/// A reminder not yet delivered, for `carebell reminders`.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedReminder {
    pub notification_id: i64,
    pub appointment_id: i64,
    pub due_at: Timestamp,
    pub starts_at: Timestamp,
    pub offset_s: i64,
    pub patient: String,
    pub practitioner: String,
    pub channels: Vec<String>,
}

/// Reminders due before `until` that have not gone out yet (in-app not delivered, or a
/// job still pending), soonest first.
pub async fn due_before(
    c: &mut Conn,
    until: Timestamp,
    limit: i64,
) -> StoreResult<Vec<PlannedReminder>> {
    let rows = sqlx::query(
        "SELECT n.id, n.appointment_id, n.visible_from, n.reminder_offset_s, n.delivered_at, a.starts_at,
                p.name AS patient, d.name AS practitioner,
                (SELECT COUNT(*) FROM delivery_jobs j WHERE j.notification_id = n.id AND j.channel = 'email' AND j.state = 'pending') AS email,
                (SELECT COUNT(*) FROM delivery_jobs j WHERE j.notification_id = n.id AND j.channel = 'sms' AND j.state = 'pending') AS sms
         FROM notifications n
         JOIN appointments a ON a.id = n.appointment_id
         JOIN users p ON p.id = a.patient_id
         JOIN users d ON d.id = a.practitioner_id
         WHERE n.kind = 'appointment_reminder' AND n.voided_at IS NULL AND n.visible_from <= $1
           AND (n.delivered_at IS NULL OR EXISTS (
                SELECT 1 FROM delivery_jobs j WHERE j.notification_id = n.id AND j.state IN ('pending', 'sending')))
         ORDER BY n.visible_from, n.id LIMIT $2",
    )
    .bind(until.millis())
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            let mut channels = Vec::new();
            if col::<Option<i64>>(r, "delivered_at")?.is_none() {
                channels.push("in_app".to_owned());
            }
            if col::<i64>(r, "email")? > 0 {
                channels.push("email".to_owned());
            }
            if col::<i64>(r, "sms")? > 0 {
                channels.push("sms".to_owned());
            }
            Ok(PlannedReminder {
                notification_id: col(r, "id")?,
                appointment_id: col(r, "appointment_id")?,
                due_at: Timestamp::from_millis(col(r, "visible_from")?),
                starts_at: Timestamp::from_millis(col(r, "starts_at")?),
                offset_s: col::<Option<i64>>(r, "reminder_offset_s")?.unwrap_or_default(),
                patient: col(r, "patient")?,
                practitioner: col(r, "practitioner")?,
                channels,
            })
        })
        .collect()
}

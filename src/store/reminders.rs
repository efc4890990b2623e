//! Reminder bookkeeping: voiding when an appointment changes, the check made at send time,
//! and what is due soon (for operators).

use super::{Conn, StoreResult};
use crate::domain::{AppointmentStatus, Timestamp};
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
/// Voids the appointment's reminder at `offset` that has not been shown or sent yet (the
/// confirmation follow-up, once the patient confirmed).
pub async fn void_offset(
    c: &mut Conn,
    appointment_id: i64,
    offset: std::time::Duration,
    now: Timestamp,
) -> StoreResult<()> {
    let offset = offset.as_secs() as i64;
    sqlx::query(
        "UPDATE delivery_jobs SET state = 'voided', last_error = 'the patient confirmed', lease_until = NULL,
             updated_at = $1
         WHERE state = 'pending' AND notification_id IN (
             SELECT id FROM notifications WHERE appointment_id = $2 AND kind = 'appointment_reminder'
               AND reminder_offset_s = $3)",
    )
    .bind(now.millis())
    .bind(appointment_id)
    .bind(offset)
    .execute(&mut *c)
    .await?;
    sqlx::query(
        "UPDATE notifications SET voided_at = $1
         WHERE appointment_id = $2 AND kind = 'appointment_reminder' AND reminder_offset_s = $3
           AND delivered_at IS NULL AND voided_at IS NULL",
    )
    .bind(now.millis())
    .bind(appointment_id)
    .bind(offset)
    .execute(&mut *c)
    .await?;
    Ok(())
}

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
    /// The reminder and its appointment (absent columns when the appointment is gone).
    #[derive(sqlx::FromRow)]
    struct Found {
        n_version: Option<i64>,
        reminder_offset_s: Option<i64>,
        voided_at: Option<Timestamp>,
        a_id: Option<i64>,
        status: Option<AppointmentStatus>,
        version: Option<i64>,
        starts_at: Option<Timestamp>,
    }
    let found: Option<Found> = sqlx::query_as(
        "SELECT n.appointment_version AS n_version, n.reminder_offset_s, n.voided_at,
                a.id AS a_id, a.status, a.version, a.starts_at
         FROM notifications n LEFT JOIN appointments a ON a.id = n.appointment_id
         WHERE n.id = $1",
    )
    .bind(notification_id)
    .fetch_optional(&mut *c)
    .await?;
    let Some(found) = found else {
        return Ok(Err("the reminder no longer exists".into()));
    };
    if found.voided_at.is_some() {
        return Ok(Err("the reminder was voided".into()));
    }
    let (Some(appointment_id), Some(status), Some(version), Some(starts_at)) =
        (found.a_id, found.status, found.version, found.starts_at)
    else {
        return Ok(Err("the appointment no longer exists".into()));
    };
    if status != AppointmentStatus::Confirmed {
        return Ok(Err(format!("the appointment is {}", status.as_str())));
    }
    if found.n_version != Some(version) {
        return Ok(Err(
            "the appointment was changed since this reminder was planned".into(),
        ));
    }
    if now >= starts_at {
        return Ok(Err("the appointment has started".into()));
    }
    let offset: i64 = found.reminder_offset_s.unwrap_or(i64::MAX);
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
    /// One reminder with how many jobs of each channel are still pending.
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        appointment_id: i64,
        visible_from: Timestamp,
        reminder_offset_s: Option<i64>,
        delivered_at: Option<Timestamp>,
        starts_at: Timestamp,
        patient: String,
        practitioner: String,
        email: i64,
        sms: i64,
    }
    let rows: Vec<Row> = sqlx::query_as(
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
    Ok(rows
        .into_iter()
        .map(|r| {
            let channels = [
                (r.delivered_at.is_none(), "in_app"),
                (r.email > 0, "email"),
                (r.sms > 0, "sms"),
            ]
            .into_iter()
            .filter(|(pending, _)| *pending)
            .map(|(_, channel)| channel.to_owned())
            .collect();
            PlannedReminder {
                notification_id: r.id,
                appointment_id: r.appointment_id,
                due_at: r.visible_from,
                starts_at: r.starts_at,
                offset_s: r.reminder_offset_s.unwrap_or_default(),
                patient: r.patient,
                practitioner: r.practitioner,
                channels,
            }
        })
        .collect())
}

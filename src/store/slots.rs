//! Availability slots of practitioners.

use super::{col, Backend, Conn, StoreResult};
use crate::domain::{SlotWindow, Timestamp};
use serde::Serialize;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Slot {
    pub id: i64,
    pub practitioner_id: i64,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

const COLUMNS: &str = "s.id, s.practitioner_id, s.starts_at, s.ends_at";

/// A slot is free when no active appointment holds it.
const IS_FREE: &str = "NOT EXISTS (SELECT 1 FROM appointments a
     WHERE a.slot_id = s.id AND a.status IN ('requested', 'confirmed'))";

fn from_row(row: &AnyRow) -> StoreResult<Slot> {
    Ok(<Slot as sqlx::FromRow<AnyRow>>::from_row(row)?)
}

pub async fn insert(
    c: &mut Conn,
    practitioner_id: i64,
    w: SlotWindow,
    now: Timestamp,
) -> StoreResult<Slot> {
    let id = sqlx::query_scalar(
        "INSERT INTO slots (practitioner_id, starts_at, ends_at, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(practitioner_id)
    .bind(w.starts_at().millis())
    .bind(w.ends_at().millis())
    .bind(now.millis())
    .fetch_one(&mut *c)
    .await?;
    Ok(Slot {
        id,
        practitioner_id,
        starts_at: w.starts_at(),
        ends_at: w.ends_at(),
    })
}

/// Whether any slot of the practitioner overlaps the window.
pub async fn overlaps_existing(
    c: &mut Conn,
    practitioner_id: i64,
    w: SlotWindow,
) -> StoreResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM slots WHERE practitioner_id = $1 AND starts_at < $2 AND ends_at > $3",
    )
    .bind(practitioner_id)
    .bind(w.ends_at().millis())
    .bind(w.starts_at().millis())
    .fetch_one(&mut *c)
    .await?;
    Ok(n > 0)
}

/// Free future slots of a practitioner, soonest first.
pub async fn list_free(
    c: &mut Conn,
    practitioner_id: i64,
    now: Timestamp,
    limit: i64,
) -> StoreResult<Vec<Slot>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM slots s WHERE s.practitioner_id = $1 AND s.starts_at > $2 AND {IS_FREE}
           AND NOT EXISTS (SELECT 1 FROM offers o WHERE o.slot_id = s.id AND o.state = 'open' AND o.expires_at > $2)
         ORDER BY s.starts_at, s.id LIMIT $3"
    ))
    .bind(practitioner_id)
    .bind(now.millis())
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(from_row).collect()
}

/// All future slots of a practitioner with whether each is free; for their own agenda.
pub async fn list_own(
    c: &mut Conn,
    practitioner_id: i64,
    now: Timestamp,
    limit: i64,
) -> StoreResult<Vec<(Slot, bool)>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS}, CAST(CASE WHEN {IS_FREE} THEN 1 ELSE 0 END AS BIGINT) AS free FROM slots s
         WHERE s.practitioner_id = $1 AND s.ends_at > $2 ORDER BY s.starts_at, s.id LIMIT $3"
    ))
    .bind(practitioner_id)
    .bind(now.millis())
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| Ok((from_row(r)?, col::<i64>(r, "free")? == 1)))
        .collect()
}

/// A slot locked by [`lock`], with what stands in its way, read after the lock was taken.
pub struct Locked {
    pub slot: Slot,
    /// No requested or confirmed appointment is in it.
    pub free: bool,
    /// A waitlist offer of it is open (its hold may have run out since).
    pub offered: bool,
    /// Whose slot it is.
    pub practitioner: super::users::User,
}

/// The slot, locked until the transaction ends on PostgreSQL, with whether it is free and
/// offered, and its practitioner. These are read by a statement of their own after the
/// lock is held: on
/// PostgreSQL a statement sees what was committed when it began, so one that waited for
/// the lock could miss the booking or offer of the transaction it waited for.
pub async fn lock(c: &mut Conn, backend: Backend, id: i64) -> StoreResult<Option<Locked>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM slots s WHERE s.id = $1{}",
        backend.for_update()
    ))
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let slot = from_row(&row)?;
    let row = sqlx::query(&format!(
        "SELECT (SELECT COUNT(*) FROM appointments
                 WHERE slot_id = $1 AND status IN ('requested', 'confirmed')) AS busy,
                (SELECT COUNT(*) FROM offers WHERE slot_id = $1 AND state = 'open') AS offered,
                {}
         FROM users u WHERE u.id = $2",
        super::users::COLUMNS
    ))
    .bind(id)
    .bind(slot.practitioner_id)
    .fetch_optional(&mut *c)
    .await?;
    // The practitioner is always there: slots reference their user.
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Locked {
        free: col::<i64>(&row, "busy")? == 0,
        offered: col::<i64>(&row, "offered")? > 0,
        practitioner: super::users::from_row(&row)?,
        slot,
    }))
}

pub async fn get(c: &mut Conn, id: i64) -> StoreResult<Option<Slot>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM slots s WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn delete(c: &mut Conn, id: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM slots WHERE id = $1")
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// The practitioner's slot starting at `starts_at`, and whether it is free.
pub async fn find_at(
    c: &mut Conn,
    practitioner_id: i64,
    starts_at: Timestamp,
) -> StoreResult<Option<(Slot, bool)>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS}, CAST(CASE WHEN {IS_FREE} THEN 1 ELSE 0 END AS BIGINT) AS free
         FROM slots s WHERE s.practitioner_id = $1 AND s.starts_at = $2"
    ))
    .bind(practitioner_id)
    .bind(starts_at.millis())
    .fetch_optional(&mut *c)
    .await?;
    match row {
        Some(row) => Ok(Some((from_row(&row)?, col::<i64>(&row, "free")? == 1))),
        None => Ok(None),
    }
}

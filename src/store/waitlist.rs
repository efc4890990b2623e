//! Waitlist entries and the offers of freed slots made to them. An offer is a hold: while
//! it is open and not expired nobody else may book its slot. Its state changes only by
//! compare-and-set from `open`, so two answers to one offer cannot both take effect.

use super::{Conn, StoreResult};
use crate::domain::{Timestamp, Urgency};
use serde::Serialize;
use sqlx::any::AnyRow;

/// What a patient waits for.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Entry {
    pub id: i64,
    pub patient_id: i64,
    pub practitioner_id: i64,
    /// Set for "anything earlier than this appointment": an offer moves it.
    pub appointment_id: Option<i64>,
    /// Slots starting at or after this instant (absent: from now).
    pub window_from: Option<Timestamp>,
    /// Slots starting before this instant (absent: no end).
    pub window_until: Option<Timestamp>,
    /// Times of day on the patient's clock, minutes after midnight: slots starting in
    /// `[day_start, day_end)`.
    pub day_start: Option<i64>,
    pub day_end: Option<i64>,
    #[serde(skip)]
    pub reason: String,
    pub urgency: Urgency,
    /// `waiting`, `booked` (an offer was accepted) or `left`.
    pub state: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

const ENTRY_COLUMNS: &str = "id, patient_id, practitioner_id, appointment_id, window_from, \
     window_until, day_start, day_end, reason, urgency, state, created_at, updated_at";

/// A freed slot offered to one waiting patient until `expires_at`.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Offer {
    pub id: i64,
    pub slot_id: i64,
    pub entry_id: i64,
    pub patient_id: i64,
    /// `open`, `accepted`, `declined` or `expired`.
    pub state: String,
    pub expires_at: Timestamp,
    pub created_at: Timestamp,
    pub answered_at: Option<Timestamp>,
    /// The appointment the acceptance made or moved.
    pub appointment_id: Option<i64>,
}

const OFFER_COLUMNS: &str =
    "id, slot_id, entry_id, patient_id, state, expires_at, created_at, answered_at, appointment_id";

fn entry(row: &AnyRow) -> StoreResult<Entry> {
    Ok(<Entry as sqlx::FromRow<AnyRow>>::from_row(row)?)
}

fn offer(row: &AnyRow) -> StoreResult<Offer> {
    Ok(<Offer as sqlx::FromRow<AnyRow>>::from_row(row)?)
}

/// A new entry, before it is stored.
pub struct NewEntry<'a> {
    pub patient_id: i64,
    pub practitioner_id: i64,
    pub appointment_id: Option<i64>,
    pub window_from: Option<Timestamp>,
    pub window_until: Option<Timestamp>,
    pub day_start: Option<i64>,
    pub day_end: Option<i64>,
    pub reason: &'a str,
    pub urgency: Urgency,
}

pub async fn insert_entry(c: &mut Conn, e: &NewEntry<'_>, now: Timestamp) -> StoreResult<Entry> {
    let row = sqlx::query(&format!(
        "INSERT INTO waitlist_entries (patient_id, practitioner_id, appointment_id, window_from,
             window_until, day_start, day_end, reason, urgency, state, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'waiting', $10, $10) RETURNING {ENTRY_COLUMNS}"
    ))
    .bind(e.patient_id)
    .bind(e.practitioner_id)
    .bind(e.appointment_id)
    .bind(e.window_from.map(|t| t.millis()))
    .bind(e.window_until.map(|t| t.millis()))
    .bind(e.day_start)
    .bind(e.day_end)
    .bind(e.reason)
    .bind(e.urgency.as_str())
    .bind(now.millis())
    .fetch_one(&mut *c)
    .await?;
    entry(&row)
}

pub async fn get_entry(c: &mut Conn, id: i64) -> StoreResult<Option<Entry>> {
    let row = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM waitlist_entries WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(entry).transpose()
}

/// A patient's entries that still wait, oldest first.
pub async fn waiting_of_patient(c: &mut Conn, patient_id: i64) -> StoreResult<Vec<Entry>> {
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM waitlist_entries WHERE patient_id = $1 AND state = 'waiting'
         ORDER BY created_at, id"
    ))
    .bind(patient_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(entry).collect()
}

/// The entries waiting for a practitioner, in the order offers go out: joined first.
pub async fn waiting_for(c: &mut Conn, practitioner_id: i64) -> StoreResult<Vec<Entry>> {
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM waitlist_entries WHERE practitioner_id = $1 AND state = 'waiting'
         ORDER BY created_at, id"
    ))
    .bind(practitioner_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(entry).collect()
}

/// Moves a waiting entry to `state` (`booked` or `left`). `false` if it no longer waited.
pub async fn close_entry(c: &mut Conn, id: i64, state: &str, now: Timestamp) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE waitlist_entries SET state = $1, updated_at = $2 WHERE id = $3 AND state = 'waiting'",
    )
    .bind(state)
    .bind(now.millis())
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends the "earlier than" entries of an appointment that was cancelled or moved by other
/// means: they wait for nothing any more.
pub async fn close_for_appointment(
    c: &mut Conn,
    appointment_id: i64,
    now: Timestamp,
) -> StoreResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "UPDATE waitlist_entries SET state = 'left', updated_at = $1
         WHERE appointment_id = $2 AND state = 'waiting' RETURNING id",
    )
    .bind(now.millis())
    .bind(appointment_id)
    .fetch_all(&mut *c)
    .await?)
}

/// The open offers made from an entry.
pub async fn open_offers_of_entry(c: &mut Conn, entry_id: i64) -> StoreResult<Vec<Offer>> {
    let rows = sqlx::query(&format!(
        "SELECT {OFFER_COLUMNS} FROM offers WHERE entry_id = $1 AND state = 'open'"
    ))
    .bind(entry_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(offer).collect()
}

/// Stores an open offer. `None` when the slot already has an open offer or the patient
/// already holds one (the two unique indexes).
pub async fn insert_offer(
    c: &mut Conn,
    slot_id: i64,
    e: &Entry,
    expires_at: Timestamp,
    now: Timestamp,
) -> StoreResult<Option<Offer>> {
    let row = sqlx::query(&format!(
        "INSERT INTO offers (slot_id, entry_id, patient_id, state, expires_at, created_at)
         VALUES ($1, $2, $3, 'open', $4, $5) RETURNING {OFFER_COLUMNS}"
    ))
    .bind(slot_id)
    .bind(e.id)
    .bind(e.patient_id)
    .bind(expires_at.millis())
    .bind(now.millis())
    .fetch_one(&mut *c)
    .await;
    match row {
        Ok(row) => offer(&row).map(Some),
        Err(e) => match super::StoreError::from(e) {
            super::StoreError::Conflict(_) => Ok(None),
            other => Err(other),
        },
    }
}

pub async fn get_offer(c: &mut Conn, id: i64) -> StoreResult<Option<Offer>> {
    let row = sqlx::query(&format!("SELECT {OFFER_COLUMNS} FROM offers WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    row.as_ref().map(offer).transpose()
}

/// The slot's open offer, if any (expired or not: an expired one is passed on by the
/// waitlist step, and holds nobody back meanwhile).
pub async fn open_offer_of_slot(c: &mut Conn, slot_id: i64) -> StoreResult<Option<Offer>> {
    let row = sqlx::query(&format!(
        "SELECT {OFFER_COLUMNS} FROM offers WHERE slot_id = $1 AND state = 'open'"
    ))
    .bind(slot_id)
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(offer).transpose()
}

/// The patients with an open offer now.
pub async fn patients_holding(c: &mut Conn) -> StoreResult<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT patient_id FROM offers WHERE state = 'open'")
            .fetch_all(&mut *c)
            .await?,
    )
}

/// The patients the slot was already offered to (each gets one chance at a slot).
pub async fn offered_patients(c: &mut Conn, slot_id: i64) -> StoreResult<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT patient_id FROM offers WHERE slot_id = $1")
            .bind(slot_id)
            .fetch_all(&mut *c)
            .await?,
    )
}

/// Answers an open offer: `accepted` only while it has not expired, `declined` or
/// `expired` whenever it is still open. `None` when it was not open (answered, expired,
/// or, for an acceptance, past its time): the caller reads it again to say why.
pub async fn answer(
    c: &mut Conn,
    id: i64,
    state: &str,
    now: Timestamp,
) -> StoreResult<Option<Offer>> {
    let fence = if state == "accepted" {
        " AND expires_at > $3"
    } else {
        ""
    };
    let row = sqlx::query(&format!(
        "UPDATE offers SET state = $1, answered_at = $3 WHERE id = $2 AND state = 'open'{fence}
         RETURNING {OFFER_COLUMNS}"
    ))
    .bind(state)
    .bind(id)
    .bind(now.millis())
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(offer).transpose()
}

/// Records the appointment an accepted offer made or moved.
pub async fn set_appointment(c: &mut Conn, id: i64, appointment_id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE offers SET appointment_id = $1 WHERE id = $2")
        .bind(appointment_id)
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Open offers whose hold ended by `now`, oldest first.
pub async fn expired(c: &mut Conn, now: Timestamp, limit: i64) -> StoreResult<Vec<Offer>> {
    let rows = sqlx::query(&format!(
        "SELECT {OFFER_COLUMNS} FROM offers WHERE state = 'open' AND expires_at <= $1
         ORDER BY expires_at, id LIMIT $2"
    ))
    .bind(now.millis())
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(offer).collect()
}

/// A patient's latest open offer that has not expired.
pub async fn open_offers_of_patients(
    c: &mut Conn,
    patient_ids: &[i64],
    now: Timestamp,
) -> StoreResult<Vec<Offer>> {
    let mut out = Vec::new();
    for id in patient_ids {
        let rows = sqlx::query(&format!(
            "SELECT {OFFER_COLUMNS} FROM offers WHERE patient_id = $1 AND state = 'open'
             AND expires_at > $2 ORDER BY created_at DESC, id DESC"
        ))
        .bind(id)
        .bind(now.millis())
        .fetch_all(&mut *c)
        .await?;
        for r in &rows {
            out.push(offer(r)?);
        }
    }
    Ok(out)
}

/// The latest offers of the practitioner's slots (or of every slot, for `None`), newest
/// first: what the practice sees of its waitlist.
pub async fn recent_offers(
    c: &mut Conn,
    practitioner_id: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<Offer>> {
    let cols = OFFER_COLUMNS
        .split(", ")
        .map(|c| format!("o.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(&format!(
        "SELECT {cols} FROM offers o JOIN slots s ON s.id = o.slot_id
         WHERE (CAST($1 AS BIGINT) IS NULL OR s.practitioner_id = CAST($1 AS BIGINT)) ORDER BY o.created_at DESC, o.id DESC LIMIT $2"
    ))
    .bind(practitioner_id)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(offer).collect()
}

/// A patient's offers, newest first.
pub async fn offers_of_patient(
    c: &mut Conn,
    patient_id: i64,
    limit: i64,
) -> StoreResult<Vec<Offer>> {
    let rows = sqlx::query(&format!(
        "SELECT {OFFER_COLUMNS} FROM offers WHERE patient_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
    ))
    .bind(patient_id)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(offer).collect()
}

//! Outgoing webhooks: the endpoints integrators register, the messages (one per event,
//! written in the transaction of the change it tells about) and their jobs (one per
//! endpoint that wants the event, in `delivery_jobs` like every other delivery).

use super::{Conn, StoreError, StoreResult};
use crate::domain::Timestamp;
use serde::Serialize;

/// An endpoint as admins see it (never its secret, which is shown once).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Endpoint {
    pub id: i64,
    pub url: String,
    pub description: Option<String>,
    /// The event types it receives; `*` for all.
    #[sqlx(try_from = "String")]
    #[schema(value_type = Vec<String>)]
    pub event_types: EventTypes,
    #[sqlx(try_from = "i64")]
    #[schema(value_type = bool)]
    pub enabled: Flag,
    /// Since when every delivery to it has failed (absent after a success).
    pub failing_since: Option<Timestamp>,
    /// Why carebell turned it off, if it did.
    pub disabled_reason: Option<String>,
    /// Until when the secret before the last rotation still signs beside the new one.
    pub previous_secret_until: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A stored 0/1 column as a boolean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Flag(pub bool);

impl From<i64> for Flag {
    fn from(v: i64) -> Self {
        Flag(v != 0)
    }
}

/// The event types an endpoint takes, stored comma-separated (`*`: every type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct EventTypes(pub Vec<String>);

impl From<String> for EventTypes {
    fn from(v: String) -> Self {
        EventTypes(
            v.split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }
}

impl EventTypes {
    fn stored(&self) -> String {
        self.0.join(",")
    }
}

const COLUMNS: &str = "id, url, description, event_types, enabled, failing_since, disabled_reason,
    previous_secret_until, created_at, updated_at";

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<Endpoint> {
    Ok(<Endpoint as sqlx::FromRow<sqlx::any::AnyRow>>::from_row(
        row,
    )?)
}

/// An endpoint to register.
pub struct NewEndpoint<'a> {
    pub url: &'a str,
    pub description: Option<&'a str>,
    pub event_types: &'a EventTypes,
    pub secret: &'a str,
}

pub async fn insert(c: &mut Conn, e: &NewEndpoint<'_>, now: Timestamp) -> StoreResult<Endpoint> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO webhook_endpoints (url, description, event_types, enabled, secret, created_at, updated_at)
         VALUES ($1, $2, $3, 1, $4, $5, $5) RETURNING id",
    )
    .bind(e.url)
    .bind(e.description.map(str::to_owned))
    .bind(e.event_types.stored())
    .bind(e.secret)
    .bind(now.millis())
    .fetch_one(&mut *c)
    .await?;
    get(c, id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("webhook endpoint {id} vanished")))
}

pub async fn get(c: &mut Conn, id: i64) -> StoreResult<Option<Endpoint>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM webhook_endpoints WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(c: &mut Conn) -> StoreResult<Vec<Endpoint>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM webhook_endpoints ORDER BY id"
    ))
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(from_row).collect()
}

/// What may change of an endpoint; `None` keeps it.
#[derive(Default)]
pub struct EndpointChange<'a> {
    pub url: Option<&'a str>,
    pub description: Option<Option<&'a str>>,
    pub event_types: Option<&'a EventTypes>,
    pub enabled: Option<bool>,
}

/// Changes an endpoint. Turning it on again clears its failure record.
pub async fn update(
    c: &mut Conn,
    id: i64,
    ch: &EndpointChange<'_>,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE webhook_endpoints SET
             url = COALESCE($1, url),
             description = CASE WHEN $2 = 1 THEN $3 ELSE description END,
             event_types = COALESCE($4, event_types),
             enabled = COALESCE($5, enabled),
             failing_since = CASE WHEN $5 = 1 THEN NULL ELSE failing_since END,
             disabled_reason = CASE WHEN $5 = 1 THEN NULL ELSE disabled_reason END,
             updated_at = $6
         WHERE id = $7",
    )
    .bind(ch.url.map(str::to_owned))
    .bind(i64::from(ch.description.is_some()))
    .bind(ch.description.flatten().map(str::to_owned))
    .bind(ch.event_types.map(EventTypes::stored))
    .bind(ch.enabled.map(i64::from))
    .bind(now.millis())
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Replaces the secret; the old one keeps signing beside it until `overlap_until`.
pub async fn rotate_secret(
    c: &mut Conn,
    id: i64,
    secret: &str,
    overlap_until: Timestamp,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = $1,
             secret = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(overlap_until.millis())
    .bind(secret)
    .bind(now.millis())
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// What a webhook job needs to be sent.
pub struct Outgoing {
    pub message_id: i64,
    pub event_type: String,
    pub payload: String,
    pub url: String,
    pub enabled: bool,
    /// The secrets to sign with: the current one, and the previous one while it overlaps.
    pub secrets: Vec<String>,
}

pub async fn outgoing(
    c: &mut Conn,
    message_id: i64,
    endpoint_id: i64,
    now: Timestamp,
) -> StoreResult<Option<Outgoing>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        event_type: String,
        payload: String,
        url: String,
        enabled: i64,
        secret: String,
        previous_secret: Option<String>,
        previous_secret_until: Option<i64>,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT m.event_type, m.payload, e.url, e.enabled, e.secret, e.previous_secret, e.previous_secret_until
         FROM webhook_messages m, webhook_endpoints e WHERE m.id = $1 AND e.id = $2",
    )
    .bind(message_id)
    .bind(endpoint_id)
    .fetch_optional(&mut *c)
    .await?;
    Ok(row.map(|r| {
        let mut secrets = vec![r.secret];
        if let (Some(old), Some(until)) = (r.previous_secret, r.previous_secret_until) {
            if until > now.millis() {
                secrets.push(old);
            }
        }
        Outgoing {
            message_id,
            event_type: r.event_type,
            payload: r.payload,
            url: r.url,
            enabled: r.enabled != 0,
            secrets,
        }
    }))
}

/// The condition "endpoint `e` takes events of type `$1`".
const WANTS: &str =
    "e.enabled = 1 AND (e.event_types = '*' OR ',' || e.event_types || ',' LIKE '%,' || $1 || ',%')";

/// Whether any endpoint takes events of this type (a cheap look before building one).
pub async fn wanted(c: &mut Conn, event_type: &str) -> StoreResult<bool> {
    let found: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT e.id FROM webhook_endpoints e WHERE {WANTS} LIMIT 1"
    ))
    .bind(event_type)
    .fetch_optional(&mut *c)
    .await?;
    Ok(found.is_some())
}

/// Writes an event for every endpoint that takes its type, inside the caller's
/// transaction: the message (`{"type", "timestamp", "data"}`) and one pending job per
/// endpoint. Returns how many jobs were written (none when no endpoint wants it).
pub async fn enqueue(
    c: &mut Conn,
    event_type: &str,
    data: serde_json::Value,
    now: Timestamp,
) -> StoreResult<u64> {
    // On PostgreSQL the look, the message and its jobs are one statement (every booking
    // asks, and most clinics have no endpoint); SQLite, in the process, takes no writing
    // `WITH`.
    if c.backend_name() == "PostgreSQL" {
        let sql = format!(
            "WITH {} SELECT COUNT(*) AS jobs FROM wj",
            ctes(0).join(", ")
        );
        let row = bind(sqlx::query(&sql), event_type, data, now)
            .fetch_one(&mut *c)
            .await?;
        return Ok(super::col::<i64>(&row, "jobs")? as u64);
    }
    if !wanted(c, event_type).await? {
        return Ok(0);
    }
    let payload = payload(event_type, data, now);
    let message: i64 = sqlx::query_scalar(
        "INSERT INTO webhook_messages (event_type, payload, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(event_type)
    .bind(payload)
    .bind(now.millis())
    .fetch_one(&mut *c)
    .await?;
    let jobs = sqlx::query(&format!(
        "INSERT INTO delivery_jobs (webhook_message_id, endpoint_id, channel, state, due_at, created_at, updated_at)
         SELECT $2, e.id, 'webhook', 'pending', $3, $3, $3 FROM webhook_endpoints e WHERE {WANTS}"
    ))
    .bind(event_type)
    .bind(message)
    .bind(now.millis())
    .execute(&mut *c)
    .await?;
    Ok(jobs.rows_affected())
}

/// The message every endpoint of an event receives.
fn payload(event_type: &str, data: serde_json::Value, now: Timestamp) -> String {
    serde_json::json!({
        "type": event_type,
        "timestamp": now.to_string(),
        "data": data,
    })
    .to_string()
}

/// How many parameters [`bind`] gives an event.
pub(super) const PARAMS: usize = 3;

/// The `WITH` parts that write an event's message, if an endpoint wants it (`wm`), and
/// its jobs (`wj`, returning their ids), on parameters `after + 1 ..`: PostgreSQL only.
pub(super) fn ctes(after: usize) -> Vec<String> {
    let p = |i: usize| format!("${}", after + i);
    let wants = WANTS.replace("$1", &p(1));
    vec![
        format!(
            "wm AS (INSERT INTO webhook_messages (event_type, payload, created_at)
                 SELECT {kind}, {payload}, {at}
                 WHERE EXISTS (SELECT 1 FROM webhook_endpoints e WHERE {wants})
                 RETURNING id)",
            kind = p(1),
            payload = p(2),
            at = p(3),
        ),
        format!(
            "wj AS (INSERT INTO delivery_jobs (webhook_message_id, endpoint_id, channel, state, due_at, created_at, updated_at)
                 SELECT wm.id, e.id, 'webhook', 'pending', {at}, {at}, {at}
                 FROM wm, webhook_endpoints e WHERE {wants}
                 RETURNING id)",
            at = p(3),
        ),
    ]
}

/// Binds an event's [`PARAMS`] parameters for [`ctes`].
pub(super) fn bind<'q>(
    query: super::Query<'q>,
    event_type: &str,
    data: serde_json::Value,
    now: Timestamp,
) -> super::Query<'q> {
    query
        .bind(event_type.to_owned())
        .bind(payload(event_type, data, now))
        .bind(now.millis())
}

/// A delivery to the endpoint succeeded: it is no longer failing.
pub async fn note_success(c: &mut Conn, endpoint_id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1")
        .bind(endpoint_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// A delivery to the endpoint failed. When it has failed without a success for
/// `disable_after`, it is turned off with the reason; returns the endpoint then.
pub async fn note_failure(
    c: &mut Conn,
    endpoint_id: i64,
    now: Timestamp,
    disable_after: std::time::Duration,
) -> StoreResult<Option<Endpoint>> {
    sqlx::query(
        "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $1) WHERE id = $2",
    )
    .bind(now.millis())
    .bind(endpoint_id)
    .execute(&mut *c)
    .await?;
    let limit = now.minus(disable_after).millis();
    let reason = format!(
        "every delivery failed for {}",
        humantime::format_duration(disable_after)
    );
    let disabled: Option<i64> = sqlx::query_scalar(
        "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = $1, updated_at = $2
         WHERE id = $3 AND enabled = 1 AND failing_since <= $4 RETURNING id",
    )
    .bind(reason)
    .bind(now.millis())
    .bind(endpoint_id)
    .bind(limit)
    .fetch_optional(&mut *c)
    .await?;
    match disabled {
        Some(id) => get(c, id).await,
        None => Ok(None),
    }
}

/// What a `delivery.*` event says of a job: ids, channel, kind, attempt and the provider's
/// code; never the message, its recipient's address or anything about the visit.
pub async fn delivery_event_data(
    c: &mut Conn,
    job_id: i64,
) -> StoreResult<Option<serde_json::Value>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        channel: String,
        attempts: i64,
        notification_id: i64,
        kind: String,
        recipient_id: i64,
        appointment_id: Option<i64>,
        receipt_code: Option<String>,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT j.id, j.channel, j.attempts, n.id AS notification_id, n.kind, n.recipient_id,
                n.appointment_id, j.receipt_code
         FROM delivery_jobs j JOIN notifications n ON n.id = j.notification_id WHERE j.id = $1",
    )
    .bind(job_id)
    .fetch_optional(&mut *c)
    .await?;
    Ok(row.map(|r| {
        serde_json::json!({
            "job_id": r.id,
            "notification_id": r.notification_id,
            "kind": r.kind,
            "channel": r.channel,
            "recipient_id": r.recipient_id,
            "appointment_id": r.appointment_id,
            "attempt": r.attempts,
            "provider_code": r.receipt_code,
        })
    }))
}

//! The audit log: append-only (the database refuses updates and deletes), searched by
//! user, appointment and time.

use super::{Conn, StoreResult};
use crate::domain::Timestamp;
use serde::Serialize;

/// One event to append. `target` names what it was done to when that is not a user or an
/// appointment (`slot 12`, `delivery 40`), never with personal data.
#[derive(Debug, Clone, Default)]
pub struct NewEvent<'a> {
    pub actor_id: Option<i64>,
    pub action: &'a str,
    pub subject_user_id: Option<i64>,
    pub appointment_id: Option<i64>,
    pub target: Option<String>,
    pub source_ip: Option<String>,
    pub request_id: Option<String>,
}

/// Appends an event; the source address and request id come from the request being
/// handled, when there is one.
pub async fn append(c: &mut Conn, e: &NewEvent<'_>, now: Timestamp) -> StoreResult<()> {
    bind(sqlx::query(&insert(0)), e, now)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// How many parameters [`bind`] gives an event.
pub(super) const PARAMS: usize = 8;

/// The statement that appends an event, on parameters `after + 1 ..`.
pub(super) fn insert(after: usize) -> String {
    let values: Vec<String> = (1..=PARAMS).map(|i| format!("${}", after + i)).collect();
    format!(
        "INSERT INTO audit_events (at, actor_id, action, subject_user_id, appointment_id, target, source_ip, request_id)
         VALUES ({})",
        values.join(", ")
    )
}

/// Binds an event's [`PARAMS`] parameters for [`insert`], with the source address and
/// request id of the request being handled, when there is one.
pub(super) fn bind<'q>(
    query: super::Query<'q>,
    e: &NewEvent<'_>,
    now: Timestamp,
) -> super::Query<'q> {
    let mut e = e.clone();
    if let Some(r) = crate::telemetry::current_request() {
        e.source_ip.get_or_insert(r.source_ip);
        e.request_id.get_or_insert(r.request_id);
    }
    query
        .bind(now.millis())
        .bind(e.actor_id)
        .bind(e.action.to_owned())
        .bind(e.subject_user_id)
        .bind(e.appointment_id)
        .bind(e.target)
        .bind(e.source_ip)
        .bind(e.request_id)
}

/// A recorded event.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditEvent {
    pub id: i64,
    pub at: Timestamp,
    /// Who acted; absent for the system, a provider or someone not signed in.
    pub actor_id: Option<i64>,
    /// What happened (`appointment.booked`, `auth.sign_in_failed`, …).
    pub action: String,
    /// The user it was about, when not (only) the actor.
    pub subject_user_id: Option<i64>,
    pub appointment_id: Option<i64>,
    /// What else it was done to (`slot 12`, `delivery 40`).
    pub target: Option<String>,
    pub source_ip: Option<String>,
    pub request_id: Option<String>,
}

/// Filters; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// As actor or as subject.
    pub user_id: Option<i64>,
    pub appointment_id: Option<i64>,
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// Newest first.
pub async fn search(c: &mut Conn, s: &Search) -> StoreResult<Vec<AuditEvent>> {
    Ok(sqlx::query_as(
        "SELECT id, at, actor_id, action, subject_user_id, appointment_id, target, source_ip, request_id
         FROM audit_events
         WHERE (CAST($1 AS BIGINT) IS NULL OR actor_id = $1 OR subject_user_id = $1)
           AND (CAST($2 AS BIGINT) IS NULL OR appointment_id = $2)
           AND (CAST($3 AS BIGINT) IS NULL OR at >= $3)
           AND (CAST($4 AS BIGINT) IS NULL OR at < $4)
           AND (CAST($5 AS BIGINT) IS NULL OR id < $5)
         ORDER BY id DESC LIMIT $6",
    )
    .bind(s.user_id)
    .bind(s.appointment_id)
    .bind(s.from.map(|t| t.millis()))
    .bind(s.until.map(|t| t.millis()))
    .bind(s.before_id)
    .bind(s.limit)
    .fetch_all(&mut *c)
    .await?)
}

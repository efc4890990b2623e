//! Practitioners, their slots, follows and availability alerts.

use super::auth::{As, CurrentUser, PatientRole, PractitionerRole};
use super::extract::{ApiPath, ApiQuery, Body};
use super::{page_limit, ApiError, ApiResult, AppState};
use crate::directory;
use crate::domain::Timestamp;
use crate::lifecycle::NewSlot;
use crate::store::slots::Slot;
use crate::store::users::User;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Serialize)]
struct Practitioner {
    id: i64,
    name: String,
    time_zone: String,
}

fn public(u: &User) -> Practitioner {
    Practitioner {
        id: u.id,
        name: u.name.as_str().to_owned(),
        time_zone: u.time_zone.name().to_owned(),
    }
}

/// `GET /api/v1/practitioners`: whom a patient can book.
pub async fn list_practitioners(
    State(state): State<AppState>,
    _me: CurrentUser,
) -> ApiResult<Json<Value>> {
    let mut c = state.store.acquire().await?;
    let list = directory::practitioners(&mut c).await?;
    Ok(Json(
        json!({ "practitioners": list.iter().map(public).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
pub struct SlotQuery {
    limit: Option<i64>,
}

/// `GET /api/v1/practitioners/{id}/slots`: free future slots, soonest first.
pub async fn list_free(
    State(state): State<AppState>,
    _me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<SlotQuery>,
) -> ApiResult<Json<Value>> {
    let limit = page_limit(q.limit, 50, 500)?;
    let mut c = state.store.acquire().await?;
    let free = directory::free_slots(&mut c, id, state.clock.now(), limit).await?;
    Ok(Json(json!({ "practitioner_id": id, "slots": free })))
}

/// `GET /api/v1/slots`: the signed-in practitioner's own future slots, free or held.
pub async fn list_own(
    State(state): State<AppState>,
    me: As<PractitionerRole>,
    ApiQuery(q): ApiQuery<SlotQuery>,
) -> ApiResult<Json<Value>> {
    let limit = page_limit(q.limit, 100, 500)?;
    let mut c = state.store.acquire().await?;
    let own = directory::own_slots(&mut c, &me.user, state.clock.now(), limit).await?;
    let own: Vec<Value> = own
        .into_iter()
        .map(|(s, free)| json!({ "id": s.id, "starts_at": s.starts_at, "ends_at": s.ends_at, "free": free }))
        .collect();
    Ok(Json(json!({ "slots": own })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotInput {
    starts_at: String,
    ends_at: String,
}

fn default_true() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSlots {
    slots: Vec<SlotInput>,
    /// Tell followers and waiting patients about the new slots (default true).
    #[serde(default = "default_true")]
    notify_followers: bool,
}

/// `POST /api/v1/slots`: adds slots (all or none) and by default alerts followers once.
pub async fn create(
    State(state): State<AppState>,
    me: As<PractitionerRole>,
    Body(body): Body<CreateSlots>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let mut new = Vec::with_capacity(body.slots.len());
    for (i, s) in body.slots.iter().enumerate() {
        let starts_at = Timestamp::parse_rfc3339(&s.starts_at)
            .map_err(|e| ApiError::unprocessable(format!("slots[{i}].starts_at: {e}")))?;
        let ends_at = Timestamp::parse_rfc3339(&s.ends_at)
            .map_err(|e| ApiError::unprocessable(format!("slots[{i}].ends_at: {e}")))?;
        new.push(NewSlot { starts_at, ends_at });
    }
    let created: Vec<Slot> = state
        .lifecycle
        .add_slots(&me.user, &new, body.notify_followers)
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "slots": created }))))
}

/// `DELETE /api/v1/slots/{id}`: removes a free slot of the signed-in practitioner.
pub async fn delete(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.lifecycle.delete_slot(&me.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/v1/practitioners/{id}/follow`.
pub async fn follow(
    State(state): State<AppState>,
    me: As<PatientRole>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let mut c = state.store.acquire().await?;
    directory::set_follow(&mut c, &me.user, id, true, state.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v1/practitioners/{id}/follow`.
pub async fn unfollow(
    State(state): State<AppState>,
    me: As<PatientRole>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let mut c = state.store.acquire().await?;
    directory::set_follow(&mut c, &me.user, id, false, state.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/follows`: practitioners the signed-in patient follows.
pub async fn list_follows(
    State(state): State<AppState>,
    me: As<PatientRole>,
) -> ApiResult<Json<Value>> {
    let mut c = state.store.acquire().await?;
    let list = directory::followed(&mut c, &me.user).await?;
    Ok(Json(
        json!({ "practitioners": list.iter().map(public).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NotifyAvailability {
    note: Option<String>,
}

/// `POST /api/v1/availability/notify`: tells the audience about the free slots.
pub async fn notify_availability(
    State(state): State<AppState>,
    me: As<PractitionerRole>,
    Body(body): Body<NotifyAvailability>,
) -> ApiResult<Json<Value>> {
    let notified = state
        .lifecycle
        .notify_availability(&me.user, body.note.as_deref())
        .await?;
    Ok(Json(json!({ "notified": notified })))
}

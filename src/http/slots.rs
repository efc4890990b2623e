//! Practitioners, their slots, follows and availability alerts.

use super::answers::{CreatedSlots, FreeSlots, Notified, OwnSlot, OwnSlots, Practitioners};
use super::auth::{As, CurrentUser, PatientRole, PractitionerRole};
use super::extract::{ApiPath, ApiQuery, Body};
use super::{page_limit, ApiError, ApiResult, AppState};
use crate::directory;
use crate::domain::Timestamp;
use crate::lifecycle::NewSlot;
use crate::store::slots::Slot;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

/// `GET /api/v1/practitioners`: whom a patient can book.
pub async fn list_practitioners(
    State(state): State<AppState>,
    _me: CurrentUser,
) -> ApiResult<Json<Practitioners>> {
    let mut c = state.store.acquire().await?;
    let list = directory::practitioners(&mut c).await?;
    Ok(Json(Practitioners {
        practitioners: list.iter().map(Into::into).collect(),
    }))
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
) -> ApiResult<Json<FreeSlots>> {
    let limit = page_limit(q.limit, 50, 500)?;
    let mut c = state.store.acquire().await?;
    let free = directory::free_slots(&mut c, id, state.clock.now(), limit).await?;
    Ok(Json(FreeSlots {
        practitioner_id: id,
        slots: free,
    }))
}

/// `GET /api/v1/slots`: the signed-in practitioner's own future slots, free or held.
pub async fn list_own(
    State(state): State<AppState>,
    me: As<PractitionerRole>,
    ApiQuery(q): ApiQuery<SlotQuery>,
) -> ApiResult<Json<OwnSlots>> {
    let limit = page_limit(q.limit, 100, 500)?;
    let mut c = state.store.acquire().await?;
    let own = directory::own_slots(&mut c, &me.user, state.clock.now(), limit).await?;
    let own: Vec<OwnSlot> = own
        .into_iter()
        .map(|(s, free)| OwnSlot {
            id: s.id,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            free,
        })
        .collect();
    Ok(Json(OwnSlots { slots: own }))
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
) -> ApiResult<(StatusCode, Json<CreatedSlots>)> {
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
    Ok((StatusCode::CREATED, Json(CreatedSlots { slots: created })))
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
) -> ApiResult<Json<Practitioners>> {
    let mut c = state.store.acquire().await?;
    let list = directory::followed(&mut c, &me.user).await?;
    Ok(Json(Practitioners {
        practitioners: list.iter().map(Into::into).collect(),
    }))
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
) -> ApiResult<Json<Notified>> {
    let notified = state
        .lifecycle
        .notify_availability(&me.user, body.note.as_deref())
        .await?;
    Ok(Json(Notified { notified }))
}

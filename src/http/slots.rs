//! Practitioners, their slots, follows and availability alerts.

use super::answers::{CreatedSlots, FreeSlots, Notified, OwnSlot, OwnSlots, Practitioners};
use super::auth::{As, CurrentUser, PatientRole, PractitionerRole};
use super::extract::{ApiPath, ApiQuery, Body};
use super::openapi::{BadRequest, Conflict, Forbidden, Invalid, NotFound, Unauthenticated};
use super::{page_limit, ApiError, ApiResult, AppState};
use crate::directory;
use crate::domain::Timestamp;
use crate::lifecycle::NewSlot;
use crate::store::slots::Slot;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// `GET /api/v1/practitioners`: whom a patient can book.
#[utoipa::path(
    get,
    path = "/practitioners",
    tag = "practitioners",
    summary = "Practitioners one can book",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The practitioners", body = Practitioners), Unauthenticated)
)]
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotQuery {
    /// How many at most (1–500).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// `GET /api/v1/practitioners/{id}/slots`: free future slots, soonest first.
#[utoipa::path(
    get,
    path = "/practitioners/{id}/slots",
    tag = "practitioners",
    summary = "A practitioner's free future slots, soonest first",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The practitioner"), SlotQuery),
    responses((status = 200, description = "The free slots", body = FreeSlots), BadRequest, Unauthenticated, NotFound)
)]
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
#[utoipa::path(
    get,
    path = "/slots",
    tag = "practitioners",
    summary = "The signed-in practitioner's own future slots, free or held",
    security(("bearer" = []), ("session" = [])),
    params(SlotQuery),
    responses((status = 200, description = "The slots", body = OwnSlots), BadRequest, Unauthenticated, Forbidden)
)]
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotInput {
    #[schema(format = DateTime)]
    starts_at: String,
    #[schema(format = DateTime)]
    ends_at: String,
}

fn default_true() -> bool {
    true
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSlots {
    slots: Vec<SlotInput>,
    /// Tell followers and waiting patients about the new slots (default true).
    #[serde(default = "default_true")]
    notify_followers: bool,
}

/// `POST /api/v1/slots`: adds slots (all or none) and by default alerts followers once.
#[utoipa::path(
    post,
    path = "/slots",
    tag = "practitioners",
    summary = "Add slots (all or none); followers are told once",
    security(("bearer" = []), ("session" = [])),
    request_body = CreateSlots,
    responses((status = 201, description = "Added", body = CreatedSlots), BadRequest, Unauthenticated, Forbidden, Conflict, Invalid)
)]
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
#[utoipa::path(
    delete,
    path = "/slots/{id}",
    tag = "practitioners",
    summary = "Remove one of one's own free slots",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The slot")),
    responses((status = 204, description = "Removed"), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict)
)]
pub async fn delete(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.lifecycle.delete_slot(&me.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/v1/practitioners/{id}/follow`.
#[utoipa::path(
    put,
    path = "/practitioners/{id}/follow",
    tag = "practitioners",
    summary = "Follow a practitioner: be told when they add slots (patients)",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The practitioner")),
    responses((status = 204, description = "Following"), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
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
#[utoipa::path(
    delete,
    path = "/practitioners/{id}/follow",
    tag = "practitioners",
    summary = "Stop following a practitioner (patients)",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The practitioner")),
    responses((status = 204, description = "Not following"), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
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
#[utoipa::path(
    get,
    path = "/follows",
    tag = "practitioners",
    summary = "The practitioners the signed-in patient follows",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The practitioners", body = Practitioners), Unauthenticated, Forbidden)
)]
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

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifyAvailability {
    /// A short note for the followers ("More on Friday").
    note: Option<String>,
}

/// `POST /api/v1/availability/notify`: tells the audience about the free slots.
#[utoipa::path(
    post,
    path = "/availability/notify",
    tag = "practitioners",
    summary = "Tell followers about one's free slots",
    security(("bearer" = []), ("session" = [])),
    request_body(content = Option<NotifyAvailability>, description = "Optional"),
    responses((status = 200, description = "How many followers were told", body = Notified), BadRequest, Unauthenticated, Forbidden, Invalid)
)]
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

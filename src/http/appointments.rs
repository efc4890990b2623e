//! Booking and the appointment transitions.

use super::answers::Appointments;
use super::auth::{As, CurrentUser, PatientRole};
use super::extract::{ApiPath, ApiQuery, Body};
use super::{page_limit, ApiResult, AppState};
use crate::domain::{AppointmentStatus, Urgency};
use crate::lifecycle::{BookingRequest, Reschedule};
use crate::store::appointments::Appointment;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Book {
    slot_id: i64,
    #[serde(default)]
    reason: String,
    urgency: Option<String>,
}

/// `POST /api/v1/appointments`: a patient requests a free slot.
pub async fn book(
    State(state): State<AppState>,
    me: As<PatientRole>,
    Body(body): Body<Book>,
) -> ApiResult<(StatusCode, Json<Appointment>)> {
    let urgency = body
        .urgency
        .as_deref()
        .map(Urgency::parse)
        .transpose()?
        .unwrap_or_default();
    let req = BookingRequest {
        slot_id: body.slot_id,
        reason: body.reason,
        urgency,
    };
    let a = state.lifecycle.book(&me.user, req).await?;
    Ok((StatusCode::CREATED, Json(a)))
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<i64>,
}

/// `GET /api/v1/appointments`: the signed-in user's own (all of them for an admin).
pub async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Appointments>> {
    let status = q
        .status
        .as_deref()
        .map(AppointmentStatus::parse)
        .transpose()
        .map_err(|e| super::ApiError::bad_request("invalid_query", e.0))?;
    let limit = page_limit(q.limit, 100, 500)?;
    let mut c = state.store.acquire().await?;
    let list = crate::directory::appointments_of(&mut c, &me.user, status, limit).await?;
    Ok(Json(Appointments { appointments: list }))
}

/// `GET /api/v1/appointments/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Appointment>> {
    Ok(Json(state.lifecycle.appointment_for(&me.user, id).await?))
}

/// `POST /api/v1/appointments/{id}/accept`.
pub async fn accept(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Appointment>> {
    Ok(Json(state.lifecycle.accept(&me.user, id).await?))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct WithReason {
    reason: Option<String>,
}

/// `POST /api/v1/appointments/{id}/decline`.
pub async fn decline(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    Body(body): Body<WithReason>,
) -> ApiResult<Json<Appointment>> {
    Ok(Json(
        state
            .lifecycle
            .decline(&me.user, id, body.reason.as_deref())
            .await?,
    ))
}

/// `POST /api/v1/appointments/{id}/cancel`.
pub async fn cancel(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    Body(body): Body<WithReason>,
) -> ApiResult<Json<Appointment>> {
    Ok(Json(
        state
            .lifecycle
            .cancel(&me.user, id, body.reason.as_deref())
            .await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveTo {
    slot_id: i64,
}

/// `POST /api/v1/appointments/{id}/reschedule`.
pub async fn reschedule(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    Body(body): Body<MoveTo>,
) -> ApiResult<Json<Appointment>> {
    let to = Reschedule {
        slot_id: body.slot_id,
    };
    Ok(Json(state.lifecycle.reschedule(&me.user, id, to).await?))
}

//! Booking and the appointment transitions.

use super::answers::Appointments;
use super::auth::{As, CurrentUser, PatientRole};
use super::extract::{ApiPath, ApiQuery, Body};
use super::openapi::{BadRequest, Conflict, Forbidden, Invalid, NotFound, Unauthenticated};
use super::{page_limit, ApiResult, AppState};
use crate::domain::{AppointmentStatus, Urgency};
use crate::lifecycle::{BookingRequest, Reschedule};
use crate::store::appointments::Appointment;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Book {
    /// A free slot of the practitioner.
    slot_id: i64,
    /// The reason for the visit, for the practitioner only (never in a message).
    #[serde(default)]
    #[schema(max_length = 1000)]
    reason: String,
    /// `routine` (the default), `soon` or `urgent`.
    #[schema(value_type = Option<Urgency>)]
    urgency: Option<String>,
}

/// `POST /api/v1/appointments`: a patient requests a free slot.
#[utoipa::path(
    post,
    path = "/appointments",
    tag = "appointments",
    summary = "Request a free slot (patients)",
    security(("bearer" = []), ("session" = [])),
    request_body = Book,
    responses((status = 201, description = "Requested", body = Appointment), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid)
)]
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only appointments in this state.
    #[param(value_type = Option<AppointmentStatus>)]
    status: Option<String>,
    /// How many at most (1–500).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// `GET /api/v1/appointments`: the signed-in user's own (all of them for an admin).
#[utoipa::path(
    get,
    path = "/appointments",
    operation_id = "list_appointments",
    tag = "appointments",
    summary = "The signed-in user's appointments (all of them for an admin)",
    security(("bearer" = []), ("session" = [])),
    params(ListQuery),
    responses((status = 200, description = "The appointments, latest first", body = Appointments), BadRequest, Unauthenticated)
)]
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
#[utoipa::path(
    get,
    path = "/appointments/{id}",
    tag = "appointments",
    summary = "One appointment of the signed-in user",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The appointment")),
    responses((status = 200, description = "The appointment", body = Appointment), BadRequest, Unauthenticated, NotFound)
)]
pub async fn get_one(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Appointment>> {
    Ok(Json(state.lifecycle.appointment_for(&me.user, id).await?))
}

/// `POST /api/v1/appointments/{id}/accept`.
#[utoipa::path(
    post,
    path = "/appointments/{id}/accept",
    tag = "appointments",
    summary = "Accept a request (its practitioner)",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The appointment")),
    responses((status = 200, description = "Confirmed", body = Appointment), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid)
)]
pub async fn accept(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Appointment>> {
    Ok(Json(state.lifecycle.accept(&me.user, id).await?))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithReason {
    /// Told to the other party; required when the practice declines or cancels.
    #[schema(max_length = 1000)]
    reason: Option<String>,
}

/// `POST /api/v1/appointments/{id}/decline`.
#[utoipa::path(
    post,
    path = "/appointments/{id}/decline",
    tag = "appointments",
    summary = "Decline a request (its practitioner; reason required)",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The appointment")),
    request_body = WithReason,
    responses((status = 200, description = "Declined", body = Appointment), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid)
)]
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
#[utoipa::path(
    post,
    path = "/appointments/{id}/cancel",
    tag = "appointments",
    summary = "Cancel (the patient before the cut-off; the practice with a reason)",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The appointment")),
    request_body(content = Option<WithReason>, description = "The reason; required from the practice"),
    responses((status = 200, description = "Cancelled", body = Appointment), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid)
)]
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveTo {
    /// A free slot of the same practitioner.
    slot_id: i64,
}

/// `POST /api/v1/appointments/{id}/reschedule`.
#[utoipa::path(
    post,
    path = "/appointments/{id}/reschedule",
    tag = "appointments",
    summary = "Move to another free slot of the same practitioner",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The appointment")),
    request_body = MoveTo,
    responses((status = 200, description = "Moved", body = Appointment), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, Invalid)
)]
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

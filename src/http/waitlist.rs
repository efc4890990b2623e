//! The waitlist, the offers of freed slots, and patients' confirmations of attendance.

use super::auth::{As, CurrentUser, PatientRole};
use super::extract::{ApiPath, ApiQuery, Body};
use super::openapi::{BadRequest, Conflict, Forbidden, Invalid, NotFound, Unauthenticated};
use super::{page_limit, ApiError, ApiResult, AppState};
use crate::domain::{LocalTime, Timestamp, Urgency};
use crate::lifecycle::JoinRequest;
use crate::store::appointments::Appointment;
use crate::store::slots::Slot;
use crate::store::waitlist::{Entry, Offer};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Join {
    /// Whose time to wait for. Not needed with `appointment_id`.
    practitioner_id: Option<i64>,
    /// Wait for anything earlier than this upcoming appointment of mine: an accepted offer
    /// moves it.
    appointment_id: Option<i64>,
    /// Slots starting at or after this instant (RFC 3339). Default: now.
    window_from: Option<String>,
    /// Slots starting before this instant (RFC 3339). Default: no end.
    window_until: Option<String>,
    /// With `day_end`: only slots starting between these times of day on my clock, `HH:MM`.
    day_start: Option<String>,
    day_end: Option<String>,
    /// The reason for the visit, for the practitioner only (a new booking's).
    #[serde(default)]
    #[schema(max_length = 1000)]
    reason: String,
    /// `routine` (the default), `soon` or `urgent`.
    #[schema(value_type = Option<Urgency>)]
    urgency: Option<String>,
}

fn instant(field: &str, v: Option<&str>) -> ApiResult<Option<Timestamp>> {
    v.map(|s| {
        Timestamp::parse_rfc3339(s).map_err(|e| ApiError::unprocessable(format!("{field}: {e}")))
    })
    .transpose()
}

fn time_of_day(field: &str, v: Option<&str>) -> ApiResult<Option<u16>> {
    v.map(|s| {
        LocalTime::parse(s)
            .map(|t| t.minutes())
            .map_err(|e| ApiError::unprocessable(format!("{field}: {}", e.0)))
    })
    .transpose()
}

/// `POST /api/v1/waitlist`.
#[utoipa::path(
    post,
    path = "/waitlist",
    tag = "waitlist",
    summary = "Wait for a practitioner's time, or for anything earlier than my appointment (patients)",
    description = "When a slot frees up it is offered to the first matching patient, by the time they joined, and held for them alone for `waitlist.hold`.",
    security(("bearer" = []), ("session" = [])),
    request_body = Join,
    responses((status = 201, description = "Waiting", body = Entry), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid)
)]
pub async fn join(
    State(state): State<AppState>,
    me: As<PatientRole>,
    Body(body): Body<Join>,
) -> ApiResult<(StatusCode, Json<Entry>)> {
    let urgency = body
        .urgency
        .as_deref()
        .map(Urgency::parse)
        .transpose()?
        .unwrap_or_default();
    let req = JoinRequest {
        practitioner_id: body.practitioner_id,
        appointment_id: body.appointment_id,
        window_from: instant("window_from", body.window_from.as_deref())?,
        window_until: instant("window_until", body.window_until.as_deref())?,
        day_start: time_of_day("day_start", body.day_start.as_deref())?,
        day_end: time_of_day("day_end", body.day_end.as_deref())?,
        reason: body.reason,
        urgency,
    };
    let entry = state.lifecycle.join_waitlist(&me.user, req).await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

#[derive(Serialize, ToSchema)]
pub struct Entries {
    entries: Vec<Entry>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitlistQuery {
    /// For admins: whose waitlist.
    practitioner_id: Option<i64>,
}

/// `GET /api/v1/waitlist`.
#[utoipa::path(
    get,
    path = "/waitlist",
    operation_id = "list_waitlist",
    tag = "waitlist",
    summary = "My waiting entries (patients), my waitlist in offer order (practitioners), a practitioner's (admins)",
    security(("bearer" = []), ("session" = [])),
    params(WaitlistQuery),
    responses((status = 200, description = "Entries, in the order offers go out", body = Entries), BadRequest, Unauthenticated, Invalid)
)]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<WaitlistQuery>,
) -> ApiResult<Json<Entries>> {
    let entries = state
        .lifecycle
        .waitlist_for(&me.user, q.practitioner_id)
        .await?;
    Ok(Json(Entries { entries }))
}

/// `DELETE /api/v1/waitlist/{id}`.
#[utoipa::path(
    delete,
    path = "/waitlist/{id}",
    operation_id = "leave_waitlist",
    tag = "waitlist",
    summary = "Leave the waitlist; an offer held from this entry goes to the next person",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The entry")),
    responses((status = 200, description = "Left", body = Entry), BadRequest, Unauthenticated, NotFound, Invalid)
)]
pub async fn leave(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Entry>> {
    Ok(Json(state.lifecycle.leave_waitlist(&me.user, id).await?))
}

#[derive(Serialize, ToSchema)]
pub struct Offers {
    offers: Vec<Offer>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OffersQuery {
    /// At most this many, newest first (default 50, at most 500).
    limit: Option<i64>,
}

/// `GET /api/v1/offers`.
#[utoipa::path(
    get,
    path = "/offers",
    operation_id = "list_offers",
    tag = "waitlist",
    summary = "Offers of freed slots: mine (patients), of my slots (practitioners), all (admins)",
    security(("bearer" = []), ("session" = [])),
    params(OffersQuery),
    responses((status = 200, description = "Offers, newest first", body = Offers), BadRequest, Unauthenticated)
)]
pub async fn offers(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<OffersQuery>,
) -> ApiResult<Json<Offers>> {
    let limit = page_limit(q.limit, 50, 500)?;
    let offers = state.lifecycle.offers_for(&me.user, limit).await?;
    Ok(Json(Offers { offers }))
}

#[derive(Serialize, ToSchema)]
pub struct OfferDetail {
    offer: Offer,
    slot: Slot,
    /// For "anything earlier": the appointment an acceptance moves.
    moves: Option<Appointment>,
}

/// `GET /api/v1/offers/{id}`.
#[utoipa::path(
    get,
    path = "/offers/{id}",
    operation_id = "get_offer",
    tag = "waitlist",
    summary = "One offer, with its slot",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The offer")),
    responses((status = 200, description = "The offer", body = OfferDetail), BadRequest, Unauthenticated, NotFound)
)]
pub async fn offer(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<OfferDetail>> {
    let (offer, slot, moves) = state.lifecycle.offer_for(&me.user, id).await?;
    Ok(Json(OfferDetail { offer, slot, moves }))
}

/// `POST /api/v1/offers/{id}/accept`.
#[utoipa::path(
    post,
    path = "/offers/{id}/accept",
    operation_id = "accept_offer",
    tag = "waitlist",
    summary = "Take the time held for me: it is booked (or my appointment moves to it)",
    description = "Refused with `409 offer_closed` once the hold ended or the offer was answered; two acceptances give one booking.",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The offer")),
    responses((status = 200, description = "The appointment booked or moved", body = Appointment), BadRequest, Unauthenticated, NotFound, Conflict, Invalid)
)]
pub async fn accept(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Appointment>> {
    Ok(Json(state.lifecycle.accept_offer(&me.user, id).await?))
}

/// `POST /api/v1/offers/{id}/decline`.
#[utoipa::path(
    post,
    path = "/offers/{id}/decline",
    operation_id = "decline_offer",
    tag = "waitlist",
    summary = "Pass: the time goes to the next person waiting (I stay on the waitlist)",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The offer")),
    responses((status = 200, description = "Declined", body = Offer), BadRequest, Unauthenticated, NotFound, Conflict)
)]
pub async fn decline(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Offer>> {
    Ok(Json(state.lifecycle.decline_offer(&me.user, id).await?))
}

#[derive(Serialize, ToSchema)]
pub struct Attendance {
    /// The appointment.
    appointment_id: i64,
    /// `false` when it had already been confirmed.
    newly_confirmed: bool,
}

/// `POST /api/v1/appointments/{id}/confirm-attendance`.
#[utoipa::path(
    post,
    path = "/appointments/{id}/confirm-attendance",
    operation_id = "confirm_attendance",
    tag = "appointments",
    summary = "Say I am coming to my confirmed appointment (shown to the practitioner)",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The appointment")),
    responses((status = 200, description = "Recorded", body = Attendance), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid)
)]
pub async fn confirm_attendance(
    State(state): State<AppState>,
    me: As<PatientRole>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Attendance>> {
    let newly_confirmed = state.lifecycle.confirm_attendance(&me.user, id).await?;
    Ok(Json(Attendance {
        appointment_id: id,
        newly_confirmed,
    }))
}

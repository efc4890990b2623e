//! Clinic administration: accounts and the delivery log.

use super::answers::{DeliveryDetail, DeliveryPage, OneDelivery};
use super::auth::{AdminRole, As};
use super::extract::{ApiPath, ApiQuery, Body};
use super::{page_limit, ApiError, ApiResult, AppState};
use crate::accounts::{create_account, AccountError, NewAccount};
use crate::domain::Channel;
use crate::store::deliveries::{JobFilter, JobState};
use crate::store::users::User;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

/// `POST /api/v1/admin/users`: creates an account.
pub async fn create_user(
    State(state): State<AppState>,
    _admin: As<AdminRole>,
    Body(body): Body<NewAccount>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let user = create_account(&state.store, body, state.clock.now())
        .await
        .map_err(|e| match e {
            AccountError::Invalid { .. } => ApiError::unprocessable(e.to_string()),
            AccountError::EmailTaken => ApiError::conflict("email_taken", e.to_string()),
            AccountError::Store(s) => s.into(),
            AccountError::Internal(i) => ApiError::Internal(i),
        })?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Deserialize)]
pub struct DeliveryQuery {
    state: Option<String>,
    channel: Option<String>,
    recipient_id: Option<i64>,
    appointment_id: Option<i64>,
    before: Option<i64>,
    limit: Option<i64>,
}

/// `GET /api/v1/admin/deliveries`: delivery jobs, newest first, filtered.
pub async fn list_deliveries(
    State(state): State<AppState>,
    _admin: As<AdminRole>,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> ApiResult<Json<DeliveryPage>> {
    let bad = |e: crate::domain::ParseError| ApiError::bad_request("invalid_query", e.0);
    let filter = JobFilter {
        state: q
            .state
            .as_deref()
            .map(JobState::parse)
            .transpose()
            .map_err(bad)?,
        channel: q
            .channel
            .as_deref()
            .map(Channel::parse)
            .transpose()
            .map_err(bad)?,
        recipient_id: q.recipient_id,
        appointment_id: q.appointment_id,
        before_id: q.before,
        limit: page_limit(q.limit, 50, 500)?,
    };
    let mut c = state.store.acquire().await?;
    let jobs = crate::operations::deliveries(&mut c, &filter).await?;
    let next_before = if jobs.len() as i64 == filter.limit {
        jobs.last().map(|j| j.id)
    } else {
        None
    };
    Ok(Json(DeliveryPage {
        deliveries: jobs,
        next_before,
    }))
}

/// `GET /api/v1/admin/deliveries/{id}`: one job with every attempt.
pub async fn delivery_detail(
    State(state): State<AppState>,
    _admin: As<AdminRole>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DeliveryDetail>> {
    let mut c = state.store.acquire().await?;
    let (job, attempts) = crate::operations::delivery_with_attempts(&mut c, id).await?;
    Ok(Json(DeliveryDetail {
        delivery: job,
        attempts,
    }))
}

/// `POST /api/v1/admin/deliveries/{id}/retry`: queues a dead job again, due now.
pub async fn retry_delivery(
    State(state): State<AppState>,
    _admin: As<AdminRole>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<OneDelivery>> {
    let job = crate::operations::retry_dead_delivery(&state, id).await?;
    Ok(Json(OneDelivery { delivery: job }))
}

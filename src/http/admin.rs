//! Clinic administration: accounts and the delivery log.

use super::answers::{DeliveryDetail, DeliveryPage, OneDelivery};
use super::auth::{AdminRole, As};
use super::extract::{ApiPath, ApiQuery, Body};
use super::openapi::{BadRequest, Conflict, Forbidden, Invalid, NotFound, Unauthenticated};
use super::{page_limit, ApiError, ApiResult, AppState};
use crate::accounts::{create_account, AccountError, NewAccount};
use crate::domain::Channel;
use crate::people::ProfileInput;
use crate::store::audit::{AuditEvent, Search};
use crate::store::deliveries::{JobFilter, JobState};
use crate::store::users::User;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `POST /api/v1/admin/users`: creates an account.
#[utoipa::path(
    post,
    path = "/admin/users",
    tag = "admin",
    summary = "Create an account (admins)",
    security(("bearer" = []), ("session" = [])),
    request_body = NewAccount,
    responses((status = 201, description = "Created", body = User), BadRequest, Unauthenticated, Forbidden, Conflict, Invalid)
)]
pub async fn create_user(
    State(state): State<AppState>,
    admin: As<AdminRole>,
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
    crate::app::session::audit(&state, admin.user.id, "user.created", Some(user.id), None).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    #[param(value_type = Option<JobState>)]
    state: Option<String>,
    #[param(value_type = Option<Channel>)]
    channel: Option<String>,
    recipient_id: Option<i64>,
    appointment_id: Option<i64>,
    /// Cursor: only jobs older than this id (from `next_before`).
    before: Option<i64>,
    /// How many at most (1–500).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// `GET /api/v1/admin/deliveries`: delivery jobs, newest first, filtered.
#[utoipa::path(
    get,
    path = "/admin/deliveries",
    tag = "admin",
    summary = "Delivery jobs, newest first, filtered (admins)",
    security(("bearer" = []), ("session" = [])),
    params(DeliveryQuery),
    responses((status = 200, description = "One page", body = DeliveryPage), BadRequest, Unauthenticated, Forbidden)
)]
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
#[utoipa::path(
    get,
    path = "/admin/deliveries/{id}",
    tag = "admin",
    summary = "One delivery job with every attempt (admins)",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The job")),
    responses((status = 200, description = "The job and its attempts", body = DeliveryDetail), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
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
#[utoipa::path(
    post,
    path = "/admin/deliveries/{id}/retry",
    tag = "admin",
    summary = "Queue a dead job again, due now (admins)",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The job")),
    responses((status = 200, description = "Queued again", body = OneDelivery), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict)
)]
pub async fn retry_delivery(
    State(state): State<AppState>,
    admin: As<AdminRole>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<OneDelivery>> {
    let job = crate::operations::retry_dead_delivery(&state, admin.user.id, id).await?;
    Ok(Json(OneDelivery { delivery: job }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Events by this user or about them.
    user_id: Option<i64>,
    appointment_id: Option<i64>,
    /// From this instant (RFC 3339), inclusive.
    from: Option<String>,
    /// Until this instant, exclusive.
    until: Option<String>,
    /// Cursor: only events older than this id (from `next_before`).
    before: Option<i64>,
    /// How many at most (1–500).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// `GET /api/v1/admin/audit`.
#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub next_before: Option<i64>,
}

/// `GET /api/v1/admin/audit`: who did what, when and from where, newest first.
#[utoipa::path(
    get,
    path = "/admin/audit",
    tag = "admin",
    summary = "Search the audit log by user, appointment and time (admins)",
    security(("bearer" = []), ("session" = [])),
    params(AuditQuery),
    responses((status = 200, description = "One page", body = AuditPage), BadRequest, Unauthenticated, Forbidden)
)]
pub async fn audit(
    State(state): State<AppState>,
    _admin: As<AdminRole>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    let instant = |name: &str, v: Option<&str>| {
        v.map(crate::domain::Timestamp::parse_rfc3339)
            .transpose()
            .map_err(|e| ApiError::bad_request("invalid_query", format!("{name}: {}", e.0)))
    };
    let search = Search {
        user_id: q.user_id,
        appointment_id: q.appointment_id,
        from: instant("from", q.from.as_deref())?,
        until: instant("until", q.until.as_deref())?,
        before_id: q.before,
        limit: page_limit(q.limit, 100, 500)?,
    };
    let mut c = state.store.acquire().await?;
    let events = crate::operations::audit_log(&mut c, &search).await?;
    let next_before = if events.len() as i64 == search.limit {
        events.last().map(|e| e.id)
    } else {
        None
    };
    Ok(Json(AuditPage {
        events,
        next_before,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Part of a name or an email, any case.
    q: Option<String>,
    #[param(value_type = Option<crate::domain::Role>)]
    role: Option<String>,
    /// Cursor: only users with a smaller id (from `next_before`).
    before: Option<i64>,
    /// How many at most (1–500).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// `GET /api/v1/admin/users`.
#[derive(Serialize, ToSchema)]
pub struct UserPage {
    pub users: Vec<User>,
    pub next_before: Option<i64>,
}

/// `GET /api/v1/admin/users`: find people, newest first.
#[utoipa::path(
    get,
    path = "/admin/users",
    tag = "admin",
    summary = "Find accounts by name or email and role, newest first (admins)",
    security(("bearer" = []), ("session" = [])),
    params(UserQuery),
    responses((status = 200, description = "One page", body = UserPage), BadRequest, Unauthenticated, Forbidden)
)]
pub async fn list_users(
    State(state): State<AppState>,
    _admin: As<AdminRole>,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> ApiResult<Json<UserPage>> {
    let role = q
        .role
        .as_deref()
        .map(crate::domain::Role::parse)
        .transpose()
        .map_err(|e| ApiError::bad_request("invalid_query", e.0))?;
    let limit = page_limit(q.limit, 50, 500)?;
    let mut c = state.store.acquire().await?;
    let users = crate::directory::find_users(&mut c, q.q.as_deref(), role, q.before, limit).await?;
    let next_before = if users.len() as i64 == limit {
        users.last().map(|u| u.id)
    } else {
        None
    };
    Ok(Json(UserPage { users, next_before }))
}

/// `PATCH /api/v1/admin/users/{id}`.
#[utoipa::path(
    patch,
    path = "/admin/users/{id}",
    tag = "admin",
    summary = "Change an account's name, phone, zone, language or role (admins)",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The user")),
    request_body = ProfileInput,
    responses((status = 200, description = "The account now", body = User), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid)
)]
pub async fn update_user(
    State(state): State<AppState>,
    admin: As<AdminRole>,
    ApiPath(id): ApiPath<i64>,
    Body(body): Body<ProfileInput>,
) -> ApiResult<Json<User>> {
    Ok(Json(
        crate::people::update(&state, &admin.user, id, &body).await?,
    ))
}

/// `POST /api/v1/admin/users/{id}/deactivate`.
#[utoipa::path(
    post,
    path = "/admin/users/{id}/deactivate",
    tag = "admin",
    summary = "Deactivate an account: sessions and tokens end at once, no sign-in, no messages; history kept (admins)",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The user")),
    responses((status = 200, description = "Deactivated", body = User), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict)
)]
pub async fn deactivate_user(
    State(state): State<AppState>,
    admin: As<AdminRole>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<User>> {
    Ok(Json(
        crate::people::deactivate(&state, &admin.user, id).await?,
    ))
}

/// `POST /api/v1/admin/users/{id}/reactivate`.
#[utoipa::path(
    post,
    path = "/admin/users/{id}/reactivate",
    tag = "admin",
    summary = "Reactivate an account (admins)",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The user")),
    responses((status = 200, description = "Active again", body = User), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
pub async fn reactivate_user(
    State(state): State<AppState>,
    admin: As<AdminRole>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<User>> {
    Ok(Json(
        crate::people::reactivate(&state, &admin.user, id).await?,
    ))
}

//! Notices from admins (to any audience) and practitioners (to their day's patients).

use super::auth::CurrentUser;
use super::extract::{ApiPath, ApiQuery, Body};
use super::openapi::{
    BadRequest, Conflict, Forbidden, Invalid, NotFound, RateLimited, Unauthenticated,
};
use super::{page_limit, ApiResult, AppState};
use crate::notices::{self, NoticeInput, NoticeView};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `GET /api/v1/notices`.
#[derive(Serialize, ToSchema)]
pub struct NoticePage {
    pub notices: Vec<NoticeView>,
    /// Pass as `before` for the next page; absent on the last.
    pub next_before: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoticeQuery {
    /// Cursor: only notices older than this id (from `next_before`).
    before: Option<i64>,
    /// How many at most (1–100).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

/// `POST /api/v1/notices`: a draft, with the size of its audience; nothing is sent yet.
#[utoipa::path(
    operation_id = "draft_notice",
    post,
    path = "/notices",
    tag = "notices",
    summary = "Write a notice as a draft and see how many people it would reach (admins: any audience; practitioners: their patients of a day)",
    security(("bearer" = []), ("session" = [])),
    request_body = NoticeInput,
    responses((status = 201, description = "The draft, with audience_size", body = NoticeView), BadRequest, Unauthenticated, Forbidden, Invalid)
)]
pub async fn draft(
    State(state): State<AppState>,
    me: CurrentUser,
    Body(body): Body<NoticeInput>,
) -> ApiResult<(StatusCode, Json<NoticeView>)> {
    let view = notices::draft(&state, &me.user, &body).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// `GET /api/v1/notices`: newest first; an admin sees every notice, a practitioner theirs.
#[utoipa::path(
    operation_id = "list_notices",
    get,
    path = "/notices",
    tag = "notices",
    summary = "Notices with their progress, newest first (admins: all; practitioners: their own)",
    security(("bearer" = []), ("session" = [])),
    params(NoticeQuery),
    responses((status = 200, description = "One page", body = NoticePage), BadRequest, Unauthenticated, Forbidden)
)]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<NoticeQuery>,
) -> ApiResult<Json<NoticePage>> {
    let limit = page_limit(q.limit, 20, 100)?;
    let found = notices::list(&state, &me.user, q.before, limit).await?;
    let next_before = (found.len() as i64 == limit)
        .then(|| found.last().map(|n| n.id))
        .flatten();
    Ok(Json(NoticePage {
        notices: found,
        next_before,
    }))
}

/// `GET /api/v1/notices/{id}`.
#[utoipa::path(
    operation_id = "get_notice",
    get,
    path = "/notices/{id}",
    tag = "notices",
    summary = "One notice with its progress (planned, shown, read; per channel pending, sent, failed, suppressed, voided)",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The notice")),
    responses((status = 200, description = "The notice", body = NoticeView), BadRequest, Unauthenticated, NotFound)
)]
pub async fn one(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<NoticeView>> {
    Ok(Json(notices::one(&state, &me.user, id).await?))
}

/// `POST /api/v1/notices/{id}/send`: confirms a draft; its fan-out starts.
#[utoipa::path(
    operation_id = "send_notice",
    post,
    path = "/notices/{id}/send",
    tag = "notices",
    summary = "Send a draft (its sender only); refused past notices.per_sender per notices.window",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The notice")),
    responses((status = 200, description = "Sending", body = NoticeView), BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, RateLimited)
)]
pub async fn send(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<NoticeView>> {
    Ok(Json(notices::send(&state, &me.user, id).await?))
}

/// `POST /api/v1/notices/{id}/cancel`: stops a draft or a notice in flight.
#[utoipa::path(
    operation_id = "cancel_notice",
    post,
    path = "/notices/{id}/cancel",
    tag = "notices",
    summary = "Cancel a draft or a notice in flight: nothing more is written, what is not delivered yet is voided",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The notice")),
    responses((status = 200, description = "Cancelled", body = NoticeView), BadRequest, Unauthenticated, NotFound, Conflict)
)]
pub async fn cancel(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<NoticeView>> {
    Ok(Json(notices::cancel(&state, &me.user, id).await?))
}

//! The signed-in user's notifications.

use super::answers::{NotificationPage, UnreadCount};
use super::auth::CurrentUser;
use super::extract::{ApiPath, ApiQuery};
use super::openapi::{BadRequest, Forbidden, NotFound, Unauthenticated};
use super::{page_limit, ApiResult, AppState};
use crate::inbox::{mark_all, mark_one, Marked};
use crate::store::users::User;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only unread ones.
    #[serde(default)]
    unread: bool,
    /// Cursor: only notifications older than this id (from `next_before`).
    before: Option<i64>,
    /// How many at most (1–100).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

/// One page, newest first, with the unread count.
pub(crate) async fn page(
    state: &AppState,
    user: &User,
    unread: bool,
    before: Option<i64>,
    limit: i64,
) -> ApiResult<NotificationPage> {
    let mut c = state.store.acquire().await?;
    let crate::inbox::Page {
        items,
        unread_count,
    } = crate::inbox::page(state, &mut c, user, unread, before, limit).await?;
    let next_before = if items.len() as i64 == limit {
        items.last().map(|n| n.id)
    } else {
        None
    };
    Ok(NotificationPage {
        notifications: items,
        unread_count,
        next_before,
    })
}

/// `GET /api/v1/notifications?unread=true&before=ID&limit=N`.
#[utoipa::path(
    get,
    path = "/notifications",
    operation_id = "list_notifications",
    tag = "notifications",
    summary = "One page of notifications, newest first, with the unread count",
    security(("bearer" = []), ("session" = [])),
    params(ListQuery),
    responses((status = 200, description = "One page", body = NotificationPage), BadRequest, Unauthenticated)
)]
pub async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<NotificationPage>> {
    let limit = page_limit(q.limit, 20, 100)?;
    Ok(Json(
        page(&state, &me.user, q.unread, q.before, limit).await?,
    ))
}

/// `GET /api/v1/notifications/unread-count`.
#[utoipa::path(
    get,
    path = "/notifications/unread-count",
    tag = "notifications",
    summary = "How many are unread",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The count", body = UnreadCount), Unauthenticated)
)]
pub async fn unread_count(
    State(state): State<AppState>,
    me: CurrentUser,
) -> ApiResult<Json<UnreadCount>> {
    let mut c = state.store.acquire().await?;
    let n = crate::inbox::unread_count(&state, &mut c, me.user.id).await?;
    Ok(Json(UnreadCount { unread_count: n }))
}

/// `POST /api/v1/notifications/{id}/read`.
#[utoipa::path(
    post,
    path = "/notifications/{id}/read",
    tag = "notifications",
    summary = "Mark one read",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The notification")),
    responses((status = 200, description = "Marked", body = Marked), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
pub async fn mark_read(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Marked>> {
    Ok(Json(mark_one(&state, me.user.id, id).await?))
}

/// `POST /api/v1/notifications/read-all`.
#[utoipa::path(
    post,
    path = "/notifications/read-all",
    tag = "notifications",
    summary = "Mark all read",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "Marked", body = Marked), Unauthenticated, Forbidden)
)]
pub async fn mark_all_read(
    State(state): State<AppState>,
    me: CurrentUser,
) -> ApiResult<Json<Marked>> {
    Ok(Json(mark_all(&state, me.user.id).await?))
}

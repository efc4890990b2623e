//! The signed-in user's notifications.

use super::auth::CurrentUser;
use super::extract::{ApiPath, ApiQuery};
use super::{page_limit, ApiError, ApiResult, AppState};
use crate::delivery::live::LiveEvent;
use crate::store::notifications::{self, Notification};
use crate::store::users::User;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct ListQuery {
    /// Only unread ones.
    #[serde(default)]
    unread: bool,
    /// Cursor: only notifications older than this id (from `next_before`).
    before: Option<i64>,
    limit: Option<i64>,
}

/// A notification with its title and message in the recipient's language and zone (the
/// stored English text stays when a template fails).
pub(crate) fn localize(state: &AppState, mut n: Notification, to: &User) -> Notification {
    match state.templates.in_app(&n, to, state.clock.now()) {
        Ok(text) => {
            n.title = text.title;
            n.message = text.message;
        }
        Err(e) => tracing::warn!(error = %e, notification_id = n.id, "in-app text failed"),
    }
    n
}

/// One page, newest first, with the unread count.
pub(crate) async fn page(
    state: &AppState,
    user: &User,
    unread: bool,
    before: Option<i64>,
    limit: i64,
) -> ApiResult<Value> {
    let user_id = user.id;
    let mut c = state.store.acquire().await?;
    let items: Vec<Notification> =
        notifications::list(&mut c, user_id, unread, before, limit, state.clock.now())
            .await?
            .into_iter()
            .map(|n| localize(state, n, user))
            .collect();
    let unread_count = notifications::unread_count(&mut c, user_id, state.clock.now()).await?;
    let next_before = if items.len() as i64 == limit {
        items.last().map(|n| n.id)
    } else {
        None
    };
    Ok(json!({ "notifications": items, "unread_count": unread_count, "next_before": next_before }))
}

/// `GET /api/v1/notifications?unread=true&before=ID&limit=N`.
pub async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    let limit = page_limit(q.limit, 20, 100)?;
    Ok(Json(
        page(&state, &me.user, q.unread, q.before, limit).await?,
    ))
}

/// `GET /api/v1/notifications/unread-count`.
pub async fn unread_count(
    State(state): State<AppState>,
    me: CurrentUser,
) -> ApiResult<Json<Value>> {
    let mut c = state.store.acquire().await?;
    let n = notifications::unread_count(&mut c, me.user.id, state.clock.now()).await?;
    Ok(Json(json!({ "unread_count": n })))
}

/// Marks one of the user's notifications read; someone else's is "not found".
pub(crate) async fn mark_one(state: &AppState, user_id: i64, id: i64) -> ApiResult<Value> {
    let mut c = state.store.acquire().await?;
    if !notifications::mark_read(&mut c, user_id, id, state.clock.now()).await? {
        return Err(ApiError::not_found("notification"));
    }
    let n = notifications::unread_count(&mut c, user_id, state.clock.now()).await?;
    state.live.publish(LiveEvent::ReadChanged {
        recipient_id: user_id,
    });
    Ok(json!({ "success": true, "unread_count": n }))
}

pub(crate) async fn mark_all(state: &AppState, user_id: i64) -> ApiResult<Value> {
    let mut c = state.store.acquire().await?;
    let marked = notifications::mark_all_read(&mut c, user_id, state.clock.now()).await?;
    // Counted again: a notification may have arrived since.
    let n = notifications::unread_count(&mut c, user_id, state.clock.now()).await?;
    state.live.publish(LiveEvent::ReadChanged {
        recipient_id: user_id,
    });
    Ok(json!({ "success": true, "marked": marked, "unread_count": n }))
}

/// `POST /api/v1/notifications/{id}/read`.
pub async fn mark_read(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(mark_one(&state, me.user.id, id).await?))
}

/// `POST /api/v1/notifications/read-all`.
pub async fn mark_all_read(
    State(state): State<AppState>,
    me: CurrentUser,
) -> ApiResult<Json<Value>> {
    Ok(Json(mark_all(&state, me.user.id).await?))
}

//! A user's choices (channels per category, quiet hours) and, for admins, anyone's, with
//! the consent record.

use super::auth::{AdminRole, As, CurrentUser};
use super::extract::{ApiPath, Body};
use super::openapi::{BadRequest, Forbidden, Invalid, NotFound, Unauthenticated};
use super::{ApiError, ApiResult, AppState};
use crate::preferences::{self, PreferenceChange, PreferenceView};
use crate::store::preferences::{ConsentRecord, Source};
use crate::store::users::User;
use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// `GET /api/v1/me/preferences`.
#[utoipa::path(
    get,
    path = "/me/preferences",
    tag = "preferences",
    summary = "The signed-in user's channels per category, quiet hours and SMS opt-out",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The choices", body = PreferenceView), Unauthenticated)
)]
pub async fn mine(
    State(state): State<AppState>,
    me: CurrentUser,
) -> ApiResult<Json<PreferenceView>> {
    let mut c = state.store.acquire().await?;
    Ok(Json(preferences::view(&state, &mut c, &me.user).await?))
}

/// `PUT /api/v1/me/preferences`.
#[utoipa::path(
    put,
    path = "/me/preferences",
    tag = "preferences",
    summary = "Change channels per category or quiet hours (only what is given changes)",
    description = "Each real change is appended to the consent record. A category the clinic \
        requires keeps email or SMS on (422 otherwise). Quiet hours must lie within the \
        clinic's range; `null` goes back to the clinic's.",
    security(("bearer" = []), ("session" = [])),
    request_body = PreferenceChange,
    responses((status = 200, description = "The choices now", body = PreferenceView), BadRequest, Unauthenticated, Forbidden, Invalid)
)]
pub async fn change_mine(
    State(state): State<AppState>,
    me: CurrentUser,
    Body(body): Body<PreferenceChange>,
) -> ApiResult<Json<PreferenceView>> {
    Ok(Json(
        preferences::change(&state, &me.user, &body, Source::Api, None).await?,
    ))
}

async fn account(state: &AppState, id: i64) -> ApiResult<User> {
    let mut c = state.store.acquire().await?;
    crate::store::users::get(&mut c, id)
        .await?
        .ok_or_else(|| ApiError::not_found("account"))
}

/// `GET /api/v1/admin/users/{id}/preferences`.
#[utoipa::path(
    get,
    path = "/admin/users/{id}/preferences",
    tag = "admin",
    summary = "A user's choices (admins)",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The user")),
    responses((status = 200, description = "The choices", body = PreferenceView), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
pub async fn of_user(
    State(state): State<AppState>,
    _admin: As<AdminRole>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<PreferenceView>> {
    let user = account(&state, id).await?;
    let mut c = state.store.acquire().await?;
    Ok(Json(preferences::view(&state, &mut c, &user).await?))
}

/// `PUT /api/v1/admin/users/{id}/preferences`: on the person's request.
#[utoipa::path(
    put,
    path = "/admin/users/{id}/preferences",
    tag = "admin",
    summary = "Change a user's choices on their request (admins; recorded with the admin as actor)",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The user")),
    request_body = PreferenceChange,
    responses((status = 200, description = "The choices now", body = PreferenceView), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid)
)]
pub async fn change_of_user(
    State(state): State<AppState>,
    admin: As<AdminRole>,
    ApiPath(id): ApiPath<i64>,
    Body(body): Body<PreferenceChange>,
) -> ApiResult<Json<PreferenceView>> {
    let user = account(&state, id).await?;
    Ok(Json(
        preferences::change(&state, &user, &body, Source::Admin, Some(admin.user.id)).await?,
    ))
}

/// `GET /api/v1/admin/users/{id}/consents`.
#[derive(Serialize, ToSchema)]
pub struct Consents {
    pub consents: Vec<ConsentRecord>,
}

/// `GET /api/v1/admin/users/{id}/consents`: the append-only record, oldest first.
#[utoipa::path(
    get,
    path = "/admin/users/{id}/consents",
    tag = "admin",
    summary = "A user's consent record: every change of channel, quiet hours or SMS opt-out, oldest first (admins)",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The user")),
    responses((status = 200, description = "The record", body = Consents), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
pub async fn consents(
    State(state): State<AppState>,
    _admin: As<AdminRole>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Consents>> {
    account(&state, id).await?;
    let mut c = state.store.acquire().await?;
    Ok(Json(Consents {
        consents: preferences::record_of(&mut c, id).await?,
    }))
}

/// `GET /api/v1/push/key`.
#[derive(Serialize, ToSchema)]
pub struct PushKey {
    /// The VAPID public key browsers subscribe with (`applicationServerKey`): the
    /// uncompressed P-256 point, base64url.
    pub public_key: String,
}

/// `GET /api/v1/push/key`.
#[utoipa::path(
    get,
    path = "/push/key",
    tag = "preferences",
    summary = "The key browsers subscribe to this installation's push notifications with",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The VAPID public key", body = PushKey), Unauthenticated)
)]
pub async fn push_key(State(state): State<AppState>, _me: CurrentUser) -> Json<PushKey> {
    Json(PushKey {
        public_key: state.dispatcher.push_public_key(),
    })
}

/// `GET /api/v1/me/push-subscriptions`.
#[derive(Serialize, ToSchema)]
pub struct PushSubscriptions {
    pub subscriptions: Vec<crate::store::push::Subscription>,
}

/// `GET /api/v1/me/push-subscriptions`.
#[utoipa::path(
    get,
    path = "/me/push-subscriptions",
    tag = "preferences",
    summary = "The browsers where the signed-in user turned notifications on",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The browsers", body = PushSubscriptions), Unauthenticated)
)]
pub async fn my_push_subscriptions(
    State(state): State<AppState>,
    me: CurrentUser,
) -> ApiResult<Json<PushSubscriptions>> {
    Ok(Json(PushSubscriptions {
        subscriptions: preferences::push_subscriptions(&state, &me.user).await?,
    }))
}

/// `POST /api/v1/me/push-subscriptions`.
#[utoipa::path(
    post,
    path = "/me/push-subscriptions",
    tag = "preferences",
    summary = "Turn notifications on in a browser: its push subscription (PushSubscription.toJSON())",
    security(("bearer" = []), ("session" = [])),
    request_body = preferences::PushSubscriptionInput,
    responses((status = 201, description = "Recorded"), BadRequest, Unauthenticated, Forbidden, Invalid)
)]
pub async fn subscribe_push(
    State(state): State<AppState>,
    me: CurrentUser,
    Body(body): Body<preferences::PushSubscriptionInput>,
) -> ApiResult<axum::http::StatusCode> {
    preferences::subscribe_push(&state, &me.user, &body).await?;
    Ok(axum::http::StatusCode::CREATED)
}

/// `DELETE /api/v1/me/push-subscriptions`.
#[utoipa::path(
    delete,
    path = "/me/push-subscriptions",
    tag = "preferences",
    summary = "Turn notifications off in a browser",
    security(("bearer" = []), ("session" = [])),
    request_body = preferences::PushEndpoint,
    responses((status = 204, description = "Forgotten"), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
pub async fn unsubscribe_push(
    State(state): State<AppState>,
    me: CurrentUser,
    Body(body): Body<preferences::PushEndpoint>,
) -> ApiResult<axum::http::StatusCode> {
    preferences::unsubscribe_push(&state, &me.user, &body.endpoint).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

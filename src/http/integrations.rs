//! Admins' webhook endpoints for integrators.

use super::auth::{AdminRole, As};
use super::extract::{ApiPath, Body};
use super::openapi::{BadRequest, Forbidden, Invalid, NotFound, Unauthenticated};
use super::{ApiResult, AppState};
use crate::integrations::{self, EndpointInput, EndpointPatch, WithSecret};
use crate::store::webhooks::Endpoint;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// `GET /api/v1/admin/webhooks`.
#[derive(Serialize, ToSchema)]
pub struct Endpoints {
    pub endpoints: Vec<Endpoint>,
}

/// `POST /api/v1/admin/webhooks`.
#[utoipa::path(
    post,
    path = "/admin/webhooks",
    tag = "admin",
    summary = "Register a webhook endpoint; its secret is shown only in this answer (admins)",
    security(("bearer" = []), ("session" = [])),
    request_body = EndpointInput,
    responses((status = 201, description = "Registered", body = WithSecret), BadRequest, Unauthenticated, Forbidden, Invalid)
)]
pub async fn create_webhook(
    State(state): State<AppState>,
    admin: As<AdminRole>,
    Body(body): Body<EndpointInput>,
) -> ApiResult<(StatusCode, Json<WithSecret>)> {
    let made = integrations::create(&state, &admin.user, &body).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// `GET /api/v1/admin/webhooks`.
#[utoipa::path(
    get,
    path = "/admin/webhooks",
    tag = "admin",
    summary = "Webhook endpoints with their state (admins)",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The endpoints", body = Endpoints), Unauthenticated, Forbidden)
)]
pub async fn list_webhooks(
    State(state): State<AppState>,
    _admin: As<AdminRole>,
) -> ApiResult<Json<Endpoints>> {
    Ok(Json(Endpoints {
        endpoints: integrations::list(&state).await?,
    }))
}

/// `GET /api/v1/admin/webhooks/{id}`.
#[utoipa::path(
    get,
    path = "/admin/webhooks/{id}",
    tag = "admin",
    summary = "One webhook endpoint (admins)",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The endpoint")),
    responses((status = 200, description = "The endpoint", body = Endpoint), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
pub async fn webhook(
    State(state): State<AppState>,
    _admin: As<AdminRole>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Endpoint>> {
    Ok(Json(integrations::one(&state, id).await?))
}

/// `PATCH /api/v1/admin/webhooks/{id}`.
#[utoipa::path(
    patch,
    path = "/admin/webhooks/{id}",
    tag = "admin",
    summary = "Change a webhook endpoint, or turn it off or on again (admins)",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The endpoint")),
    request_body = EndpointPatch,
    responses((status = 200, description = "The endpoint now", body = Endpoint), BadRequest, Unauthenticated, Forbidden, NotFound, Invalid)
)]
pub async fn update_webhook(
    State(state): State<AppState>,
    admin: As<AdminRole>,
    ApiPath(id): ApiPath<i64>,
    Body(body): Body<EndpointPatch>,
) -> ApiResult<Json<Endpoint>> {
    Ok(Json(
        integrations::change(&state, &admin.user, id, &body).await?,
    ))
}

/// `POST /api/v1/admin/webhooks/{id}/rotate-secret`.
#[utoipa::path(
    post,
    path = "/admin/webhooks/{id}/rotate-secret",
    tag = "admin",
    summary = "A new secret, shown only in this answer; the old one signs beside it for webhooks.secret_overlap (admins)",
    security(("bearer" = []), ("session" = [])),
    params(("id" = i64, Path, description = "The endpoint")),
    responses((status = 200, description = "The new secret", body = WithSecret), BadRequest, Unauthenticated, Forbidden, NotFound)
)]
pub async fn rotate_webhook_secret(
    State(state): State<AppState>,
    admin: As<AdminRole>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<WithSecret>> {
    Ok(Json(integrations::rotate(&state, &admin.user, id).await?))
}

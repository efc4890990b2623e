//! The paths of the system carebell replaces, so its clients keep working. They answer
//! with the same JSON errors as the API; the role of the dashboard is enforced.

use super::auth::{As, PatientRole, PractitionerRole};
use super::extract::{ApiPath, Body};
use super::notifications::{mark_all, mark_one, page};
use super::{ApiError, ApiResult, AppState};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/practitioner-dashboard/api/notifications/",
            get(practitioner_notifications),
        )
        .route(
            "/practitioner-dashboard/api/notifications/mark-read/",
            post(practitioner_mark_read),
        )
        .route(
            "/practitioner-dashboard/api/notifications/mark-all-read/",
            post(practitioner_mark_all),
        )
        .route(
            "/practitioner-dashboard/api/appointments/{id}/{action}/",
            post(practitioner_decide),
        )
        .route(
            "/practitioner-dashboard/api/notify-availability/",
            post(practitioner_notify),
        )
        .route(
            "/patient-dashboard/mark-notifications-read/",
            post(patient_mark_all),
        )
        .route(
            "/patient-dashboard/mark-notification-read/",
            post(patient_mark_read),
        )
}

#[derive(Deserialize)]
pub struct MarkOne {
    notification_id: i64,
}

#[derive(Deserialize, Default)]
pub struct Decision {
    reason: Option<String>,
    note: Option<String>,
    message: Option<String>,
}

async fn practitioner_notifications(
    State(state): State<AppState>,
    me: As<PractitionerRole>,
) -> ApiResult<Json<Value>> {
    Ok(Json(page(&state, &me.user, false, None, 50).await?))
}

async fn practitioner_mark_read(
    State(state): State<AppState>,
    me: As<PractitionerRole>,
    Body(body): Body<MarkOne>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        mark_one(&state, me.user.id, body.notification_id).await?,
    ))
}

async fn practitioner_mark_all(
    State(state): State<AppState>,
    me: As<PractitionerRole>,
) -> ApiResult<Json<Value>> {
    Ok(Json(mark_all(&state, me.user.id).await?))
}

async fn practitioner_decide(
    State(state): State<AppState>,
    me: As<PractitionerRole>,
    ApiPath((id, action)): ApiPath<(i64, String)>,
    Body(body): Body<Decision>,
) -> ApiResult<Json<Value>> {
    let a = match action.as_str() {
        "accept" => state.lifecycle.accept(&me.user, id).await?,
        "decline" => {
            state
                .lifecycle
                .decline(&me.user, id, body.reason.as_deref())
                .await?
        }
        _ => return Err(ApiError::not_found("action (expected accept or decline)")),
    };
    Ok(Json(json!({ "success": true, "appointment": a })))
}

async fn practitioner_notify(
    State(state): State<AppState>,
    me: As<PractitionerRole>,
    Body(body): Body<Decision>,
) -> ApiResult<Json<Value>> {
    let note = body.note.or(body.message);
    let n = state
        .lifecycle
        .notify_availability(&me.user, note.as_deref())
        .await?;
    Ok(Json(json!({ "success": true, "notified": n })))
}

async fn patient_mark_all(
    State(state): State<AppState>,
    me: As<PatientRole>,
) -> ApiResult<Json<Value>> {
    Ok(Json(mark_all(&state, me.user.id).await?))
}

async fn patient_mark_read(
    State(state): State<AppState>,
    me: As<PatientRole>,
    Body(body): Body<MarkOne>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        mark_one(&state, me.user.id, body.notification_id).await?,
    ))
}

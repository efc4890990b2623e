//! The paths of the system carebell replaces, answering in that system's shapes so its
//! own dashboard code keeps working unchanged (the canonical `/api/v1` keeps its own):
//!
//! - success: `{"success": true, …}` with the fields its script reads;
//! - errors: `{"success": false, "error": "<detail>", "code": "<code>"}`, with status 200
//!   as that system answered, except 401/403 (not signed in, wrong role, CSRF) and 429/503,
//!   which keep their status so that no client mistakes them for an answer;
//! - ids as numbers or numeric strings (its templates write `'{{ notification.id }}'`),
//!   bodies as JSON or forms;
//! - CSRF: the browser session's token, which its script reads from the `csrftoken` cookie
//!   and sends as `X-CSRFToken` (checked against the session like `X-CSRF-Token`).

use super::auth::{As, PatientRole, PractitionerRole};
use super::extract::{ApiPath, Body};
use super::{ApiResult, AppState};
use crate::catalogue::{self, Args};
use crate::domain::{Language, Timestamp};
use crate::inbox::{mark_all, mark_one, Marked};
use crate::store::users::User;
use axum::body::Body as HttpBody;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};

/// How many notifications the old list held.
const OLD_LIST_LENGTH: i64 = 20;

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
        .layer(axum::middleware::map_response(old_error_shape))
}

/// Rewrites the API's `{"code", "detail"}` errors (from handlers and extractors alike)
/// into the old `{"success": false, "error"}`.
async fn old_error_shape(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let api: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let keep = matches!(
        status,
        StatusCode::UNAUTHORIZED
            | StatusCode::FORBIDDEN
            | StatusCode::TOO_MANY_REQUESTS
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::INTERNAL_SERVER_ERROR
    );
    parts.status = if keep { status } else { StatusCode::OK };
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    let body = json!({
        "success": false,
        "error": api.get("detail").cloned().unwrap_or_else(|| json!(status.canonical_reason())),
        "code": api.get("code").cloned().unwrap_or(Value::Null),
    });
    Response::from_parts(parts, HttpBody::from(body.to_string()))
}

/// An id sent as a number (`12`) or as a numeric string (`"12"`).
fn number_or_numeric_string<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Number(i64),
        Text(String),
    }
    match Id::deserialize(d)? {
        Id::Number(n) => Ok(n),
        Id::Text(s) => s
            .trim()
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a notification id"))),
    }
}

#[derive(Deserialize)]
pub struct MarkOne {
    #[serde(deserialize_with = "number_or_numeric_string")]
    notification_id: i64,
}

#[derive(Deserialize, Default)]
pub struct Decision {
    reason: Option<String>,
    note: Option<String>,
    message: Option<String>,
}

/// A notification as the old dashboard script reads it.
#[derive(Serialize)]
struct OldNotification {
    id: i64,
    title: String,
    message: String,
    /// The severity.
    #[serde(rename = "type")]
    kind: crate::domain::Severity,
    url: Option<String>,
    is_read: bool,
    /// `%Y-%m-%d %H:%M:%S` in the reader's zone.
    created_at: String,
    time_ago: String,
}

#[derive(Serialize)]
struct OldList {
    success: bool,
    notifications: Vec<OldNotification>,
    unread_count: i64,
}

#[derive(Serialize)]
struct OldDecision {
    success: bool,
    message: String,
    /// "Accepted", or "Cancelled" for a decline.
    status: &'static str,
    appointment: crate::store::appointments::Appointment,
}

#[derive(Serialize)]
struct OldNotified {
    success: bool,
    message: String,
    notified: usize,
}

/// `GET /practitioner-dashboard/api/notifications/`: the 20 newest, as the old list.
async fn practitioner_notifications(
    State(state): State<AppState>,
    me: As<PractitionerRole>,
) -> ApiResult<Json<OldList>> {
    let now = state.clock.now();
    let user = &me.user;
    let mut c = state.store.acquire().await?;
    let crate::inbox::Page {
        items,
        unread_count,
    } = crate::inbox::page(&state, &mut c, user, false, None, OLD_LIST_LENGTH).await?;
    drop(c);
    let catalogue = state.templates.catalogue();
    let notifications = items
        .into_iter()
        .map(|n| {
            let local = n
                .visible_at
                .to_datetime()
                .with_timezone(&user.time_zone.tz());
            OldNotification {
                id: n.id,
                created_at: local.format("%Y-%m-%d %H:%M:%S").to_string(),
                time_ago: time_ago(catalogue, user.language, n.visible_at, now),
                title: n.title,
                message: n.message,
                kind: n.severity,
                url: n.link,
                is_read: n.read,
            }
        })
        .collect();
    Ok(Json(OldList {
        success: true,
        notifications,
        unread_count,
    }))
}

/// "5 minutes ago", in the reader's language.
fn time_ago(
    catalogue: &catalogue::Catalogue,
    lang: Language,
    then: Timestamp,
    now: Timestamp,
) -> String {
    let seconds = (now.millis() - then.millis()).max(0) / 1000;
    let (unit, count) = match seconds {
        s if s < 60 => ("now", 0),
        s if s < 3600 => ("minutes", s / 60),
        s if s < 86_400 => ("hours", s / 3600),
        s => ("days", s / 86_400),
    };
    let mut args = Args::new();
    args.set("unit", unit);
    args.set("count", catalogue::number(count as usize));
    catalogue
        .try_format(lang, "time-ago", None, Some(&args))
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// A sentence from the catalogue in the reader's language.
fn said(state: &AppState, user: &User, id: &str, args: Option<&Args<'_>>) -> String {
    match state
        .templates
        .catalogue()
        .try_format(user.language, id, None, args)
    {
        Ok(text) => text.unwrap_or_default(),
        Err(e) => {
            tracing::warn!(error = %e, message = id, "an old-path message did not render");
            String::new()
        }
    }
}

async fn practitioner_mark_read(
    State(state): State<AppState>,
    me: As<PractitionerRole>,
    Body(body): Body<MarkOne>,
) -> ApiResult<Json<Marked>> {
    Ok(Json(
        mark_one(&state, me.user.id, body.notification_id).await?,
    ))
}

async fn practitioner_mark_all(
    State(state): State<AppState>,
    me: As<PractitionerRole>,
) -> ApiResult<Json<Marked>> {
    Ok(Json(mark_all(&state, me.user.id).await?))
}

/// `POST …/appointments/{id}/{action}/`: `accept` or `decline`, answered as the old
/// system did (`status` "Accepted", or "Cancelled" for a decline).
async fn practitioner_decide(
    State(state): State<AppState>,
    me: As<PractitionerRole>,
    ApiPath((id, action)): ApiPath<(i64, String)>,
    Body(body): Body<Decision>,
) -> ApiResult<Response> {
    let (a, status, message) =
        match action.as_str() {
            "accept" => (
                state.lifecycle.accept(&me.user, id).await?,
                "Accepted",
                said(&state, &me.user, "old-accepted", None),
            ),
            "decline" => (
                state
                    .lifecycle
                    .decline(&me.user, id, body.reason.as_deref())
                    .await?,
                "Cancelled",
                said(&state, &me.user, "old-declined", None),
            ),
            _ => return Ok(Json(
                json!({ "success": false, "error": "Invalid action", "code": "invalid_action" }),
            )
            .into_response()),
        };
    Ok(Json(OldDecision {
        success: true,
        message,
        status,
        appointment: a,
    })
    .into_response())
}

async fn practitioner_notify(
    State(state): State<AppState>,
    me: As<PractitionerRole>,
    Body(body): Body<Decision>,
) -> ApiResult<Json<OldNotified>> {
    let note = body.note.or(body.message);
    let n = state
        .lifecycle
        .notify_availability(&me.user, note.as_deref())
        .await?;
    let mut args = Args::new();
    args.set("count", catalogue::number(n));
    let message = said(&state, &me.user, "old-notified", Some(&args));
    Ok(Json(OldNotified {
        success: true,
        message,
        notified: n,
    }))
}

async fn patient_mark_all(
    State(state): State<AppState>,
    me: As<PatientRole>,
) -> ApiResult<Json<Marked>> {
    Ok(Json(mark_all(&state, me.user.id).await?))
}

async fn patient_mark_read(
    State(state): State<AppState>,
    me: As<PatientRole>,
    Body(body): Body<MarkOne>,
) -> ApiResult<Json<Marked>> {
    Ok(Json(
        mark_one(&state, me.user.id, body.notification_id).await?,
    ))
}

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
use super::openapi::{OldForbidden, OldUnauthenticated};
use super::{ApiResult, AppState};
use crate::catalogue::{self, Args};
use crate::domain::{Language, Timestamp};
use crate::inbox::{mark_all, mark_one, Marked};
use crate::store::users::User;
use axum::body::Body as HttpBody;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How many notifications the old list held.
const OLD_LIST_LENGTH: i64 = 20;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(practitioner_notifications))
        .routes(routes!(practitioner_mark_read))
        .routes(routes!(practitioner_mark_all))
        .routes(routes!(practitioner_decide))
        .routes(routes!(practitioner_notify))
        .routes(routes!(patient_mark_all))
        .routes(routes!(patient_mark_read))
        .layer(axum::middleware::map_response(old_error_shape))
}

/// An error on the old paths, in their shape.
#[derive(Serialize, ToSchema)]
pub struct OldError {
    /// Always false.
    success: bool,
    /// Human-readable explanation.
    error: String,
    /// The same stable code as the API's.
    code: Option<String>,
}

/// What the old paths answer with status 200: the answer, or a refusal about the request
/// itself (not found, invalid, conflict), which that system also sent with 200.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum OldAnswer<T> {
    Done(T),
    Refused(OldError),
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
    let text = |key: &str| api.get(key).and_then(Value::as_str).map(str::to_owned);
    let body = OldError {
        success: false,
        error: text("detail")
            .unwrap_or_else(|| status.canonical_reason().unwrap_or_default().to_owned()),
        code: text("code"),
    };
    let body = serde_json::to_vec(&body).unwrap_or_default();
    Response::from_parts(parts, HttpBody::from(body))
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

#[derive(Deserialize, ToSchema)]
pub struct MarkOne {
    /// A number, or a numeric string.
    #[serde(deserialize_with = "number_or_numeric_string")]
    #[schema(value_type = i64)]
    notification_id: i64,
}

#[derive(Deserialize, Default, ToSchema)]
pub struct Decision {
    /// Why a request is declined (told to the patient).
    reason: Option<String>,
    /// A note for the followers.
    note: Option<String>,
    /// Another name of `note`.
    message: Option<String>,
}

/// A notification as the old dashboard script reads it.
#[derive(Serialize, ToSchema)]
pub struct OldNotification {
    id: i64,
    title: String,
    message: String,
    /// The severity.
    #[serde(rename = "type")]
    kind: crate::domain::Severity,
    /// The page of the appointment or practitioner.
    url: Option<String>,
    is_read: bool,
    /// When it appeared, `%Y-%m-%d %H:%M:%S` in the reader's zone.
    #[schema(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$")]
    created_at: String,
    /// "5 minutes ago", in the reader's language.
    time_ago: String,
}

#[derive(Serialize, ToSchema)]
pub struct OldList {
    success: bool,
    /// The 20 newest.
    #[schema(max_items = 20)]
    notifications: Vec<OldNotification>,
    unread_count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct OldDecision {
    success: bool,
    message: String,
    /// "Accepted", or "Cancelled" for a decline (as the old system said).
    status: &'static str,
    appointment: crate::store::appointments::Appointment,
}

#[derive(Serialize, ToSchema)]
pub struct OldNotified {
    success: bool,
    message: String,
    notified: usize,
}

/// `GET /practitioner-dashboard/api/notifications/`: the 20 newest, as the old list.
#[utoipa::path(
    get,
    path = "/practitioner-dashboard/api/notifications/",
    tag = "old paths",
    summary = "A practitioner's 20 newest notifications, as the old dashboard reads them",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The list", body = OldList), OldUnauthenticated, OldForbidden)
)]
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

#[utoipa::path(
    post,
    path = "/practitioner-dashboard/api/notifications/mark-read/",
    tag = "old paths",
    summary = "Mark one read (practitioners; JSON or form body)",
    security(("bearer" = []), ("session" = [])),
    request_body(content((MarkOne = "application/json"), (MarkOne = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "Marked, or refused (unknown id, id not a number)", body = OldAnswer<Marked>),
        OldUnauthenticated, OldForbidden
    )
)]
async fn practitioner_mark_read(
    State(state): State<AppState>,
    me: As<PractitionerRole>,
    Body(body): Body<MarkOne>,
) -> ApiResult<Json<Marked>> {
    Ok(Json(
        mark_one(&state, me.user.id, body.notification_id).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/practitioner-dashboard/api/notifications/mark-all-read/",
    tag = "old paths",
    summary = "Mark all read (practitioners)",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "Marked", body = Marked), OldUnauthenticated, OldForbidden)
)]
async fn practitioner_mark_all(
    State(state): State<AppState>,
    me: As<PractitionerRole>,
) -> ApiResult<Json<Marked>> {
    Ok(Json(mark_all(&state, me.user.id).await?))
}

/// `POST …/appointments/{id}/{action}/`: `accept` or `decline`, answered as the old
/// system did (`status` "Accepted", or "Cancelled" for a decline).
#[utoipa::path(
    post,
    path = "/practitioner-dashboard/api/appointments/{id}/{action}/",
    tag = "old paths",
    summary = "Accept or decline a request, answered as the old system did",
    security(("bearer" = []), ("session" = [])),
    params(
        ("id" = i64, Path, description = "The appointment"),
        ("action" = String, Path, description = "`accept` or `decline`; anything else is refused (invalid_action)"),
    ),
    request_body(content((Option<Decision> = "application/json"), (Option<Decision> = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "Decided, or refused (unknown action, not found, not allowed)", body = OldAnswer<OldDecision>),
        OldUnauthenticated, OldForbidden
    )
)]
async fn practitioner_decide(
    State(state): State<AppState>,
    me: As<PractitionerRole>,
    ApiPath((id, action)): ApiPath<(i64, String)>,
    Body(body): Body<Decision>,
) -> ApiResult<Json<OldAnswer<OldDecision>>> {
    let (a, status, message) = match action.as_str() {
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
        _ => {
            return Ok(Json(OldAnswer::Refused(OldError {
                success: false,
                error: "Invalid action".to_owned(),
                code: Some("invalid_action".to_owned()),
            })))
        }
    };
    Ok(Json(OldAnswer::Done(OldDecision {
        success: true,
        message,
        status,
        appointment: a,
    })))
}

#[utoipa::path(
    post,
    path = "/practitioner-dashboard/api/notify-availability/",
    tag = "old paths",
    summary = "Tell followers about one's free slots, answered as the old system did",
    security(("bearer" = []), ("session" = [])),
    request_body(content((Option<Decision> = "application/json"), (Option<Decision> = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "Sent, or refused (invalid note)", body = OldAnswer<OldNotified>),
        OldUnauthenticated, OldForbidden
    )
)]
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

#[utoipa::path(
    post,
    path = "/patient-dashboard/mark-notifications-read/",
    tag = "old paths",
    summary = "Mark all read (patients)",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "Marked", body = Marked), OldUnauthenticated, OldForbidden)
)]
async fn patient_mark_all(
    State(state): State<AppState>,
    me: As<PatientRole>,
) -> ApiResult<Json<Marked>> {
    Ok(Json(mark_all(&state, me.user.id).await?))
}

#[utoipa::path(
    post,
    path = "/patient-dashboard/mark-notification-read/",
    tag = "old paths",
    summary = "Mark one read (patients; JSON or form body)",
    security(("bearer" = []), ("session" = [])),
    request_body(content((MarkOne = "application/json"), (MarkOne = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "Marked, or refused (unknown id, id not a number)", body = OldAnswer<Marked>),
        OldUnauthenticated, OldForbidden
    )
)]
async fn patient_mark_read(
    State(state): State<AppState>,
    me: As<PatientRole>,
    Body(body): Body<MarkOne>,
) -> ApiResult<Json<Marked>> {
    Ok(Json(
        mark_one(&state, me.user.id, body.notification_id).await?,
    ))
}

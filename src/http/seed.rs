//! The paths of the system carebell replaces, so its clients keep working. They answer
//! with the same JSON errors as the API; the role of the dashboard is enforced.

use super::auth::{As, PatientRole, PractitionerRole};
use super::extract::{ApiPath, Body};
use super::notifications::{mark_all, mark_one, page};
use super::{ApiError, ApiResult, AppState};
use crate::notify::local_time;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY};
use axum::response::{Html, IntoResponse, Response};
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
        .route(
            "/patient-dashboard/notifications/",
            get(patient_notifications_page),
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
    Ok(Json(page(&state, me.user.id, false, None, 50).await?))
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

/// The patient's notifications as a page (server-rendered, every value escaped).
async fn patient_notifications_page(
    State(state): State<AppState>,
    me: As<PatientRole>,
) -> ApiResult<Response> {
    let data = page(&state, me.user.id, false, None, 100).await?;
    let mut items = String::new();
    for n in data["notifications"].as_array().into_iter().flatten() {
        let created = n["created_at"]
            .as_str()
            .and_then(|s| crate::domain::Timestamp::parse_rfc3339(s).ok())
            .map(|t| local_time(t, &me.user))
            .unwrap_or_default();
        let read = n["read"].as_bool().unwrap_or(false);
        items.push_str(&format!(
            "<li class=\"{} {}\"><strong>{}</strong> <time>{}</time><p>{}</p></li>\n",
            escape(n["severity"].as_str().unwrap_or("info")),
            if read { "read" } else { "unread" },
            escape(n["title"].as_str().unwrap_or_default()),
            escape(&created),
            escape(n["message"].as_str().unwrap_or_default()),
        ));
    }
    let lang = me.user.language;
    let html = format!(
        "<!doctype html>\n<html lang=\"{}\" dir=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Notifications</title></head><body><main>\
         <h1>Notifications <span aria-label=\"unread\">({})</span></h1>\
         <ul aria-live=\"polite\">\n{}</ul></main></body></html>\n",
        lang.code(),
        if lang.is_rtl() { "rtl" } else { "ltr" },
        data["unread_count"],
        items
    );
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'none'"
            .parse()
            .map_err(anyhow::Error::from)?,
    );
    headers.insert(
        CACHE_CONTROL,
        "no-store".parse().map_err(anyhow::Error::from)?,
    );
    Ok(response)
}

/// HTML-escapes text for element content and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            super::escape("<script>\"'&"),
            "&lt;script&gt;&quot;&#39;&amp;"
        );
    }
}

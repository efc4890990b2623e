//! Operating the service: metrics in Prometheus text format, readiness, and one log line
//! per request with its request id.

use super::{ApiError, AppState};
use crate::auth::constant_time_eq;
use crate::store::deliveries::JobState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use secrecy::ExposeSecret;
use serde::Serialize;
use std::time::Instant;
use utoipa::ToSchema;

/// An incoming `X-Request-Id` is kept when it is short and plain; otherwise one is made.
fn request_id(request: &Request) -> String {
    request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| crate::auth::random_token()[..16].to_owned())
}

/// Logs one line per request at `info` (method, route template, status, duration, request
/// id: no path values, query or body, so no patient data), counts it in the metrics and
/// echoes `X-Request-Id`.
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&request);
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let context = crate::telemetry::RequestContext {
        source_ip: crate::auth::client::client_address(
            peer,
            request.headers(),
            &state.settings.server.trusted_proxies,
        )
        .to_string(),
        request_id: id.clone(),
    };
    let mut response = crate::telemetry::within(context, next.run(request)).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    tracing::info!(
        request_id = %id,
        method = %method,
        route = %route,
        status,
        ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    let labels = [("route", route), ("method", method)];
    state.metrics.observe(
        "carebell_http_request_duration_seconds",
        &labels,
        elapsed.as_secs_f64(),
    );
    let [route, method] = labels;
    state.metrics.count(
        "carebell_http_requests_total",
        &[route, method, ("status", status.to_string())],
    );
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

/// The gauges read from the database at scrape time, then every metric as text.
pub async fn exposition(state: &AppState) -> Result<String, ApiError> {
    let now = state.clock.now();
    let mut c = state.store.acquire().await?;
    let counts = crate::operations::job_counts(&mut c).await?;
    let oldest = crate::operations::oldest_due(&mut c, now).await?;
    drop(c);
    for state_name in [
        JobState::Pending,
        JobState::Sending,
        JobState::Sent,
        JobState::Dead,
        JobState::Voided,
        JobState::Suppressed,
    ] {
        for channel in ["email", "sms"] {
            let n = counts
                .iter()
                .find(|(s, c, _)| *s == state_name && c.as_str() == channel)
                .map(|(_, _, n)| *n)
                .unwrap_or(0);
            state.metrics.set(
                "carebell_delivery_jobs",
                &[
                    ("state", state_name.as_str().to_owned()),
                    ("channel", channel.to_owned()),
                ],
                n as f64,
            );
        }
    }
    let age = oldest.map(|t| (now.millis() - t.millis()).max(0) as f64 / 1000.0);
    state.metrics.set(
        "carebell_delivery_oldest_due_seconds",
        &[],
        age.unwrap_or(0.0),
    );
    state
        .metrics
        .set("carebell_live_streams", &[], state.streams.total() as f64);
    Ok(state.metrics.render())
}

fn text(body: String) -> Response {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        body,
    )
        .into_response()
}

/// `GET /metrics` on the main listener: only with `metrics.token` set, and sent as a
/// bearer token.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "service",
    summary = "Metrics in Prometheus text format (needs metrics.token as a bearer token)",
    responses(
        (status = 200, description = "The metrics", content_type = "text/plain", body = String),
        (status = 401, description = "Missing or wrong token (unauthenticated)", body = crate::app::error::Problem),
        (status = 404, description = "Not served here: metrics.token is unset (not_found)", body = crate::app::error::Problem)
    )
)]
pub async fn metrics(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, ApiError> {
    let Some(token) = state.settings.metrics.token.as_ref() else {
        return Err(ApiError::client(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such path",
        ));
    };
    let sent = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !constant_time_eq(sent.trim().as_bytes(), token.expose_secret().as_bytes()) {
        return Err(ApiError::unauthenticated(
            "send the metrics token as a bearer token",
        ));
    }
    Ok(text(exposition(&state).await?))
}

/// `GET /metrics` on `metrics.listen`.
pub async fn private_metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(text(exposition(&state).await?))
}

/// `GET /readyz`.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`, or `not_ready` with the failing checks.
    pub status: &'static str,
    pub database: &'static str,
    /// `current`, or `behind` when this binary knows migrations the database lacks.
    pub migrations: &'static str,
    /// `running`, `stuck` (no step for too long), or `elsewhere` (`delivery.enabled` is
    /// false: a `carebell worker` sends).
    pub dispatcher: &'static str,
}

/// `GET /readyz`: ready to take traffic.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "service",
    summary = "Whether this instance is ready: database reachable, migrations current, dispatcher stepping",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Not ready", body = Readiness)
    )
)]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let database = match state.store.ping().await {
        Ok(()) => "ok",
        Err(e) => {
            tracing::warn!(error = %e, "readiness: database");
            "unavailable"
        }
    };
    let migrations = match state.store.migrations_current().await {
        Ok(true) => "current",
        Ok(false) => "behind",
        Err(_) => "unknown",
    };
    let dispatcher = if !state.settings.delivery.enabled {
        "elsewhere"
    } else {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default();
        let last = state.dispatcher.last_step();
        let limit = state.dispatcher.stuck_after().as_millis() as i64;
        if last > 0 && wall - last <= limit {
            "running"
        } else {
            "stuck"
        }
    };
    let ready = database == "ok" && migrations == "current" && dispatcher != "stuck";
    let answer = Readiness {
        status: if ready { "ready" } else { "not_ready" },
        database,
        migrations,
        dispatcher,
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(answer))
}

//! The HTTP surface: the canonical JSON API under `/api/v1`, the paths of the system
//! carebell replaces, health and the OpenAPI document.

mod admin;
pub mod answers;
mod appointments;
pub mod auth;
mod notifications;
mod openapi;
mod seed;
mod slots;
mod stream;

pub use crate::app::error::{ApiError, ApiResult};
pub(crate) use crate::app::extract;
pub use crate::app::AppState;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Json, Router};

/// Every route of the service: the API's, the old system's paths and `pages` (the
/// dashboard's router, which the caller gives so that this module need not know it), with
/// the JSON fallbacks and the layers every request goes through.
pub fn router(state: AppState, pages: Router<AppState>) -> Router {
    let api = Router::new()
        .route("/auth/sign-in", post(auth::sign_in))
        .route("/auth/sign-out", post(auth::sign_out))
        .route("/auth/tokens", post(auth::create_token))
        .route("/me", get(auth::me))
        .route("/practitioners", get(slots::list_practitioners))
        .route("/practitioners/{id}/slots", get(slots::list_free))
        .route(
            "/practitioners/{id}/follow",
            put(slots::follow).delete(slots::unfollow),
        )
        .route("/follows", get(slots::list_follows))
        .route("/slots", get(slots::list_own).post(slots::create))
        .route("/slots/{id}", axum::routing::delete(slots::delete))
        .route("/availability/notify", post(slots::notify_availability))
        .route(
            "/appointments",
            get(appointments::list).post(appointments::book),
        )
        .route("/appointments/{id}", get(appointments::get_one))
        .route("/appointments/{id}/accept", post(appointments::accept))
        .route("/appointments/{id}/decline", post(appointments::decline))
        .route("/appointments/{id}/cancel", post(appointments::cancel))
        .route(
            "/appointments/{id}/reschedule",
            post(appointments::reschedule),
        )
        .route("/notifications", get(notifications::list))
        .route("/notifications/stream", get(stream::stream))
        .route(
            "/notifications/unread-count",
            get(notifications::unread_count),
        )
        .route(
            "/notifications/read-all",
            post(notifications::mark_all_read),
        )
        .route("/notifications/{id}/read", post(notifications::mark_read))
        .route("/admin/users", post(admin::create_user))
        .route("/admin/deliveries", get(admin::list_deliveries))
        .route("/admin/deliveries/{id}", get(admin::delivery_detail))
        .route("/admin/deliveries/{id}/retry", post(admin::retry_delivery))
        .route("/openapi.json", get(openapi::document));

    Router::new()
        .route("/healthz", get(healthz))
        .nest("/api/v1", api)
        .merge(seed::router())
        .merge(pages)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .layer(axum::middleware::from_fn(run_to_completion))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Runs each request's handler as its own task, so a client that hangs up does not cancel
/// it half-way: a transaction in progress commits or rolls back rather than being dropped
/// inside `begin()` or a statement, which would return its connection to the pool still
/// holding locks (sqlx 0.8 does not always clean up after such a drop). The response body
/// (a live stream, say) still ends when the client goes.
async fn run_to_completion(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use tracing::Instrument;
    // The handler keeps the request's span (from the trace layer) in its own task.
    match tokio::spawn(next.run(request).instrument(tracing::Span::current())).await {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(error = %e, "a request handler panicked or was aborted");
            ApiError::Internal(anyhow::anyhow!("handler task failed")).into_response()
        }
    }
}

/// 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(answers::Health {
                status: "ok",
                database: state.store.backend().name(),
            }),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(answers::Health {
                    status: "unavailable",
                    database: state.store.backend().name(),
                }),
            )
        }
    }
}

async fn not_found() -> ApiError {
    ApiError::client(StatusCode::NOT_FOUND, "not_found", "no such path")
}

async fn method_not_allowed() -> ApiError {
    ApiError::client(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this path does not accept that method",
    )
}

/// A panic is a bug; answer like any other internal error instead of dropping the
/// connection.
fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    tracing::error!("a request handler panicked");
    ApiError::Internal(anyhow::anyhow!("handler panicked")).into_response()
}

/// Paging limits shared by list endpoints.
pub(crate) fn page_limit(limit: Option<i64>, default: i64, max: i64) -> ApiResult<i64> {
    match limit {
        None => Ok(default),
        Some(l) if (1..=max).contains(&l) => Ok(l),
        Some(_) => Err(ApiError::bad_request(
            "invalid_query",
            format!("limit must be between 1 and {max}"),
        )),
    }
}

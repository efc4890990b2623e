//! The HTTP surface: the canonical JSON API under `/api/v1`, the paths of the system
//! carebell replaces, health and the OpenAPI document.

mod admin;
pub mod answers;
mod appointments;
pub mod auth;
mod integrations;
mod notices;
mod notifications;
mod openapi;
mod ops;
mod preferences;
mod receipts;
mod seed;
mod slots;
mod stream;
mod waitlist;
mod webhooks;

pub use crate::app::error::{ApiError, ApiResult};
pub(crate) use crate::app::extract;
pub use crate::app::AppState;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json, Router};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The JSON routes with their descriptions: one list, from which both the router and the
/// OpenAPI document are made, so neither can name a route the other lacks.
fn routes() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::new()
        .routes(routes!(auth::sign_in))
        .routes(routes!(auth::sign_out))
        .routes(routes!(auth::create_token))
        .routes(routes!(auth::me, auth::update_me))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::request_password_reset))
        .routes(routes!(auth::complete_password_reset))
        .routes(routes!(slots::list_practitioners))
        .routes(routes!(slots::list_free))
        .routes(routes!(slots::follow, slots::unfollow))
        .routes(routes!(slots::list_follows))
        .routes(routes!(slots::list_own, slots::create))
        .routes(routes!(slots::delete))
        .routes(routes!(slots::notify_availability))
        .routes(routes!(appointments::list, appointments::book))
        .routes(routes!(appointments::get_one))
        .routes(routes!(appointments::accept))
        .routes(routes!(appointments::decline))
        .routes(routes!(appointments::cancel))
        .routes(routes!(appointments::reschedule))
        .routes(routes!(waitlist::confirm_attendance))
        .routes(routes!(waitlist::list, waitlist::join))
        .routes(routes!(waitlist::leave))
        .routes(routes!(waitlist::offers))
        .routes(routes!(waitlist::offer))
        .routes(routes!(waitlist::accept))
        .routes(routes!(waitlist::decline))
        .routes(routes!(notifications::list))
        .routes(routes!(stream::stream))
        .routes(routes!(notifications::unread_count))
        .routes(routes!(notifications::mark_all_read))
        .routes(routes!(notifications::mark_read))
        .routes(routes!(admin::create_user, admin::list_users))
        .routes(routes!(admin::update_user))
        .routes(routes!(admin::deactivate_user))
        .routes(routes!(admin::reactivate_user))
        .routes(routes!(admin::list_deliveries))
        .routes(routes!(admin::delivery_detail))
        .routes(routes!(admin::retry_delivery))
        .routes(routes!(preferences::mine, preferences::change_mine))
        .routes(routes!(preferences::of_user, preferences::change_of_user))
        .routes(routes!(preferences::consents))
        .routes(routes!(preferences::push_key))
        .routes(routes!(
            preferences::my_push_subscriptions,
            preferences::subscribe_push,
            preferences::unsubscribe_push
        ))
        .routes(routes!(admin::audit))
        .routes(routes!(
            integrations::list_webhooks,
            integrations::create_webhook
        ))
        .routes(routes!(integrations::webhook, integrations::update_webhook))
        .routes(routes!(integrations::rotate_webhook_secret))
        .routes(routes!(notices::list, notices::draft))
        .routes(routes!(notices::one))
        .routes(routes!(notices::send))
        .routes(routes!(notices::cancel))
        .routes(routes!(openapi::document));

    OpenApiRouter::with_openapi(openapi::Base::openapi())
        .routes(routes!(healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .nest("/api/v1", api)
        .routes(routes!(webhooks::twilio))
        .routes(routes!(webhooks::inbound))
        .routes(routes!(receipts::twilio_status))
        .routes(routes!(receipts::provider_status))
        .routes(routes!(
            receipts::whatsapp_handshake,
            receipts::whatsapp_status
        ))
        .routes(routes!(receipts::email_bounce))
        .merge(seed::router())
}

/// The OpenAPI document of every JSON route (`carebell openapi` prints it).
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    routes().split_for_parts().1
}

/// Every route of the service: the API's, the old system's paths and `pages` (the
/// dashboard's router, which the caller gives so that this module need not know it), with
/// the JSON fallbacks and the layers every request goes through.
pub fn router(state: AppState, pages: Router<AppState>) -> Router {
    let (json, doc) = routes().split_for_parts();
    let doc = doc
        .to_json()
        .expect("the OpenAPI document is plain data and always serializes");
    json.merge(pages)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ops::observe,
        ))
        .layer(Extension(openapi::Document(doc.into())))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .layer(axum::middleware::from_fn(run_to_completion))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// What `metrics.listen` serves: `GET /metrics` and nothing else, no token.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", axum::routing::get(ops::private_metrics))
        .fallback(not_found)
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

/// Liveness: the process answers. Whether it can serve (database, migrations, dispatcher)
/// is `/readyz`; a database outage must not make an orchestrator restart a live process.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "service",
    summary = "Whether the process is alive (readiness is /readyz)",
    responses((status = 200, description = "Alive", body = answers::Health))
)]
async fn healthz(State(state): State<AppState>) -> Json<answers::Health> {
    Json(answers::Health {
        status: "ok",
        database: state.store.backend().name(),
    })
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

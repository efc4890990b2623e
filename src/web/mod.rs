//! The dashboard: server-rendered pages for patients, practitioners and admins, and one
//! small script of our own (no build step, no CDN) that keeps the bell, the notification
//! list and the page's lists live through the notification stream.
//!
//! Security: every form carries the session's CSRF token (checked by [`session::Action`]);
//! pages and assets are sent with a strict Content-Security-Policy (scripts and styles
//! from this origin only, nothing inline); the session cookie is `HttpOnly`,
//! `SameSite=Lax` and `Secure` over TLS; sign-in shares the API's throttle.

mod admin;
mod appointment;
mod notices;
mod patient;
mod practitioner;
mod preferences;
mod profile;
mod recovery;
mod session;
mod view;
mod waitlist;

use crate::app::AppState;
use crate::config::ClinicSettings;
use axum::extract::State;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

/// Scripts, styles, fetches and form targets from this origin only; nothing inline.
/// Images also from the origin of the clinic's logo, when it has one.
pub fn content_security_policy(clinic: &ClinicSettings) -> String {
    let logo = clinic
        .logo_url
        .as_deref()
        .and_then(crate::config::logo_origin)
        .map(|origin| format!(" {origin}"))
        .unwrap_or_default();
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'{logo}; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

pub fn router(clinic: &ClinicSettings) -> Router<AppState> {
    let csp = HeaderValue::from_str(&content_security_policy(clinic))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"));
    let page_csp = csp.clone();
    let pages = Router::new()
        .route("/", get(|| async { Redirect::to("/dashboard") }))
        .route(
            "/sign-in",
            get(session::sign_in_page).post(session::sign_in),
        )
        .route("/sign-out", post(session::sign_out))
        .route(
            "/password-reset",
            get(recovery::ask_page).post(recovery::ask),
        )
        .route(
            "/password-reset/{token}",
            get(recovery::choose_page).post(recovery::choose),
        )
        .route("/dashboard", get(session::dashboard))
        .route("/appointments/{id}", get(appointment::page))
        .route("/practitioners/{id}", get(appointment::practitioner))
        .route(
            "/patient-dashboard/appointments/{id}",
            get(appointment::old_appointment_link),
        )
        .route(
            "/practitioner-dashboard/appointments/{id}",
            get(appointment::old_appointment_link),
        )
        .route(
            "/patient-dashboard/practitioners/{id}",
            get(appointment::old_practitioner_link),
        )
        .route("/offers/{id}", get(waitlist::page))
        .route("/offers/{id}/accept", post(waitlist::accept))
        .route("/offers/{id}/decline", post(waitlist::decline))
        .route("/waitlist/join", post(waitlist::join))
        .route("/waitlist/{id}/leave", post(waitlist::leave))
        .route(
            "/appointments/{id}/attendance",
            post(waitlist::confirm_attendance),
        )
        .route("/patient", get(patient::page))
        .route("/patient/book", post(patient::book))
        .route("/appointments/{id}/cancel", post(appointment::cancel))
        .route(
            "/appointments/{id}/reschedule",
            post(appointment::reschedule),
        )
        // The form paths of earlier releases (a page open across an upgrade).
        .route(
            "/patient/appointments/{id}/cancel",
            post(appointment::cancel),
        )
        .route(
            "/patient/appointments/{id}/reschedule",
            post(appointment::reschedule),
        )
        .route("/patient/follow/{id}", post(patient::follow))
        .route("/patient/unfollow/{id}", post(patient::unfollow))
        .route(
            "/patient-dashboard/notifications/",
            get(patient::notifications_page),
        )
        .route("/practitioner", get(practitioner::page))
        .route(
            "/practitioner/appointments/{id}/accept",
            post(practitioner::accept),
        )
        .route(
            "/practitioner/appointments/{id}/decline",
            post(practitioner::decline),
        )
        .route("/practitioner/slots", post(practitioner::add_slots))
        .route("/practitioner/notify", post(practitioner::notify))
        .route("/admin", get(admin::page))
        .route("/admin/deliveries/{id}/retry", post(admin::retry))
        .route("/admin/people", get(admin::people))
        .route("/admin/webhooks", get(admin::webhooks))
        .route("/admin/webhooks/{id}/{action}", post(admin::switch_webhook))
        .route("/admin/people/{id}/deactivate", post(admin::deactivate))
        .route("/admin/people/{id}/reactivate", post(admin::reactivate))
        .route("/notices", get(notices::list).post(notices::draft))
        .route("/notices/{id}", get(notices::page))
        .route("/notices/{id}/send", post(notices::send))
        .route("/notices/{id}/cancel", post(notices::cancel))
        .route("/profile", get(profile::page).post(profile::save))
        .route("/profile/password", post(profile::password))
        .route(
            "/preferences",
            get(preferences::page).post(preferences::save),
        )
        .route(
            "/unsubscribe/{token}",
            get(preferences::confirm).post(preferences::one_click),
        )
        .route("/notifications/{id}/read", post(session::mark_read))
        .route("/notifications/read-all", post(session::mark_all_read))
        .layer(axum::middleware::map_response(move |r: Response| {
            let csp = page_csp.clone();
            async move { page_headers(r, csp) }
        }));
    let assets = Router::new()
        .route("/assets/app.js", get(script))
        .route("/sw.js", get(service_worker))
        .route("/assets/app.css", get(stylesheet))
        .route("/assets/icon.svg", get(icon))
        .route("/assets/brand.css", get(brand_stylesheet))
        .route("/favicon.ico", get(icon))
        .layer(axum::middleware::map_response(move |r: Response| {
            let csp = csp.clone();
            async move { asset_headers(r, csp) }
        }));
    pages.merge(assets)
}

/// Headers of every page: the strict policy, no caching of personal data, no framing.
fn page_headers(mut response: Response, csp: HeaderValue) -> Response {
    let h = response.headers_mut();
    h.insert(CONTENT_SECURITY_POLICY, csp);
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

fn asset_headers(mut response: Response, csp: HeaderValue) -> Response {
    let h = response.headers_mut();
    h.insert(CONTENT_SECURITY_POLICY, csp);
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Small files; revalidated so that a new release is picked up at once.
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

async fn script() -> Response {
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        )],
        include_str!("../../web/assets/app.js"),
    )
        .into_response()
}

/// The service worker, at the root so that its scope is the whole site.
async fn service_worker() -> Response {
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        )],
        include_str!("../../web/assets/sw.js"),
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/css; charset=utf-8"),
        )],
        include_str!("../../web/assets/app.css"),
    )
        .into_response()
}

/// The clinic's accent colour (a setting, checked as `#rrggbb` at start), as a stylesheet
/// after `app.css`: the policy allows no inline style.
async fn brand_stylesheet(State(state): State<AppState>) -> Response {
    let css = format!(
        ":root {{ --accent: {}; }}\n",
        state.settings.clinic.accent_colour
    );
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/css; charset=utf-8"),
        )],
        css,
    )
        .into_response()
}

async fn icon() -> Response {
    (
        [(CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"))],
        include_str!("../../web/assets/icon.svg"),
    )
        .into_response()
}

//! The OpenAPI 3.1 document, generated from the code: every route is registered together
//! with its `#[utoipa::path]` description (`utoipa_axum::routes!`), the answers and bodies
//! are the handlers' own types, and the refusals below are named once and listed per
//! operation. `GET /api/v1/openapi.json` serves it; `carebell openapi` prints it.

use crate::app::error::Problem;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::Extension;
use std::collections::BTreeMap;
use std::sync::Arc;
use utoipa::openapi::security::SecurityScheme;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{IntoResponses, Modify, OpenApi};

/// The parts of the document that are not about one route.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "carebell",
        description = "Appointment lifecycle and notifications. Every error of `/api/v1` is JSON \
            `{code, detail}`; the paths of the system carebell replaces answer in its shapes. \
            Instants are RFC 3339 in UTC.",
    ),
    components(schemas(Problem, super::seed::OldError, super::answers::NotificationEvent)),
    modifiers(&SignIns),
    tags(
        (name = "auth", description = "Sign-in, sessions and API tokens"),
        (name = "practitioners", description = "Practitioners, their slots and followers"),
        (name = "appointments", description = "Booking and the appointment transitions"),
        (name = "waitlist", description = "Patients waiting for freed time, and the slots held for them"),
        (name = "notifications", description = "The signed-in user's in-app notifications"),
        (name = "preferences", description = "Recipients' channels per category and quiet hours"),
        (name = "notices", description = "Notices from the clinic and practitioners, sent in batches"),
        (name = "admin", description = "Accounts, the delivery log and consent records"),
        (name = "webhooks", description = "What providers post to us, signed"),
        (name = "service", description = "Health and this document"),
        (name = "old paths", description = "The paths of the system carebell replaces, in its answer shapes"),
    )
)]
pub struct Base;

/// The two ways to be signed in.
struct SignIns;

impl Modify for SignIns {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A token from POST /api/v1/auth/tokens"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::app::session::SESSION_COOKIE,
                "From POST /api/v1/auth/sign-in; unsafe methods also need the X-CSRF-Token header",
            ))),
        );
    }
}

/// One refusal: a status whose body is the schema `schema` (`Error`, or `OldError` on the
/// old paths), described once here and listed in each operation's `responses(...)`.
fn refusal(
    status: u16,
    description: &str,
    schema: &str,
) -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(schema)))
        .build();
    let response = ResponseBuilder::new()
        .description(description)
        .content("application/json", content)
        .build();
    BTreeMap::from([(status.to_string(), RefOr::T(response))])
}

macro_rules! refusals {
    ($($(#[$doc:meta])* $name:ident => ($status:literal, $schema:literal, $description:literal);)+) => {$(
        $(#[$doc])*
        pub struct $name;
        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
                refusal($status, $description, $schema)
            }
        }
    )+};
}

refusals! {
    BadRequest => (400, "Error", "Malformed request (invalid_json, invalid_path, invalid_query)");
    Unauthenticated => (401, "Error", "Not signed in, or the session or token expired (unauthenticated)");
    /// 401 from a sign-in with wrong credentials.
    WrongCredentials => (401, "Error", "Unknown email or wrong password (invalid_credentials)");
    Forbidden => (403, "Error", "Wrong role, or the CSRF token is missing or wrong (forbidden, csrf_failed)");
    NotFound => (404, "Error", "Not found, or not yours (not_found)");
    Conflict => (409, "Error", "Conflicts with the current state (slot_taken, slot_overlap, slot_in_use, invalid_transition, concurrent_modification, email_taken, notice_not_draft, notice_cancelled)");
    Invalid => (422, "Error", "Invalid values (validation_failed, cancellation_cutoff_passed, appointment_started)");
    Throttled => (429, "Error", "Too many failed sign-ins for this account or address (too_many_attempts); see Retry-After");
    /// 429 from a sender over their notices' rate limit.
    RateLimited => (429, "Error", "Over the sender's limit of notices (rate_limited); see Retry-After");
    /// 400 from a password reset whose link cannot be used.
    ResetRefused => (400, "Error", "Malformed request, or the reset link is not valid, was used or has expired (invalid_json, invalid_reset_token)");
    /// 429 from password reset requests.
    ResetThrottled => (429, "Error", "Too many password reset requests from this address (too_many_attempts); see Retry-After");
    OldUnauthenticated => (401, "OldError", "Not signed in");
    OldForbidden => (403, "OldError", "Wrong role, or the CSRF token is missing or wrong");
}

/// The document as served, built once with the router.
#[derive(Clone)]
pub struct Document(pub Arc<str>);

/// `GET /api/v1/openapi.json`.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "service",
    summary = "This document",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object))
)]
pub async fn document(Extension(doc): Extension<Document>) -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], doc.0.to_string())
}

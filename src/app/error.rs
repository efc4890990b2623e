//! The one error type of the HTTP layer. Client errors carry a stable
//! `{"code": "...", "detail": "..."}`; internal errors are logged with their cause chain
//! and answered with an opaque 500.

use crate::domain::TransitionError;
use crate::lifecycle::LifecycleError;
use crate::store::StoreError;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Every error's body: `{"code": "...", "detail": "..."}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct Problem {
    /// Stable, machine-readable code (`not_found`, `slot_taken`, …).
    pub code: &'static str,
    /// Human-readable explanation.
    pub detail: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A client error with its status, stable code and human-readable detail.
    #[error("{code}: {detail}")]
    Client {
        status: StatusCode,
        code: &'static str,
        detail: String,
    },
    /// Sign-in refused for a while (`429`, with `Retry-After`).
    #[error("too_many_attempts: {detail}")]
    TooManyAttempts {
        retry_after: std::time::Duration,
        detail: String,
    },
    /// Over a sender's rate limit (`429`, code `rate_limited`, with `Retry-After`).
    #[error("rate_limited: {detail}")]
    RateLimited {
        retry_after: std::time::Duration,
        detail: String,
    },
    /// Too busy to answer now (`503`, with `Retry-After`).
    #[error("busy: {detail}")]
    Busy {
        retry_after: std::time::Duration,
        detail: String,
    },
    /// Anything else; the cause is logged, never sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn client(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self::Client {
            status,
            code,
            detail: detail.into(),
        }
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::client(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::client(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            detail,
        )
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::client(StatusCode::UNAUTHORIZED, "unauthenticated", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::client(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::client(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::client(StatusCode::CONFLICT, code, detail)
    }
}

impl ApiError {
    /// What the client is told: status, stable code and detail. An internal error's cause
    /// is logged here, once, and replaced by an opaque detail. Every answer (JSON, page,
    /// form redirect) is built from this.
    pub fn public_parts(self) -> (StatusCode, &'static str, String) {
        match self {
            ApiError::Client {
                status,
                code,
                detail,
            } => (status, code, detail),
            ApiError::TooManyAttempts { detail, .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", detail)
            }
            ApiError::RateLimited { detail, .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "rate_limited", detail)
            }
            ApiError::Busy { detail, .. } => (StatusCode::SERVICE_UNAVAILABLE, "busy", detail),
            ApiError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "something went wrong on our side; it has been logged".to_owned(),
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            ApiError::TooManyAttempts { retry_after, .. }
            | ApiError::RateLimited { retry_after, .. }
            | ApiError::Busy { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        let (status, code, detail) = self.public_parts();
        let mut response = (status, Json(Problem { code, detail })).into_response();
        if let Some(wait) = retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(wait.as_secs().max(1)),
            );
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(_) => {
                ApiError::conflict("conflict", "this conflicts with existing data")
            }
            other => ApiError::Internal(anyhow::Error::new(other).context("storage")),
        }
    }
}

impl From<LifecycleError> for ApiError {
    fn from(e: LifecycleError) -> Self {
        use LifecycleError as L;
        let detail = e.to_string();
        match e {
            L::NotFound(what) => ApiError::not_found(what),
            L::Forbidden(_) => ApiError::forbidden(detail),
            L::Transition(TransitionError::NotAllowed { .. }) => {
                ApiError::conflict("invalid_transition", detail)
            }
            L::Transition(TransitionError::AlreadyStarted) => ApiError::client(
                StatusCode::UNPROCESSABLE_ENTITY,
                "appointment_started",
                detail,
            ),
            L::Transition(TransitionError::PastPatientCutoff { .. }) => ApiError::client(
                StatusCode::UNPROCESSABLE_ENTITY,
                "cancellation_cutoff_passed",
                detail,
            ),
            L::SlotTaken => ApiError::conflict("slot_taken", detail),
            L::SlotOverlap => ApiError::conflict("slot_overlap", detail),
            L::SlotInUse => ApiError::conflict("slot_in_use", detail),
            L::SlotHeld(_) => ApiError::conflict("slot_held", detail),
            L::OfferClosed(_) => ApiError::conflict("offer_closed", detail),
            L::Concurrent => ApiError::conflict("concurrent_modification", detail),
            L::Invalid(_) => ApiError::unprocessable(detail),
            L::Store(s) => s.into(),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::bad_request("invalid_path", r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::bad_request("invalid_query", r.body_text())
    }
}

impl From<crate::domain::ParseError> for ApiError {
    fn from(e: crate::domain::ParseError) -> Self {
        ApiError::unprocessable(e.0)
    }
}

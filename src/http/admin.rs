//! Clinic administration: accounts and the delivery log.

use super::auth::{hash_password, AdminRole, As};
use super::extract::{ApiQuery, Body};
use super::{page_limit, ApiError, ApiResult, AppState};
use crate::domain::{Channel, Email, Language, PersonName, PhoneNumber, Role, TimeZone};
use crate::store::deliveries::{self, JobFilter, JobState};
use crate::store::users::{self, NewUser, User};
use crate::store::StoreError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

/// Shortest password accepted (NIST SP 800-63B asks for at least 8).
pub const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    role: String,
    name: String,
    email: String,
    phone: Option<String>,
    time_zone: Option<String>,
    language: Option<String>,
    password: String,
}

/// Parses an account at the boundary; every field is named in its error.
pub(crate) async fn parse_new_user(body: CreateUser) -> ApiResult<NewUser> {
    let field = |name: &'static str| {
        move |e: crate::domain::ParseError| ApiError::unprocessable(format!("{name}: {}", e.0))
    };
    let role = Role::parse(&body.role).map_err(field("role"))?;
    let name = PersonName::parse(&body.name).map_err(field("name"))?;
    let email = Email::parse(&body.email).map_err(field("email"))?;
    let phone = body
        .phone
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .map(PhoneNumber::parse)
        .transpose()
        .map_err(field("phone"))?;
    let time_zone = body
        .time_zone
        .as_deref()
        .map(TimeZone::parse)
        .transpose()
        .map_err(field("time_zone"))?
        .unwrap_or_default();
    let language = body
        .language
        .as_deref()
        .map(Language::parse)
        .transpose()
        .map_err(field("language"))?
        .unwrap_or_default();
    let chars = body.password.chars().count();
    if !(MIN_PASSWORD_CHARS..=256).contains(&chars) {
        return Err(ApiError::unprocessable(format!(
            "password: must be {MIN_PASSWORD_CHARS} to 256 characters"
        )));
    }
    Ok(NewUser {
        role,
        name,
        email,
        phone,
        time_zone,
        language,
        password_hash: hash_password(body.password).await?,
    })
}

/// `POST /api/v1/admin/users`: creates an account.
pub async fn create_user(
    State(state): State<AppState>,
    _admin: As<AdminRole>,
    Body(body): Body<CreateUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let new = parse_new_user(body).await?;
    let mut c = state.store.acquire().await?;
    let user = users::insert(&mut c, &new, state.clock.now())
        .await
        .map_err(|e| match e {
            StoreError::Conflict => {
                ApiError::conflict("email_taken", "an account with this email exists")
            }
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Deserialize)]
pub struct DeliveryQuery {
    state: Option<String>,
    channel: Option<String>,
    recipient_id: Option<i64>,
    appointment_id: Option<i64>,
    before: Option<i64>,
    limit: Option<i64>,
}

/// `GET /api/v1/admin/deliveries`: delivery jobs, newest first, filtered.
pub async fn list_deliveries(
    State(state): State<AppState>,
    _admin: As<AdminRole>,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> ApiResult<Json<Value>> {
    let bad = |e: crate::domain::ParseError| ApiError::bad_request("invalid_query", e.0);
    let filter = JobFilter {
        state: q
            .state
            .as_deref()
            .map(JobState::parse)
            .transpose()
            .map_err(bad)?,
        channel: q
            .channel
            .as_deref()
            .map(Channel::parse)
            .transpose()
            .map_err(bad)?,
        recipient_id: q.recipient_id,
        appointment_id: q.appointment_id,
        before_id: q.before,
        limit: page_limit(q.limit, 50, 500)?,
    };
    let mut c = state.store.acquire().await?;
    let jobs = deliveries::list(&mut c, &filter).await?;
    let next_before = if jobs.len() as i64 == filter.limit {
        jobs.last().map(|j| j.id)
    } else {
        None
    };
    Ok(Json(
        json!({ "deliveries": jobs, "next_before": next_before }),
    ))
}

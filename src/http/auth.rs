//! Sign-in, sessions and the signed-in user.
//!
//! Browsers get an `HttpOnly`, `SameSite=Lax` session cookie plus a CSRF token that every
//! state-changing request must echo in `X-CSRF-Token`. Integrations get a bearer token
//! (`Authorization: Bearer …`), which browsers never attach on their own, so no CSRF.

use super::answers::{ResetRequested, SignedIn, TokenIssued};
use super::extract::Body;
use super::openapi::{
    BadRequest, Forbidden, Invalid, ResetRefused, ResetThrottled, Throttled, Unauthenticated,
    WrongCredentials,
};
use super::{ApiError, ApiResult, AppState};
use crate::app::session::{
    authenticate, cookie, open_browser_session, Client, CLEAR_CSRF_COOKIE, CLEAR_SESSION_COOKIE,
    SESSION_COOKIE,
};
use crate::auth::{constant_time_eq, random_token};
use crate::domain::{Role, Timestamp};
use crate::store::sessions::{self, NewSession, Session, SessionKind};
use crate::store::users::User;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{AUTHORIZATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

/// The user a request acts for.
pub struct CurrentUser {
    pub user: User,
    pub session: Session,
}

impl CurrentUser {
    /// Refuses anyone whose role is not `role`.
    pub fn require(&self, role: Role) -> ApiResult<()> {
        if self.user.role == role {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("this needs the {role} role")))
        }
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (token, via_cookie) = if let Some(token) = bearer_token(&parts.headers)? {
            (token, false)
        } else if let Some(token) = cookie(&parts.headers, SESSION_COOKIE) {
            (token, true)
        } else {
            return Err(ApiError::unauthenticated(
                "sign in first: send the session cookie or an Authorization: Bearer token",
            ));
        };
        let session = state
            .store
            .find_session(&token, state.clock.now())
            .await?
            // An API token is accepted only in the Authorization header: one placed in the
            // cookie would otherwise act without the CSRF check browser sessions have.
            .filter(|s| !via_cookie || s.kind == SessionKind::Browser)
            .ok_or_else(|| {
                ApiError::unauthenticated(
                    "the session or token is unknown or expired; sign in again",
                )
            })?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if via_cookie && !safe && session.kind == SessionKind::Browser {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .or_else(|| parts.headers.get("x-csrftoken"))
                .and_then(|v| v.to_str().ok());
            let expected = session.csrf_token.as_deref().unwrap_or_default();
            if !sent.is_some_and(|s| constant_time_eq(s.as_bytes(), expected.as_bytes())) {
                return Err(ApiError::client(
                    StatusCode::FORBIDDEN,
                    "csrf_failed",
                    "state-changing requests with the session cookie must send the X-CSRF-Token header given at sign-in",
                ));
            }
        }
        Ok(CurrentUser {
            user: session.user.clone(),
            session,
        })
    }
}

/// Marks a role for [`As`].
pub trait RoleMarker: Send + Sync {
    const ROLE: Role;
}
pub struct PatientRole;
pub struct PractitionerRole;
pub struct AdminRole;
impl RoleMarker for PatientRole {
    const ROLE: Role = Role::Patient;
}
impl RoleMarker for PractitionerRole {
    const ROLE: Role = Role::Practitioner;
}
impl RoleMarker for AdminRole {
    const ROLE: Role = Role::Admin;
}

/// The signed-in user, refused with 403 unless they have the role `R`. As an extractor it
/// runs before the body is read, so a wrong role is told so before any validation.
pub struct As<R: RoleMarker>(pub CurrentUser, std::marker::PhantomData<R>);

impl<R: RoleMarker> std::ops::Deref for As<R> {
    type Target = CurrentUser;
    fn deref(&self) -> &CurrentUser {
        &self.0
    }
}

impl<R: RoleMarker> FromRequestParts<AppState> for As<R> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let me = CurrentUser::from_request_parts(parts, state).await?;
        me.require(R::ROLE)?;
        Ok(As(me, std::marker::PhantomData))
    }
}

fn bearer_token(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthenticated("malformed Authorization header"))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_owned()))
        }
        _ => Err(ApiError::unauthenticated(
            "the Authorization header must be 'Bearer <token>'",
        )),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    email: String,
    password: String,
}

/// `POST /api/v1/auth/sign-in`: opens a browser session (cookie + CSRF token).
#[utoipa::path(
    post,
    path = "/auth/sign-in",
    tag = "auth",
    summary = "Open a browser session: a session cookie and a CSRF token",
    request_body = SignIn,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = SignedIn),
        BadRequest, WrongCredentials, Invalid, Throttled
    )
)]
pub async fn sign_in(
    State(state): State<AppState>,
    client: Client,
    Body(body): Body<SignIn>,
) -> ApiResult<Response> {
    let signed = authenticate(&state, &client, &body.email, &body.password).await?;
    let opened = open_browser_session(&state, &signed).await?;
    let body = Json(SignedIn {
        user: signed.user,
        csrf_token: opened.csrf.clone(),
        expires_at: opened.expires_at,
    });
    let mut response = body.into_response();
    opened.set_cookies(response.headers_mut());
    Ok(response)
}

/// `POST /api/v1/auth/sign-out`: ends the session or revokes the bearer token used.
#[utoipa::path(
    post,
    path = "/auth/sign-out",
    tag = "auth",
    summary = "End the session, or revoke the bearer token used",
    security(("bearer" = []), ("session" = [])),
    responses((status = 204, description = "Signed out"), Unauthenticated, Forbidden)
)]
pub async fn sign_out(State(state): State<AppState>, me: CurrentUser) -> ApiResult<Response> {
    let mut c = state.store.acquire().await?;
    sessions::delete(&mut c, me.session.id).await?;
    drop(c);
    crate::app::session::audit(&state, me.user.id, "auth.signed_out", None, None).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(SET_COOKIE, HeaderValue::from_static(CLEAR_SESSION_COOKIE));
    headers.append(SET_COOKIE, HeaderValue::from_static(CLEAR_CSRF_COOKIE));
    Ok(response)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    email: String,
    password: String,
    /// What the token is for ("billing sync").
    label: Option<String>,
}

/// `POST /api/v1/auth/tokens`: exchanges credentials for a bearer token for integrations.
#[utoipa::path(
    post,
    path = "/auth/tokens",
    tag = "auth",
    summary = "Exchange credentials for a bearer token (integrations)",
    request_body = NewToken,
    responses(
        (status = 201, description = "Issued; the token is shown only now", body = TokenIssued),
        BadRequest, WrongCredentials, Invalid, Throttled
    )
)]
pub async fn create_token(
    State(state): State<AppState>,
    client: Client,
    Body(body): Body<NewToken>,
) -> ApiResult<Response> {
    let label = body
        .label
        .as_deref()
        .map(|l| crate::domain::PersonName::parse(l).map(|n| n.as_str().to_owned()))
        .transpose()
        .map_err(|e| ApiError::unprocessable(e.0.replace("name", "label")))?;
    let user = authenticate(&state, &client, &body.email, &body.password)
        .await?
        .user;
    let now = state.clock.now();
    let expires_at: Timestamp = now.plus(state.settings.auth.api_token_ttl);
    let token = random_token();
    let mut c = state.store.acquire().await?;
    let session = NewSession {
        token: &token,
        user_id: user.id,
        kind: SessionKind::Api,
        csrf_token: None,
        label: label.as_deref(),
        created_at: now,
        expires_at,
    };
    sessions::insert(&mut c, &session).await?;
    drop(c);
    crate::app::session::audit(&state, user.id, "auth.token_created", None, None).await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenIssued {
            token,
            token_type: "Bearer",
            expires_at,
            user,
        }),
    )
        .into_response())
}

/// `GET /api/v1/me`.
#[utoipa::path(
    get,
    path = "/me",
    tag = "auth",
    summary = "The signed-in user",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, description = "The user", body = User), Unauthenticated)
)]
pub async fn me(me: CurrentUser) -> Json<User> {
    Json(me.user)
}

/// `PATCH /api/v1/me`.
#[utoipa::path(
    patch,
    path = "/me",
    tag = "auth",
    summary = "Edit one's own name, phone, zone or language",
    security(("bearer" = []), ("session" = [])),
    request_body = crate::people::ProfileInput,
    responses((status = 200, description = "The user now", body = User), BadRequest, Unauthenticated, Forbidden, Invalid)
)]
pub async fn update_me(
    State(state): State<AppState>,
    me: CurrentUser,
    super::extract::Body(body): super::extract::Body<crate::people::ProfileInput>,
) -> ApiResult<Json<User>> {
    Ok(Json(
        crate::people::update(&state, &me.user, me.user.id, &body).await?,
    ))
}

/// `POST /api/v1/me/password`.
#[utoipa::path(
    post,
    path = "/me/password",
    tag = "auth",
    summary = "Change one's own password; every other session and token ends",
    security(("bearer" = []), ("session" = [])),
    request_body = crate::people::PasswordChange,
    responses(
        (status = 204, description = "Changed"),
        BadRequest, WrongCredentials, Forbidden, Invalid, Throttled
    )
)]
pub async fn change_password(
    State(state): State<AppState>,
    client: Client,
    me: CurrentUser,
    Body(body): Body<crate::people::PasswordChange>,
) -> ApiResult<StatusCode> {
    crate::people::change_password(&state, &client, &me.user, me.session.id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/auth/password-reset`: emails a reset link if an account has the address.
#[utoipa::path(
    post,
    path = "/auth/password-reset",
    tag = "auth",
    summary = "Email a password reset link (the same answer whether or not an account has the address)",
    request_body = crate::recovery::ResetRequest,
    responses(
        (status = 202, description = "Accepted: if an account has the address, a link is on its way", body = ResetRequested),
        BadRequest, Invalid, ResetThrottled
    )
)]
pub async fn request_password_reset(
    State(state): State<AppState>,
    client: Client,
    Body(body): Body<crate::recovery::ResetRequest>,
) -> ApiResult<(StatusCode, Json<ResetRequested>)> {
    crate::recovery::request(&state, &client, &body.email).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(ResetRequested {
            detail: "if an account has this address, a link to choose a new password is on its way; it works once, for a limited time",
        }),
    ))
}

/// `POST /api/v1/auth/password-reset/complete`: sets the new password with the link's token.
#[utoipa::path(
    post,
    path = "/auth/password-reset/complete",
    tag = "auth",
    summary = "Set a new password with a reset link's token; every session and token of the account ends",
    request_body = crate::recovery::ResetCompletion,
    responses(
        (status = 204, description = "The password is set; sign in with it"),
        ResetRefused, Invalid, Throttled
    )
)]
pub async fn complete_password_reset(
    State(state): State<AppState>,
    client: Client,
    Body(body): Body<crate::recovery::ResetCompletion>,
) -> ApiResult<StatusCode> {
    crate::recovery::complete(&state, &client, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

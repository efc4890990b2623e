//! Sign-in, sessions and the signed-in user.
//!
//! Browsers get an `HttpOnly`, `SameSite=Lax` session cookie plus a CSRF token that every
//! state-changing request must echo in `X-CSRF-Token`. Integrations get a bearer token
//! (`Authorization: Bearer …`), which browsers never attach on their own, so no CSRF.

use super::error::{ApiError, ApiResult};
use super::extract::Body;
use super::AppState;
use crate::domain::{Role, Timestamp};
use crate::store::sessions::{self, NewSession, Session, SessionKind};
use crate::store::users::{self, User};
use anyhow::Context;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::RngCore;
use serde::Deserialize;
use serde_json::json;

pub const SESSION_COOKIE: &str = "carebell_session";

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
        let mut c = state.store.acquire().await?;
        let session = sessions::find(&mut c, &token, state.clock.now())
            .await?
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

pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// 32 random bytes, hex-encoded.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Hashes a password with Argon2id on a blocking thread (it is deliberately slow).
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
    })
    .await
    .context("password hashing task")?
}

async fn verify_password(password: String, hash: String) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .context("password verification task")?
}

/// A hash of a random password, verified against when the email is unknown so that the
/// answer takes as long as for a known one.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Checks email and password; the same error for an unknown email and a wrong password.
pub(crate) async fn authenticate(state: &AppState, email: &str, password: &str) -> ApiResult<User> {
    if let Err(wait) = state.throttle.check(email, state.clock.now()) {
        let minutes = wait.as_secs().div_ceil(60);
        return Err(ApiError::TooManyAttempts {
            retry_after: wait,
            detail: format!(
                "too many failed sign-ins for this account; try again in {minutes} minute(s)"
            ),
        });
    }
    let mut c = state.store.acquire().await?;
    let found = users::find_credentials(&mut c, email).await?;
    drop(c);
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => {
            let dummy = match DUMMY_HASH.get() {
                Some(h) => h.clone(),
                None => {
                    let h = hash_password(random_token()).await?;
                    DUMMY_HASH.get_or_init(|| h).clone()
                }
            };
            (None, dummy)
        }
    };
    let ok = verify_password(password.to_owned(), hash).await?;
    match user {
        Some(user) if ok => {
            state.throttle.succeeded(email);
            Ok(user)
        }
        _ => {
            state.throttle.failed(email, state.clock.now());
            Err(ApiError::client(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "email or password is wrong",
            ))
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    email: String,
    password: String,
}

/// `POST /api/v1/auth/sign-in`: opens a browser session (cookie + CSRF token).
pub async fn sign_in(
    State(state): State<AppState>,
    Body(body): Body<SignIn>,
) -> ApiResult<Response> {
    let user = authenticate(&state, &body.email, &body.password).await?;
    let opened = open_browser_session(&state, &user).await?;
    let body =
        Json(json!({ "user": user, "csrf_token": opened.csrf, "expires_at": opened.expires_at }));
    let mut response = body.into_response();
    response.headers_mut().insert(SET_COOKIE, opened.cookie);
    Ok(response)
}

/// A new browser session: its cookie header and the CSRF token its requests must echo.
pub(crate) struct BrowserSession {
    pub cookie: HeaderValue,
    pub csrf: String,
    pub expires_at: Timestamp,
}

/// Opens a browser session for `user` (cookie `HttpOnly`, `SameSite=Lax`, `Secure` when
/// served over TLS).
pub(crate) async fn open_browser_session(
    state: &AppState,
    user: &User,
) -> ApiResult<BrowserSession> {
    let now = state.clock.now();
    let expires_at = now.plus(state.settings.auth.session_ttl);
    let token = random_token();
    let csrf = random_token();
    let mut c = state.store.acquire().await?;
    let session = NewSession {
        token: &token,
        user_id: user.id,
        kind: SessionKind::Browser,
        csrf_token: Some(&csrf),
        label: None,
        created_at: now,
        expires_at,
    };
    sessions::insert(&mut c, &session).await?;
    let mut cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
        state.settings.auth.session_ttl.as_secs()
    );
    if state.settings.cookie_secure() {
        cookie.push_str("; Secure");
    }
    Ok(BrowserSession {
        cookie: HeaderValue::from_str(&cookie).context("session cookie header")?,
        csrf,
        expires_at,
    })
}

/// The header that removes the session cookie.
pub(crate) const CLEAR_SESSION_COOKIE: &str =
    "carebell_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0";

/// `POST /api/v1/auth/sign-out`: ends the session or revokes the bearer token used.
pub async fn sign_out(State(state): State<AppState>, me: CurrentUser) -> ApiResult<Response> {
    let mut c = state.store.acquire().await?;
    sessions::delete(&mut c, me.session.id).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(SET_COOKIE, HeaderValue::from_static(CLEAR_SESSION_COOKIE));
    Ok(response)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    email: String,
    password: String,
    label: Option<String>,
}

/// `POST /api/v1/auth/tokens`: exchanges credentials for a bearer token for integrations.
pub async fn create_token(
    State(state): State<AppState>,
    Body(body): Body<NewToken>,
) -> ApiResult<Response> {
    let label = body
        .label
        .as_deref()
        .map(|l| crate::domain::PersonName::parse(l).map(|n| n.as_str().to_owned()))
        .transpose()
        .map_err(|e| ApiError::unprocessable(e.0.replace("name", "label")))?;
    let user = authenticate(&state, &body.email, &body.password).await?;
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
    Ok((
        StatusCode::CREATED,
        Json(json!({ "token": token, "token_type": "Bearer", "expires_at": expires_at, "user": user })),
    )
        .into_response())
}

/// `GET /api/v1/me`.
pub async fn me(me: CurrentUser) -> Json<User> {
    Json(me.user)
}

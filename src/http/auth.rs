//! Sign-in, sessions and the signed-in user.
//!
//! Browsers get an `HttpOnly`, `SameSite=Lax` session cookie plus a CSRF token that every
//! state-changing request must echo in `X-CSRF-Token`. Integrations get a bearer token
//! (`Authorization: Bearer …`), which browsers never attach on their own, so no CSRF.

use super::error::{ApiError, ApiResult};
use super::extract::Body;
use super::AppState;
use crate::auth::client::{client_address, DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_S};
use crate::auth::passwords::Busy;
use crate::auth::throttle::{self, Attempt};
use crate::auth::token_hash;
use crate::domain::{Role, Timestamp};
use crate::store::sessions::{self, NewSession, Session, SessionKind};
use crate::store::users::{self, User};
use anyhow::Context;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
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

pub(crate) use crate::auth::constant_time_eq;
pub use crate::auth::passwords::hash_password;
pub use crate::auth::random_token;

/// Who is signing in from where: the client's address and the browser's device cookie.
pub struct Client {
    pub address: std::net::IpAddr,
    device: Option<String>,
}

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(Client {
            address: client_address(peer, &parts.headers, &state.settings.server.trusted_proxies),
            device: cookie(&parts.headers, DEVICE_COOKIE),
        })
    }
}

/// A successful sign-in: the user, and whether the client already carried a device cookie
/// of theirs (a browser session gives it one when not; API tokens need none).
pub(crate) struct Authenticated {
    pub user: User,
    pub known_device: bool,
}

/// Checks email and password; the same error for an unknown email and a wrong password.
/// The attempt is counted before the password is checked (see `crate::auth::throttle`),
/// and password checks run a bounded number at a time.
pub(crate) async fn authenticate(
    state: &AppState,
    client: &Client,
    email: &str,
    password: &str,
) -> ApiResult<Authenticated> {
    if let Err(wait) = state.throttle.check_rate(client.address) {
        return Err(too_many(
            wait,
            "too many sign-in requests from this address",
        ));
    }
    let now = state.clock.now();
    let found = {
        let mut c = state.store.acquire().await?;
        users::find_credentials(&mut c, email).await?
    };
    let known_device = throttle::known_device(
        &state.store,
        client.device.as_deref(),
        found.as_ref().map(|(u, _)| u.id),
    )
    .await?;
    let attempt = Attempt {
        email,
        address: client.address,
        known_device: known_device.clone(),
    };
    let reservation = match state.throttle.reserve(&state.store, &attempt, now).await? {
        Ok(r) => r,
        Err(wait) => {
            return Err(too_many(
                wait,
                "too many failed sign-ins for this account or from this address",
            ))
        }
    };
    let checked = match &found {
        Some((_, hash)) => state.passwords.verify(password, hash).await?,
        None => state.passwords.verify_unknown(password).await?,
    };
    let ok = match checked {
        Ok(ok) => ok,
        Err(Busy) => {
            // Not evaluated: give the attempt back.
            state
                .throttle
                .not_evaluated(&state.store, reservation)
                .await?;
            return Err(ApiError::Busy {
                retry_after: std::time::Duration::from_secs(1),
                detail: "the server is busy checking other sign-ins; try again in a moment".into(),
            });
        }
    };
    match found {
        Some((user, _)) if ok => {
            state.throttle.succeeded(&state.store, reservation).await?;
            Ok(Authenticated {
                user,
                known_device: known_device.is_some(),
            })
        }
        _ => Err(ApiError::client(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "email or password is wrong",
        )),
    }
}

fn too_many(wait: std::time::Duration, what: &str) -> ApiError {
    let minutes = wait.as_secs().div_ceil(60);
    ApiError::TooManyAttempts {
        retry_after: wait,
        detail: format!("{what}; try again in {minutes} minute(s)"),
    }
}

/// Records a new device token for `user_id` and returns the cookie that carries it.
async fn remember_device(state: &AppState, user_id: i64, now: Timestamp) -> ApiResult<HeaderValue> {
    let token = random_token();
    let mut c = state.store.acquire().await?;
    crate::store::throttle::remember_device(&mut c, &token_hash(&token), user_id, now).await?;
    let mut cookie = format!(
        "{DEVICE_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={DEVICE_COOKIE_MAX_AGE_S}"
    );
    if state.settings.cookie_secure() {
        cookie.push_str("; Secure");
    }
    Ok(HeaderValue::from_str(&cookie).context("device cookie header")?)
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
    client: Client,
    Body(body): Body<SignIn>,
) -> ApiResult<Response> {
    let signed = authenticate(&state, &client, &body.email, &body.password).await?;
    let opened = open_browser_session(&state, &signed).await?;
    let body = Json(
        json!({ "user": signed.user, "csrf_token": opened.csrf, "expires_at": opened.expires_at }),
    );
    let mut response = body.into_response();
    opened.set_cookies(response.headers_mut());
    Ok(response)
}

/// A new browser session: its cookie header and the CSRF token its requests must echo.
pub(crate) struct BrowserSession {
    pub cookie: HeaderValue,
    pub csrf: String,
    pub expires_at: Timestamp,
    /// A device cookie marking this browser as known to the account, when it had none.
    pub device_cookie: Option<HeaderValue>,
    /// `csrftoken`: the CSRF token again, readable by script, for clients that echo it
    /// from the cookie (the dashboards of the system carebell replaces).
    pub csrf_cookie: HeaderValue,
}

impl BrowserSession {
    /// Adds the session's cookies to a response.
    pub fn set_cookies(self, headers: &mut HeaderMap) {
        headers.append(SET_COOKIE, self.cookie);
        headers.append(SET_COOKIE, self.csrf_cookie);
        if let Some(device) = self.device_cookie {
            headers.append(SET_COOKIE, device);
        }
    }
}

/// The name of the cookie that repeats a browser session's CSRF token for scripts.
pub const CSRF_COOKIE: &str = "csrftoken";

/// The `csrftoken` cookie: the session's CSRF token, readable by the page's script (not
/// `HttpOnly`), which must send it back in `X-CSRFToken`. The value is checked against the
/// session, so a cookie planted by another site (which cannot read this one) does not pass.
pub(crate) fn csrf_cookie(state: &AppState, csrf: &str) -> ApiResult<HeaderValue> {
    let mut cookie = format!(
        "{CSRF_COOKIE}={csrf}; Path=/; SameSite=Lax; Max-Age={}",
        state.settings.auth.session_ttl.as_secs()
    );
    if state.settings.cookie_secure() {
        cookie.push_str("; Secure");
    }
    Ok(HeaderValue::from_str(&cookie).context("csrf cookie header")?)
}

/// Opens a browser session for the signed-in user (cookie `HttpOnly`, `SameSite=Lax`, `Secure` when
/// served over TLS).
pub(crate) async fn open_browser_session(
    state: &AppState,
    signed: &Authenticated,
) -> ApiResult<BrowserSession> {
    let user = &signed.user;
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
    let device_cookie = match signed.known_device {
        true => None,
        false => Some(remember_device(state, user.id, now).await?),
    };
    Ok(BrowserSession {
        cookie: HeaderValue::from_str(&cookie).context("session cookie header")?,
        csrf_cookie: csrf_cookie(state, &csrf)?,
        csrf,
        expires_at,
        device_cookie,
    })
}

/// The header that removes the session cookie.
pub(crate) const CLEAR_SESSION_COOKIE: &str =
    "carebell_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0";
/// The header that removes the `csrftoken` cookie.
pub(crate) const CLEAR_CSRF_COOKIE: &str = "csrftoken=; Path=/; SameSite=Lax; Max-Age=0";

/// `POST /api/v1/auth/sign-out`: ends the session or revokes the bearer token used.
pub async fn sign_out(State(state): State<AppState>, me: CurrentUser) -> ApiResult<Response> {
    let mut c = state.store.acquire().await?;
    sessions::delete(&mut c, me.session.id).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert(SET_COOKIE, HeaderValue::from_static(CLEAR_SESSION_COOKIE));
    headers.append(SET_COOKIE, HeaderValue::from_static(CLEAR_CSRF_COOKIE));
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

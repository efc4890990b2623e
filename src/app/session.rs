//! Signing in and browser sessions, shared by the JSON API and the dashboard pages:
//! credentials checked under the throttle, sessions opened with their cookies (the
//! `HttpOnly` session cookie, the script-readable `csrftoken`, the device cookie), and the
//! cookies that end them.

use super::error::{ApiError, ApiResult};
use super::AppState;
use crate::auth::client::{client_address, DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_S};
use crate::auth::passwords::Busy;
use crate::auth::throttle::{self, Attempt};
use crate::auth::token_hash;
use crate::domain::Timestamp;
use crate::store::sessions::{self, NewSession, SessionKind};
use crate::store::users::{self, User};
use anyhow::Context;
use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};

pub const SESSION_COOKIE: &str = "carebell_session";

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

use crate::auth::random_token;

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
    let subject = found.as_ref().map(|(u, _)| u.id);
    let reservation = match state.throttle.reserve(&state.store, &attempt, now).await? {
        Ok(r) => r,
        Err(wait) => {
            audit_sign_in(state, "auth.sign_in_throttled", None, subject).await?;
            return Err(too_many(
                wait,
                "too many failed sign-ins for this account or from this address",
            ));
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
            audit_sign_in(state, "auth.signed_in", Some(user.id), None).await?;
            Ok(Authenticated {
                user,
                known_device: known_device.is_some(),
            })
        }
        _ => {
            audit_sign_in(state, "auth.sign_in_failed", None, subject).await?;
            Err(ApiError::client(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "email or password is wrong",
            ))
        }
    }
}

/// A sign-in attempt in the audit log: the account it was for when the email is one
/// (never the email or password typed).
async fn audit_sign_in(
    state: &AppState,
    action: &str,
    actor_id: Option<i64>,
    subject_user_id: Option<i64>,
) -> ApiResult<()> {
    append_event(
        state,
        crate::store::audit::NewEvent {
            actor_id,
            action,
            subject_user_id,
            ..Default::default()
        },
    )
    .await
}

/// Appends an event by a signed-in user to the audit log.
pub async fn audit(
    state: &AppState,
    actor_id: i64,
    action: &str,
    subject_user_id: Option<i64>,
    target: Option<String>,
) -> ApiResult<()> {
    append_event(
        state,
        crate::store::audit::NewEvent {
            actor_id: Some(actor_id),
            action,
            subject_user_id,
            target,
            ..Default::default()
        },
    )
    .await
}

async fn append_event(state: &AppState, event: crate::store::audit::NewEvent<'_>) -> ApiResult<()> {
    let mut c = state.store.acquire().await?;
    crate::store::audit::append(&mut c, &event, state.clock.now()).await?;
    Ok(())
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

//! Password reset by email, for the API and the pages alike.
//!
//! - Asking gives the same answer whether or not an account has the address, and does the
//!   same work in both cases (one row written); only an account that exists and is active
//!   gets the email, sent through the outbox like every other message.
//! - Requests are counted per client address (`429` past `auth.password_resets_per_address`)
//!   and per address asked for (past `auth.password_resets_per_account`, the same answer
//!   and no email), within `auth.failure_window`.
//! - The link's token is an HMAC of the reset row and its user with this installation's
//!   key: it is stored nowhere, not even in the message's record. It works once, until
//!   `auth.password_reset_ttl` (30 min) after it was asked for; using it ends every
//!   session and API token of the account and every other reset link still in a mailbox.

use crate::app::session::Client;
use crate::app::{ApiError, ApiResult, AppState};
use crate::auth::throttle::ResetAllowance;
use crate::domain::payload::{AccountFacts, Payload};
use crate::domain::{Channel, Email, NotificationKind, Severity};
use crate::store::notifications::{self, NewNotification};
use crate::store::password_resets;
use crate::store::users::{self, User};
use crate::store::{audit, sessions};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

/// `POST /api/v1/auth/password-reset`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    pub email: String,
}

/// `POST /api/v1/auth/password-reset/complete`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetCompletion {
    /// The token of the link in the email (the last part of its path).
    pub token: String,
    /// 10 to 256 characters.
    pub new_password: String,
}

fn too_many(wait: std::time::Duration) -> ApiError {
    ApiError::TooManyAttempts {
        retry_after: wait,
        detail: format!(
            "too many password reset requests from this address; try again in {} minute(s)",
            wait.as_secs().div_ceil(60)
        ),
    }
}

/// Asks for a reset link to be emailed to `email`. `Ok` whether or not an account has it.
pub async fn request(state: &AppState, client: &Client, email: &str) -> ApiResult<()> {
    let email =
        Email::parse(email).map_err(|e| ApiError::unprocessable(format!("email: {}", e.0)))?;
    state
        .throttle
        .check_rate(client.address)
        .map_err(too_many)?;
    let now = state.clock.now();
    let allowance = state
        .throttle
        .reserve_reset(&state.store, client.address, email.as_str(), now)
        .await?
        .map_err(too_many)?;
    let mut tx = state.store.begin().await?;
    let found = users::find_credentials(tx.conn(), email.as_str())
        .await?
        .map(|(user, _)| user);
    let (user, action) = match (found, allowance) {
        (Some(user), ResetAllowance::Send) => (Some(user), "auth.password_reset_requested"),
        (Some(user), ResetAllowance::Quiet) => (Some(user), "auth.password_reset_throttled"),
        (None, _) => (None, "auth.password_reset_requested"),
    };
    let send = allowance == ResetAllowance::Send;
    let expires_at = now.plus(state.settings.auth.password_reset_ttl);
    let reset_id = password_resets::insert(
        tx.conn(),
        user.as_ref().filter(|_| send).map(|u| u.id),
        now,
        expires_at,
    )
    .await?;
    if let (Some(user), true) = (&user, send) {
        let message = NewNotification {
            recipient_id: user.id,
            kind: NotificationKind::PasswordReset,
            severity: Severity::Info,
            link: None,
            data: Payload::Account(AccountFacts {
                reset_id,
                expires_at,
            }),
            appointment_id: None,
            appointment_version: None,
            channels: vec![Channel::Email],
            visible_from: None,
            reminder_offset: None,
            jobs_due: None,
        };
        notifications::insert_not_in_inbox(tx.conn(), &message, now).await?;
    }
    let event = audit::NewEvent {
        action,
        subject_user_id: user.as_ref().map(|u| u.id),
        target: Some(format!("reset {reset_id}")),
        ..Default::default()
    };
    audit::append(tx.conn(), &event, now).await?;
    tx.commit().await?;
    state.lifecycle.wake_dispatcher();
    Ok(())
}

fn invalid(detail: &str) -> ApiError {
    ApiError::client(StatusCode::BAD_REQUEST, "invalid_reset_token", detail)
}

/// Whether a reset link can still be used, and for whom (what its page shows before a
/// password is typed).
pub async fn check(state: &AppState, token: &str) -> ApiResult<User> {
    let (reset_id, user_id) = state
        .templates
        .verify_reset(token)
        .ok_or_else(|| invalid("this reset link is not valid; ask for a new one"))?;
    let mut c = state.store.acquire().await?;
    usable(&mut c, state, reset_id, user_id).await
}

/// The reset's account, if the link may be used now.
async fn usable(
    c: &mut crate::store::Conn,
    state: &AppState,
    reset_id: i64,
    user_id: i64,
) -> ApiResult<User> {
    let reset = password_resets::lock(c, state.store.backend(), reset_id)
        .await?
        .filter(|r| r.user_id == Some(user_id))
        .ok_or_else(|| invalid("this reset link is not valid; ask for a new one"))?;
    if reset.used_at.is_some() {
        return Err(invalid(
            "this reset link was already used; ask for a new one",
        ));
    }
    if reset.expires_at <= state.clock.now() {
        return Err(invalid("this reset link has expired; ask for a new one"));
    }
    users::get(c, user_id)
        .await?
        .filter(|u| u.deactivated_at.is_none())
        .ok_or_else(|| invalid("this reset link is not valid; ask for a new one"))
}

/// Sets the new password through a reset link: once, before it expires. Every session and
/// token of the account ends, and so does every other reset link of it.
pub async fn complete(
    state: &AppState,
    client: &Client,
    completion: &ResetCompletion,
) -> ApiResult<User> {
    state
        .throttle
        .check_rate(client.address)
        .map_err(too_many)?;
    crate::accounts::check_password(&completion.new_password)
        .map_err(|e| ApiError::unprocessable(format!("new_{e}")))?;
    // Cheap checks first: no password is hashed for a link that cannot be used.
    let user = check(state, &completion.token).await?;
    let hash = state
        .passwords
        .hash(completion.new_password.clone())
        .await?;
    let (reset_id, user_id) = state
        .templates
        .verify_reset(&completion.token)
        .ok_or_else(|| invalid("this reset link is not valid; ask for a new one"))?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    // Checked again under the lock: of two uses at once, one wins.
    usable(tx.conn(), state, reset_id, user_id).await?;
    users::set_password_hash(tx.conn(), user_id, &hash).await?;
    password_resets::use_all_of(tx.conn(), user_id, now).await?;
    let ended = sessions::delete_all_of(tx.conn(), user_id).await?;
    let event = audit::NewEvent {
        actor_id: Some(user_id),
        action: "auth.password_reset",
        target: Some(format!("reset {reset_id}; {ended} sessions ended")),
        ..Default::default()
    };
    audit::append(tx.conn(), &event, now).await?;
    tx.commit().await?;
    state
        .throttle
        .forgive_account(&state.store, user.email.as_str())
        .await?;
    Ok(user)
}

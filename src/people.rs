//! People: admins find, change, deactivate and reactivate accounts; everyone edits their
//! own profile. Each change is in the audit log.

use crate::app::{ApiError, ApiResult, AppState};
use crate::domain::{Email, Language, ParseError, PersonName, PhoneNumber, Role, TimeZone};
use crate::store::users::{self, ProfileChange, User};
use crate::store::{audit, sessions};
use serde::Deserialize;
use utoipa::ToSchema;

/// What may change of a profile; only what is given changes. `role` only by an admin.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    pub name: Option<String>,
    /// A new email address (an address that bounced stays suppressed; the new one is not).
    pub email: Option<String>,
    /// `null` removes the number.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    pub time_zone: Option<String>,
    #[schema(value_type = Option<Language>)]
    pub language: Option<String>,
    #[schema(value_type = Option<Role>)]
    pub role: Option<String>,
}

fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

fn field(name: &'static str) -> impl Fn(ParseError) -> ApiError {
    move |e| ApiError::unprocessable(format!("{name}: {}", e.0))
}

fn parse(input: &ProfileInput, may_change_role: bool) -> ApiResult<ProfileChange> {
    if input.role.is_some() && !may_change_role {
        return Err(ApiError::forbidden("only an admin changes roles"));
    }
    Ok(ProfileChange {
        name: input
            .name
            .as_deref()
            .map(PersonName::parse)
            .transpose()
            .map_err(field("name"))?,
        email: input
            .email
            .as_deref()
            .map(Email::parse)
            .transpose()
            .map_err(field("email"))?,
        phone: match &input.phone {
            None => None,
            Some(None) => Some(None),
            Some(Some(p)) => Some(Some(PhoneNumber::parse(p).map_err(field("phone"))?)),
        },
        time_zone: input
            .time_zone
            .as_deref()
            .map(TimeZone::parse)
            .transpose()
            .map_err(field("time_zone"))?,
        language: input
            .language
            .as_deref()
            .map(Language::parse)
            .transpose()
            .map_err(field("language"))?,
        role: input
            .role
            .as_deref()
            .map(Role::parse)
            .transpose()
            .map_err(field("role"))?,
    })
}

async fn load(c: &mut crate::store::Conn, id: i64) -> ApiResult<User> {
    users::get(c, id)
        .await?
        .ok_or_else(|| ApiError::not_found("account"))
}

/// Changes a profile: one's own (`actor == id`), or anyone's by an admin.
pub async fn update(
    state: &AppState,
    actor: &User,
    id: i64,
    input: &ProfileInput,
) -> ApiResult<User> {
    let change = parse(input, actor.role == Role::Admin && actor.id != id)?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    load(tx.conn(), id).await?;
    users::update_profile(tx.conn(), id, &change)
        .await
        .map_err(|e| match e {
            e if e.violates("users_email") => {
                ApiError::conflict("email_taken", "an account with this email exists")
            }
            other => other.into(),
        })?;
    let event = audit::NewEvent {
        actor_id: Some(actor.id),
        action: "user.updated",
        subject_user_id: Some(id),
        ..Default::default()
    };
    audit::append(tx.conn(), &event, now).await?;
    let user = load(tx.conn(), id).await?;
    tx.commit().await?;
    Ok(user)
}

/// Deactivates an account: every session and token ends at once, it can no longer sign
/// in, and nothing more is sent to it (its jobs are suppressed); its history stays.
pub async fn deactivate(state: &AppState, admin: &User, id: i64) -> ApiResult<User> {
    if admin.id == id {
        return Err(ApiError::conflict(
            "own_account",
            "an admin cannot deactivate their own account",
        ));
    }
    set_active(state, admin, id, false).await
}

pub async fn reactivate(state: &AppState, admin: &User, id: i64) -> ApiResult<User> {
    set_active(state, admin, id, true).await
}

async fn set_active(state: &AppState, admin: &User, id: i64, active: bool) -> ApiResult<User> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    load(tx.conn(), id).await?;
    users::set_deactivated(tx.conn(), id, (!active).then_some(now)).await?;
    let ended = if active {
        0
    } else {
        sessions::delete_all_of(tx.conn(), id).await?
    };
    let event = audit::NewEvent {
        actor_id: Some(admin.id),
        action: if active {
            "user.reactivated"
        } else {
            "user.deactivated"
        },
        subject_user_id: Some(id),
        target: (!active).then(|| format!("{ended} sessions ended")),
        ..Default::default()
    };
    audit::append(tx.conn(), &event, now).await?;
    let user = load(tx.conn(), id).await?;
    tx.commit().await?;
    Ok(user)
}

/// `POST /api/v1/me/password`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    /// 10 to 256 characters.
    pub new_password: String,
}

/// Changes one's own password: the current one is checked like a sign-in (same throttling,
/// same answer when wrong), and every other session and token of the account ends.
pub async fn change_password(
    state: &AppState,
    client: &crate::app::session::Client,
    user: &User,
    session_id: i64,
    change: &PasswordChange,
) -> ApiResult<()> {
    crate::accounts::check_password(&change.new_password)
        .map_err(|e| ApiError::unprocessable(format!("new_{e}")))?;
    crate::app::session::authenticate(state, client, user.email.as_str(), &change.current_password)
        .await?;
    let hash = crate::auth::passwords::hash_password(change.new_password.clone()).await?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    users::set_password_hash(tx.conn(), user.id, &hash).await?;
    let ended = sessions::delete_others_of(tx.conn(), user.id, session_id).await?;
    let event = audit::NewEvent {
        actor_id: Some(user.id),
        action: "auth.password_changed",
        target: Some(format!("{ended} other sessions ended")),
        ..Default::default()
    };
    audit::append(tx.conn(), &event, now).await?;
    tx.commit().await?;
    Ok(())
}

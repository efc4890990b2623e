//! Creating accounts, shared by the admin API and the `user-add` command: every field is
//! parsed at this boundary and named in its error.

use crate::auth::passwords::hash_password;
use crate::domain::{
    Email, Language, ParseError, PersonName, PhoneNumber, Role, TimeZone, Timestamp,
};
use crate::store::users::{self, NewUser, User};
use crate::store::{Store, StoreError};
use serde::Deserialize;

/// Shortest password accepted (NIST SP 800-63B asks for at least 8).
pub const MIN_PASSWORD_CHARS: usize = 10;

/// An account as a client or operator gives it, not yet parsed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    #[schema(value_type = Role)]
    pub role: String,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    /// The clinic's zone when absent.
    pub time_zone: Option<String>,
    /// The clinic's language when absent.
    #[schema(value_type = Option<Language>)]
    pub language: Option<String>,
    /// At least 10 characters.
    #[schema(min_length = 10)]
    pub password: String,
}

/// Why an account was not created.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{field}: {detail}")]
    Invalid { field: &'static str, detail: String },
    #[error("an account with this email exists")]
    EmailTaken,
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

fn field(name: &'static str) -> impl Fn(ParseError) -> AccountError {
    move |e| AccountError::Invalid {
        field: name,
        detail: e.0,
    }
}

/// Parses every field, then hashes the password.
pub async fn parse(a: NewAccount) -> Result<NewUser, AccountError> {
    let role = Role::parse(&a.role).map_err(field("role"))?;
    let name = PersonName::parse(&a.name).map_err(field("name"))?;
    let email = Email::parse(&a.email).map_err(field("email"))?;
    let phone = a
        .phone
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .map(PhoneNumber::parse)
        .transpose()
        .map_err(field("phone"))?;
    let time_zone = a
        .time_zone
        .as_deref()
        .map(TimeZone::parse)
        .transpose()
        .map_err(field("time_zone"))?;
    let language = a
        .language
        .as_deref()
        .map(Language::parse)
        .transpose()
        .map_err(field("language"))?;
    let chars = a.password.chars().count();
    if !(MIN_PASSWORD_CHARS..=256).contains(&chars) {
        return Err(AccountError::Invalid {
            field: "password",
            detail: format!("must be {MIN_PASSWORD_CHARS} to 256 characters"),
        });
    }
    Ok(NewUser {
        role,
        name,
        email,
        phone,
        time_zone: time_zone.unwrap_or_default(),
        language: language.unwrap_or_default(),
        password_hash: hash_password(a.password).await?,
    })
}

/// Parses and stores a new account.
pub async fn create_account(
    store: &Store,
    a: NewAccount,
    now: Timestamp,
) -> Result<User, AccountError> {
    let new = parse(a).await?;
    let mut c = store.acquire().await.map_err(AccountError::Store)?;
    users::insert(&mut c, &new, now).await.map_err(|e| match e {
        e if e.violates("users_email") => AccountError::EmailTaken,
        other => AccountError::Store(other),
    })
}

/// Refuses a password shorter than [`MIN_PASSWORD_CHARS`] or longer than 256 characters.
pub fn check_password(password: &str) -> Result<(), AccountError> {
    let chars = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=256).contains(&chars) {
        return Err(AccountError::Invalid {
            field: "password",
            detail: format!("must be {MIN_PASSWORD_CHARS} to 256 characters"),
        });
    }
    Ok(())
}

/// Sets the password of the account with this email (checked like a new one).
pub async fn set_password(
    store: &Store,
    email: &str,
    password: String,
) -> Result<(), AccountError> {
    check_password(&password)?;
    let mut c = store.acquire().await.map_err(AccountError::Store)?;
    let (user, _) = users::find_credentials(&mut c, email)
        .await
        .map_err(AccountError::Store)?
        .ok_or(AccountError::Invalid {
            field: "email",
            detail: format!("no account with the email {email:?}"),
        })?;
    drop(c);
    let hash = hash_password(password).await?;
    let mut c = store.acquire().await.map_err(AccountError::Store)?;
    users::set_password_hash(&mut c, user.id, &hash)
        .await
        .map_err(AccountError::Store)
}

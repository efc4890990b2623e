//! Users and their credentials.

use super::{col, Conn, StoreResult};
use crate::domain::{Email, Language, PersonName, PhoneNumber, Role, TimeZone, Timestamp};
use serde::Serialize;
use sqlx::any::AnyRow;

/// A person who can sign in.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub role: Role,
    pub name: PersonName,
    pub email: Email,
    pub phone: Option<PhoneNumber>,
    pub time_zone: TimeZone,
    pub language: Language,
    /// When an admin deactivated the account (no sign-in, no messages); absent when active.
    pub deactivated_at: Option<Timestamp>,
    /// When the person agreed to WhatsApp messages; absent: none are sent.
    pub whatsapp_opt_in_at: Option<Timestamp>,
    /// Since when a browser or device of theirs takes push notifications; absent: none.
    pub push_enabled_at: Option<Timestamp>,
}

/// What it takes to create a user; all fields already parsed.
pub struct NewUser {
    pub role: Role,
    pub name: PersonName,
    pub email: Email,
    pub phone: Option<PhoneNumber>,
    pub time_zone: TimeZone,
    pub language: Language,
    pub password_hash: String,
}

pub(crate) const COLUMNS: &str =
    "u.id, u.role, u.name, u.email, u.phone, u.time_zone, u.language, u.deactivated_at,
     u.whatsapp_opt_in_at,
     (SELECT MIN(p.created_at) FROM push_subscriptions p WHERE p.user_id = u.id) AS push_enabled_at";

pub(crate) fn from_row(row: &AnyRow) -> StoreResult<User> {
    Ok(<User as sqlx::FromRow<AnyRow>>::from_row(row)?)
}

/// Inserts a user; a taken email gives [`super::StoreError::Conflict`].
pub async fn insert(c: &mut Conn, u: &NewUser, now: Timestamp) -> StoreResult<User> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (role, name, email, phone, time_zone, language, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(u.role.as_str())
    .bind(u.name.as_str())
    .bind(u.email.as_str())
    .bind(u.phone.as_ref().map(|p| p.as_str().to_owned()))
    .bind(u.time_zone.name())
    .bind(u.language.code())
    .bind(&u.password_hash)
    .bind(now.millis())
    .fetch_one(&mut *c)
    .await?;
    Ok(User {
        id,
        role: u.role,
        name: u.name.clone(),
        email: u.email.clone(),
        phone: u.phone.clone(),
        time_zone: u.time_zone,
        language: u.language,
        deactivated_at: None,
        whatsapp_opt_in_at: None,
        push_enabled_at: None,
    })
}

pub async fn get(c: &mut Conn, id: i64) -> StoreResult<Option<User>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users u WHERE u.id = $1"))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Finds a user and their password hash by email, ignoring case.
pub async fn find_credentials(c: &mut Conn, email: &str) -> StoreResult<Option<(User, String)>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS}, u.password_hash FROM users u
         WHERE lower(u.email) = lower($1) AND u.deactivated_at IS NULL"
    ))
    .bind(email.trim())
    .fetch_optional(&mut *c)
    .await?;
    match row {
        Some(row) => Ok(Some((from_row(&row)?, col(&row, "password_hash")?))),
        None => Ok(None),
    }
}

/// When the user agreed to WhatsApp messages, if they did.
pub async fn whatsapp_opt_in(c: &mut Conn, id: i64) -> StoreResult<Option<Timestamp>> {
    let at: Option<i64> = sqlx::query_scalar("SELECT whatsapp_opt_in_at FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *c)
        .await?
        .flatten();
    Ok(at.map(Timestamp::from_millis))
}

pub async fn set_whatsapp_opt_in(c: &mut Conn, id: i64, at: Option<Timestamp>) -> StoreResult<()> {
    sqlx::query("UPDATE users SET whatsapp_opt_in_at = $1 WHERE id = $2")
        .bind(at.map(|t| t.millis()))
        .bind(id)
        .execute(&mut *c)
        .await?;
    super::sessions::changed();
    Ok(())
}

/// The active account with this email (any case), if there is one.
pub async fn find_by_email(c: &mut Conn, email: &str) -> StoreResult<Option<User>> {
    Ok(find_credentials(c, email).await?.map(|(user, _)| user))
}

pub async fn set_password_hash(c: &mut Conn, id: i64, hash: &str) -> StoreResult<()> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(&mut *c)
        .await?;
    super::sessions::changed();
    Ok(())
}

/// Practitioners, by name, for patients choosing whom to book.
pub async fn list_practitioners(c: &mut Conn) -> StoreResult<Vec<User>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM users u WHERE u.role = 'practitioner' ORDER BY u.name, u.id"
    ))
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Locks a user row until the transaction ends (PostgreSQL); used to serialise writes
/// that check a condition across several rows of one practitioner.
pub async fn lock(c: &mut Conn, backend: super::Backend, id: i64) -> StoreResult<Option<User>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM users u WHERE u.id = $1{}",
        backend.for_update()
    ))
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// A page of users, by id descending, whose name or email contains `query` (any case).
pub async fn search(
    c: &mut Conn,
    query: Option<&str>,
    role: Option<Role>,
    before_id: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<User>> {
    let pattern = query.map(|q| format!("%{}%", q.trim().to_lowercase()));
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM users u
         WHERE (CAST($1 AS TEXT) IS NULL OR lower(u.name) LIKE $1 OR lower(u.email) LIKE $1)
           AND (CAST($2 AS TEXT) IS NULL OR u.role = $2)
           AND (CAST($3 AS BIGINT) IS NULL OR u.id < $3)
         ORDER BY u.id DESC LIMIT $4"
    ))
    .bind(pattern)
    .bind(role.map(|r| r.as_str()))
    .bind(before_id)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Changes what is given of a user's profile (`phone: Some(None)` removes the number).
#[derive(Debug, Clone, Default)]
pub struct ProfileChange {
    pub name: Option<PersonName>,
    /// A new address; a bouncing old one stays marked, the new one is not.
    pub email: Option<Email>,
    pub phone: Option<Option<PhoneNumber>>,
    pub time_zone: Option<TimeZone>,
    pub language: Option<Language>,
    pub role: Option<Role>,
}

pub async fn update_profile(c: &mut Conn, id: i64, p: &ProfileChange) -> StoreResult<()> {
    sqlx::query(
        "UPDATE users SET
             name = COALESCE($1, name),
             phone = CASE WHEN $2 = 1 THEN $3 ELSE phone END,
             time_zone = COALESCE($4, time_zone),
             language = COALESCE($5, language),
             role = COALESCE($6, role),
             email = COALESCE($8, email)
         WHERE id = $7",
    )
    .bind(p.name.as_ref().map(|n| n.as_str().to_owned()))
    .bind(i64::from(p.phone.is_some()))
    .bind(p.phone.clone().flatten().map(|n| n.as_str().to_owned()))
    .bind(p.time_zone.map(|z| z.name()))
    .bind(p.language.map(|l| l.code()))
    .bind(p.role.map(|r| r.as_str()))
    .bind(id)
    .bind(p.email.as_ref().map(|e| e.as_str().to_owned()))
    .execute(&mut *c)
    .await?;
    super::sessions::changed();
    Ok(())
}

/// Deactivates (`Some(now)`) or reactivates (`None`) an account.
pub async fn set_deactivated(c: &mut Conn, id: i64, at: Option<Timestamp>) -> StoreResult<()> {
    sqlx::query("UPDATE users SET deactivated_at = $1 WHERE id = $2")
        .bind(at.map(|t| t.millis()))
        .bind(id)
        .execute(&mut *c)
        .await?;
    super::sessions::changed();
    Ok(())
}

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

pub(crate) const COLUMNS: &str = "u.id, u.role, u.name, u.email, u.phone, u.time_zone, u.language";

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
        "SELECT {COLUMNS}, u.password_hash FROM users u WHERE lower(u.email) = lower($1)"
    ))
    .bind(email.trim())
    .fetch_optional(&mut *c)
    .await?;
    match row {
        Some(row) => Ok(Some((from_row(&row)?, col(&row, "password_hash")?))),
        None => Ok(None),
    }
}

pub async fn set_password_hash(c: &mut Conn, id: i64, hash: &str) -> StoreResult<()> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(&mut *c)
        .await?;
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

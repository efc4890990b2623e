//! Browser sessions and API tokens. Only a SHA-256 of each token is stored, so a copy of
//! the database does not let anyone sign in.

use super::{users, Conn, StoreResult};
use crate::domain::Timestamp;
use sha2::{Digest, Sha256};

/// How a session was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// A cookie; state-changing requests must carry the CSRF token.
    Browser,
    /// A bearer token for integrations; not sent by browsers on their own, so no CSRF.
    Api,
}

impl SessionKind {
    fn as_str(&self) -> &'static str {
        match self {
            Self::Browser => "browser",
            Self::Api => "api",
        }
    }

    pub fn parse(input: &str) -> Result<Self, crate::domain::ParseError> {
        match input {
            "browser" => Ok(Self::Browser),
            "api" => Ok(Self::Api),
            other => Err(crate::domain::ParseError(format!(
                "unknown session kind {other:?}"
            ))),
        }
    }
}

/// A session found by its token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    #[sqlx(rename = "session_id")]
    pub id: i64,
    pub kind: SessionKind,
    pub csrf_token: Option<String>,
    #[sqlx(flatten)]
    pub user: users::User,
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A session to open.
pub struct NewSession<'a> {
    pub token: &'a str,
    pub user_id: i64,
    pub kind: SessionKind,
    pub csrf_token: Option<&'a str>,
    pub label: Option<&'a str>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

pub async fn insert(c: &mut Conn, s: &NewSession<'_>) -> StoreResult<i64> {
    let id = sqlx::query_scalar(
        "INSERT INTO sessions (token_hash, user_id, kind, csrf_token, label, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(hash_token(s.token))
    .bind(s.user_id)
    .bind(s.kind.as_str())
    .bind(s.csrf_token.map(str::to_owned))
    .bind(s.label.map(str::to_owned))
    .bind(s.created_at.millis())
    .bind(s.expires_at.millis())
    .fetch_one(&mut *c)
    .await?;
    Ok(id)
}

/// The live session for `token`, with its user.
pub async fn find(c: &mut Conn, token: &str, now: Timestamp) -> StoreResult<Option<Session>> {
    let row = sqlx::query(&format!(
        "SELECT s.id AS session_id, s.kind, s.csrf_token, {} FROM sessions s
         JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.deactivated_at IS NULL",
        users::COLUMNS
    ))
    .bind(hash_token(token))
    .bind(now.millis())
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref()
        .map(<Session as sqlx::FromRow<sqlx::any::AnyRow>>::from_row)
        .transpose()
        .map_err(Into::into)
}

pub async fn delete(c: &mut Conn, id: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Ends every session and revokes every token of a user.
pub async fn delete_all_of(c: &mut Conn, user_id: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(done.rows_affected())
}

/// Ends every session and token of a user but `keep` (the one in use).
pub async fn delete_others_of(c: &mut Conn, user_id: i64, keep: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id)
        .bind(keep)
        .execute(&mut *c)
        .await?;
    Ok(done.rows_affected())
}

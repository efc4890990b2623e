//! Browser sessions and API tokens. Only a SHA-256 of each token is stored, so a copy of
//! the database does not let anyone sign in.

use super::{users, Conn, StoreResult};
use crate::domain::Timestamp;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

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
    #[sqlx(rename = "session_expires_at")]
    pub expires_at: Timestamp,
    #[sqlx(flatten)]
    pub user: users::User,
}

/// Counts the writes that can change what [`find`] returns (a session ended, a user's
/// account or profile changed, a push subscription added or removed), in this process.
/// Each such write counts once when its statement is done and, inside a transaction, once
/// more when that commits (see [`super::Tx::commit`]).
static CHANGES: AtomicU64 = AtomicU64::new(0);

pub(super) fn changes() -> u64 {
    CHANGES.load(Ordering::SeqCst)
}

/// Called after every write of the kind [`CHANGES`] counts.
pub(super) fn changed() {
    CHANGES.fetch_add(1, Ordering::SeqCst);
}

/// Sessions found in the last second, by token hash, so that a client's burst of
/// requests looks its token up once ([`super::Store::find_session`]). An entry is used
/// only while no write of the kind [`CHANGES`] counts happened in this process since its
/// lookup began, and while the session has not expired; another instance's sign-out or
/// deactivation is seen within [`Cache::FRESH`].
#[derive(Default)]
pub(super) struct Cache {
    entries: Mutex<HashMap<String, Cached>>,
}

struct Cached {
    session: Session,
    changes: u64,
    at: Instant,
}

impl Cache {
    pub(super) const FRESH: Duration = Duration::from_secs(1);
    /// Past this many entries the cache starts again empty.
    const ROOM: usize = 10_000;

    pub(super) fn get(&self, key: &str, now: Timestamp) -> Option<Session> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let hit = entries.get(key)?;
        (hit.changes == changes() && hit.at.elapsed() < Self::FRESH && hit.session.expires_at > now)
            .then(|| hit.session.clone())
    }

    /// Keeps `session`, looked up from the database after [`changes`] was `seen`.
    pub(super) fn put(&self, key: String, session: Session, seen: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= Self::ROOM {
            entries.clear();
        }
        entries.insert(
            key,
            Cached {
                session,
                changes: seen,
                at: Instant::now(),
            },
        );
    }
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

/// The live session whose token hashes to `token_hash` ([`hash_token`]), with its user.
pub async fn find(c: &mut Conn, token_hash: &str, now: Timestamp) -> StoreResult<Option<Session>> {
    let row = sqlx::query(&format!(
        "SELECT s.id AS session_id, s.kind, s.csrf_token, s.expires_at AS session_expires_at, {}
         FROM sessions s
         JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.deactivated_at IS NULL",
        users::COLUMNS
    ))
    .bind(token_hash)
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
    changed();
    Ok(())
}

/// Ends every session and revokes every token of a user.
pub async fn delete_all_of(c: &mut Conn, user_id: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    changed();
    Ok(done.rows_affected())
}

/// Ends every session and token of a user but `keep` (the one in use).
pub async fn delete_others_of(c: &mut Conn, user_id: i64, keep: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id)
        .bind(keep)
        .execute(&mut *c)
        .await?;
    changed();
    Ok(done.rows_affected())
}

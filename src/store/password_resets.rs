//! Password resets: one row per request, single use, until it expires. The link's token
//! is signed over the row's id and user (`auth::signed::reset_token`), so the table holds
//! nothing an attacker could use as a link.

use super::{Conn, StoreResult};
use crate::domain::Timestamp;

/// A reset as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct PasswordReset {
    pub id: i64,
    pub user_id: Option<i64>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

/// Records a request; `user_id` is `None` when nobody has the address asked for (the
/// request is written all the same, so both cases do the same work).
pub async fn insert(
    c: &mut Conn,
    user_id: Option<i64>,
    now: Timestamp,
    expires_at: Timestamp,
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO password_resets (user_id, created_at, expires_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(user_id)
    .bind(now.millis())
    .bind(expires_at.millis())
    .fetch_one(&mut *c)
    .await?)
}

/// Locks a reset until the transaction ends (PostgreSQL; SQLite's write lock already
/// serialises), so two uses of one link at once give one success.
pub async fn lock(
    c: &mut Conn,
    backend: super::Backend,
    id: i64,
) -> StoreResult<Option<PasswordReset>> {
    let row = sqlx::query(&format!(
        "SELECT id, user_id, created_at, expires_at, used_at FROM password_resets WHERE id = $1{}",
        backend.for_update()
    ))
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    Ok(row
        .map(|r| <PasswordReset as sqlx::FromRow<sqlx::any::AnyRow>>::from_row(&r))
        .transpose()?)
}

/// Uses up every open reset of the user (the one used, and any other link still in a
/// mailbox). Returns how many there were.
pub async fn use_all_of(c: &mut Conn, user_id: i64, now: Timestamp) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL",
    )
    .bind(now.millis())
    .bind(user_id)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected())
}

/// Drops requests that expired before `before` (they can no longer be used).
pub async fn prune(c: &mut Conn, before: Timestamp) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM password_resets WHERE expires_at < $1")
        .bind(before.millis())
        .execute(&mut *c)
        .await?;
    Ok(done.rows_affected())
}

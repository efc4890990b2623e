//! Counters of failed sign-ins, shared by every instance, and the browsers known to have
//! signed in successfully.

use super::{Conn, StoreResult};
use crate::domain::Timestamp;
use std::time::Duration;

/// Counts one attempt under `key` before it is evaluated, in one statement, unless the key
/// already has `limit` failures in its current window. `Ok(None)` when counted;
/// `Ok(Some(wait))` when refused, with how long until the window ends. Concurrent callers
/// cannot overshoot the limit: the row is locked by the upsert.
pub async fn reserve(
    c: &mut Conn,
    key: &str,
    limit: u32,
    window: Duration,
    now: Timestamp,
) -> StoreResult<Option<Duration>> {
    let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
    let counted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO auth_attempts (key, window_start, failures) VALUES ($1, $2, 1)
         ON CONFLICT (key) DO UPDATE SET
             failures = CASE WHEN auth_attempts.window_start + $3 <= $2 THEN 1 ELSE auth_attempts.failures + 1 END,
             window_start = CASE WHEN auth_attempts.window_start + $3 <= $2 THEN $2 ELSE auth_attempts.window_start END
         WHERE auth_attempts.window_start + $3 <= $2 OR auth_attempts.failures < $4
         RETURNING failures",
    )
    .bind(key)
    .bind(now.millis())
    .bind(window_ms)
    .bind(i64::from(limit))
    .fetch_optional(&mut *c)
    .await?;
    if counted.is_some() {
        return Ok(None);
    }
    let start: i64 = sqlx::query_scalar("SELECT window_start FROM auth_attempts WHERE key = $1")
        .bind(key)
        .fetch_optional(&mut *c)
        .await?
        .unwrap_or(now.millis());
    let left = (start.saturating_add(window_ms) - now.millis()).max(1_000);
    Ok(Some(Duration::from_millis(left as u64)))
}

/// Takes back an attempt counted by [`reserve`] that turned out not to be a failure.
pub async fn release(c: &mut Conn, key: &str) -> StoreResult<()> {
    sqlx::query("UPDATE auth_attempts SET failures = failures - 1 WHERE key = $1 AND failures > 0")
        .bind(key)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Forgets a key's failures (its owner signed in).
pub async fn clear(c: &mut Conn, key: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM auth_attempts WHERE key = $1")
        .bind(key)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Drops counters whose window ended before `now`, and devices remembered longer ago than
/// `device_max_age` (their cookies have expired). Returns how many rows went.
pub async fn prune(
    c: &mut Conn,
    now: Timestamp,
    window: Duration,
    device_max_age: Duration,
) -> StoreResult<u64> {
    let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    let counters = sqlx::query("DELETE FROM auth_attempts WHERE window_start + $1 < $2")
        .bind(ms(window))
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    let devices = sqlx::query("DELETE FROM auth_devices WHERE created_at + $1 < $2")
        .bind(ms(device_max_age))
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    Ok(counters.rows_affected() + devices.rows_affected())
}

/// The user a device token belongs to.
pub async fn device_owner(c: &mut Conn, token_hash: &str) -> StoreResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT user_id FROM auth_devices WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&mut *c)
            .await?,
    )
}

pub async fn remember_device(
    c: &mut Conn,
    token_hash: &str,
    user_id: i64,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO auth_devices (token_hash, user_id, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (token_hash) DO NOTHING",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now.millis())
    .execute(&mut *c)
    .await?;
    Ok(())
}

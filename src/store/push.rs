//! Web push subscriptions: the browsers and devices where a user turned notifications on.

use super::{Conn, StoreResult};
use crate::domain::Timestamp;
use serde::Serialize;

/// One subscription, as the push service gave it to the browser.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Subscription {
    pub id: i64,
    #[serde(skip)]
    pub user_id: i64,
    /// The push service's address for this browser.
    pub endpoint: String,
    /// The browser's P-256 public key (base64url), which the message is encrypted to.
    #[serde(skip)]
    pub p256dh: String,
    /// The browser's authentication secret (base64url).
    #[serde(skip)]
    pub auth: String,
    pub user_agent: Option<String>,
    pub created_at: Timestamp,
    pub last_success_at: Option<Timestamp>,
}

const COLUMNS: &str =
    "id, user_id, endpoint, p256dh, auth, user_agent, created_at, last_success_at";

/// Records a subscription for `user_id`; the same endpoint again replaces the old one
/// (a browser that subscribed anew, or another account signed in on it).
pub async fn upsert(
    c: &mut Conn,
    user_id: i64,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
    user_agent: Option<&str>,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, user_agent, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (endpoint) DO UPDATE SET user_id = $1, p256dh = $3, auth = $4, user_agent = $5, created_at = $6",
    )
    .bind(user_id)
    .bind(endpoint)
    .bind(p256dh)
    .bind(auth)
    .bind(user_agent.map(str::to_owned))
    .bind(now.millis())
    .execute(&mut *c)
    .await?;
    super::sessions::changed();
    Ok(())
}

pub async fn of_user(c: &mut Conn, user_id: i64) -> StoreResult<Vec<Subscription>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM push_subscriptions WHERE user_id = $1 ORDER BY id"
    ))
    .bind(user_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| Ok(<Subscription as sqlx::FromRow<sqlx::any::AnyRow>>::from_row(r)?))
        .collect()
}

/// Removes one of the user's subscriptions; `false` when they had none with that endpoint.
pub async fn remove(c: &mut Conn, user_id: i64, endpoint: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2")
        .bind(user_id)
        .bind(endpoint)
        .execute(&mut *c)
        .await?;
    super::sessions::changed();
    Ok(done.rows_affected() > 0)
}

/// The push service said the subscription is gone (404/410): it is forgotten.
pub async fn forget(c: &mut Conn, id: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM push_subscriptions WHERE id = $1")
        .bind(id)
        .execute(&mut *c)
        .await?;
    super::sessions::changed();
    Ok(())
}

pub async fn succeeded(c: &mut Conn, id: i64, now: Timestamp) -> StoreResult<()> {
    sqlx::query("UPDATE push_subscriptions SET last_success_at = $1 WHERE id = $2")
        .bind(now.millis())
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

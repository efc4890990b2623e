//! This installation's random id, made once at first start and kept in the database.

use super::{Conn, StoreResult};
use crate::domain::Timestamp;
use rand::RngCore;

/// The installation id: 16 random bytes in hex, created by whichever process starts
/// first (the single-row table makes a second insert a no-op).
pub async fn id(c: &mut Conn, now: Timestamp) -> StoreResult<String> {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    sqlx::query(
        "INSERT INTO installation (singleton, id, created_at) VALUES (1, $1, $2)
         ON CONFLICT (singleton) DO NOTHING",
    )
    .bind(hex::encode(bytes))
    .bind(now.millis())
    .execute(&mut *c)
    .await?;
    Ok(
        sqlx::query_scalar("SELECT id FROM installation WHERE singleton = 1")
            .fetch_one(&mut *c)
            .await?,
    )
}

/// The key that signs links in messages (unsubscribe): 32 random bytes, made once by
/// whichever process asks first, kept beside the id. Call [`id`] first: it makes the row.
pub async fn signing_key(c: &mut Conn) -> StoreResult<Vec<u8>> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    sqlx::query(
        "UPDATE installation SET signing_key = $1 WHERE singleton = 1 AND signing_key IS NULL",
    )
    .bind(hex::encode(bytes))
    .execute(&mut *c)
    .await?;
    let key: String =
        sqlx::query_scalar("SELECT signing_key FROM installation WHERE singleton = 1")
            .fetch_one(&mut *c)
            .await?;
    hex::decode(key).map_err(|e| super::StoreError::Corrupt(format!("signing key: {e}")))
}

/// The VAPID private key (a P-256 scalar) that identifies this installation to push
/// services: `candidate` (a fresh key the caller made) is kept if there is none yet, and
/// the stored one is returned, so every instance signs with the same key.
pub async fn vapid_key(c: &mut Conn, candidate: &[u8]) -> StoreResult<Vec<u8>> {
    sqlx::query(
        "UPDATE installation SET vapid_private = $1 WHERE singleton = 1 AND vapid_private IS NULL",
    )
    .bind(hex::encode(candidate))
    .execute(&mut *c)
    .await?;
    let key: String =
        sqlx::query_scalar("SELECT vapid_private FROM installation WHERE singleton = 1")
            .fetch_one(&mut *c)
            .await?;
    hex::decode(key).map_err(|e| super::StoreError::Corrupt(format!("vapid key: {e}")))
}

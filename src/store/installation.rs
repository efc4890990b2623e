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

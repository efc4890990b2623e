//! Authentication primitives shared by the JSON API and the pages: password hashing with a
//! bound on how many run at once, sign-in throttling kept in the database, tokens, and the
//! client's address as the proxies in front of us report it.

pub mod client;
pub mod passwords;
pub mod signed;
pub mod throttle;

use rand::RngCore;

/// 32 random bytes, hex-encoded.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Compares secrets in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// SHA-256 of a token, hex-encoded: what is stored instead of the token itself.
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

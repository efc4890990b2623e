//! Argon2id password hashes. Each check takes about 19 MiB and tens of milliseconds of one
//! core (OWASP's minimum parameters: m = 19 MiB, t = 2, p = 1), so the server runs only a
//! bounded number at once: a burst of sign-ins waits briefly for a free slot and is
//! otherwise told to come back (`503` with `Retry-After`), instead of taking gigabytes.

use anyhow::Context;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::time::Duration;
use tokio::sync::{OnceCell, Semaphore};

/// No free password check within the wait: the caller should answer 503.
#[derive(Debug, thiserror::Error)]
#[error("every password check is busy; try again shortly")]
pub struct Busy;

/// The bounded password checker.
pub struct Passwords {
    slots: Semaphore,
    wait: Duration,
}

impl Passwords {
    /// At most `concurrent` checks at once (default: the number of cores); a caller waits
    /// at most `wait` for a slot.
    pub fn new(concurrent: Option<u32>, wait: Duration) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let n = concurrent.map_or(cores, |c| c as usize).max(1);
        Self {
            slots: Semaphore::new(n),
            wait,
        }
    }

    /// Whether `password` matches `hash`; `Err(Busy)` when no slot freed up in time. An
    /// account with [`NO_PASSWORD`] matches nothing, after the same work as a real check.
    pub async fn verify(&self, password: &str, hash: &str) -> anyhow::Result<Result<bool, Busy>> {
        let no_password = hash == NO_PASSWORD;
        let hash = if no_password {
            // Made once, by the first caller; the others wait for it rather than hashing.
            DUMMY_HASH
                .get_or_try_init(|| hash_password(super::random_token()))
                .await?
                .as_str()
        } else {
            hash
        };
        let Ok(Ok(_permit)) = tokio::time::timeout(self.wait, self.slots.acquire()).await else {
            return Ok(Err(Busy));
        };
        let matched = verify_password(password.to_owned(), hash.to_owned()).await?;
        Ok(Ok(matched && !no_password))
    }

    /// Checks against a hash of a random password, so that an unknown email takes as long
    /// as a known one.
    pub async fn verify_unknown(&self, password: &str) -> anyhow::Result<Result<bool, Busy>> {
        self.verify(password, NO_PASSWORD).await
    }

    /// Hashes a new password, waiting for a slot as long as it takes (signed-in callers).
    pub async fn hash(&self, password: String) -> anyhow::Result<String> {
        let _permit = self
            .slots
            .acquire()
            .await
            .context("password slots closed")?;
        hash_password(password).await
    }
}

static DUMMY_HASH: OnceCell<String> = OnceCell::const_new();

/// The stored "hash" of an account that has no password yet (an imported one): no
/// password matches it, and setting one replaces it.
pub const NO_PASSWORD: &str = "!no-password";

/// Hashes a password with Argon2id on a blocking thread (it is deliberately slow). Not
/// bounded: for the command line and the demo loader; request handlers use [`Passwords`].
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
    })
    .await
    .context("password hashing task")?
}

async fn verify_password(password: String, hash: String) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .context("password verification task")?
}

/// Makes the allocator give the hashes' 19 MiB blocks back to the system when they are
/// freed. glibc otherwise raises its mmap threshold after the first such block is freed
/// and keeps later ones in per-thread arenas, so memory taken by a burst stays taken.
pub fn return_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator tunable; a fixed threshold also turns off
    // glibc's dynamic adjustment of it.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_parameters_are_at_least_owasps_minimum() {
        let p = argon2::Params::default();
        assert!(p.m_cost() >= 19 * 1024 && p.t_cost() >= 2 && p.p_cost() >= 1);
        assert_eq!(argon2::Algorithm::default(), argon2::Algorithm::Argon2id);
    }

    #[tokio::test]
    async fn a_check_waits_for_a_free_slot_and_gives_up_after_the_wait() {
        let p = Passwords::new(Some(1), Duration::from_millis(50));
        let hash = hash_password("pw".into()).await.unwrap();
        let held = p.slots.acquire().await.unwrap();
        assert!(
            p.verify("pw", &hash).await.unwrap().is_err(),
            "busy while held"
        );
        drop(held);
        assert!(p.verify("pw", &hash).await.unwrap().unwrap());
        assert!(!p.verify("nope", &hash).await.unwrap().unwrap());
    }
}

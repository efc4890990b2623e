//! Sign-in throttling that concurrency cannot bypass and a stranger cannot turn on an
//! account's owner.
//!
//! The rule (docs/SECURITY.md):
//! - Every attempt is counted **before** its password is checked, atomically in the
//!   database (so all instances share the counts), and taken back if it succeeds.
//! - Per account: `auth.max_failures` (5) failures within `auth.failure_window` (15 min)
//!   from browsers the account has not signed in from; then such attempts are refused
//!   (`429`, `Retry-After`) until the window ends.
//! - Per known browser: a browser where the owner signed in before carries a device cookie;
//!   its attempts count against that browser alone, so a stranger's failures never lock
//!   the owner out of their own browser, and the owner's typos lock only it.
//! - Per client address: `auth.max_failures_per_address` (20) failures within the window,
//!   over all accounts, and `auth.requests_per_minute_per_address` (30) requests per
//!   minute to the sign-in and token endpoints (a token bucket per instance, `governor`).

use crate::auth::token_hash;
use crate::config::AuthSettings;
use crate::domain::Timestamp;
use crate::store::{throttle as db, Store, StoreResult};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// Whose failures an attempt counts against.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    pub email: &'a str,
    pub address: IpAddr,
    /// The hash of the device cookie, when it belongs to the account tried.
    pub known_device: Option<String>,
}

/// Attempts counted and not yet settled.
#[must_use = "settle the reservation with succeeded() or keep it as a failure"]
pub struct Reservation {
    address_key: String,
    account_key: String,
}

pub struct SignInThrottle {
    max_failures: u32,
    per_address: u32,
    window: Duration,
    rate: DefaultKeyedRateLimiter<IpAddr>,
    resets_per_account: u32,
    resets_per_address: u32,
}

/// Whether a password reset request may send its email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetAllowance {
    Send,
    /// The address asked for has had its share of emails in this window: answer the same,
    /// send nothing.
    Quiet,
}

impl SignInThrottle {
    pub fn new(s: &AuthSettings) -> Self {
        let per_minute =
            NonZeroU32::new(s.requests_per_minute_per_address).unwrap_or(NonZeroU32::MIN);
        Self {
            max_failures: s.max_failures,
            per_address: s.max_failures_per_address,
            window: s.failure_window,
            rate: RateLimiter::keyed(Quota::per_minute(per_minute)),
            resets_per_account: s.password_resets_per_account,
            resets_per_address: s.password_resets_per_address,
        }
    }

    /// Counts a password reset request against the client's address (`Err(wait)` when it
    /// is over `auth.password_resets_per_address`) and the address asked for, whether or not
    /// an account has it, so the answer tells nothing about who has an account.
    pub async fn reserve_reset(
        &self,
        store: &Store,
        client: IpAddr,
        email: &str,
        now: Timestamp,
    ) -> StoreResult<Result<ResetAllowance, Duration>> {
        let mut c = store.acquire().await?;
        let address_key = format!("reset-address:{client}");
        if let Some(wait) = db::reserve(
            &mut c,
            &address_key,
            self.resets_per_address,
            self.window,
            now,
        )
        .await?
        {
            return Ok(Err(wait));
        }
        let email_key = format!("reset-account:{}", email.trim().to_lowercase());
        let over = db::reserve(
            &mut c,
            &email_key,
            self.resets_per_account,
            self.window,
            now,
        )
        .await?
        .is_some();
        Ok(Ok(if over {
            ResetAllowance::Quiet
        } else {
            ResetAllowance::Send
        }))
    }

    /// The owner proved they hold the account's mailbox (a password reset): the failed
    /// sign-ins strangers made against the account are forgotten.
    pub async fn forgive_account(&self, store: &Store, email: &str) -> StoreResult<()> {
        let mut c = store.acquire().await?;
        db::clear(&mut c, &format!("account:{}", email.trim().to_lowercase())).await
    }

    /// The request-rate limit per address; `Err(wait)` when over it.
    pub fn check_rate(&self, address: IpAddr) -> Result<(), Duration> {
        if self.rate.len() > 100_000 {
            self.rate.retain_recent();
        }
        self.rate.check_key(&address).map_err(|not_until| {
            not_until
                .wait_time_from(governor::clock::Clock::now(self.rate.clock()))
                .max(Duration::from_secs(1))
        })
    }

    /// Counts the attempt against its address and its account (or known browser) before
    /// the password is checked. `Err(wait)` when either is at its limit (nothing counted).
    pub async fn reserve(
        &self,
        store: &Store,
        attempt: &Attempt<'_>,
        now: Timestamp,
    ) -> StoreResult<Result<Reservation, Duration>> {
        let address_key = format!("address:{}", attempt.address);
        let account_key = match &attempt.known_device {
            Some(device) => format!("device:{device}"),
            None => format!("account:{}", attempt.email.trim().to_lowercase()),
        };
        let mut c = store.acquire().await?;
        if let Some(wait) =
            db::reserve(&mut c, &address_key, self.per_address, self.window, now).await?
        {
            return Ok(Err(wait));
        }
        if let Some(wait) =
            db::reserve(&mut c, &account_key, self.max_failures, self.window, now).await?
        {
            db::release(&mut c, &address_key).await?;
            return Ok(Err(wait));
        }
        Ok(Ok(Reservation {
            address_key,
            account_key,
        }))
    }

    /// The password was right: the attempt was not a failure, and the account's (or
    /// browser's) failures are forgotten.
    pub async fn succeeded(&self, store: &Store, r: Reservation) -> StoreResult<()> {
        let mut c = store.acquire().await?;
        db::release(&mut c, &r.address_key).await?;
        db::clear(&mut c, &r.account_key).await
    }

    /// The attempt was never evaluated (no password check was free): it counts against
    /// nothing.
    pub async fn not_evaluated(&self, store: &Store, r: Reservation) -> StoreResult<()> {
        let mut c = store.acquire().await?;
        db::release(&mut c, &r.address_key).await?;
        db::release(&mut c, &r.account_key).await
    }

    /// Drops counters whose window has ended and devices whose cookie has expired.
    pub async fn prune(&self, store: &Store, now: Timestamp) -> StoreResult<u64> {
        let mut c = store.acquire().await?;
        let device_max_age = Duration::from_secs(crate::auth::client::DEVICE_COOKIE_MAX_AGE_S);
        let counters = db::prune(&mut c, now, self.window, device_max_age).await?;
        // Expired resets are kept a day, so that their link still says "expired".
        let day = Duration::from_secs(86_400);
        let resets = crate::store::password_resets::prune(&mut c, now.minus(day)).await?;
        Ok(counters + resets)
    }

    /// Prunes every `every` until `shutdown`, so that guesses at random emails and
    /// addresses do not grow the tables without end.
    pub async fn prune_until(
        self: std::sync::Arc<Self>,
        store: Store,
        clock: crate::clock::SharedClock,
        every: Duration,
        shutdown: tokio_util::sync::CancellationToken,
    ) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.cancelled() => return,
            }
            match self.prune(&store, clock.now()).await {
                Ok(n) if n > 0 => tracing::debug!(rows = n, "sign-in counters pruned"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not prune sign-in counters"),
            }
        }
    }
}

/// The hash of a device cookie's value, when it is one of `user_id`'s browsers.
pub async fn known_device(
    store: &Store,
    cookie: Option<&str>,
    user_id: Option<i64>,
) -> StoreResult<Option<String>> {
    let (Some(cookie), Some(user_id)) = (cookie, user_id) else {
        return Ok(None);
    };
    let hash = token_hash(cookie);
    let mut c = store.acquire().await?;
    Ok((db::device_owner(&mut c, &hash).await? == Some(user_id)).then_some(hash))
}

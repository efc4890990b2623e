//! Sign-in throttling: after too many failed attempts for one account within a window,
//! further attempts are refused until the window has passed, so a password cannot be
//! guessed at speed. Kept in memory per instance (a restart forgets it).

use crate::domain::Timestamp;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Failed attempts allowed per account within [`WINDOW`].
pub const MAX_FAILURES: usize = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Accounts tracked at most; beyond that, stale entries are dropped first.
const MAX_TRACKED: usize = 100_000;

#[derive(Default)]
pub struct SignInThrottle {
    failures: Mutex<HashMap<String, Vec<Timestamp>>>,
}

impl SignInThrottle {
    fn key(email: &str) -> String {
        email.trim().to_lowercase()
    }

    /// `Err(wait)` while the account is locked out.
    pub fn check(&self, email: &str, now: Timestamp) -> Result<(), Duration> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let Some(times) = map.get(&Self::key(email)) else {
            return Ok(());
        };
        let recent: Vec<&Timestamp> = times.iter().filter(|t| now < t.plus(WINDOW)).collect();
        if recent.len() < MAX_FAILURES {
            return Ok(());
        }
        // Locked until the oldest recent failure leaves the window.
        let until = recent.iter().map(|t| t.plus(WINDOW)).min().unwrap_or(now);
        Err(Duration::from_millis(
            u64::try_from(until.millis() - now.millis())
                .unwrap_or(0)
                .max(1_000),
        ))
    }

    pub fn failed(&self, email: &str, now: Timestamp) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_TRACKED {
            map.retain(|_, times| times.iter().any(|t| now < t.plus(WINDOW)));
        }
        let times = map.entry(Self::key(email)).or_default();
        times.retain(|t| now < t.plus(WINDOW));
        times.push(now);
    }

    pub fn succeeded(&self, email: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&Self::key(email));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_five_failures_and_unlocks_when_the_window_passes() {
        let t = SignInThrottle::default();
        let now = Timestamp::from_millis(1_000_000);
        for _ in 0..MAX_FAILURES {
            assert!(t.check("A@x.example", now).is_ok());
            t.failed("a@x.example", now);
        }
        let wait = t.check("a@X.example", now).unwrap_err();
        assert_eq!(wait, WINDOW);
        assert!(
            t.check("other@x.example", now).is_ok(),
            "other accounts are unaffected"
        );
        assert!(t.check("a@x.example", now.plus(WINDOW)).is_ok());
        t.succeeded("a@x.example");
        assert!(t.check("a@x.example", now).is_ok());
    }
}

//! When to try again: a schedule from configuration, spread by jitter so that a burst of
//! failures does not retry in lock-step.

use crate::domain::Timestamp;
use rand::Rng;
use std::time::Duration;

/// What a failure was, as far as retrying goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Worth retrying: SMTP 4yz, connection refused or timed out, HTTP 429 and 5xx.
    Transient { code: Option<String>, reply: String },
    /// Never going to work: SMTP 5yz, HTTP 4xx other than 429, an invalid address.
    Permanent { code: Option<String>, reply: String },
}

impl Failure {
    pub fn transient(code: Option<String>, reply: impl Into<String>) -> Self {
        Self::Transient {
            code,
            reply: reply.into(),
        }
    }

    pub fn permanent(code: Option<String>, reply: impl Into<String>) -> Self {
        Self::Permanent {
            code,
            reply: reply.into(),
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Transient { code, .. } | Self::Permanent { code, .. } => code.as_deref(),
        }
    }

    pub fn reply(&self) -> &str {
        match self {
            Self::Transient { reply, .. } | Self::Permanent { reply, .. } => reply,
        }
    }
}

/// The retry schedule.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    schedule: Vec<Duration>,
    jitter: f64,
}

impl RetryPolicy {
    pub fn new(schedule: Vec<Duration>, jitter: f64) -> Self {
        Self {
            schedule,
            jitter: jitter.clamp(0.0, 1.0),
        }
    }

    /// When to retry after attempt number `attempt` (1 for the first) failed, or `None`
    /// when the schedule is used up.
    pub fn next_retry(&self, attempt: i64, now: Timestamp) -> Option<Timestamp> {
        let index = usize::try_from(attempt.checked_sub(1)?).ok()?;
        let base = *self.schedule.get(index)?;
        let factor = if self.jitter > 0.0 {
            1.0 + rand::thread_rng().gen_range(-self.jitter..=self.jitter)
        } else {
            1.0
        };
        Some(now.plus(base.mul_f64(factor)))
    }

    /// Most attempts a job gets: the first plus one per scheduled retry.
    pub fn max_attempts(&self) -> i64 {
        self.schedule.len() as i64 + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const M: u64 = 60;

    #[test]
    fn follows_the_schedule_then_gives_up() {
        let p = RetryPolicy::new(
            vec![Duration::from_secs(M), Duration::from_secs(5 * M)],
            0.0,
        );
        let now = Timestamp::from_millis(0);
        assert_eq!(p.next_retry(1, now), Some(Timestamp::from_millis(60_000)));
        assert_eq!(p.next_retry(2, now), Some(Timestamp::from_millis(300_000)));
        assert_eq!(p.next_retry(3, now), None);
        assert_eq!(p.next_retry(0, now), None);
        assert_eq!(p.max_attempts(), 3);
    }

    proptest! {
        #[test]
        fn jitter_stays_within_its_bounds(attempt in 1i64..4, jitter in 0.0f64..1.0) {
            let p = RetryPolicy::new(vec![Duration::from_secs(600); 3], jitter);
            let at = p.next_retry(attempt, Timestamp::from_millis(0)).unwrap().millis() as f64;
            prop_assert!(at >= 600_000.0 * (1.0 - jitter) - 1.0);
            prop_assert!(at <= 600_000.0 * (1.0 + jitter) + 1.0);
        }
    }
}

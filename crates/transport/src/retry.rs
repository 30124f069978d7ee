//! The AWS CLI's standard retry mode: which failures are retried, and the waits between
//! attempts, on an injectable sleeper and clock so that tests neither wait nor depend on time.

use std::time::Duration;

use time::OffsetDateTime;

use crate::TransportError;

/// Error codes the AWS CLI retries (standard mode), besides the 500/502/503/504 statuses.
const RETRYABLE_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "SlowDown",
    "TooManyRequestsException",
    "PriorRequestNotComplete",
    "RequestTimeout",
    "IDPCommunicationError",
];

/// Waits between attempts.
pub trait Sleeper: Send + Sync + std::fmt::Debug {
    /// Waits `duration`.
    fn sleep(&self, duration: Duration);
}

/// Sleeps the thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadSleeper;

impl Sleeper for ThreadSleeper {
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// The time requests are signed at.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Whether a failed attempt is worth another.
pub(crate) fn is_retryable(error: &TransportError) -> bool {
    match error {
        TransportError::Service(e) => {
            let code = e.code.as_str();
            RETRYABLE_CODES.contains(&code) || ["500", "502", "503", "504"].contains(&code)
        }
        TransportError::Connect { .. } | TransportError::Response(_) => true,
        TransportError::Config(_) | TransportError::InvalidEndpoint { .. } => false,
    }
}

/// The wait after the `attempt`-th attempt (1-based): exponential, capped.
pub(crate) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(50 * (1 << attempt.min(6)))
}

//! RFC 6238 time-based one-time passwords: HMAC-SHA1, six digits, thirty-second steps.
//!
//! Written here rather than taken from a crate because the server needs the matched step
//! itself (to refuse replays and to check that two codes are consecutive), and the whole
//! algorithm is a dozen lines over the HMAC already in the tree; the RFC vectors test it.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;

/// The six-digit code for a step.
#[must_use]
pub fn code_at_step(secret: &[u8], step: i64) -> String {
    let mut mac =
        <Hmac<Sha1> as KeyInit>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let binary = (u32::from(digest[offset]) & 0x7f) << 24
        | u32::from(digest[offset + 1]) << 16
        | u32::from(digest[offset + 2]) << 8
        | u32::from(digest[offset + 3]);
    format!("{:06}", binary % 1_000_000)
}

/// The step of a Unix time.
#[must_use]
pub fn step_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The step in `now`'s window (one step of drift either way) whose code is `code`.
#[must_use]
pub fn matching_step(secret: &[u8], code: &str, now_unix: i64) -> Option<i64> {
    let now = step_of(now_unix);
    [now, now - 1, now + 1]
        .into_iter()
        .find(|s| constant_time_eq(code_at_step(secret, *s).as_bytes(), code.as_bytes()))
}

/// Finds a step in a wide window (resynchronisation and enabling: ±10 minutes) where
/// `first` and `second` are consecutive codes; returns the second's step.
#[must_use]
pub fn consecutive_steps(secret: &[u8], first: &str, second: &str, now_unix: i64) -> Option<i64> {
    let now = step_of(now_unix);
    (now - 20..=now + 20).find_map(|s| {
        (constant_time_eq(code_at_step(secret, s).as_bytes(), first.as_bytes())
            && constant_time_eq(code_at_step(secret, s + 1).as_bytes(), second.as_bytes()))
        .then_some(s + 1)
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1, truncated to six digits.
    #[test]
    fn rfc6238_vectors() {
        let secret = b"12345678901234567890";
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at_step(secret, step_of(time)), eight[2..], "t={time}");
        }
    }

    #[test]
    fn drift_and_consecutive() {
        let secret = b"12345678901234567890";
        let now = 1_111_111_109;
        let code = code_at_step(secret, step_of(now) - 1);
        assert_eq!(matching_step(secret, &code, now), Some(step_of(now) - 1));
        let far = code_at_step(secret, step_of(now) - 3);
        assert_eq!(matching_step(secret, &far, now), None);
        let (a, b) = (
            code_at_step(secret, step_of(now)),
            code_at_step(secret, step_of(now) + 1),
        );
        assert_eq!(
            consecutive_steps(secret, &a, &b, now),
            Some(step_of(now) + 1)
        );
        assert_eq!(consecutive_steps(secret, &b, &a, now), None);
    }
}

//! "Try again later" answers (429 and 503): reading `Retry-After`, and the
//! opt-in policy that retries idempotent requests.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;

/// Retries of `GET` requests that Kratos (or a proxy in front of it) answered
/// with 429 Too Many Requests or 503 Service Unavailable, or that could not
/// connect at all. Off unless set with
/// [`ClientBuilder::retry`](crate::ClientBuilder::retry).
///
/// Each wait is the server's `Retry-After` when it sends one, otherwise an
/// exponential backoff (`initial_backoff`, doubled each time, up to
/// `max_backoff`, with random jitter). When the server asks for a longer wait
/// than `max_backoff`, the client does not wait: the caller gets
/// [`Error::RetryLater`](crate::Error::RetryLater) with the delay at once.
/// Requests with a body (`POST`) are never retried: a registration sent twice
/// could register twice. Each attempt has the client's full timeout.
///
/// ```
/// use std::time::Duration;
/// use kratos_client::{Client, RetryPolicy};
///
/// # fn main() -> Result<(), kratos_client::ConfigError> {
/// let client = Client::builder("https://auth.example.com")
///     .retry(RetryPolicy::new(3).max_backoff(Duration::from_secs(5)))
///     .build()?;
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub(crate) max_attempts: u32,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
}

impl RetryPolicy {
    /// Up to `max_attempts` attempts in all (the first one included), waiting
    /// 250 ms before the second, doubling up to 10 s. `1` never retries; `0`
    /// is refused by [`ClientBuilder::build`](crate::ClientBuilder::build).
    pub fn new(max_attempts: u32) -> Self {
        Self {
            max_attempts,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
        }
    }

    /// The wait before the first retry when the server names none.
    pub fn initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// The longest wait, whether computed or asked for by `Retry-After`.
    pub fn max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// How long to wait before attempt `next` (2 for the first retry), or
    /// `None` when the client should stop: attempts used up, or the server
    /// asks for longer than `max_backoff`.
    pub(crate) fn wait_before(&self, next: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if next > self.max_attempts {
            return None;
        }
        if let Some(asked) = retry_after {
            return (asked <= self.max_backoff).then_some(asked);
        }
        let doublings = next.saturating_sub(2).min(30);
        let full = self
            .initial_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff);
        // Between half and all of it, so that clients turned away together
        // do not all come back at the same moment.
        let half = full / 2;
        Some(half + half.mul_f64(jitter()))
    }
}

/// A number in `[0, 1)` that differs between calls and processes.
fn jitter() -> f64 {
    (crate::random::seed() >> 11) as f64 / (1u64 << 53) as f64
}

/// Whether a status means "try again later" for an operation that does not
/// document it.
pub(crate) fn is_retry_later(status: StatusCode, documented: &[u16]) -> bool {
    matches!(status.as_u16(), 429 | 503) && !documented.contains(&status.as_u16())
}

/// The wait a `Retry-After` value asks for: a number of seconds, or an HTTP
/// date (a date in the past means now). `None` when it is neither.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // More digits than a u64 holds is still "a very long time".
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// An HTTP date in any of the forms HTTP allows: `Sun, 06 Nov 1994
/// 08:49:37 GMT`, and the obsolete RFC 850 and asctime forms.
fn parse_http_date(value: &str) -> Option<SystemTime> {
    httpdate::parse_http_date(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn retry_after_takes_seconds_or_an_http_date() {
        let now = at(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        for bad in [
            "",
            "-5",
            "1.5",
            "soon",
            "Sun, 06 Nov 1994 08:49:37 CET",
            "Sun, 32 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn http_dates_in_the_obsolete_forms_are_read_too() {
        let preferred = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(preferred, Some(at(784_111_777)));
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), preferred);
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), preferred);
    }

    #[test]
    fn http_dates_count_leap_years() {
        assert_eq!(
            parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(at(0))
        );
        assert_eq!(
            parse_http_date("Thu, 29 Feb 2024 12:00:00 GMT"),
            Some(at(1_709_208_000))
        );
        assert_eq!(
            parse_http_date("Tue, 24 Nov 2026 13:00:00 GMT"),
            Some(at(1_795_525_200))
        );
    }

    #[test]
    fn only_undocumented_429_and_503_mean_later() {
        assert!(is_retry_later(StatusCode::TOO_MANY_REQUESTS, &[200, 400]));
        assert!(is_retry_later(StatusCode::SERVICE_UNAVAILABLE, &[200]));
        assert!(!is_retry_later(
            StatusCode::SERVICE_UNAVAILABLE,
            &[200, 503]
        ));
        assert!(!is_retry_later(StatusCode::BAD_GATEWAY, &[200]));
    }

    #[test]
    fn waits_double_with_jitter_and_stop_when_used_up() {
        let policy = RetryPolicy::new(4)
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(300));
        let wait = |next| policy.wait_before(next, None).unwrap();
        assert!((50..=100).contains(&wait(2).as_millis()), "{:?}", wait(2));
        assert!((100..=200).contains(&wait(3).as_millis()), "{:?}", wait(3));
        assert!(
            (150..=300).contains(&wait(4).as_millis()),
            "capped: {:?}",
            wait(4)
        );
        assert_eq!(policy.wait_before(5, None), None, "four attempts in all");
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let policy = RetryPolicy::new(3).max_backoff(Duration::from_secs(5));
        assert_eq!(
            policy.wait_before(2, Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(policy.wait_before(2, Some(Duration::from_secs(60))), None);
        assert_eq!(
            RetryPolicy::new(1).wait_before(2, Some(Duration::ZERO)),
            None
        );
    }
}

//! The pace of the one-at-a-time requests of `status` and `cancel`: the same governor
//! limiter as the send loop (`--rate` per minute, burst 1), a low `x-ratelimit-remaining`
//! slowing it further, and the provider's 429s waited out within a budget.

use governor::clock::DefaultClock;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

/// Requests one after another, at the rate.
pub struct Pacer {
    limiter: RateLimiter<NotKeyed, InMemoryState, DefaultClock>,
    per_request: Duration,
    hold_until: Instant,
    held: Duration,
    max_wait: Duration,
}

impl Pacer {
    /// `rate` requests per minute; the provider's 429s may hold the run `max_wait` at most.
    pub fn new(rate: u32, max_wait: Duration) -> Pacer {
        let per_request = Duration::from_secs(60) / rate.max(1);
        let quota = Quota::with_period(per_request)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::MIN);
        Pacer {
            limiter: RateLimiter::direct(quota),
            per_request,
            hold_until: Instant::now(),
            held: Duration::ZERO,
            max_wait,
        }
    }

    /// Waits until the next request may leave.
    pub async fn ready(&self) {
        tokio::time::sleep_until(self.hold_until.into()).await;
        self.limiter.until_ready().await;
    }

    /// The provider said how many requests its window has left: on the last one, wait a
    /// request's time more.
    pub fn remaining(&mut self, remaining: Option<u32>) {
        if remaining.is_some_and(|r| r <= 1) {
            self.hold_until = self.hold_until.max(Instant::now() + self.per_request);
        }
    }

    /// A 429 asked to wait this long: `false` when that would hold the run past its budget.
    pub fn hold(&mut self, wait: Duration) -> bool {
        if self.held + wait > self.max_wait {
            return false;
        }
        self.held += wait;
        self.hold_until = Instant::now() + wait;
        true
    }

    /// How long `n` requests take at this rate (the first leaves at once).
    pub fn estimate(rate: u32, n: usize) -> Duration {
        (Duration::from_secs(60) / rate.max(1)) * (n.saturating_sub(1) as u32)
    }
}

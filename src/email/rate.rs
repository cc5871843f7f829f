//! `HERALD_SEND_RATE`: at most N messages start in any one-second window,
//! shared by every worker of the process.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// A sliding-window limiter: it remembers when the last `rate` sends
/// started and holds the next one until the oldest is a second (plus a
/// margin for network jitter) old, so no window ever holds more than `rate`.
pub struct SendRate {
    rate: usize,
    starts: Mutex<VecDeque<Instant>>,
}

const WINDOW: Duration = Duration::from_millis(1100);

impl SendRate {
    pub fn new(rate: u32) -> Self {
        Self {
            rate: rate.max(1) as usize,
            starts: Mutex::new(VecDeque::new()),
        }
    }

    /// Waits for a slot and takes it. The lock is held while waiting, so
    /// slots go out in order.
    pub async fn acquire(&self) {
        let mut starts = self.starts.lock().await;
        if starts.len() >= self.rate {
            let oldest = starts[starts.len() - self.rate];
            tokio::time::sleep_until(oldest + WINDOW).await;
        }
        starts.push_back(Instant::now());
        while starts.len() > self.rate {
            starts.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn never_more_than_rate_in_a_window() {
        let limiter = SendRate::new(5);
        let t0 = Instant::now();
        let mut times = Vec::new();
        for _ in 0..12 {
            limiter.acquire().await;
            times.push(Instant::now() - t0);
        }
        for (i, t) in times.iter().enumerate() {
            let in_window = times[i..]
                .iter()
                .filter(|u| **u - *t < Duration::from_secs(1))
                .count();
            assert!(in_window <= 5, "{times:?}");
        }
        assert!(times[5] >= WINDOW);
    }
}

//! Time as an injected dependency: the logic asks a [`Clock`], tests move a [`ManualClock`] by hand.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A point in time as milliseconds since the Unix epoch; compact enough to store in every session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Instant(pub u64);

impl Instant {
    /// The time elapsed from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Instant) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }

    /// This instant moved forward by `d`.
    pub fn plus(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)))
    }

    /// Whole seconds since the Unix epoch, for JWT claims.
    pub fn unix_seconds(self) -> u64 {
        self.0 / 1000
    }
}

/// Where the gateway's logic reads the current time from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> Instant;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        Instant(ms)
    }
}

/// A clock that stands still until a test advances it, and counts how often it is read.
#[derive(Debug)]
pub struct ManualClock {
    now_ms: AtomicU64,
    reads: AtomicU64,
}

impl ManualClock {
    /// A manual clock starting at the current wall-clock time.
    pub fn new() -> Arc<ManualClock> {
        Arc::new(ManualClock { now_ms: AtomicU64::new(SystemClock.now().0), reads: AtomicU64::new(0) })
    }

    /// How many times the clock was read so far (tests count the reads a request makes).
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    /// Sets the clock to an exact instant.
    pub fn set(&self, t: Instant) {
        self.now_ms.store(t.0, Ordering::SeqCst);
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        self.now_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.reads.fetch_add(1, Ordering::Relaxed);
        Instant(self.now_ms.load(Ordering::SeqCst))
    }
}

/// A shared handle to a clock.
pub type SharedClock = Arc<dyn Clock>;

#[cfg(test)]
mod tests {
    use super::*;

    /// A manual clock moves only when advanced, by exactly the amount asked.
    #[test]
    fn manual_clock_advances_exactly() {
        let c = ManualClock::new();
        let t0 = c.now();
        assert_eq!(c.now(), t0);
        c.advance(Duration::from_secs(901));
        assert_eq!(c.now().since(t0), Duration::from_secs(901));
    }
}

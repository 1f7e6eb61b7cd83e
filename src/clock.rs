//! Wall-clock time for the daemon, behind a trait so tests can set the time.
//!
//! Stored times are Unix seconds. (Monotonic tracking for routers whose clock jumps at NTP
//! sync belongs here too; the kernel's set-element timeouts already run on a monotonic clock.)

use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch.
    fn now(&self) -> i64;
}

/// The system's real-time clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
    }
}

/// A clock tests move by hand. Holds an offset from a base in an `AtomicI32`, because
/// 32-bit MIPS has no 64-bit atomics.
pub struct FakeClock {
    base: i64,
    offset: AtomicI32,
}

impl FakeClock {
    pub fn at(base: i64) -> FakeClock {
        FakeClock { base, offset: AtomicI32::new(0) }
    }

    pub fn advance(&self, secs: i32) {
        self.offset.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> i64 {
        self.base + self.offset.load(Ordering::SeqCst) as i64
    }
}

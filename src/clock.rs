//! Wall-clock time for the daemon, behind a trait. Pure code takes `now` as an argument
//! instead, so its tests need no clock at all.
//!
//! Stored times are Unix seconds. (Monotonic tracking for routers whose clock jumps at NTP
//! sync belongs here too; the kernel's set-element timeouts already run on a monotonic clock.)

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

//! Per-client limit on failed logins: a voucher code is short, so guessing must not pay.
//!
//! Pure: time comes in as monotonic seconds. A client may fail `max_failures` times within a
//! window of `window_secs` from its first failure; then it waits until the window ends. The
//! table is bounded: when full, expired windows go first, then the oldest.

use std::collections::HashMap;
use std::net::IpAddr;

pub struct LoginLimiter {
    max_failures: u32,
    window_secs: u64,
    capacity: usize,
    clients: HashMap<IpAddr, Window>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: u64,
    failures: u32,
}

impl LoginLimiter {
    pub fn new(max_failures: u32, window_secs: u64, capacity: usize) -> LoginLimiter {
        LoginLimiter { max_failures, window_secs, capacity, clients: HashMap::new() }
    }

    /// `Err(seconds to wait)` if this client must not try now.
    pub fn check(&self, client: IpAddr, now: u64) -> Result<(), u64> {
        match self.clients.get(&client) {
            Some(w) if w.failures >= self.max_failures && now < w.started + self.window_secs => {
                Err(w.started + self.window_secs - now)
            }
            _ => Ok(()),
        }
    }

    pub fn record_failure(&mut self, client: IpAddr, now: u64) {
        let window_secs = self.window_secs;
        if !self.clients.contains_key(&client) && self.clients.len() >= self.capacity {
            self.make_room(now);
        }
        let w = self.clients.entry(client).or_insert(Window { started: now, failures: 0 });
        if now >= w.started + window_secs {
            *w = Window { started: now, failures: 0 };
        }
        w.failures += 1;
    }

    /// A successful login forgets earlier failures.
    pub fn record_success(&mut self, client: IpAddr) {
        self.clients.remove(&client);
    }

    fn make_room(&mut self, now: u64) {
        let window_secs = self.window_secs;
        self.clients.retain(|_, w| now < w.started + window_secs);
        if self.clients.len() >= self.capacity {
            if let Some(oldest) = self.clients.iter().min_by_key(|(_, w)| w.started).map(|(ip, _)| *ip) {
                self.clients.remove(&oldest);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.clients.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, n])
    }

    #[test]
    fn blocks_after_max_failures_until_the_window_ends() {
        let mut l = LoginLimiter::new(3, 60, 16);
        for t in 0..3 {
            assert_eq!(l.check(ip(1), 100 + t), Ok(()));
            l.record_failure(ip(1), 100 + t);
        }
        assert_eq!(l.check(ip(1), 103), Err(57));
        assert_eq!(l.check(ip(2), 103), Ok(()), "others are not affected");
        assert_eq!(l.check(ip(1), 160), Ok(()));
        l.record_failure(ip(1), 160);
        assert_eq!(l.check(ip(1), 161), Ok(()), "a new window starts");
    }

    #[test]
    fn success_forgets_failures() {
        let mut l = LoginLimiter::new(2, 60, 16);
        l.record_failure(ip(1), 0);
        l.record_success(ip(1));
        l.record_failure(ip(1), 1);
        assert_eq!(l.check(ip(1), 1), Ok(()));
    }

    #[test]
    fn table_stays_bounded() {
        let mut l = LoginLimiter::new(1, 60, 4);
        for n in 0..50 {
            l.record_failure(ip(n), n as u64);
        }
        assert!(l.len() <= 4);
        assert_eq!(l.check(ip(49), 49), Err(60), "the newest is kept");
    }
}

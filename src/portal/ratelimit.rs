//! Limits on guessing: wrong voucher codes and passwords (and, with other numbers, password
//! reset requests). Pure: time comes in as monotonic seconds; nothing here does I/O.
//!
//! A voucher code is 8 characters from 31 (8.5 × 10^11 codes): guessing must not pay. Three
//! rules, each keyed so that what a client controls cheaply does not reset it:
//!
//! 1. **Per device.** A device may fail `per_device` times in a window of `window_secs` from
//!    its first failure, then waits for the window to end. A device is its MAC *and* its
//!    address, counted separately: picking another address keeps the MAC's count, and a new
//!    MAC on the same address keeps the address's count. A successful login forgets nothing:
//!    owning one valid code (or account) must not buy more guesses at the others; failures
//!    simply age out with their window.
//! 2. **All devices together.** Many devices (or one that keeps minting MAC addresses) could
//!    each stay under rule 1. So the router counts every failure in a window of `window_secs`;
//!    once `all_devices` failures are reached, the portal is *busy*: a device with a failure
//!    in the last `clean_after_secs` (by MAC or by address) is refused until the window ends.
//! 3. **Clean devices still try while busy.** A plain global ceiling would let an attacker
//!    lock every customer out for the price of a few wrong codes a minute. Honest customers
//!    type a code they hold and rarely fail, so a device with a clean record (no failure for
//!    `clean_after_secs`, neither its MAC nor its address) may still try while the portal is
//!    busy: its first attempt usually succeeds, and successes cost nothing. Its failures do
//!    count, and only `all_devices` more failures in the window are allowed this way; then
//!    everyone waits for the window's end. To lock honest customers out, an attacker must
//!    therefore bring `all_devices` devices with clean records per window — new MACs *and*
//!    new addresses, each usable once per `clean_after_secs` (on a /24, about 250 addresses:
//!    25 a minute) — while the router never sees more than 2 × `all_devices` failures per
//!    window whatever the attacker owns. The README gives the guessing time this buys.
//!
//! Memory is bounded: the table keeps at most `capacity` keys (MACs and addresses together).
//! A key stays while it counts (its window, and `clean_after_secs` after its last failure);
//! when full, keys that no longer count go first, then the one whose last failure is oldest.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::netaddr::MacAddr;

/// The numbers (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuessLimits {
    pub per_device: u32,
    pub window_secs: u64,
    /// Failures of all devices together per window before the portal is busy; `u32::MAX`:
    /// no such ceiling.
    pub all_devices: u32,
    pub clean_after_secs: u64,
    /// Keys (MACs and addresses) the table may hold.
    pub capacity: usize,
}

/// Why a device may not try now, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuessRefusal {
    /// This device (its MAC or its address) failed too often.
    Device { retry_after_secs: u64 },
    /// Too many failures from all devices together, and this device failed recently (or
    /// even devices with a clean record have used their share).
    Busy { retry_after_secs: u64 },
}

impl GuessRefusal {
    pub fn retry_after_secs(&self) -> u64 {
        match *self {
            GuessRefusal::Device { retry_after_secs } | GuessRefusal::Busy { retry_after_secs } => retry_after_secs,
        }
    }
}

/// What is counted: a device's MAC, or an address. (Also what holds portal connections.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    Device(MacAddr),
    Address(IpAddr),
}

/// One key's failures.
#[derive(Debug, Clone, Copy)]
struct Record {
    window_started: u64,
    failures: u32,
    last_failure: u64,
}

/// Failures per key, bounded.
struct Table {
    records: HashMap<Key, Record>,
}

impl Table {
    fn new() -> Table {
        Table { records: HashMap::new() }
    }

    /// `Some(seconds to wait)` if `key` used its failures in the current window.
    fn over(&self, key: &Key, limits: &GuessLimits, now: u64) -> Option<u64> {
        let r = self.records.get(key)?;
        let ends = r.window_started + limits.window_secs;
        (r.failures >= limits.per_device && now < ends).then(|| ends - now)
    }

    /// `Some(seconds until clean)` if `key` failed in the last `clean_after_secs`.
    fn recent(&self, key: &Key, limits: &GuessLimits, now: u64) -> Option<u64> {
        let clean_at = self.records.get(key)?.last_failure + limits.clean_after_secs;
        (now < clean_at).then(|| clean_at - now)
    }

    fn record(&mut self, key: Key, limits: &GuessLimits, now: u64) {
        if !self.records.contains_key(&key) && self.records.len() >= limits.capacity {
            self.make_room(limits, now);
        }
        let r = self.records.entry(key).or_insert(Record { window_started: now, failures: 0, last_failure: now });
        if now >= r.window_started + limits.window_secs {
            r.window_started = now;
            r.failures = 0;
        }
        r.failures = r.failures.saturating_add(1);
        r.last_failure = now;
    }

    fn make_room(&mut self, limits: &GuessLimits, now: u64) {
        let keep_for = limits.window_secs.max(limits.clean_after_secs);
        self.records.retain(|_, r| now < r.last_failure + keep_for);
        if self.records.len() >= limits.capacity {
            if let Some(oldest) = self.records.iter().min_by_key(|(_, r)| r.last_failure).map(|(k, _)| *k) {
                self.records.remove(&oldest);
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.records.len()
    }
}

/// The three rules over one bounded table and one router-wide window.
pub struct GuessLimiter {
    limits: GuessLimits,
    table: Table,
    /// Start of the router-wide window, and the failures in it.
    all_started: u64,
    all_failures: u32,
}

impl GuessLimiter {
    pub fn new(limits: GuessLimits) -> GuessLimiter {
        GuessLimiter { limits, table: Table::new(), all_started: 0, all_failures: 0 }
    }

    /// Failures of all devices together in the window that holds `now`.
    fn all_failures(&self, now: u64) -> u32 {
        if now < self.all_started + self.limits.window_secs {
            self.all_failures
        } else {
            0
        }
    }

    /// `Ok` if the device `mac` at `ip` may try a credential now.
    pub fn check(&self, mac: MacAddr, ip: IpAddr, now: u64) -> Result<(), GuessRefusal> {
        let l = &self.limits;
        let (mac, ip) = (Key::Device(mac), Key::Address(ip));
        let own = self.table.over(&mac, l, now).max(self.table.over(&ip, l, now));
        if let Some(retry_after_secs) = own {
            return Err(GuessRefusal::Device { retry_after_secs });
        }
        let all = self.all_failures(now);
        if all < l.all_devices {
            return Ok(());
        }
        let window_ends = (self.all_started + l.window_secs).saturating_sub(now).max(1);
        let recent = self.table.recent(&mac, l, now).max(self.table.recent(&ip, l, now));
        match recent {
            // Busy, and this device failed recently: until the window ends or it is clean.
            Some(clean_in) => Err(GuessRefusal::Busy { retry_after_secs: window_ends.min(clean_in) }),
            // Clean: may try, while clean devices have not used their share too.
            None if all - l.all_devices < l.all_devices => Ok(()),
            None => Err(GuessRefusal::Busy { retry_after_secs: window_ends }),
        }
    }

    /// Counts a wrong code or password from `mac` at `ip`.
    pub fn record_failure(&mut self, mac: MacAddr, ip: IpAddr, now: u64) {
        let l = self.limits;
        self.table.record(Key::Device(mac), &l, now);
        self.table.record(Key::Address(ip), &l, now);
        if now >= self.all_started + l.window_secs {
            self.all_started = now;
            self.all_failures = 0;
        }
        self.all_failures = self.all_failures.saturating_add(1);
    }

    /// Checks, and if allowed counts, one event (for limits on every request, such as
    /// password resets, rather than on failures).
    pub fn take(&mut self, mac: MacAddr, ip: IpAddr, now: u64) -> Result<(), GuessRefusal> {
        self.check(mac, ip, now)?;
        self.record_failure(mac, ip, now);
        Ok(())
    }

    /// Keys held (MACs and addresses).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.table.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: GuessLimits = GuessLimits { per_device: 3, window_secs: 60, all_devices: 10, clean_after_secs: 600, capacity: 64 };

    fn mac(n: u8) -> MacAddr {
        MacAddr([2, 0, 0, 0, 0, n])
    }

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, n])
    }

    /// What happens, step by step: (time, device (mac, ip), action, expected check before it).
    enum Step {
        /// Check, then record a failure if allowed.
        Fail(u64, u8, u8, Result<(), GuessRefusal>),
        /// Only check (a success, or a look).
        Check(u64, u8, u8, Result<(), GuessRefusal>),
    }

    fn run(limits: GuessLimits, steps: &[Step]) {
        let mut l = GuessLimiter::new(limits);
        for (i, step) in steps.iter().enumerate() {
            match *step {
                Step::Fail(now, m, a, expected) => {
                    assert_eq!(l.check(mac(m), ip(a), now), expected, "step {i}");
                    if expected.is_ok() {
                        l.record_failure(mac(m), ip(a), now);
                    }
                }
                Step::Check(now, m, a, expected) => assert_eq!(l.check(mac(m), ip(a), now), expected, "step {i}"),
            }
        }
    }

    use GuessRefusal::{Busy, Device};
    use Step::{Check, Fail};

    #[test]
    fn a_device_waits_after_its_failures_whatever_address_it_uses() {
        run(
            LIMITS,
            &[
                Fail(100, 1, 1, Ok(())),
                Fail(101, 1, 2, Ok(())),
                Fail(102, 1, 3, Ok(())),
                // Same MAC, a fourth address: still this device.
                Check(103, 1, 4, Err(Device { retry_after_secs: 57 })),
                // A new MAC on an address that failed: still counted there (address 1 failed once).
                Fail(103, 2, 1, Ok(())),
                Fail(104, 2, 1, Ok(())),
                Check(105, 3, 1, Err(Device { retry_after_secs: 55 })),
                // Others are not affected; the window ends.
                Check(105, 9, 9, Ok(())),
                Fail(160, 1, 4, Ok(())),
                Check(161, 1, 4, Ok(())),
            ],
        );
    }

    #[test]
    fn a_success_does_not_forget_failures() {
        // (Successes are not recorded at all: a valid code in hand buys no extra guesses.)
        run(
            LIMITS,
            &[Fail(0, 1, 1, Ok(())), Fail(1, 1, 1, Ok(())), Check(2, 1, 1, Ok(())), Fail(3, 1, 1, Ok(())), Check(4, 1, 1, Err(Device { retry_after_secs: 56 }))],
        );
    }

    #[test]
    fn when_busy_recent_failers_wait_and_clean_devices_still_try() {
        let mut steps = Vec::new();
        // Ten devices fail once each: the ceiling (10) is reached at t = 9.
        for d in 1..=10 {
            steps.push(Fail(d as u64 - 1, d, d, Ok(())));
        }
        // Device 1 failed recently: it waits for the window (t = 0 + 60).
        steps.push(Check(20, 1, 1, Err(Busy { retry_after_secs: 40 })));
        // A device with a clean record (MAC and address) gets its attempt.
        steps.push(Check(20, 50, 50, Ok(())));
        // A clean MAC on an address that failed is not clean.
        steps.push(Check(20, 51, 3, Err(Busy { retry_after_secs: 40 })));
        // Clean devices' failures count too: ten more, then everyone waits for the window.
        for d in 0..10 {
            steps.push(Fail(21, 100 + d, 100 + d, Ok(())));
        }
        steps.push(Check(22, 60, 60, Err(Busy { retry_after_secs: 38 })));
        // A new window: not busy, devices under their own limit may try again.
        steps.push(Check(60, 1, 1, Ok(())));
        steps.push(Check(60, 60, 60, Ok(())));
        run(LIMITS, &steps);
    }

    #[test]
    fn busy_refusal_ends_when_the_device_is_clean_if_that_is_sooner() {
        let limits = GuessLimits { window_secs: 600, clean_after_secs: 60, per_device: 100, ..LIMITS };
        let mut steps = vec![Fail(0, 1, 1, Ok(()))];
        for d in 2..=10 {
            steps.push(Fail(100, d, d, Ok(())));
        }
        steps.push(Check(101, 10, 10, Err(Busy { retry_after_secs: 59 })));
        // Device 1's failure is 101 s old: clean.
        steps.push(Check(101, 1, 1, Ok(())));
        run(limits, &steps);
    }

    #[test]
    fn no_ceiling_for_all_devices_when_unset() {
        let limits = GuessLimits { all_devices: u32::MAX, capacity: 1024, ..LIMITS };
        let mut l = GuessLimiter::new(limits);
        for d in 0..200u8 {
            assert_eq!(l.take(mac(d), ip(d), 5), Ok(()));
        }
        assert_eq!(l.take(mac(1), ip(1), 6), Ok(()));
        assert_eq!(l.take(mac(1), ip(1), 6), Ok(()));
        assert_eq!(l.take(mac(1), ip(1), 7), Err(Device { retry_after_secs: 58 }));
    }

    #[test]
    fn tables_stay_bounded_and_keep_what_counts() {
        let mut l = GuessLimiter::new(GuessLimits { capacity: 16, all_devices: u32::MAX, ..LIMITS });
        // Records that no longer count are dropped first.
        for n in 0..8 {
            l.record_failure(mac(n), ip(n), 0);
        }
        for n in 8..12 {
            l.record_failure(mac(n), ip(n), 10_000);
        }
        assert_eq!(l.len(), 8);
        // Under a flood of new keys, the table stays at its capacity and the newest count.
        for n in 0..=255u8 {
            l.record_failure(mac(n), ip(n), 20_000 + n as u64);
        }
        assert_eq!(l.len(), 16);
        for _ in 0..2 {
            l.record_failure(mac(255), ip(255), 20_300);
        }
        assert_eq!(l.check(mac(255), ip(255), 20_300), Err(Device { retry_after_secs: 15 }));
    }
}

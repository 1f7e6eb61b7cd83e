//! Which connections the portal keeps when clients ask for more than it has: the policy,
//! pure (time comes in as milliseconds; the payload is whatever the caller needs to close a
//! connection, e.g. a channel's sender).
//!
//! Anyone on the open Wi-Fi can open connections, from as many addresses as they like (a
//! device may put many addresses on its interface), and keep them open slowly. So:
//! - connections are counted per *device* (its MAC when known, else its address), at most
//!   `per_device` each;
//! - when all `max_total` are taken, a newcomer does not wait behind them (as it would in
//!   the kernel's accept queue) and is not simply turned away: the device holding the most
//!   connections gives up its oldest one, provided it holds more than the newcomer's device
//!   (so one device, or a few, cannot hold the portal against everybody else), and — between
//!   devices that would then hold as many each — only a connection at least `min_age_ms` old
//!   is given up (so two newcomers do not take turns closing each other's fresh connection
//!   before it carries a request). Only when every connection belongs to a different device
//!   and all are fresh is the newcomer refused.
//!
//! An honest phone holds one to a few connections and its requests take milliseconds, so it
//! is never the one giving up a connection while someone else holds more. The table holds
//! at most `max_total` entries (plus none: an evicted entry leaves it at once).

use std::collections::HashMap;
use std::hash::Hash;

/// The limits (from the configuration: `max_connections`; the rest are constants).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionLimits {
    pub max_total: usize,
    pub per_device: usize,
    pub min_age_ms: u64,
}

/// Why a new connection is not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// This device already holds `per_device` connections.
    DeviceFull,
    /// Every connection belongs to another device and none may be given up yet.
    AllBusy,
}

/// A new connection taken: its id (to release it), and the connection given up for it.
#[derive(Debug, PartialEq, Eq)]
pub struct Admitted<T> {
    pub id: u64,
    pub evicted: Option<T>,
}

struct Held<T> {
    id: u64,
    started_ms: u64,
    payload: T,
}

/// Open connections by device.
pub struct Admission<K, T> {
    limits: AdmissionLimits,
    devices: HashMap<K, Vec<Held<T>>>,
    total: usize,
    next_id: u64,
}

impl<K: Hash + Eq + Clone, T> Admission<K, T> {
    pub fn new(limits: AdmissionLimits) -> Admission<K, T> {
        Admission { limits, devices: HashMap::new(), total: 0, next_id: 0 }
    }

    /// Takes a new connection of `device` (closed by `payload` if it is given up later).
    pub fn admit(&mut self, device: K, now_ms: u64, payload: T) -> Result<Admitted<T>, Refused> {
        let mine = self.devices.get(&device).map_or(0, Vec::len);
        if mine >= self.limits.per_device {
            return Err(Refused::DeviceFull);
        }
        let evicted = if self.total >= self.limits.max_total { Some(self.evict_for(mine, now_ms)?) } else { None };
        self.next_id += 1;
        let id = self.next_id;
        self.devices.entry(device).or_default().push(Held { id, started_ms: now_ms, payload });
        self.total += 1;
        Ok(Admitted { id, evicted })
    }

    /// Gives up the oldest connection of the device holding the most, if the policy allows.
    fn evict_for(&mut self, mine: usize, now_ms: u64) -> Result<T, Refused> {
        // The largest holder; among equals, the one whose oldest connection came first (ids
        // grow with each admission).
        let (victim, count, oldest) = self
            .devices
            .iter()
            .filter_map(|(k, held)| Some((k, held.len(), held.first()?)))
            .max_by(|a, b| a.1.cmp(&b.1).then(b.2.id.cmp(&a.2.id)))
            .map(|(k, count, oldest)| (k.clone(), count, oldest.started_ms))
            .ok_or(Refused::AllBusy)?;
        let old_enough = now_ms.saturating_sub(oldest) >= self.limits.min_age_ms;
        if count <= mine || (count == mine + 1 && !old_enough) {
            return Err(Refused::AllBusy);
        }
        let held = self.devices.get_mut(&victim).ok_or(Refused::AllBusy)?;
        let gone = held.remove(0);
        if held.is_empty() {
            self.devices.remove(&victim);
        }
        self.total -= 1;
        Ok(gone.payload)
    }

    /// A connection ended (or was given up: then it is already gone and this does nothing).
    pub fn release(&mut self, device: &K, id: u64) {
        let Some(held) = self.devices.get_mut(device) else { return };
        if let Some(i) = held.iter().position(|h| h.id == id) {
            held.remove(i);
            self.total -= 1;
        }
        if held.is_empty() {
            self.devices.remove(device);
        }
    }

    /// Connections held, and devices holding them.
    #[cfg(test)]
    pub fn len(&self) -> (usize, usize) {
        (self.total, self.devices.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: AdmissionLimits = AdmissionLimits { max_total: 4, per_device: 3, min_age_ms: 1000 };

    /// Admits `(device, at_ms)` in order; the payload is the admission's index.
    fn fill(a: &mut Admission<u8, usize>, conns: &[(u8, u64)]) {
        for (i, &(device, at)) in conns.iter().enumerate() {
            assert!(a.admit(device, at, i).is_ok(), "connection {i}");
        }
    }

    /// What; held before: (device, started ms); the newcomer's device; now; what it gives up.
    type Case = (&'static str, &'static [(u8, u64)], u8, u64, Result<Option<usize>, Refused>);

    #[test]
    fn decides_by_the_table() {
        let cases: [Case; 9] = [
            ("room left", &[(1, 0), (2, 0)], 3, 10, Ok(None)),
            ("one device's cap", &[(1, 0), (1, 0), (1, 0)], 1, 10, Err(Refused::DeviceFull)),
            ("full: the biggest holder gives up its oldest, however fresh", &[(1, 5), (1, 6), (1, 7), (2, 8)], 3, 9, Ok(Some(0))),
            ("full, ties: the first connection among the biggest", &[(2, 1), (1, 5), (1, 6), (2, 9)], 3, 10, Ok(Some(0))),
            ("full, ties within a millisecond: the first admitted", &[(1, 5), (2, 5), (3, 5), (4, 5)], 5, 2000, Ok(Some(0))),
            ("full of single devices, old enough", &[(1, 0), (2, 500), (3, 200), (4, 900)], 5, 1000, Ok(Some(0))),
            ("full of single devices, all fresh", &[(1, 100), (2, 500), (3, 200), (4, 900)], 5, 1000, Err(Refused::AllBusy)),
            ("a holder of two against a newcomer holding one: fresh stays", &[(1, 900), (1, 950), (2, 0), (3, 0)], 3, 1000, Err(Refused::AllBusy)),
            ("nobody holds more than the newcomer's device", &[(1, 0), (2, 0), (3, 0), (4, 0)], 4, 5000, Err(Refused::AllBusy)),
        ];
        for (what, held, newcomer, now, expected) in cases {
            let mut a: Admission<u8, usize> = Admission::new(LIMITS);
            fill(&mut a, held);
            let got = a.admit(newcomer, now, 99).map(|admitted| admitted.evicted);
            assert_eq!(got, expected, "{what}");
            assert!(a.len().0 <= LIMITS.max_total, "{what}: {:?}", a.len());
        }
    }

    #[test]
    fn an_attacker_churns_its_own_connections_not_the_newcomers() {
        let limits = AdmissionLimits { max_total: 6, per_device: 3, min_age_ms: 1000 };
        let mut a: Admission<u8, u64> = Admission::new(limits);
        // Devices 1 and 2 take everything.
        for t in 0..6 {
            a.admit(1 + (t % 2) as u8, t, t).unwrap();
        }
        // An honest phone (9) gets in at once.
        let phone = a.admit(9, 10, 100).unwrap();
        assert_eq!(phone.evicted, Some(0), "device 1's oldest");
        // The attackers reconnect as fast as they like: they only push each other out.
        for t in 11..200 {
            if let Ok(admitted) = a.admit(1 + (t % 2) as u8, t, t) {
                assert_ne!(admitted.evicted, Some(100), "the phone's connection was given up");
            }
        }
        a.release(&9, phone.id);
        assert_eq!(a.len(), (5, 2));
        // Releasing a connection that was given up changes nothing.
        a.release(&1, 1);
        assert_eq!(a.len(), (5, 2));
    }
}

//! RFC 5080 §2.2.2 duplicate detection: a request seen again from the same source with the
//! same Identifier and Request Authenticator within 30 s is a retransmission, and gets the
//! reply already sent (byte for byte), not a new decision. A copy arriving while the first
//! is still being decided is dropped (its answer is on the way).
//!
//! Pure: the caller passes `now`. Bounded: past `capacity` entries the oldest is forgotten
//! early (under a flood the window shrinks below 30 s; recording stays idempotent anyway).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// How long a reply is kept for retransmissions (RFC 5080 suggests 5-30 s).
pub const WINDOW: Duration = Duration::from_secs(30);

/// What identifies one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub from: SocketAddr,
    pub identifier: u8,
    pub authenticator: [u8; 16],
}

#[derive(Debug)]
struct Entry {
    /// When it was first seen (matches its place in `order`).
    seen: Instant,
    /// `None` while being decided.
    reply: Option<Vec<u8>>,
}

/// What the cache knows of a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen<'a> {
    /// First time: decide it (it is now marked as being decided).
    New,
    /// The first copy is still being decided.
    Pending,
    /// Answered already: send this again.
    Answered(&'a [u8]),
}

#[derive(Debug)]
pub struct Dedupe {
    entries: HashMap<Key, Entry>,
    /// Keys in the order first seen, for expiry and eviction.
    order: VecDeque<(Instant, Key)>,
    capacity: usize,
}

impl Dedupe {
    pub fn new(capacity: usize) -> Dedupe {
        Dedupe { entries: HashMap::with_capacity(capacity.min(1024)), order: VecDeque::with_capacity(capacity.min(1024)), capacity: capacity.max(1) }
    }

    /// Looks `key` up; a new key is recorded as being decided.
    pub fn check(&mut self, key: Key, now: Instant) -> Seen<'_> {
        self.expire(now);
        if self.entries.contains_key(&key) {
            return match self.entries.get(&key).and_then(|e| e.reply.as_deref()) {
                Some(reply) => Seen::Answered(reply),
                None => Seen::Pending,
            };
        }
        while self.entries.len() >= self.capacity {
            let Some((seen, old)) = self.order.pop_front() else { break };
            self.remove_if_seen(&old, seen);
        }
        self.entries.insert(key, Entry { seen: now, reply: None });
        self.order.push_back((now, key));
        Seen::New
    }

    /// Records the reply sent for `key`.
    pub fn answer(&mut self, key: &Key, reply: Vec<u8>) {
        if let Some(entry) = self.entries.get_mut(key) {
            entry.reply = Some(reply);
        }
    }

    /// Forgets `key` (no answer was sent: a retransmission is decided anew).
    pub fn forget(&mut self, key: &Key) {
        self.entries.remove(key);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn expire(&mut self, now: Instant) {
        while let Some(&(seen, key)) = self.order.front() {
            if now.saturating_duration_since(seen) < WINDOW {
                break;
            }
            self.order.pop_front();
            self.remove_if_seen(&key, seen);
        }
        // Keys forgotten early leave stale places in `order`; keep it from growing past
        // what the entries need.
        if self.order.len() > 2 * self.capacity {
            let entries = &self.entries;
            self.order.retain(|(seen, key)| entries.get(key).is_some_and(|e| e.seen == *seen));
        }
    }

    /// Removes `key` if its entry is the one first seen at `seen` (not a later copy of the
    /// same key recorded after it was forgotten).
    fn remove_if_seen(&mut self, key: &Key, seen: Instant) {
        if self.entries.get(key).is_some_and(|e| e.seen == seen) {
            self.entries.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(port: u16, identifier: u8) -> Key {
        Key { from: SocketAddr::from(([127, 0, 0, 1], port)), identifier, authenticator: [identifier; 16] }
    }

    #[test]
    fn a_retransmission_gets_the_same_reply_within_the_window() {
        let mut cache = Dedupe::new(100);
        let t0 = Instant::now();
        assert_eq!(cache.check(key(1000, 1), t0), Seen::New);
        assert_eq!(cache.check(key(1000, 1), t0), Seen::Pending, "still being decided");
        cache.answer(&key(1000, 1), vec![2, 1, 0, 20]);
        assert_eq!(cache.check(key(1000, 1), t0 + Duration::from_secs(29)), Seen::Answered(&[2, 1, 0, 20]));
        // Another source port, identifier or authenticator is another request.
        assert_eq!(cache.check(key(1001, 1), t0), Seen::New);
        assert_eq!(cache.check(key(1000, 2), t0), Seen::New);
        let mut other = key(1000, 1);
        other.authenticator[0] ^= 1;
        assert_eq!(cache.check(other, t0), Seen::New);
        // After 30 s the same bytes are a new request.
        assert_eq!(cache.check(key(1000, 1), t0 + WINDOW), Seen::New);
    }

    #[test]
    fn a_forgotten_request_is_decided_again() {
        let mut cache = Dedupe::new(100);
        let t0 = Instant::now();
        assert_eq!(cache.check(key(1, 1), t0), Seen::New);
        cache.forget(&key(1, 1));
        assert_eq!(cache.check(key(1, 1), t0 + Duration::from_secs(1)), Seen::New);
        // The first copy's place in the order does not expire the second one early.
        assert_eq!(cache.check(key(2, 2), t0 + WINDOW), Seen::New);
        assert_eq!(cache.check(key(1, 1), t0 + WINDOW), Seen::Pending);
    }

    #[test]
    fn the_cache_is_bounded_and_forgets_the_oldest() {
        let mut cache = Dedupe::new(3);
        let t0 = Instant::now();
        for id in 0..10u8 {
            assert_eq!(cache.check(key(1, id), t0), Seen::New);
            cache.answer(&key(1, id), vec![id]);
            assert!(cache.len() <= 3);
        }
        assert_eq!(cache.check(key(1, 9), t0), Seen::Answered(&[9]));
        assert_eq!(cache.check(key(1, 0), t0), Seen::New, "the oldest went first");
        // Many forgets do not let the order grow without bound.
        for id in 0..=255u8 {
            cache.check(key(2, id), t0);
            cache.forget(&key(2, id));
        }
        assert!(cache.order.len() <= 2 * 3 + 1, "{}", cache.order.len());
    }
}

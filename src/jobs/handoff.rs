//! Fresh credentials handed from `CreateHotspotUser` to the payment page, in memory only.
//!
//! The payment page shows the paying device the username and password it just bought, for
//! its other devices. The plaintext in `hotspot_credentials` is wiped as soon as the SMS is
//! delivered, which is usually well under a second after the account is made: long before
//! the page (refreshing every few seconds) asks. So the job also leaves them here, in RAM,
//! for `KEEP_SECS`, and the page falls back to this copy once the database's is gone. Never
//! written to disk; lost on restart (the SMS still carries them). Only the paying device is
//! shown them (`portal::routes::payments`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// How long the paying device can still see its new password after the SMS went out.
pub const KEEP_SECS: i64 = 600;
/// At most this many are kept (the oldest go first).
const MAX_ENTRIES: usize = 64;

#[derive(Clone, Default)]
pub struct Handoff {
    fresh: Arc<Mutex<HashMap<i64, Fresh>>>,
}

struct Fresh {
    username: String,
    password: String,
    at: i64,
}

impl Handoff {
    /// Keeps the credentials payment `payment_id` bought. A newer purchase by the same
    /// account replaces the password, so older payments' copies are dropped.
    pub fn put(&self, payment_id: i64, username: &str, password: &str, now: i64) {
        let mut fresh = self.fresh.lock().unwrap_or_else(PoisonError::into_inner);
        fresh.retain(|_, f| now - f.at < KEEP_SECS && f.username != username);
        while fresh.len() >= MAX_ENTRIES {
            let Some(oldest) = fresh.iter().min_by_key(|(id, f)| (f.at, **id)).map(|(id, _)| *id) else { break };
            fresh.remove(&oldest);
        }
        fresh.insert(payment_id, Fresh { username: username.to_owned(), password: password.to_owned(), at: now });
    }

    /// The password payment `payment_id` bought for `username`, if still kept.
    pub fn password(&self, payment_id: i64, username: &str, now: i64) -> Option<String> {
        let fresh = self.fresh.lock().unwrap_or_else(PoisonError::into_inner);
        fresh
            .get(&payment_id)
            .filter(|f| f.username == username && now - f.at < KEEP_SECS)
            .map(|f| f.password.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_for_a_while_and_replaced_by_a_newer_purchase() {
        let h = Handoff::default();
        h.put(1, "254712345678", "abc123", 100);
        assert_eq!(h.password(1, "254712345678", 100 + KEEP_SECS - 1).as_deref(), Some("abc123"));
        assert_eq!(h.password(1, "254712345678", 100 + KEEP_SECS), None, "too old");
        assert_eq!(h.password(1, "254700000000", 101), None, "another account");
        h.put(2, "254712345678", "xyz789", 200);
        assert_eq!(h.password(1, "254712345678", 201), None, "the older password no longer works");
        assert_eq!(h.password(2, "254712345678", 201).as_deref(), Some("xyz789"));
    }

    #[test]
    fn at_most_max_entries_are_kept_and_the_oldest_go_first() {
        let h = Handoff::default();
        let extra = 5;
        let ids: Vec<i64> = (10..10 + MAX_ENTRIES as i64 + extra).collect();
        for &id in &ids {
            h.put(id, &format!("u{id}"), &format!("p{id}"), 300 + id);
        }
        let now = 300 + ids[ids.len() - 1];
        let kept: Vec<i64> = ids.iter().copied().filter(|&id| h.password(id, &format!("u{id}"), now).is_some()).collect();
        assert_eq!(kept.len(), MAX_ENTRIES, "the size bound");
        assert_eq!(kept, ids[extra as usize..], "the {extra} oldest went, every newer one stayed");
        let newest = ids[ids.len() - 1];
        assert_eq!(h.password(newest, &format!("u{newest}"), now), Some(format!("p{newest}")));
        // Age decides, not the payment id: an older purchase with a larger id goes first.
        let h = Handoff::default();
        for n in 0..MAX_ENTRIES as i64 {
            h.put(1000 - n, &format!("v{n}"), "p", 500 + n);
        }
        h.put(5, "late", "p", 600);
        assert_eq!(h.password(1000, "v0", 600), None, "the oldest (id 1000, put at 500) went");
        assert!(h.password(999, "v1", 600).is_some() && h.password(5, "late", 600).is_some());
    }
}

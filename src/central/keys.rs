//! Routers' keys kept in memory for a minute, so an exchange (most of them long-polls that
//! change nothing) costs no key lookup in PostgreSQL. Bounded: when full it starts afresh.
//! A router added by another process is found at its first exchange (a miss reads the
//! database); keys are never changed in place, so a minute of caching hides nothing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a key is trusted from memory.
const KEEP: Duration = Duration::from_secs(60);
/// Most keys held (a fleet far beyond one process's budget).
const MAX_KEYS: usize = 200_000;

#[derive(Default)]
pub struct KeyCache(Mutex<HashMap<i64, (String, Instant)>>);

impl KeyCache {
    /// The key of `router` if read less than a minute ago.
    pub fn get(&self, router: i64) -> Option<String> {
        let keys = self.0.lock().unwrap_or_else(|e| e.into_inner());
        keys.get(&router).filter(|(_, at)| at.elapsed() < KEEP).map(|(key, _)| key.clone())
    }

    pub fn put(&self, router: i64, key: &str) {
        let mut keys = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if keys.len() >= MAX_KEYS {
            keys.clear();
        }
        keys.insert(router, (key.to_owned(), Instant::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_remembered() {
        let cache = KeyCache::default();
        assert_eq!(cache.get(1), None);
        cache.put(1, "k");
        assert_eq!(cache.get(1).as_deref(), Some("k"));
        assert_eq!(cache.get(2), None);
    }
}

//! Long-polls waiting for news: an in-process map from router id to the exchanges waiting
//! for it, and the one LISTEN connection per process that wakes them when any process
//! queues an item (`NOTIFY hotspotd_items, '<router_id>'`).
//!
//! A waiter registers BEFORE it queries for items, so an item queued between its query and
//! its sleep still wakes it. The map is bounded: past `max` waiters an exchange answers at
//! once instead of waiting (the router simply asks again). If the LISTEN connection drops,
//! every waiter is woken when it is back (they re-query), so a missed NOTIFY costs a query,
//! never an item.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio_postgres::{AsyncMessage, NoTls};

/// The channel items are announced on; the payload is the router id in decimal.
pub const CHANNEL: &str = "hotspotd_items";

pub struct Waiters {
    map: Mutex<Registered>,
    max: usize,
}

#[derive(Default)]
struct Registered {
    routers: HashMap<i64, Entry>,
    total: usize,
}

struct Entry {
    notify: Arc<Notify>,
    count: usize,
}

/// One registered waiter; unregisters on drop.
pub struct Waiter {
    waiters: Arc<Waiters>,
    router: i64,
    pub notify: Arc<Notify>,
}

impl Waiters {
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Waiters { map: Mutex::new(Registered::default()), max })
    }

    /// Registers a waiter for `router`, or `None` when `max` are already waiting.
    pub fn register(self: &Arc<Self>, router: i64) -> Option<Waiter> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.total >= self.max {
            return None;
        }
        map.total += 1;
        let entry = map.routers.entry(router).or_insert_with(|| Entry { notify: Arc::new(Notify::new()), count: 0 });
        entry.count += 1;
        Some(Waiter { waiters: self.clone(), router, notify: entry.notify.clone() })
    }

    /// Wakes every waiter of `router`.
    pub fn wake(&self, router: i64) {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = map.routers.get(&router) {
            entry.notify.notify_waiters();
        }
    }

    /// Wakes everyone (after the LISTEN connection came back).
    pub fn wake_all(&self) {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        for entry in map.routers.values() {
            entry.notify.notify_waiters();
        }
    }

    /// How many exchanges wait now.
    pub fn waiting(&self) -> usize {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).total
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        let mut map = self.waiters.map.lock().unwrap_or_else(|p| p.into_inner());
        map.total -= 1;
        if let Some(entry) = map.routers.get_mut(&self.router) {
            entry.count -= 1;
            if entry.count == 0 {
                map.routers.remove(&self.router);
            }
        }
    }
}

/// Keeps one LISTEN connection open (reconnecting after a second when it drops) and wakes
/// waiters on each notification, until `shutdown`.
pub async fn listen(config: tokio_postgres::Config, waiters: Arc<Waiters>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            () = listen_once(&config, &waiters) => {}
            _ = shutdown.changed() => return,
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

async fn listen_once(config: &tokio_postgres::Config, waiters: &Arc<Waiters>) {
    let (client, mut connection) = match config.connect(NoTls).await {
        Ok(pair) => pair,
        Err(e) => {
            log::warn!("LISTEN connection: cannot connect to PostgreSQL: {e}");
            return;
        }
    };
    let driven = waiters.clone();
    let mut driver = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(n))) => {
                    if let Ok(router) = n.payload().parse::<i64>() {
                        driven.wake(router);
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    log::warn!("LISTEN connection lost: {e}");
                    return;
                }
                None => return,
            }
        }
    });
    if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
        log::warn!("LISTEN {CHANNEL} failed: {e}");
        driver.abort();
        return;
    }
    log::debug!("listening for items on {CHANNEL}");
    // Anything announced while we were not listening: let the waiters look again.
    waiters.wake_all();
    let _ = (&mut driver).await;
    drop(client);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiters_are_bounded_and_unregister_on_drop() {
        let waiters = Waiters::new(2);
        let a = waiters.register(1).unwrap();
        let b = waiters.register(1).unwrap();
        assert!(waiters.register(2).is_none(), "past the bound");
        assert!(Arc::ptr_eq(&a.notify, &b.notify));
        drop(a);
        assert_eq!(waiters.waiting(), 1);
        drop(b);
        assert_eq!(waiters.waiting(), 0);
        assert!(waiters.register(2).is_some());
    }
}

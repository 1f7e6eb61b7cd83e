//! Live usage in memory: per session, the bytes the kernel has counted (`live`) and the part
//! already written to the database (`saved`). Pure, and a leaf: readings and database facts
//! come in as arguments, decisions go out as data; `sessions` (its usage task and its ends)
//! does the I/O and is the one writer of usage to the database.
//!
//! The kernel counts per device address; the database says which session holds an address.
//! Kernel counters start from a session's recorded totals and only grow, so a session's
//! `live` is the larger of what it was and what the kernel says (a table rebuilt from older
//! figures never makes usage go backwards).

use std::collections::HashMap;
use std::net::Ipv4Addr;

use crate::firewall::{Traffic, UsageReading};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    account_id: i64,
    live: Traffic,
    saved: Traffic,
    /// When a reading last saw its counters grow (the caller's clock).
    moved_at: Option<i64>,
}

/// An active session as the database lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveSession {
    pub session_id: i64,
    pub account_id: i64,
    /// The device address its counters are kept under.
    pub ip: Ipv4Addr,
}

/// A session's totals to write at a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpointed {
    pub session_id: i64,
    pub account_id: i64,
    pub total: Traffic,
    /// What this checkpoint adds to the usage log.
    pub delta: Traffic,
}

/// A session that is no longer active, with the last totals seen for it: record them (the
/// database keeps the larger of these and what it has).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ended {
    pub session_id: i64,
    pub total: Traffic,
}

/// What a reading means.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// Accounts whose cap the kernel has reached while a device of theirs is online.
    pub exhausted_accounts: Vec<i64>,
    /// Sessions tracked here that the database no longer lists as active.
    pub ended: Vec<Ended>,
    /// Active sessions whose counters grew in this reading (see `mark_moved`).
    pub moved: Vec<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct Ledger {
    sessions: HashMap<i64, Entry>,
}

impl Ledger {
    /// Starts tracking a session whose recorded totals are `recorded` (or raises what is known).
    pub fn track(&mut self, session_id: i64, account_id: i64, recorded: Traffic) {
        let entry = self.sessions.entry(session_id).or_insert(Entry { account_id, live: recorded, saved: recorded, moved_at: None });
        entry.live = entry.live.max(recorded);
        entry.saved = entry.saved.max(recorded);
    }

    /// Takes in a kernel reading. `active` is what the database lists as active, read after
    /// the kernel was; a tracked session missing from it has ended (its final bytes were read
    /// when it was revoked: see `Sessions`).
    pub fn observe(&mut self, reading: &UsageReading, active: &[ActiveSession]) -> Observed {
        let mut observed = Observed::default();
        let mut online_accounts = std::collections::HashSet::new();
        for a in active {
            let kernel = reading.devices.get(&a.ip).copied().unwrap_or_default();
            let before = self.live(a.session_id);
            self.raise(a.session_id, a.account_id, kernel);
            if before.is_some_and(|before| self.live(a.session_id) != Some(before)) {
                observed.moved.push(a.session_id);
            }
            online_accounts.insert(a.account_id);
        }
        let is_active: std::collections::HashSet<i64> = active.iter().map(|a| a.session_id).collect();
        observed.ended = self
            .sessions
            .iter()
            .filter(|(id, _)| !is_active.contains(id))
            .map(|(&session_id, entry)| Ended { session_id, total: entry.live })
            .collect();
        observed.ended.sort_by_key(|e| e.session_id);
        observed.exhausted_accounts = reading
            .quotas
            .iter()
            .filter(|(account_id, quota)| quota.is_exhausted() && online_accounts.contains(account_id))
            .map(|(&account_id, _)| account_id)
            .collect();
        observed.exhausted_accounts.sort_unstable();
        observed
    }

    /// What the kernel counted for a session now (tracking it if it was not).
    pub fn raise(&mut self, session_id: i64, account_id: i64, kernel: Traffic) {
        let entry = self.sessions.entry(session_id).or_insert(Entry {
            account_id,
            live: Traffic::default(),
            saved: Traffic::default(),
            moved_at: None,
        });
        entry.live = entry.live.max(kernel);
    }

    /// These sessions' counters grew at `now` (from `Observed::moved`).
    pub fn mark_moved(&mut self, session_ids: &[i64], now: i64) {
        for id in session_ids {
            if let Some(entry) = self.sessions.get_mut(id) {
                entry.moved_at = Some(now);
            }
        }
    }

    /// Whether a session's counters grew at `since` or later: its device is using its
    /// address now.
    pub fn moved_since(&self, session_id: i64, since: i64) -> bool {
        self.sessions.get(&session_id).and_then(|e| e.moved_at).is_some_and(|at| at >= since)
    }

    /// Sessions whose end is recorded: stop tracking them.
    pub fn settled(&mut self, session_ids: &[i64]) {
        for id in session_ids {
            self.sessions.remove(id);
        }
    }

    /// Sessions with bytes not yet in the database.
    pub fn unsaved(&self) -> Vec<Checkpointed> {
        let mut rows: Vec<Checkpointed> = self
            .sessions
            .iter()
            .filter(|(_, e)| e.live != e.saved)
            .map(|(&session_id, e)| Checkpointed {
                session_id,
                account_id: e.account_id,
                total: e.live,
                delta: e.live.since(e.saved),
            })
            .collect();
        rows.sort_by_key(|r| r.session_id);
        rows
    }

    /// The database now holds these totals.
    pub fn saved(&mut self, rows: &[Checkpointed]) {
        for row in rows {
            if let Some(entry) = self.sessions.get_mut(&row.session_id) {
                entry.saved = entry.saved.max(row.total);
            }
        }
    }

    /// The session's totals as last counted (`None` if not tracked).
    pub fn live(&self, session_id: i64) -> Option<Traffic> {
        self.sessions.get(&session_id).map(|e| e.live)
    }

    /// Bytes an account's sessions have used that the database does not hold yet.
    pub fn unsaved_of_account(&self, account_id: i64) -> u64 {
        self.sessions
            .values()
            .filter(|e| e.account_id == account_id)
            .map(|e| e.live.since(e.saved).total())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::QuotaState;

    fn t(up: u64, down: u64) -> Traffic {
        Traffic { up, down }
    }

    /// Counters of the devices of sessions `n` (at 10.0.0.`n`).
    fn reading(devices: &[(i64, Traffic)], quotas: &[(i64, u64, u64)]) -> UsageReading {
        UsageReading {
            devices: devices.iter().map(|&(n, t)| (ip(n), t)).collect(),
            quotas: quotas.iter().map(|&(id, limit_bytes, used_bytes)| (id, QuotaState { limit_bytes, used_bytes })).collect(),
        }
    }

    /// Session `n` of account `a` at 10.0.0.`n`.
    fn active(pairs: &[(i64, i64)]) -> Vec<ActiveSession> {
        pairs.iter().map(|&(session_id, account_id)| ActiveSession { session_id, account_id, ip: ip(session_id) }).collect()
    }

    fn ip(n: i64) -> Ipv4Addr {
        Ipv4Addr::new(10, 0, 0, n as u8)
    }

    #[test]
    fn checkpoints_carry_only_what_is_new() {
        let mut l = Ledger::default();
        l.observe(&reading(&[(1, t(10, 100))], &[]), &active(&[(1, 7)]));
        let rows = l.unsaved();
        assert_eq!(rows, vec![Checkpointed { session_id: 1, account_id: 7, total: t(10, 100), delta: t(10, 100) }]);
        l.saved(&rows);
        assert!(l.unsaved().is_empty());
        l.observe(&reading(&[(1, t(15, 300))], &[]), &active(&[(1, 7)]));
        assert_eq!(l.unsaved()[0].delta, t(5, 200));
        assert_eq!(l.unsaved_of_account(7), 205);
        assert_eq!(l.unsaved_of_account(8), 0);
    }

    #[test]
    fn usage_never_goes_backwards() {
        let mut l = Ledger::default();
        l.track(1, 7, t(50, 500));
        // A rebuilt table that started from older figures, or no counters at all.
        l.observe(&reading(&[(1, t(40, 400))], &[]), &active(&[(1, 7)]));
        l.observe(&reading(&[], &[]), &active(&[(1, 7)]));
        assert_eq!(l.live(1), Some(t(50, 500)));
        assert!(l.unsaved().is_empty(), "recorded totals are saved by definition");
    }

    #[test]
    fn a_session_the_database_ended_is_reported_with_its_last_totals() {
        let mut l = Ledger::default();
        l.observe(&reading(&[(1, t(1, 1)), (2, t(2, 2))], &[]), &active(&[(1, 7), (2, 8)]));
        // Session 2 was revoked: its final count was read then (raise), and it has ended.
        l.raise(2, 8, t(3, 9));
        let o = l.observe(&reading(&[(1, t(1, 1))], &[]), &active(&[(1, 7)]));
        assert_eq!(o.ended, vec![Ended { session_id: 2, total: t(3, 9) }]);
        // Until the end is recorded it stays tracked; then it is gone.
        assert_eq!(l.live(2), Some(t(3, 9)));
        l.settled(&[2]);
        assert_eq!(l.live(2), None);
        assert!(l.observe(&reading(&[(1, t(1, 1))], &[]), &active(&[(1, 7)])).ended.is_empty());
    }

    #[test]
    fn a_session_that_moved_address_is_counted_at_its_new_one() {
        let mut l = Ledger::default();
        l.observe(&reading(&[(1, t(10, 10))], &[]), &active(&[(1, 7)]));
        // Now at 10.0.0.2, where its counters continue from its total.
        let moved = [ActiveSession { session_id: 1, account_id: 7, ip: ip(2) }];
        l.observe(&reading(&[(1, t(0, 0)), (2, t(12, 30))], &[]), &moved);
        assert_eq!(l.live(1), Some(t(12, 30)));
    }

    #[test]
    fn an_ended_session_without_counters_keeps_what_was_counted() {
        let mut l = Ledger::default();
        l.observe(&reading(&[(1, t(5, 6))], &[]), &active(&[(1, 7)]));
        let o = l.observe(&reading(&[], &[]), &active(&[]));
        assert_eq!(o.ended, vec![Ended { session_id: 1, total: t(5, 6) }]);
    }

    #[test]
    fn a_session_whose_counters_grow_is_seen_moving() {
        let mut l = Ledger::default();
        l.track(1, 7, t(10, 10));
        l.track(2, 8, t(10, 10));
        let o = l.observe(&reading(&[(1, t(10, 20)), (2, t(10, 10))], &[]), &active(&[(1, 7), (2, 8)]));
        assert_eq!(o.moved, vec![1], "only the one whose counters grew");
        l.mark_moved(&o.moved, 100);
        assert!(l.moved_since(1, 100) && !l.moved_since(1, 101));
        assert!(!l.moved_since(2, 0), "never seen moving");
        assert!(!l.moved_since(9, 0), "not tracked");
    }

    #[test]
    fn exhausted_quotas_name_accounts_still_online() {
        let mut l = Ledger::default();
        let r = reading(&[], &[(7, 1000, 1000), (8, 1000, 999), (9, 10, 50)]);
        // Account 9 has no device online any more: nothing to cut.
        let o = l.observe(&r, &active(&[(1, 7), (2, 8), (3, 10)]));
        assert_eq!(o.exhausted_accounts, vec![7]);
    }
}

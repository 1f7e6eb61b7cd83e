//! The durable job queue (the seed's jobs / failed_jobs, in SQLite): what a job is
//! (`JobKind`), how urgent (`Priority`), how it fails (`JobError`). `queue.rs` stores and
//! claims jobs, `worker.rs` runs them, `scheduler.rs` runs recurring work (without queue rows), and
//! `kinds/` has one file per handler.
//!
//! A job is enqueued in the same transaction as the state change that needs it. Handlers
//! are idempotent: a job that ran but whose completion was not recorded (kill -9 between
//! the two) is run again and does no harm.

pub mod handoff;
pub mod kinds;
pub mod queue;
pub mod scheduler;
pub mod worker;

use serde::{Deserialize, Serialize};

/// Every kind of job, with its arguments (stored as JSON in `jobs.payload`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum JobKind {
    /// Make (or extend) the account a confirmed payment paid for, then log the paying
    /// device in.
    CreateHotspotUser { payment_id: i64 },
    /// Send an account's credentials to its phone.
    SendCredentialsSms { credential_id: i64 },
    /// End a device session: database, audit row, firewall.
    DisconnectHotspotUser { session_id: i64, reason: String },
    /// Record ended sessions and wipe credentials nobody collected.
    CheckExpiredSessions,
    /// Send accounting to the central server (not configured yet: records that).
    SyncRadiusAccounting,
    /// Delete old log rows so the database stays small.
    CleanOldRows,
}

/// Which jobs go first: credential delivery and disconnects before housekeeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    High,
    Default,
    Low,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::High => "high",
            Priority::Default => "default",
            Priority::Low => "low",
        }
    }
}

impl JobKind {
    pub fn name(&self) -> &'static str {
        match self {
            JobKind::CreateHotspotUser { .. } => "CreateHotspotUser",
            JobKind::SendCredentialsSms { .. } => "SendCredentialsSms",
            JobKind::DisconnectHotspotUser { .. } => "DisconnectHotspotUser",
            JobKind::CheckExpiredSessions => "CheckExpiredSessions",
            JobKind::SyncRadiusAccounting => "SyncRadiusAccounting",
            JobKind::CleanOldRows => "CleanOldRows",
        }
    }

    pub fn priority(&self) -> Priority {
        match self {
            JobKind::CreateHotspotUser { .. } | JobKind::SendCredentialsSms { .. } | JobKind::DisconnectHotspotUser { .. } => {
                Priority::High
            }
            JobKind::CheckExpiredSessions | JobKind::SyncRadiusAccounting => Priority::Default,
            JobKind::CleanOldRows => Priority::Low,
        }
    }

    /// At most one pending job per key: a second enqueue of the same work is a no-op.
    pub fn unique_key(&self) -> String {
        match self {
            JobKind::CreateHotspotUser { payment_id } => format!("create-user:{payment_id}"),
            JobKind::SendCredentialsSms { credential_id } => format!("sms:{credential_id}"),
            JobKind::DisconnectHotspotUser { session_id, .. } => format!("disconnect:{session_id}"),
            other => other.name().to_owned(),
        }
    }

    /// Attempts before the job moves to `failed_jobs`. SMS waits long for a lost uplink.
    pub fn max_attempts(&self) -> u32 {
        match self {
            JobKind::SendCredentialsSms { .. } => 40,
            JobKind::CreateHotspotUser { .. } => 20,
            _ => 5,
        }
    }
}

/// How a handler failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Try again later (with backoff).
    #[error("{0}")]
    Retry(String),
    /// Retrying cannot help: move to failed_jobs now.
    #[error("{0}")]
    Permanent(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_json() {
        let kinds = [
            JobKind::CreateHotspotUser { payment_id: 7 },
            JobKind::SendCredentialsSms { credential_id: 3 },
            JobKind::DisconnectHotspotUser { session_id: 9, reason: "quota".into() },
            JobKind::CheckExpiredSessions,
            JobKind::SyncRadiusAccounting,
            JobKind::CleanOldRows,
        ];
        for kind in kinds {
            let json = serde_json::to_string(&kind).unwrap();
            assert!(json.contains(kind.name()), "{json}");
            assert_eq!(serde_json::from_str::<JobKind>(&json).unwrap(), kind);
        }
        assert!(Priority::High < Priority::Low);
    }
}

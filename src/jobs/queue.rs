//! Storing, claiming and finishing jobs in SQLite. Each function takes the connection (or
//! transaction) it runs in, so a job can be enqueued atomically with the change that needs
//! it. Claiming leases a job: it becomes due again after the lease if the worker dies.

use rusqlite::{params, Connection, OptionalExtension};

use super::{Job, JobError};
use crate::store::StoreError;

/// How long a claimed job is held before another run may take it (a crashed worker).
pub const LEASE_SECS: i64 = 300;
/// Backoff: 5 s, 10 s, 20 s, … capped at 10 minutes, ±20 % jitter.
const BACKOFF_BASE_SECS: i64 = 5;
const BACKOFF_CAP_SECS: i64 = 600;

/// Adds a job unless one with the same unique key is pending; returns its id if added.
pub fn enqueue(conn: &Connection, job: impl Into<Job>, now: i64) -> Result<Option<i64>, StoreError> {
    enqueue_at(conn, job, now, now)
}

pub fn enqueue_at(conn: &Connection, job: impl Into<Job>, run_at: i64, now: i64) -> Result<Option<i64>, StoreError> {
    let job = job.into();
    let payload = serde_json::to_string(&job).map_err(StoreError::Encode)?;
    let added = conn.execute(
        "INSERT OR IGNORE INTO jobs (queue, kind, payload, unique_key, max_attempts, run_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![job.priority(), job.name(), payload, job.unique_key(), job.max_attempts(), run_at, now],
    )?;
    Ok((added == 1).then(|| conn.last_insert_rowid()))
}

/// The lease on a claimed job: which row, and which attempt this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    pub id: i64,
    /// Including this one.
    pub attempt: u32,
    pub max_attempts: u32,
}

/// A job taken by the worker.
#[derive(Debug)]
pub struct Claimed {
    pub lease: Lease,
    /// The kind as stored (`jobs.kind`).
    pub kind: String,
    /// `Err(Unreadable)`: the payload could not be read (a newer hotspotd wrote it).
    pub job: Result<Job, JobError>,
}

/// Takes the most urgent due job, if any, and leases it.
pub fn claim_next(conn: &mut Connection, now: i64) -> Result<Option<Claimed>, StoreError> {
    let tx = conn.transaction()?;
    let row = tx
        .query_row(
            "SELECT id, kind, payload, attempts, max_attempts FROM jobs WHERE run_at <= ?1
             ORDER BY CASE queue WHEN 'high' THEN 0 WHEN 'default' THEN 1 ELSE 2 END, run_at, id LIMIT 1",
            [now],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, u32>(3)?, r.get::<_, u32>(4)?)),
        )
        .optional()?;
    let Some((id, kind, payload, attempts, max_attempts)) = row else { return Ok(None) };
    tx.execute("UPDATE jobs SET attempts = attempts + 1, run_at = ?2 WHERE id = ?1", params![id, now + LEASE_SECS])?;
    tx.commit()?;
    let job = serde_json::from_str::<Job>(&payload).map_err(|source| JobError::Unreadable { payload, source });
    Ok(Some(Claimed { lease: Lease { id, attempt: attempts + 1, max_attempts }, kind, job }))
}

/// At start: jobs a previous run had claimed were left leased when it died (kill -9, power
/// cut), and would wait out `LEASE_SECS` — a payer's account or SMS five minutes late. Only
/// the daemon's one worker claims jobs, so nothing is running them now: every job already
/// attempted is made due at once. (A lease cannot be told from a retry's backoff, so jobs
/// waiting to retry are tried once more now too: a restart is also a good time to retry.)
/// Returns how many were made due.
pub fn release_claimed(conn: &Connection, now: i64) -> Result<usize, StoreError> {
    Ok(conn.execute("UPDATE jobs SET run_at = ?1 WHERE attempts > 0 AND run_at > ?1", [now])?)
}

/// The soonest time a job is due (to sleep until then).
pub fn next_due(conn: &Connection) -> Result<Option<i64>, StoreError> {
    Ok(conn.query_row("SELECT min(run_at) FROM jobs", [], |r| r.get(0))?)
}

/// The job is done: it leaves the queue.
pub fn complete(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.execute("DELETE FROM jobs WHERE id = ?1", [id])?;
    Ok(())
}

/// What became of a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failed {
    /// It runs again at this time.
    RetryAt(i64),
    /// It moved to `failed_jobs`.
    GaveUp,
}

/// Records a failed attempt: retry with backoff, or move to `failed_jobs` when attempts are
/// used up or `permanent`. `jitter` in [0, 1) spreads retries (callers pass a random value).
pub fn fail(conn: &mut Connection, job: Lease, error: &str, permanent: bool, jitter: f64, now: i64) -> Result<Failed, StoreError> {
    let tx = conn.transaction()?;
    let outcome = if permanent || job.attempt >= job.max_attempts {
        tx.execute(
            "INSERT INTO failed_jobs (job_id, queue, kind, payload, attempts, error, failed_at)
             SELECT id, queue, kind, payload, attempts, ?2, ?3 FROM jobs WHERE id = ?1",
            params![job.id, error, now],
        )?;
        tx.execute("DELETE FROM jobs WHERE id = ?1", [job.id])?;
        Failed::GaveUp
    } else {
        let at = now + backoff_secs(job.attempt, jitter);
        tx.execute("UPDATE jobs SET run_at = ?2, last_error = ?3 WHERE id = ?1", params![job.id, at, error])?;
        Failed::RetryAt(at)
    };
    tx.commit()?;
    Ok(outcome)
}

/// Delay before attempt `attempt + 1`: exponential, capped, ±20 % jitter.
pub fn backoff_secs(attempt: u32, jitter: f64) -> i64 {
    let exp = BACKOFF_BASE_SECS.saturating_mul(1i64 << attempt.saturating_sub(1).min(20));
    let base = exp.min(BACKOFF_CAP_SECS);
    let spread = (base as f64 * 0.4 * (jitter.clamp(0.0, 1.0) - 0.5)) as i64;
    (base + spread).max(1)
}

/// A job as `hotspotd jobs` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Listed {
    pub id: i64,
    pub queue: String,
    pub kind: String,
    pub payload: String,
    pub attempts: u32,
    /// Pending: when it runs next. Failed: when it failed.
    pub at: i64,
    pub error: Option<String>,
}

pub fn pending(conn: &Connection) -> Result<Vec<Listed>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT id, queue, kind, payload, attempts, run_at, last_error FROM jobs
         ORDER BY CASE queue WHEN 'high' THEN 0 WHEN 'default' THEN 1 ELSE 2 END, run_at, id",
    )?;
    let rows = stmt.query_map([], listed)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn failed(conn: &Connection) -> Result<Vec<Listed>, StoreError> {
    let mut stmt =
        conn.prepare("SELECT id, queue, kind, payload, attempts, failed_at, error FROM failed_jobs ORDER BY id")?;
    let rows = stmt.query_map([], listed)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn listed(r: &rusqlite::Row) -> rusqlite::Result<Listed> {
    Ok(Listed {
        id: r.get(0)?,
        queue: r.get(1)?,
        kind: r.get(2)?,
        payload: r.get(3)?,
        attempts: r.get(4)?,
        at: r.get(5)?,
        error: r.get(6)?,
    })
}

/// Puts a failed job back in the queue, due now, with fresh attempts. `false` if there is
/// no failed job with that id (or the same work is already pending).
pub fn retry_failed(conn: &mut Connection, failed_id: i64, now: i64) -> Result<bool, StoreError> {
    let tx = conn.transaction()?;
    let row = tx
        .query_row("SELECT payload FROM failed_jobs WHERE id = ?1", [failed_id], |r| r.get::<_, String>(0))
        .optional()?;
    let Some(payload) = row else { return Ok(false) };
    let added = match serde_json::from_str::<Job>(&payload) {
        Ok(job) => enqueue(&tx, job, now)?.is_some(),
        Err(_) => false,
    };
    if added {
        tx.execute("DELETE FROM failed_jobs WHERE id = ?1", [failed_id])?;
    }
    tx.commit()?;
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::{CreateHotspotUser, DisconnectHotspotUser, SendCredentialsSms};
    use crate::store::sessions::EndReason;

    use crate::store::migrations::memory as db;

    fn sms(credential_id: i64) -> SendCredentialsSms {
        SendCredentialsSms { credential_id }
    }

    fn disconnect(session_id: i64) -> DisconnectHotspotUser {
        DisconnectHotspotUser { session_id, reason: EndReason::Admin }
    }

    #[test]
    fn urgent_jobs_first_and_duplicates_ignored() {
        let mut conn = db();
        // A low-priority row (every kind of this version is urgent; later ones may not be).
        conn.execute(
            "INSERT INTO jobs (queue, kind, payload, unique_key, run_at, created_at) VALUES ('low', 'Later', '{}', 'later', 90, 90)",
            [],
        )
        .unwrap();
        assert!(enqueue(&conn, sms(1), 100).unwrap().is_some());
        assert!(enqueue(&conn, sms(1), 100).unwrap().is_none(), "same work twice");
        enqueue(&conn, CreateHotspotUser { payment_id: 2 }, 100).unwrap();
        let order: Vec<String> = std::iter::from_fn(|| {
            let job = claim_next(&mut conn, 100).unwrap()?;
            complete(&conn, job.lease.id).unwrap();
            Some(job.kind)
        })
        .collect();
        assert_eq!(order, ["SendCredentialsSms", "CreateHotspotUser", "Later"]);
    }

    #[test]
    fn a_claimed_job_is_leased_and_comes_back_if_never_finished() {
        let mut conn = db();
        enqueue(&conn, CreateHotspotUser { payment_id: 1 }, 100).unwrap();
        let job = claim_next(&mut conn, 100).unwrap().unwrap();
        assert_eq!(job.lease.attempt, 1);
        assert_eq!(job.job.as_ref().ok(), Some(&Job::CreateHotspotUser(CreateHotspotUser { payment_id: 1 })));
        assert!(claim_next(&mut conn, 101).unwrap().is_none(), "leased");
        let again = claim_next(&mut conn, 100 + LEASE_SECS).unwrap().unwrap();
        assert_eq!((again.lease.id, again.lease.attempt), (job.lease.id, 2));
    }

    #[test]
    fn a_restart_takes_back_the_jobs_a_dead_run_had_claimed() {
        let mut conn = db();
        enqueue(&conn, sms(1), 100).unwrap();
        enqueue_at(&conn, disconnect(4), 500, 100).unwrap();
        let job = claim_next(&mut conn, 100).unwrap().unwrap();
        // The daemon died with it; the next run starts a few seconds later.
        assert_eq!(release_claimed(&conn, 103).unwrap(), 1, "never-attempted jobs keep their time");
        let again = claim_next(&mut conn, 103).unwrap().unwrap();
        assert_eq!((again.lease.id, again.lease.attempt), (job.lease.id, 2));
        complete(&conn, again.lease.id).unwrap();
        assert_eq!(next_due(&conn).unwrap(), Some(500));
    }

    #[test]
    fn an_unreadable_payload_is_claimed_as_such() {
        let mut conn = db();
        conn.execute(
            "INSERT INTO jobs (queue, kind, payload, unique_key, run_at, created_at) VALUES ('high', 'FromTheFuture', '{\"kind\":\"FromTheFuture\"}', 'f', 0, 0)",
            [],
        )
        .unwrap();
        let job = claim_next(&mut conn, 0).unwrap().unwrap();
        assert_eq!(job.kind, "FromTheFuture");
        assert!(matches!(job.job, Err(JobError::Unreadable { .. })));
    }

    #[test]
    fn failures_back_off_then_give_up_into_failed_jobs() {
        let mut conn = db();
        enqueue(&conn, disconnect(9), 0).unwrap();
        let mut now = 0;
        let mut delays = Vec::new();
        loop {
            let job = claim_next(&mut conn, now).unwrap().expect("due");
            match fail(&mut conn, job.lease, "boom", false, 0.5, now).unwrap() {
                Failed::RetryAt(at) => {
                    delays.push(at - now);
                    now = at;
                }
                Failed::GaveUp => break,
            }
        }
        assert_eq!(delays, [5, 10, 20, 40], "exponential backoff, 5 attempts in all");
        let failed = failed(&conn).unwrap();
        assert_eq!(failed.len(), 1);
        assert_eq!((failed[0].attempts, failed[0].error.as_deref()), (5, Some("boom")));
        assert!(pending(&conn).unwrap().is_empty());
        assert!(retry_failed(&mut conn, failed[0].id, now).unwrap());
        assert_eq!(pending(&conn).unwrap()[0].attempts, 0);
    }

    #[test]
    fn permanent_errors_give_up_at_once() {
        let mut conn = db();
        enqueue(&conn, sms(4), 0).unwrap();
        let job = claim_next(&mut conn, 0).unwrap().unwrap();
        assert_eq!(fail(&mut conn, job.lease, "invalid number", true, 0.1, 0).unwrap(), Failed::GaveUp);
        assert_eq!(failed(&conn).unwrap()[0].error.as_deref(), Some("invalid number"));
    }

    #[test]
    fn backoff_is_capped_and_jittered() {
        assert_eq!(backoff_secs(1, 0.5), 5);
        assert_eq!(backoff_secs(30, 0.5), 600);
        assert!(backoff_secs(30, 0.0) < 600 && backoff_secs(30, 0.99) > 600);
    }
}

//! Payments and jobs as the operator lists them, and putting a failed job back.

use serde::Serialize;

use super::{Admin, AdminError, Reply};
use crate::jobs::queue::{self, Listed};
use crate::store::payments;

/// The job queue: what waits (with its next run) and what failed (with its error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobList {
    pub pending: Vec<Listed>,
    pub failed: Vec<Listed>,
    /// When the list was made (the times above are absolute).
    pub now: i64,
}

pub async fn payments(admin: &Admin, limit: u32) -> Result<Reply, AdminError> {
    let limit = limit.clamp(1, 10_000);
    Ok(Reply::Payments(admin.sessions.store().call(move |conn| payments::latest(conn, limit)).await?))
}

pub async fn jobs(admin: &Admin) -> Result<Reply, AdminError> {
    let now = admin.sessions.now();
    let list = admin.sessions.store().call(move |conn| Ok(JobList { pending: queue::pending(conn)?, failed: queue::failed(conn)?, now })).await?;
    Ok(Reply::Jobs(list))
}

pub async fn job_retry(admin: &Admin, id: i64) -> Result<Reply, AdminError> {
    let now = admin.sessions.now();
    if admin.sessions.store().call(move |conn| queue::retry_failed(conn, id, now)).await? {
        admin.jobs.notify();
        Ok(Reply::JobRetried { id })
    } else {
        Err(AdminError::Invalid(format!("there is no failed job {id} (see `hotspotd jobs`), or the same work is already queued")))
    }
}

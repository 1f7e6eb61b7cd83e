//! One file per job kind; `run` dispatches (as mini-redis's `Command::apply` does). Each
//! handler is idempotent: running it twice has the effect of running it once.

mod check_expired;
mod clean;
mod create_user;
mod disconnect;
mod send_sms;
mod sync_accounting;

use std::sync::Arc;

use super::worker::Jobs;
use super::{JobError, JobKind};
use crate::http_client::share::Share;
use crate::sessions::Sessions;
use crate::sms::SmsGateway;
use crate::store::StoreError;

/// What handlers may use.
#[derive(Clone)]
pub struct JobContext {
    pub sessions: Sessions,
    /// `None`: no SMS provider configured.
    pub sms: Option<Arc<dyn SmsGateway>>,
    /// SMS's share of the upstream threads (`http_client::share`).
    pub sms_calls: Share,
    /// Country calling code for stored phone numbers.
    pub country_code: String,
    /// Portal address put in credential messages (may be empty).
    pub portal_url: String,
    /// Usage rows older than this are folded into hourly rows.
    pub usage_detail: std::time::Duration,
    /// Hourly usage rows older than this are deleted.
    pub usage_keep: std::time::Duration,
}

pub async fn run(ctx: &JobContext, jobs: &Jobs, kind: &JobKind) -> Result<(), JobError> {
    match kind {
        JobKind::CreateHotspotUser { payment_id } => create_user::run(ctx, jobs.handoff(), *payment_id).await,
        JobKind::SendCredentialsSms { credential_id } => send_sms::run(ctx, *credential_id).await,
        JobKind::DisconnectHotspotUser { session_id, reason } => disconnect::run(ctx, *session_id, reason).await,
        JobKind::CheckExpiredSessions => check_expired::run(ctx).await,
        JobKind::SyncRadiusAccounting => sync_accounting::run(ctx).await,
        JobKind::CleanOldRows => clean::run(ctx).await,
    }
}

/// A database problem is worth another try.
fn retry(e: StoreError) -> JobError {
    JobError::Retry(crate::error_chain(&e))
}

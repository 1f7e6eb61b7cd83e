//! The durable job queue (the seed's jobs / failed_jobs, in SQLite): work that must survive a
//! crash. `kinds/` has one file per kind of job, each a struct owning its arguments, its
//! priority, its attempts, its unique key and its `apply`; the `Job` enum here only
//! dispatches (as mini-redis's `cmd/` does). `queue.rs` stores and claims jobs, `worker.rs`
//! runs them. Recurring work (the expiry check, clean-up) is not a job: see `schedule`.
//!
//! A job is enqueued in the same transaction as the state change that needs it. Handlers
//! are idempotent: a job that ran but whose completion was not recorded (kill -9 between
//! the two) is run again and does no harm.

pub mod handoff;
pub mod kinds;
pub mod queue;
pub mod worker;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use kinds::{CreateHotspotUser, DisconnectHotspotUser, DisconnectNasSession, SendCredentialsSms};

use crate::http_client::share::{Share, ShareError};
use crate::json_fields;
use crate::sessions::{SessionError, Sessions};
use crate::sms::{SmsError, SmsGateway};
use crate::store::StoreError;
use crate::words::word_enum;

word_enum! {
    /// Which jobs go first (`jobs.queue`): credential delivery and disconnects before
    /// housekeeping.
    pub enum Priority {
        High = "high",
        Default = "default",
        Low = "low",
    }
}
crate::store::sql_word!(Priority);

/// What one kind of job is: its name in the queue, how urgent it is, how often it is tried,
/// and which pending jobs count as the same work.
pub trait JobKind {
    /// The `kind` column and the `"kind"` tag of the payload.
    const NAME: &'static str;
    const PRIORITY: Priority;
    /// Attempts before the job moves to `failed_jobs`.
    const MAX_ATTEMPTS: u32;
    /// At most one pending job per key: a second enqueue of the same work is a no-op.
    fn unique_key(&self) -> String;
}

/// Every kind of job, with its arguments (stored as JSON in `jobs.payload`, e.g.
/// `{"kind":"CreateHotspotUser","payment_id":7}`). Read back by a hand-written decoder
/// (`from_json`, the shapes serde's derive takes; the derived one cost the router ~12 KB).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind")]
pub enum Job {
    CreateHotspotUser(CreateHotspotUser),
    SendCredentialsSms(SendCredentialsSms),
    DisconnectHotspotUser(DisconnectHotspotUser),
    DisconnectNasSession(DisconnectNasSession),
}

/// `$body` for the job inside `$job`, whatever its kind.
macro_rules! each_kind {
    ($job:expr, $kind:ident => $body:expr) => {
        match $job {
            Job::CreateHotspotUser($kind) => $body,
            Job::SendCredentialsSms($kind) => $body,
            Job::DisconnectHotspotUser($kind) => $body,
            Job::DisconnectNasSession($kind) => $body,
        }
    };
}

/// The properties of the kind `K` of a job value.
fn name_of<K: JobKind>(_: &K) -> &'static str {
    K::NAME
}

fn priority_of<K: JobKind>(_: &K) -> Priority {
    K::PRIORITY
}

fn max_attempts_of<K: JobKind>(_: &K) -> u32 {
    K::MAX_ATTEMPTS
}

impl Job {
    pub fn name(&self) -> &'static str {
        each_kind!(self, k => name_of(k))
    }

    pub fn priority(&self) -> Priority {
        each_kind!(self, k => priority_of(k))
    }

    pub fn max_attempts(&self) -> u32 {
        each_kind!(self, k => max_attempts_of(k))
    }

    pub fn unique_key(&self) -> String {
        each_kind!(self, k => k.unique_key())
    }

    /// Runs the job once.
    pub async fn apply(&self, ctx: &JobContext) -> Result<(), JobError> {
        each_kind!(self, k => k.apply(ctx).await)
    }
}

impl Job {
    /// Reads a stored payload (`#[serde(default)]` fields may be missing, unknown fields
    /// are ignored). Here rather than beside each kind: one small match for the family.
    pub fn from_json(value: serde_json::Value) -> Result<Job, json_fields::Error> {
        const KINDS: &[&str] = &[CreateHotspotUser::NAME, SendCredentialsSms::NAME, DisconnectHotspotUser::NAME, DisconnectNasSession::NAME];
        let (kind, mut f) = json_fields::internal(value, "kind")?;
        Ok(match kind.as_str() {
            CreateHotspotUser::NAME => Job::CreateHotspotUser(CreateHotspotUser { payment_id: f.get("payment_id")? }),
            SendCredentialsSms::NAME => Job::SendCredentialsSms(SendCredentialsSms { credential_id: f.get("credential_id")? }),
            DisconnectHotspotUser::NAME => Job::DisconnectHotspotUser(DisconnectHotspotUser {
                session_id: f.get("session_id")?,
                reason: f.word("reason", crate::store::sessions::EndReason::parse)?,
            }),
            DisconnectNasSession::NAME => Job::DisconnectNasSession(DisconnectNasSession {
                session_id: f.get("session_id")?,
                nas: f.get("nas")?,
                acct_session_id: f.get("acct_session_id")?,
                username: f.get("username")?,
                mac: f.get("mac")?,
                ip: f.get("ip")?,
            }),
            other => return Err(json_fields::unknown(other, KINDS)),
        })
    }
}

impl<'de> Deserialize<'de> for Job {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Job, D::Error> {
        json_fields::deserialize(deserializer, Job::from_json)
    }
}

impl From<CreateHotspotUser> for Job {
    fn from(k: CreateHotspotUser) -> Job {
        Job::CreateHotspotUser(k)
    }
}

impl From<SendCredentialsSms> for Job {
    fn from(k: SendCredentialsSms) -> Job {
        Job::SendCredentialsSms(k)
    }
}

impl From<DisconnectHotspotUser> for Job {
    fn from(k: DisconnectHotspotUser) -> Job {
        Job::DisconnectHotspotUser(k)
    }
}

impl From<DisconnectNasSession> for Job {
    fn from(k: DisconnectNasSession) -> Job {
        Job::DisconnectNasSession(k)
    }
}

/// What handlers may use.
#[derive(Clone)]
pub struct JobContext {
    pub sessions: Sessions,
    pub jobs: worker::Jobs,
    /// `None`: no SMS provider configured.
    pub sms: Option<Arc<dyn SmsGateway>>,
    /// SMS's share of the upstream threads (`http_client::share`).
    pub sms_calls: Share,
    /// Country calling code for stored phone numbers.
    pub country_code: String,
    /// Portal address put in credential messages (may be empty).
    pub portal_url: String,
}

/// How a handler failed. The worker retries with backoff unless `is_permanent`.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Sms(#[from] SmsError),
    #[error(transparent)]
    Upstream(#[from] ShareError),
    #[error(transparent)]
    Nas(#[from] crate::sessions::NasError),
    /// What the job names is not there (a bad payload, or deleted by hand).
    #[error("there is no {what} {id}")]
    Gone { what: &'static str, id: i64 },
    /// An account is made only for a confirmed payment.
    #[error("payment {payment} is {status}, not confirmed")]
    NotConfirmed { payment: i64, status: crate::store::payments::PaymentStatus },
    /// The credentials' phone number cannot receive an SMS.
    #[error("`{phone}` is not a phone number SMS can reach")]
    BadPhone {
        phone: String,
        #[source]
        source: crate::phone::BadPhone,
    },
    /// The payload could not be read (written by a newer hotspotd, or edited by hand).
    #[error("unreadable job payload {payload}")]
    Unreadable {
        payload: String,
        #[source]
        source: serde_json::Error,
    },
}

impl JobError {
    /// Retrying cannot help: move to `failed_jobs` now.
    pub fn is_permanent(&self) -> bool {
        match self {
            JobError::Gone { .. } | JobError::NotConfirmed { .. } | JobError::BadPhone { .. } | JobError::Unreadable { .. } => true,
            JobError::Sms(e) => e.is_permanent(),
            // A NAS that is silent may be rebooting; one we cannot reach at all will not change.
            JobError::Nas(e) => !matches!(e, crate::sessions::NasError::NoAnswer { .. }),
            JobError::Store(_) | JobError::Session(_) | JobError::Upstream(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sessions::EndReason;

    #[test]
    fn jobs_round_trip_through_json_in_the_stored_form() {
        let jobs = [
            Job::CreateHotspotUser(CreateHotspotUser { payment_id: 7 }),
            Job::SendCredentialsSms(SendCredentialsSms { credential_id: 3 }),
            Job::DisconnectHotspotUser(DisconnectHotspotUser { session_id: 9, reason: EndReason::Quota }),
            Job::DisconnectNasSession(DisconnectNasSession {
                session_id: 4,
                nas: "till-1".into(),
                acct_session_id: "80000001".into(),
                username: "K7MX3QPA".into(),
                mac: Some("AA:BB:CC:00:11:22".into()),
                ip: None,
            }),
        ];
        for job in jobs {
            let json = serde_json::to_string(&job).unwrap();
            assert!(json.starts_with(&format!("{{\"kind\":\"{}\"", job.name())), "{json}");
            assert_eq!(serde_json::from_str::<Job>(&json).unwrap(), job);
        }
        // What earlier versions stored still reads.
        let stored: Job = serde_json::from_str(r#"{"kind":"CreateHotspotUser","payment_id":12}"#).unwrap();
        assert_eq!(stored, Job::CreateHotspotUser(CreateHotspotUser { payment_id: 12 }));
        assert_eq!(stored.unique_key(), "create-user:12");
        assert_eq!((stored.priority(), stored.max_attempts()), (Priority::High, 20));
        assert!(serde_json::from_str::<Job>(r#"{"kind":"SyncRadiusAccounting"}"#).is_err(), "recurring work is not a job");
        // The optional fields of a NAS disconnect may be missing; a word must be one of ours.
        let nas: Job = serde_json::from_str(r#"{"session_id":4,"kind":"DisconnectNasSession","nas":"n","acct_session_id":"a","username":"u"}"#).unwrap();
        assert!(matches!(nas, Job::DisconnectNasSession(DisconnectNasSession { mac: None, ip: None, .. })));
        assert!(serde_json::from_str::<Job>(r#"{"kind":"DisconnectHotspotUser","session_id":1,"reason":"bored"}"#).is_err());
        assert!(serde_json::from_str::<Job>(r#"{"kind":"CreateHotspotUser"}"#).is_err(), "a missing field");
        assert!(serde_json::from_str::<Job>(r#"{"payment_id":1}"#).is_err(), "no kind");
    }
}

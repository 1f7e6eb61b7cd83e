//! The operator's operations as data: packages, vouchers, accounts, devices online, payments,
//! jobs and status. One layer that returns values; the CLI renders them as text or JSON, the
//! control socket carries them from the daemon to the CLI, and the web admin and remote
//! commands (later) call the same operations. Every change goes through `Sessions` or the
//! store's functions: no SQL or nft here, none in the callers.
//!
//! Operations run in the daemon (through the control socket: one writer for the firewall and
//! usage) or, when the daemon is not running, in the command's own process on the same code
//! (`local`). `catalog.rs`: packages and vouchers; `accounts.rs`: accounts; `clients.rs`:
//! devices online and kicks; `records.rs`: payments and jobs; `status.rs`: the status report;
//! `reports.rs`: the web admin's dashboard and payments list (days from `periods.rs`);
//! `customers.rs`: its account search, history, extension and resend.
//! `operator.rs`: the audit log, the web admin's password hash, the database's size.

mod accounts;
mod branding;
mod catalog;
mod clients;
mod customers;
pub mod local;
mod operator;
pub mod periods;
mod records;
mod reports;
mod status;

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use accounts::NewUser;
pub use clients::{ClientRow, Kicked};
pub use customers::Customer;
pub use operator::audit_entry;
pub use records::JobList;
pub use reports::{Dashboard, DayReport, PaymentQuery, PaymentsReport};
pub use status::{RadiusUpstreamReport, StatusReport};

use crate::config::Config;
use crate::json_fields::{self, Fields};
use crate::jobs::worker::Jobs;
use crate::netaddr::MacAddr;
use crate::sessions::{SessionError, Sessions};
use crate::store::catalog::{NewPackage, Package, Revoke, VoucherListing};
use crate::store::payments::PaymentListing;
use crate::store::StoreError;

/// One operation, as the CLI asks for it and the control socket carries it
/// (`{"kick":{"mac":"02:00:00:00:00:01"}}`, `"status"`). Externally tagged; the decoder is
/// hand-written (`from_json`, the shapes serde's derive takes): the derived one cost the
/// router's binary ~19 KB.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    PackageAdd(NewPackage),
    PackageList,
    VoucherCreate { package_id: i64, count: u32, batch: Option<String> },
    VoucherList { all: bool },
    VoucherRevoke { code: String },
    UserAdd { package_id: i64, username: Option<String>, password: Option<String>, phone: Option<String> },
    UserDisable { username: String },
    UserEnable { username: String },
    Clients,
    Kick { mac: MacAddr },
    Status,
    ClockSynced,
    Jobs,
    JobRetry { id: i64 },
    Payments { limit: u32 },
}

impl Request {
    /// Reads `{"voucher_create":{"package_id":1,"count":5,"batch":null}}` or `"status"`.
    pub fn from_json(value: serde_json::Value) -> Result<Request, json_fields::Error> {
        const KINDS: &[&str] = &[
            "package_add", "package_list", "voucher_create", "voucher_list", "voucher_revoke", "user_add", "user_disable",
            "user_enable", "clients", "kick", "status", "clock_synced", "jobs", "job_retry", "payments",
        ];
        let (kind, body) = json_fields::external(value)?;
        Ok(match kind.as_str() {
            "package_list" => json_fields::unit(body, Request::PackageList)?,
            "clients" => json_fields::unit(body, Request::Clients)?,
            "status" => json_fields::unit(body, Request::Status)?,
            "clock_synced" => json_fields::unit(body, Request::ClockSynced)?,
            "jobs" => json_fields::unit(body, Request::Jobs)?,
            other => {
                let mut f = Fields::of(body)?;
                match other {
                    "package_add" => Request::PackageAdd(NewPackage {
                        name: f.get("name")?,
                        price: f.get("price")?,
                        duration_secs: f.get("duration_secs")?,
                        data_limit_bytes: f.get("data_limit_bytes")?,
                        down_kbps: f.get("down_kbps")?,
                        up_kbps: f.get("up_kbps")?,
                        max_devices: f.get("max_devices")?,
                    }),
                    "voucher_create" => Request::VoucherCreate { package_id: f.get("package_id")?, count: f.get("count")?, batch: f.get("batch")? },
                    "voucher_list" => Request::VoucherList { all: f.get("all")? },
                    "voucher_revoke" => Request::VoucherRevoke { code: f.get("code")? },
                    "user_add" => Request::UserAdd {
                        package_id: f.get("package_id")?,
                        username: f.get("username")?,
                        password: f.get("password")?,
                        phone: f.get("phone")?,
                    },
                    "user_disable" => Request::UserDisable { username: f.get("username")? },
                    "user_enable" => Request::UserEnable { username: f.get("username")? },
                    "kick" => Request::Kick { mac: f.get("mac")? },
                    "job_retry" => Request::JobRetry { id: f.get("id")? },
                    "payments" => Request::Payments { limit: f.get("limit")? },
                    other => return Err(json_fields::unknown(other, KINDS)),
                }
            }
        })
    }
}

impl<'de> Deserialize<'de> for Request {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Request, D::Error> {
        json_fields::deserialize(deserializer, Request::from_json)
    }
}

/// What an operation gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    PackageAdded { id: i64 },
    Packages(Vec<Package>),
    VouchersCreated { codes: Vec<String> },
    Vouchers(Vec<VoucherListing>),
    VoucherRevoked(Revoke),
    UserAdded(NewUser),
    UserDisabled { username: String, sessions: usize },
    UserEnabled { username: String, changed: bool },
    Clients(Vec<ClientRow>),
    Kicked(Kicked),
    Status(Box<StatusReport>),
    ClockSynced,
    Jobs(JobList),
    JobRetried { id: i64 },
    Payments(Vec<PaymentListing>),
}

impl Reply {
    /// The value alone as JSON (`[{…}]` for a list, `{"id":3}` for an add), for `--json`.
    pub fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        #[derive(Serialize)]
        struct Id {
            id: i64,
        }
        #[derive(Serialize)]
        struct Done {
            ok: bool,
        }
        match self {
            Reply::PackageAdded { id } | Reply::JobRetried { id } => serde_json::to_writer(out, &Id { id: *id }),
            Reply::Packages(v) => serde_json::to_writer(out, v),
            Reply::VouchersCreated { codes } => serde_json::to_writer(out, codes),
            Reply::Vouchers(v) => serde_json::to_writer(out, v),
            Reply::VoucherRevoked(v) => serde_json::to_writer(out, v),
            Reply::UserAdded(v) => serde_json::to_writer(out, v),
            Reply::UserDisabled { username, sessions } => serde_json::to_writer(out, &serde_json::json!({ "username": username, "sessions_ended": sessions })),
            Reply::UserEnabled { username, changed } => serde_json::to_writer(out, &serde_json::json!({ "username": username, "enabled": changed })),
            Reply::Clients(v) => serde_json::to_writer(out, v),
            Reply::Kicked(v) => serde_json::to_writer(out, v),
            Reply::Status(v) => serde_json::to_writer(out, v),
            Reply::ClockSynced => serde_json::to_writer(out, &Done { ok: true }),
            Reply::Jobs(v) => serde_json::to_writer(out, v),
            Reply::Payments(v) => serde_json::to_writer(out, v),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The operator asked for something that cannot be (the message says what to fix).
    #[error("{0}")]
    Invalid(String),
    #[error("{0} has no active session")]
    NotOnline(MacAddr),
    #[error("there is no account `{0}` (see `hotspotd clients`, or the username the customer was given)")]
    NoSuchUser(String),
}

/// What the status report says about this process and its configuration.
#[derive(Debug, Clone)]
pub struct SystemInfo {
    pub config: Arc<Config>,
    /// Set in the daemon: when it started (its uptime is reported).
    pub daemon_started: Option<Instant>,
    /// Set in the daemon when it serves RADIUS: the server's counters.
    pub radius: Option<Arc<crate::radius::server::Stats>>,
    /// Set in the daemon when it syncs with a central server: how that goes.
    pub sync: Option<crate::sync::SyncHealth>,
}

/// The operations, over the sessions and jobs of one process (the daemon's, or a command's
/// own when the daemon is not running). Cheap to clone.
#[derive(Clone)]
pub struct Admin {
    sessions: Sessions,
    jobs: Jobs,
    system: SystemInfo,
}

impl Admin {
    pub fn new(sessions: Sessions, jobs: Jobs, system: SystemInfo) -> Admin {
        Admin { sessions, jobs, system }
    }

    /// Carries out one operation.
    pub async fn execute(&self, request: Request) -> Result<Reply, AdminError> {
        match request {
            Request::PackageAdd(new) => catalog::package_add(self, new).await,
            Request::PackageList => catalog::package_list(self).await,
            Request::VoucherCreate { package_id, count, batch } => catalog::voucher_create(self, package_id, count, batch).await,
            Request::VoucherList { all } => catalog::voucher_list(self, all).await,
            Request::VoucherRevoke { code } => catalog::voucher_revoke(self, code).await,
            Request::UserAdd { package_id, username, password, phone } => {
                accounts::user_add(self, package_id, username, password, phone).await
            }
            Request::UserDisable { username } => accounts::user_disable(self, username).await,
            Request::UserEnable { username } => accounts::user_enable(self, username).await,
            Request::Clients => clients::list(self).await,
            Request::Kick { mac } => clients::kick(self, mac).await,
            Request::Status => status::report(self).await.map(|r| Reply::Status(Box::new(r))),
            Request::ClockSynced => status::clock_synced(self).await,
            Request::Jobs => records::jobs(self).await,
            Request::JobRetry { id } => records::job_retry(self, id).await,
            Request::Payments { limit } => records::payments(self, limit).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_round_trips_as_the_control_socket_carries_it() {
        let new = NewPackage { name: "Hour".into(), price: 20, duration_secs: 3600, data_limit_bytes: Some(1 << 30), down_kbps: None, up_kbps: Some(512), max_devices: 2 };
        let requests = [
            Request::PackageAdd(new),
            Request::PackageList,
            Request::VoucherCreate { package_id: 1, count: 10, batch: Some("b1".into()) },
            Request::VoucherCreate { package_id: 1, count: 10, batch: None },
            Request::VoucherList { all: true },
            Request::VoucherRevoke { code: "ABCD".into() },
            Request::UserAdd { package_id: 2, username: Some("u".into()), password: None, phone: Some("0712345678".into()) },
            Request::UserDisable { username: "u".into() },
            Request::UserEnable { username: "u".into() },
            Request::Clients,
            Request::Kick { mac: "02:00:00:00:00:01".parse().unwrap() },
            Request::Status,
            Request::ClockSynced,
            Request::Jobs,
            Request::JobRetry { id: 3 },
            Request::Payments { limit: 50 },
        ];
        for request in requests {
            let json = serde_json::to_string(&request).unwrap();
            assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), request, "{json}");
        }
        let call: crate::control::Call = serde_json::from_str(r#"{"json":false,"request":{"kick":{"mac":"02:00:00:00:00:01"}}}"#).unwrap();
        assert_eq!(call.request, Request::Kick { mac: "02:00:00:00:00:01".parse().unwrap() });
        assert_eq!(serde_json::from_str::<Request>(r#"{"status":null}"#).unwrap(), Request::Status);
        let missing = serde_json::from_str::<Request>(r#"{"user_add":{"package_id":2}}"#).unwrap();
        assert_eq!(missing, Request::UserAdd { package_id: 2, username: None, password: None, phone: None });
        for bad in [
            r#""kick""#,
            r#"{"kick":{"mac":"nonsense"}}"#,
            r#"{"status":{}}"#,
            r#"{"voucher_create":{"package_id":1,"count":-1}}"#,
            r#"{"voucher_list":{}}"#,
            r#"{"reboot":null}"#,
            r#"{"payments":{"limit":5},"jobs":null}"#,
        ] {
            assert!(serde_json::from_str::<Request>(bad).is_err(), "{bad}");
        }
    }
}

//! The operator's own records, for the web admin and the control socket: the audit log (who
//! changed what), the web admin's stored password hash, and the database's size on flash.
//! What each command-line request is called in the audit (`audit_entry`) lives here too, so
//! the control socket and a command run without the daemon name changes alike.

use super::{Admin, AdminError, Request};
use crate::store::audit::{self, AuditRow};
use crate::store::settings;

/// The audit's name and detail for a request that changes something; `None` for those that
/// only read. Secrets (a new user's password) are left out.
pub fn audit_entry(request: &Request) -> Option<(&'static str, String)> {
    Some(match request {
        Request::PackageAdd(p) => ("package_add", format!("name={} price={} duration_secs={}", p.name, p.price, p.duration_secs)),
        Request::VoucherCreate { package_id, count, batch } => {
            ("voucher_create", format!("package_id={package_id} count={count} batch={}", batch.as_deref().unwrap_or("")))
        }
        Request::VoucherRevoke { code } => ("voucher_revoke", format!("code={code}")),
        Request::UserAdd { package_id, username, phone, .. } => (
            "user_add",
            format!("package_id={package_id} username={} phone={}", username.as_deref().unwrap_or(""), phone.as_deref().unwrap_or("")),
        ),
        Request::UserDisable { username } => ("user_disable", format!("username={username}")),
        Request::UserEnable { username } => ("user_enable", format!("username={username}")),
        Request::Kick { mac } => ("deauth", format!("mac={mac}")),
        Request::ClockSynced => ("clock_synced", String::new()),
        Request::JobRetry { id } => ("job_retry", format!("id={id}")),
        Request::PackageList
        | Request::VoucherList { .. }
        | Request::Clients
        | Request::Status
        | Request::Jobs
        | Request::Payments { .. } => return None,
    })
}

impl Admin {
    /// Writes one audit row, now.
    pub async fn record_audit(&self, who: String, action: String, detail: String) -> Result<(), AdminError> {
        let now = self.sessions.now();
        self.sessions.store().call(move |conn| audit::record(conn, now, &who, &action, &detail)).await?;
        Ok(())
    }

    /// The latest `limit` audit rows, newest first.
    pub async fn audit_log(&self, limit: u32) -> Result<Vec<AuditRow>, AdminError> {
        Ok(self.sessions.store().call(move |conn| audit::latest(conn, limit)).await?)
    }

    /// The web admin's password as stored (`None`: not set yet: `hotspotd admin password`).
    pub async fn admin_password_hash(&self) -> Result<Option<String>, AdminError> {
        Ok(self.sessions.store().call(|conn| settings::get(conn, settings::ADMIN_PASSWORD)).await?)
    }

    /// Bytes the database takes on flash (the file and its write-ahead log), if readable.
    pub fn database_bytes(&self) -> Option<u64> {
        let path = &self.system.config.database;
        let main = std::fs::metadata(path).ok()?.len();
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        Some(main + std::fs::metadata(&wal).map_or(0, |m| m.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_named_and_reads_are_not_audited() {
        let add = Request::UserAdd { package_id: 2, username: Some("amina".into()), password: Some("s3cret-pw".into()), phone: None };
        let (name, detail) = audit_entry(&add).unwrap();
        assert_eq!(name, "user_add");
        assert!(!detail.contains("s3cret"), "{detail}");
        assert_eq!(audit_entry(&Request::JobRetry { id: 4 }), Some(("job_retry", "id=4".into())));
        assert_eq!(audit_entry(&Request::Status), None);
        assert_eq!(audit_entry(&Request::Payments { limit: 5 }), None);
    }
}

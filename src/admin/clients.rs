//! Devices online and ending their sessions. Usage is live when the daemon answers (its
//! ledger), as of the last checkpoint when the command runs without it.

use serde::Serialize;

use super::{Admin, AdminError, Reply};
use crate::netaddr::MacAddr;
use crate::store::{accounts, catalog};
use crate::store::sessions::{self as session_rows, EndMethod};

/// One device online.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientRow {
    pub session_id: i64,
    pub mac: String,
    pub ip: String,
    pub username: String,
    /// `local` (the portal) or the NAS's name.
    pub enforcer: String,
    pub expires_at: i64,
    pub seconds_left: i64,
    pub bytes_up: i64,
    pub bytes_down: i64,
    /// The account's data left (all its devices); `None`: unlimited.
    pub data_left_bytes: Option<i64>,
    /// The name of the package the account was sold (empty if it is gone).
    pub package: String,
    /// The account's speed ceilings, kbit/s (`None`: none).
    pub down_kbps: Option<i64>,
    pub up_kbps: Option<i64>,
}

/// What a kick ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kicked {
    pub mac: MacAddr,
    pub sessions: usize,
}

pub async fn list(admin: &Admin) -> Result<Reply, AdminError> {
    let now = admin.sessions.now();
    let rows = admin
        .sessions
        .store()
        .call(move |conn| {
            let mut rows = Vec::new();
            for s in session_rows::active(conn)?.into_iter().filter(|s| s.expires_at > now) {
                let account = accounts::get_account(conn, s.user_id)?;
                let data_left = account.as_ref().and_then(|r| r.account.data_limit_bytes.map(|l| (l - r.account.data_used_bytes).max(0)));
                let package = match &account {
                    Some(r) => catalog::get_package(conn, r.package_id)?.map(|p| p.name).unwrap_or_default(),
                    None => String::new(),
                };
                let speed = account.map_or((None, None), |r| (r.down_kbps, r.up_kbps));
                rows.push((s, data_left, package, speed));
            }
            Ok(rows)
        })
        .await?;
    let clients = rows
        .into_iter()
        .map(|(s, data_left, package, (down_kbps, up_kbps))| {
            let live = admin.sessions.live_usage(s.id).unwrap_or_default();
            let up = s.bytes_in.max(live.up.min(i64::MAX as u64) as i64);
            let down = s.bytes_out.max(live.down.min(i64::MAX as u64) as i64);
            let unsaved = (up - s.bytes_in) + (down - s.bytes_out);
            ClientRow {
                session_id: s.id,
                mac: s.mac,
                ip: s.ip,
                username: s.username,
                enforcer: s.enforcer.as_str().to_owned(),
                expires_at: s.expires_at,
                seconds_left: (s.expires_at - now).max(0),
                bytes_up: up,
                bytes_down: down,
                data_left_bytes: data_left.map(|left| (left - unsaved).max(0)),
                package,
                down_kbps,
                up_kbps,
            }
        })
        .collect();
    Ok(Reply::Clients(clients))
}

/// Ends the device's session now, through `Sessions`: its last bytes are read and recorded,
/// then its enforcer (the firewall, or its NAS) lets it go.
pub async fn kick(admin: &Admin, mac: MacAddr) -> Result<Reply, AdminError> {
    let sessions = admin.sessions.kick(mac, EndMethod::Cli).await?;
    if sessions == 0 {
        return Err(AdminError::NotOnline(mac));
    }
    Ok(Reply::Kicked(Kicked { mac, sessions }))
}

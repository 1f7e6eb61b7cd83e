//! Reading what sessions stand for: a device's status for the portal, why a device was cut
//! off, and every session that should be let through now (to rebuild the firewall or
//! refresh an account's devices after a purchase).

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension};

use super::{rate_of, session_grant, Client, Grant};
use crate::access::{self, AccountStatus, Remaining};
use crate::firewall::Rate;
use crate::store::accounts::{self, AccountRecord};
use crate::store::catalog::{self, Package};
use crate::store::sessions::{self as rows, EndReason, SessionRecord};
use crate::store::StoreError;

/// What the status page and check-session show for a device.
#[derive(Debug, Clone)]
pub struct ClientStatus {
    /// The device's session; its byte totals are this device's usage.
    pub session: SessionRecord,
    /// What is left of the account (all its devices together).
    pub remaining: Remaining,
    pub package: Package,
    pub devices_online: usize,
    pub max_devices: u32,
    /// The speed ceilings this device gets.
    pub rate: Rate,
}

/// The active session of this device (matched by MAC and address), if it has one.
pub fn client_status(conn: &Connection, client: Client, now: i64) -> Result<Option<ClientStatus>, StoreError> {
    let ip = client.ip.to_string();
    let Some(session) = rows::active_for_mac(conn, &client.mac.to_string())?.into_iter().find(|s| s.ip == ip) else {
        return Ok(None);
    };
    if session.expires_at <= now {
        return Ok(None); // the expiry check ends it within a second
    }
    let Some(record) = accounts::get_account(conn, session.user_id)? else { return Ok(None) };
    let Some(package) = catalog::get_package(conn, record.package_id)? else { return Ok(None) };
    let devices_online = rows::active_for_user(conn, session.user_id)?.len();
    Ok(Some(ClientStatus {
        remaining: access::remaining(&record.account, now),
        max_devices: record.account.max_devices,
        rate: rate_of(&record),
        session,
        package,
        devices_online,
    }))
}

/// Why a device is offline, when the portal should say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Its account's data is used up.
    DataUsedUp,
    /// Its account's time is up.
    TimeUp,
}

/// How long after being cut off a device is still told why.
const ENDED_NOTICE_SECS: i64 = 24 * 3600;

/// Why this device's last session ended, if it was cut off by its package (data or time)
/// recently and its account has not been topped up since.
pub fn why_offline(conn: &Connection, client: Client, now: i64) -> Result<Option<Ended>, StoreError> {
    let last: Option<(Option<EndReason>, AccountStatus)> = conn
        .query_row(
            "SELECT s.end_reason, u.status FROM sessions s JOIN hotspot_users u ON u.id = s.user_id
             WHERE s.mac = ?1 AND s.status = 'ended' AND s.ended_at > ?2 ORDER BY s.id DESC LIMIT 1",
            rusqlite::params![client.mac.to_string(), now - ENDED_NOTICE_SECS],
            // Older versions stored free-text reasons: a word this version does not know is none.
            |r| Ok((r.get::<_, Option<String>>(0)?.as_deref().and_then(EndReason::parse), r.get(1)?)),
        )
        .optional()?;
    Ok(match last {
        Some((Some(EndReason::Quota), AccountStatus::Exhausted)) => Some(Ended::DataUsedUp),
        Some((Some(EndReason::Expired), AccountStatus::Expired)) => Some(Ended::TimeUp),
        _ => None,
    })
}

/// The session that last held `ip` and has ended, if any (to give it what an old table
/// counted for that address).
pub fn last_ended_at(conn: &Connection, ip: std::net::Ipv4Addr) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT id FROM sessions WHERE ip = ?1 AND status = 'ended' ORDER BY ended_at DESC, id DESC LIMIT 1",
            [ip.to_string()],
            |r| r.get(0),
        )
        .optional()?)
}

/// Every session that should be let through now (to rebuild the table), or only an
/// account's (after a purchase changed its time or cap).
pub fn authorised_now(conn: &Connection, account_id: Option<i64>, now: i64) -> Result<Vec<Grant>, StoreError> {
    let sessions = match account_id {
        Some(id) => rows::active_for_user(conn, id)?,
        None => rows::active(conn)?,
    };
    let mut accounts: HashMap<i64, Option<AccountRecord>> = HashMap::new();
    let mut out = Vec::with_capacity(sessions.len());
    for s in sessions.iter().filter(|s| s.expires_at > now) {
        let record = match accounts.entry(s.user_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(accounts::get_account(conn, s.user_id)?),
        };
        out.extend(record.as_ref().and_then(|r| session_grant(s, r)));
    }
    Ok(out)
}

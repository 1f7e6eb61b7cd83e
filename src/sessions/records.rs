//! The database side of session changes: each function is one transaction over a
//! `Connection`, taking `now`, so the daemon (through `Store::call`) and the CLI (directly)
//! share them. Decisions come from `access`; this file only loads, asks and writes.

use std::net::Ipv4Addr;

use rusqlite::{Connection, OptionalExtension};

use crate::access::{self, Refusal, Remaining, VoucherState};
use crate::credentials;
use crate::firewall::{Device, Rate, Revoked, Traffic};
use crate::netaddr::MacAddr;
use crate::store::accounts::{self, AccountRecord, AccountSource};
use crate::store::catalog::{self, Package};
use crate::store::sessions::{self as rows, AuthAttempt, AuthOutcome, EndMethod, SessionRecord};
use crate::store::StoreError;

/// The device asking, as the portal identified it (source IP + neighbour table MAC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    pub ip: Ipv4Addr,
    pub mac: MacAddr,
}

#[derive(Debug, Clone)]
pub enum Credential {
    Voucher(String),
    Password { username: String, password: String },
    /// An account the daemon itself vouches for (the device that just paid for it). Never
    /// built from anything a client sends.
    Paid { user_id: i64 },
}

impl Credential {
    fn method(&self) -> &'static str {
        match self {
            Credential::Voucher(_) => "voucher",
            Credential::Password { .. } => "password",
            Credential::Paid { .. } => "payment",
        }
    }

    fn identity(&self) -> &str {
        match self {
            Credential::Voucher(code) => code,
            Credential::Password { username, .. } => username,
            Credential::Paid { .. } => "paid account",
        }
    }
}

/// A recorded login and the firewall change it needs.
#[derive(Debug, Clone)]
pub struct LoginRecord {
    pub session_id: i64,
    pub username: String,
    pub expires_at: i64,
    pub remaining: Remaining,
    pub package: Package,
    pub access: DeviceAccess,
    /// Other sessions this device or address held, now ended (or this session's old address).
    pub revoke: Vec<Revoked>,
}

/// What the firewall needs to let one device's session through, as the database holds it.
/// `Sessions` adds what the kernel counted since the last checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceAccess {
    pub device: Device,
    pub session_id: i64,
    pub account_id: i64,
    pub expires_at: i64,
    /// The session's byte totals at the last checkpoint.
    pub recorded: Traffic,
    /// A new session, or one that moved to this address: its counters there start afresh
    /// (from `recorded` and what the old address counted), not from what they hold.
    pub reset_counters: bool,
    /// The account's data cap, `None` for unlimited.
    pub cap_bytes: Option<u64>,
    /// The account's data used at the last checkpoint (all its sessions, ended or not).
    pub account_used: u64,
    pub rate: Rate,
}

/// Checks a credential and, if the rules allow, records the device's session.
/// `Ok(Err(refusal))` is a refused login (logged in `auth_log`); nothing else changed.
pub fn login(
    conn: &mut Connection,
    client: Client,
    credential: &Credential,
    now: i64,
) -> Result<Result<LoginRecord, Refusal>, StoreError> {
    let tx = conn.transaction()?;
    let outcome = login_in(&tx, client, credential, now)?;
    match &outcome {
        Ok(_) => {
            log_attempt(&tx, client, credential, AuthOutcome::Accepted, None, now)?;
            tx.commit()?;
        }
        Err(refusal) => {
            // A refusal wrote nothing worth keeping; only the log row stays.
            tx.rollback()?;
            log_attempt(conn, client, credential, AuthOutcome::Rejected, Some(&format!("{refusal:?}")), now)?;
        }
    }
    Ok(outcome)
}

/// Writes one `auth_log` row for a login attempt.
pub fn log_attempt(
    conn: &Connection,
    client: Client,
    credential: &Credential,
    outcome: AuthOutcome,
    reason: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    let mac = client.mac.to_string();
    let ip = client.ip.to_string();
    let attempt = AuthAttempt {
        mac: Some(&mac),
        ip: &ip,
        method: credential.method(),
        identity: credential.identity(),
        outcome,
        reason,
    };
    rows::log_attempt(conn, &attempt, now)
}

/// Finds the account a credential names, creating it on a voucher's first use.
fn resolve_account(conn: &Connection, credential: &Credential, mac: MacAddr, now: i64) -> Result<Result<AccountRecord, Refusal>, StoreError> {
    match credential {
        Credential::Paid { user_id } => Ok(accounts::get_account(conn, *user_id)?.ok_or(Refusal::WrongCredentials)),
        Credential::Password { username, password } => {
            // Unknown user and wrong password look the same to the person typing.
            let Some(record) = accounts::find_account(conn, username.trim())? else { return Ok(Err(Refusal::WrongCredentials)) };
            if record.password_hash.as_deref().is_some_and(|h| credentials::verify_password(password, h)) {
                return Ok(Ok(record));
            }
            // A reset password works beside the old one; its first use retires the old one
            // (see `accounts::reset_password`).
            let user_id = record.account.user_id;
            if accounts::pending_password_hash(conn, user_id)?.is_some_and(|h| credentials::verify_password(password, &h)) {
                accounts::promote_pending_password(conn, user_id, now)?;
                return Ok(Ok(record));
            }
            Ok(Err(Refusal::WrongCredentials))
        }
        Credential::Voucher(typed) => {
            let code = credentials::normalise_voucher_code(typed);
            let voucher = catalog::find_voucher(conn, &code)?;
            let redeemed = match &voucher {
                Some(v) if v.status == "redeemed" => match v.user_id {
                    Some(user_id) => accounts::get_account(conn, user_id)?,
                    None => None,
                },
                _ => None,
            };
            let state = voucher.as_ref().map(|v| match v.status.as_str() {
                "unused" => VoucherState::Unused { package_active: v.package_active, valid_until: v.valid_until },
                "redeemed" => match &redeemed {
                    Some(record) => VoucherState::Redeemed(record.account.clone()),
                    None => VoucherState::Revoked,
                },
                _ => VoucherState::Revoked,
            });
            match access::decide_voucher(state, now) {
                Err(refusal) => Ok(Err(refusal)),
                Ok(Some(_)) => Ok(Ok(redeemed.expect("redeemed state comes from a loaded account"))),
                Ok(None) => {
                    let v = voucher.expect("unused state comes from a loaded voucher");
                    let package = catalog::get_package(conn, v.package_id)?.ok_or(StoreError::UnknownPackage(v.package_id))?;
                    let user_id = accounts::create_account(conn, &code, None, None, &package, AccountSource::Voucher, now)?;
                    catalog::mark_voucher_redeemed(conn, v.id, user_id, &mac.to_string(), now)?;
                    let record = accounts::get_account(conn, user_id)?.ok_or(StoreError::UnknownPackage(v.package_id))?;
                    Ok(Ok(record))
                }
            }
        }
    }
}

fn login_in(conn: &Connection, client: Client, credential: &Credential, now: i64) -> Result<Result<LoginRecord, Refusal>, StoreError> {
    let record = match resolve_account(conn, credential, client.mac, now)? {
        Ok(record) => record,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let mac = client.mac.to_string();
    let ip = client.ip.to_string();
    let online: Vec<access::DeviceSession> = rows::active_for_user(conn, record.account.user_id)?
        .iter()
        .filter_map(|s| Some(access::DeviceSession { session_id: s.id, mac: s.mac.parse().ok()? }))
        .collect();
    let grant = match access::decide_login(&record.account, &online, client.mac, now) {
        Ok(grant) => grant,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let mut account = record.account.clone();
    if grant.starts_now {
        accounts::start_clock(conn, account.user_id, now, grant.expires_at)?;
        account.starts_at = Some(now);
        account.expires_at = Some(grant.expires_at);
    }

    // This device or address may hold sessions elsewhere (another account, an old address).
    let mut gone = Vec::new();
    let mut recorded = Traffic::default();
    let mut moved = false;
    for other in rows::active_for_device(conn, &mac, &ip)? {
        if Some(other.id) == grant.existing_session {
            recorded = traffic_of(&other);
            if other.ip != ip {
                moved = true;
                gone.push(other);
            }
            continue;
        }
        rows::end_session(conn, &other, EndMethod::Login, "replaced", now)?;
        gone.push(other);
    }
    let session_id = match grant.existing_session {
        Some(id) => {
            rows::refresh_session(conn, id, &ip, grant.expires_at)?;
            id
        }
        None => rows::open_session(conn, account.user_id, &mac, &ip, grant.expires_at, now)?,
    };
    let revoke = revocations(conn, &gone)?;
    let device = Device { ip: client.ip, mac: client.mac };
    let mut access = access_for(device, session_id, grant.expires_at, recorded, &record);
    access.reset_counters = grant.existing_session.is_none() || moved;
    let package = catalog::get_package(conn, record.package_id)?.ok_or(StoreError::UnknownPackage(record.package_id))?;
    Ok(Ok(LoginRecord {
        session_id,
        username: record.username,
        expires_at: grant.expires_at,
        remaining: access::remaining(&account, now),
        package,
        access,
        revoke,
    }))
}

/// What the firewall needs for `session`, a session of the account `record`.
fn device_access(session: &SessionRecord, record: &AccountRecord) -> Option<DeviceAccess> {
    Some(access_for(device_of(session)?, session.id, session.expires_at, traffic_of(session), record))
}

/// The speed ceilings an account's devices get.
fn rate_of(record: &AccountRecord) -> Rate {
    let kbps = |v: Option<i64>| v.and_then(|v| u32::try_from(v).ok()).filter(|&v| v > 0);
    Rate { down_kbps: kbps(record.down_kbps), up_kbps: kbps(record.up_kbps) }
}

fn access_for(device: Device, session_id: i64, expires_at: i64, recorded: Traffic, record: &AccountRecord) -> DeviceAccess {
    DeviceAccess {
        device,
        session_id,
        account_id: record.account.user_id,
        expires_at,
        recorded,
        reset_counters: false,
        cap_bytes: record.account.data_limit_bytes.map(|b| b.max(0) as u64),
        account_used: record.account.data_used_bytes.max(0) as u64,
        rate: rate_of(record),
    }
}

/// A stored session's byte totals.
fn traffic_of(session: &SessionRecord) -> Traffic {
    Traffic { up: session.bytes_in.max(0) as u64, down: session.bytes_out.max(0) as u64 }
}

/// The firewall changes for sessions that just ended (or moved to another address), called
/// after every change of the transaction: an account none of whose devices stays online
/// loses its shared quota, once.
fn revocations(conn: &Connection, gone: &[SessionRecord]) -> Result<Vec<Revoked>, StoreError> {
    let mut revoke = Vec::with_capacity(gone.len());
    for (i, session) in gone.iter().enumerate() {
        let Some(device) = device_of(session) else { continue };
        let account_again_later = gone[i + 1..].iter().any(|s| s.user_id == session.user_id);
        let last_of_account = !account_again_later && rows::active_for_user(conn, session.user_id)?.is_empty();
        let capped = accounts::get_account(conn, session.user_id)?.is_some_and(|r| r.account.data_limit_bytes.is_some());
        revoke.push(Revoked { device, session_id: session.id, account_id: session.user_id, capped, last_of_account });
    }
    Ok(revoke)
}

/// The firewall identity of a stored session (`None` if the row holds garbage).
pub fn device_of(session: &SessionRecord) -> Option<Device> {
    Some(Device { ip: session.ip.parse().ok()?, mac: session.mac.parse().ok()? })
}

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
    let last: Option<(String, String)> = conn
        .query_row(
            "SELECT s.end_reason, u.status FROM sessions s JOIN hotspot_users u ON u.id = s.user_id
             WHERE s.mac = ?1 AND s.status = 'ended' AND s.ended_at > ?2 ORDER BY s.id DESC LIMIT 1",
            rusqlite::params![client.mac.to_string(), now - ENDED_NOTICE_SECS],
            |r| Ok((r.get::<_, Option<String>>(0)?.unwrap_or_default(), r.get(1)?)),
        )
        .optional()?;
    Ok(match last.as_ref().map(|(reason, status)| (reason.as_str(), status.as_str())) {
        Some(("quota", "exhausted")) => Some(Ended::DataUsedUp),
        Some(("expired", "expired")) => Some(Ended::TimeUp),
        _ => None,
    })
}

/// Ends `sessions` in one transaction (those still active) and returns the firewall changes.
fn end_all(
    conn: &mut Connection,
    sessions: impl FnOnce(&Connection) -> Result<Vec<SessionRecord>, StoreError>,
    method: EndMethod,
    reason: &str,
    now: i64,
    also: impl FnOnce(&Connection) -> Result<(), StoreError>,
) -> Result<Vec<Revoked>, StoreError> {
    let tx = conn.transaction()?;
    let mut gone = Vec::new();
    for session in sessions(&tx)? {
        if rows::end_session(&tx, &session, method, reason, now)? {
            gone.push(session);
        }
    }
    also(&tx)?;
    let revoke = revocations(&tx, &gone)?;
    tx.commit()?;
    Ok(revoke)
}

/// Ends every active session of `mac` (logout, deauth) and returns the firewall changes.
pub fn end_device(conn: &mut Connection, mac: MacAddr, method: EndMethod, reason: &str, now: i64) -> Result<Vec<Revoked>, StoreError> {
    let mac = mac.to_string();
    end_all(conn, |tx| rows::active_for_mac(tx, &mac), method, reason, now, |_| Ok(()))
}

/// Ends one session by id (a disconnect job); returns its firewall change if it was active.
pub fn end_session_by_id(conn: &mut Connection, session_id: i64, method: EndMethod, reason: &str, now: i64) -> Result<Option<Revoked>, StoreError> {
    let one = |tx: &Connection| Ok(rows::active(tx)?.into_iter().filter(|s| s.id == session_id).collect());
    Ok(end_all(conn, one, method, reason, now, |_| Ok(()))?.pop())
}

/// Ends every session whose time is up and marks spent accounts.
pub fn expire_due(conn: &mut Connection, now: i64) -> Result<Vec<Revoked>, StoreError> {
    let mark_expired = |tx: &Connection| accounts::expire_accounts(tx, now).map(drop);
    end_all(conn, |tx| rows::due_to_expire(tx, now), EndMethod::Expiry, "expired", now, mark_expired)
}

/// Ends every session of an account whose data cap the kernel has reached, and marks it
/// used up. `None` if the account has no cap (the kernel's quota is out of step with it).
pub fn end_exhausted(conn: &mut Connection, account_id: i64, now: i64) -> Result<Option<Vec<Revoked>>, StoreError> {
    let capped = accounts::get_account(conn, account_id)?.is_some_and(|r| r.account.data_limit_bytes.is_some());
    if !capped {
        return Ok(None);
    }
    let mark_exhausted = |tx: &Connection| accounts::mark_exhausted(tx, account_id, now);
    end_all(conn, |tx| rows::active_for_user(tx, account_id), EndMethod::Quota, "quota", now, mark_exhausted).map(Some)
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

/// Every device that should be online now (to rebuild the table), or only an account's.
pub fn authorised_now(conn: &Connection, account_id: Option<i64>, now: i64) -> Result<Vec<DeviceAccess>, StoreError> {
    let sessions = match account_id {
        Some(id) => rows::active_for_user(conn, id)?,
        None => rows::active(conn)?,
    };
    let mut accounts: std::collections::HashMap<i64, Option<AccountRecord>> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(sessions.len());
    for s in sessions.iter().filter(|s| s.expires_at > now) {
        let record = match accounts.entry(s.user_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(accounts::get_account(conn, s.user_id)?),
        };
        out.extend(record.as_ref().and_then(|r| device_access(s, r)));
    }
    Ok(out)
}

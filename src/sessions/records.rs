//! The database side of session changes: each function is one transaction over a
//! `Connection`, taking `now`, so the daemon (through `Store::call`) and the CLI (directly)
//! share them. Decisions come from `access`; this file only loads, asks and writes.

use std::net::Ipv4Addr;

use rusqlite::Connection;

use crate::access::{self, Refusal, Remaining, VoucherState};
use crate::credentials;
use crate::firewall::{Authorised, Device};
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
    pub authorise: Authorised,
    /// Other sessions this device or address held, now ended.
    pub revoke: Vec<Device>,
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
            let found = accounts::find_account(conn, username.trim())?;
            // Unknown user and wrong password look the same to the person typing.
            Ok(match found {
                Some(record)
                    if record.password_hash.as_deref().is_some_and(|h| credentials::verify_password(password, h)) =>
                {
                    Ok(record)
                }
                _ => Err(Refusal::WrongCredentials),
            })
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
    let mut revoke = Vec::new();
    for other in rows::active_for_device(conn, &mac, &ip)? {
        if Some(other.id) == grant.existing_session {
            if other.ip != ip {
                revoke.extend(device_of(&other));
            }
            continue;
        }
        rows::end_session(conn, &other, EndMethod::Login, "replaced", now)?;
        revoke.extend(device_of(&other));
    }
    let session_id = match grant.existing_session {
        Some(id) => {
            rows::refresh_session(conn, id, &ip, grant.expires_at)?;
            id
        }
        None => rows::open_session(conn, account.user_id, &mac, &ip, grant.expires_at, now)?,
    };
    let package = catalog::get_package(conn, record.package_id)?.ok_or(StoreError::UnknownPackage(record.package_id))?;
    Ok(Ok(LoginRecord {
        session_id,
        username: record.username,
        expires_at: grant.expires_at,
        remaining: access::remaining(&account, now),
        package,
        authorise: Authorised {
            device: Device { ip: client.ip, mac: client.mac },
            timeout_secs: (grant.expires_at - now).max(1) as u64,
        },
        revoke,
    }))
}

/// The firewall identity of a stored session (`None` if the row holds garbage).
pub fn device_of(session: &SessionRecord) -> Option<Device> {
    Some(Device { ip: session.ip.parse().ok()?, mac: session.mac.parse().ok()? })
}

/// What the status page and check-session show for a device.
#[derive(Debug, Clone)]
pub struct ClientStatus {
    pub session: SessionRecord,
    pub remaining: Remaining,
    pub package: Package,
    pub devices_online: usize,
    pub max_devices: u32,
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
        session,
        package,
        devices_online,
    }))
}

/// Ends every active session of `mac` (logout, deauth) and returns the devices to revoke.
pub fn end_device(conn: &mut Connection, mac: MacAddr, method: EndMethod, reason: &str, now: i64) -> Result<Vec<Device>, StoreError> {
    let tx = conn.transaction()?;
    let mut revoke = Vec::new();
    for session in rows::active_for_mac(&tx, &mac.to_string())? {
        if rows::end_session(&tx, &session, method, reason, now)? {
            revoke.extend(device_of(&session));
        }
    }
    tx.commit()?;
    Ok(revoke)
}

/// Ends one session by id (a disconnect job); returns its device if it was active.
pub fn end_session_by_id(conn: &mut Connection, session_id: i64, method: EndMethod, reason: &str, now: i64) -> Result<Option<Device>, StoreError> {
    let tx = conn.transaction()?;
    let session = rows::active(&tx)?.into_iter().find(|s| s.id == session_id);
    let ended = match session {
        Some(s) if rows::end_session(&tx, &s, method, reason, now)? => device_of(&s),
        _ => None,
    };
    tx.commit()?;
    Ok(ended)
}

/// Ends every session whose time is up and marks spent accounts; returns the devices.
pub fn expire_due(conn: &mut Connection, now: i64) -> Result<Vec<Device>, StoreError> {
    let tx = conn.transaction()?;
    let mut revoke = Vec::new();
    for session in rows::due_to_expire(&tx, now)? {
        if rows::end_session(&tx, &session, EndMethod::Expiry, "expired", now)? {
            revoke.extend(device_of(&session));
        }
    }
    accounts::expire_accounts(&tx, now)?;
    tx.commit()?;
    Ok(revoke)
}

/// Every device that should be online now, with its remaining time (to rebuild the table).
pub fn authorised_now(conn: &Connection, now: i64) -> Result<Vec<Authorised>, StoreError> {
    Ok(rows::active(conn)?
        .iter()
        .filter(|s| s.expires_at > now)
        .filter_map(|s| Some(Authorised { device: device_of(s)?, timeout_secs: (s.expires_at - now) as u64 }))
        .collect())
}

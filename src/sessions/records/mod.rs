//! The database side of session changes: each function is one transaction over a
//! `Connection`, taking `now`, run by `Sessions` on the store thread (tests call them on a
//! file directly). Decisions come from `access`; this module only loads, asks and writes, and
//! reports what changed to the sync outbox in the same transaction.
//!
//! `mod.rs`: logging in; `end.rs`: ending sessions (logout, kick, expiry, data cap) with
//! their final totals; `status.rs`: what a device or the rebuilt firewall needs to know.

mod end;
pub mod nas;
mod status;

pub use end::{end_sessions, Selection};
pub use status::{authorised_now, client_status, last_ended_at, why_offline, ClientStatus, Ended};

use rusqlite::Connection;

use super::enforcement::{Cut, Grant, Target};
use crate::access::{self, Refusal, Remaining, VoucherState};
use crate::credentials;
use crate::firewall::{Device, Rate, Traffic};
use crate::netaddr::MacAddr;
use crate::store::accounts::{self, AccountRecord, AccountSource};
use crate::store::catalog::{self, Package, VoucherStatus};
use crate::store::outbox::{self, Event};
use crate::store::sessions::{self as rows, AuthAttempt, AuthOutcome, EndMethod, EndReason, Enforcer, SessionRecord};
use crate::store::StoreError;

/// What only the daemon's memory knows about running sessions (its usage ledger), for the
/// transactions that end or replace them.
pub trait Live {
    /// The session's byte totals as last counted (`None`: not tracked).
    fn totals(&self, session_id: i64) -> Option<Traffic>;
    /// Whether the session's device moved traffic lately, i.e. it is using its address now.
    fn in_use(&self, session_id: i64) -> bool;
}

/// Nothing live: no kernel counts (tests, and a command run without the daemon).
impl Live for () {
    fn totals(&self, _: i64) -> Option<Traffic> {
        None
    }

    fn in_use(&self, _: i64) -> bool {
        false
    }
}

/// The device asking, as the portal identified it (source IP + neighbour table MAC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    pub ip: std::net::Ipv4Addr,
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

/// A recorded login and the changes it needs.
#[derive(Debug, Clone)]
pub struct LoginRecord {
    pub session_id: i64,
    pub username: String,
    pub expires_at: i64,
    pub remaining: Remaining,
    pub package: Package,
    /// This device's access.
    pub grant: Grant,
    /// Other sessions this device or address held, now ended (or this session's old address).
    pub cut: Vec<Cut>,
}

/// Checks a credential and, if the rules allow, records the device's session.
/// `Ok(Err(refusal))` is a refused login (logged in `auth_log`); nothing else changed.
/// `live` gives the live totals of sessions the login ends (another account's session on
/// this device) and whether another device is using this address.
pub fn login(
    conn: &mut Connection,
    client: Client,
    credential: &Credential,
    now: i64,
    live: &dyn Live,
) -> Result<Result<LoginRecord, Refusal>, StoreError> {
    let tx = conn.transaction()?;
    let outcome = login_in(&tx, client, credential, now, live)?;
    match &outcome {
        Ok(_) => {
            log_attempt(&tx, client, credential, AuthOutcome::Accepted, None, now)?;
            tx.commit()?;
        }
        Err(refusal) => {
            // A refusal wrote nothing worth keeping; only the log row stays.
            tx.rollback()?;
            log_attempt(conn, client, credential, AuthOutcome::Rejected, Some(refusal.code()), now)?;
        }
    }
    Ok(outcome)
}

/// Writes one `auth_log` row for a login attempt; `reason` is a stable code.
pub fn log_attempt(
    conn: &Connection,
    client: Client,
    credential: &Credential,
    outcome: AuthOutcome,
    reason: Option<&'static str>,
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

/// Checks a typed password against an account's. A reset password works beside the old one;
/// its first use retires the old one (see `accounts::reset_password`).
pub(super) fn check_password(conn: &Connection, record: AccountRecord, password: &str, now: i64) -> Result<Result<AccountRecord, Refusal>, StoreError> {
    if record.password_hash.as_deref().is_some_and(|h| credentials::verify_password(password, h)) {
        return Ok(Ok(record));
    }
    let user_id = record.account.user_id;
    if accounts::pending_password_hash(conn, user_id)?.is_some_and(|h| credentials::verify_password(password, &h)) {
        accounts::promote_pending_password(conn, user_id, now)?;
        return Ok(Ok(record));
    }
    Ok(Err(Refusal::WrongCredentials))
}

/// Finds the account a credential names, creating it on a voucher's first use.
pub(super) fn resolve_account(conn: &Connection, credential: &Credential, mac: MacAddr, now: i64) -> Result<Result<AccountRecord, Refusal>, StoreError> {
    match credential {
        Credential::Paid { user_id } => Ok(accounts::get_account(conn, *user_id)?.ok_or(Refusal::WrongCredentials)),
        Credential::Password { username, password } => {
            // Unknown user and wrong password look the same to the person typing.
            let Some(record) = accounts::find_account(conn, username.trim())? else { return Ok(Err(Refusal::WrongCredentials)) };
            check_password(conn, record, password, now)
        }
        Credential::Voucher(typed) => {
            let code = credentials::normalise_voucher_code(typed);
            let voucher = catalog::find_voucher(conn, &code)?;
            let redeemed = match &voucher {
                Some(v) if v.status == VoucherStatus::Redeemed => match v.user_id {
                    Some(user_id) => accounts::get_account(conn, user_id)?,
                    None => None,
                },
                _ => None,
            };
            let state = voucher.as_ref().map(|v| match v.status {
                VoucherStatus::Unused => VoucherState::Unused { package_active: v.package_active, valid_until: v.valid_until },
                VoucherStatus::Redeemed => match &redeemed {
                    Some(record) => VoucherState::Redeemed(record.account.clone()),
                    None => VoucherState::Revoked,
                },
                VoucherStatus::Revoked => VoucherState::Revoked,
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

fn login_in(
    conn: &Connection,
    client: Client,
    credential: &Credential,
    now: i64,
    live: &dyn Live,
) -> Result<Result<LoginRecord, Refusal>, StoreError> {
    let mac = client.mac.to_string();
    let ip = client.ip.to_string();
    // Another device whose session holds this address and that is moving traffic on it now:
    // this device took its address (a spoofer, or an address conflict). Replacing that
    // session would let anyone with a voucher cut someone else off; the address is handed
    // over only once its old holder has gone quiet (a lease given to a new device).
    if rows::active_for_device(conn, &mac, &ip)?.iter().any(|s| s.mac != mac && s.ip == ip && live.in_use(s.id)) {
        return Ok(Err(Refusal::AddressInUse));
    }
    let record = match resolve_account(conn, credential, client.mac, now)? {
        Ok(record) => record,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let online: Vec<access::DeviceSession> = rows::active_for_user(conn, record.account.user_id)?
        .iter()
        .filter_map(|s| Some(access::DeviceSession { session_id: s.id, mac: s.mac.parse().ok()? }))
        .collect();
    let decision = match access::decide_login(&record.account, &online, client.mac, now) {
        Ok(decision) => decision,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let mut account = record.account.clone();
    if decision.starts_now {
        accounts::start_clock(conn, account.user_id, now, decision.expires_at)?;
        account.starts_at = Some(now);
        account.expires_at = Some(decision.expires_at);
    }

    // This device or address may hold sessions elsewhere (another account, an old address).
    let mut gone = Vec::new();
    let mut recorded = Traffic::default();
    let mut moved = false;
    for other in rows::active_for_device(conn, &mac, &ip)? {
        if Some(other.id) == decision.existing_session {
            recorded = traffic_of(&other);
            if other.ip != ip {
                moved = true;
                gone.push(other);
            }
            continue;
        }
        if end::end_one(conn, &other, EndMethod::Login, EndReason::Replaced, now, live)? {
            gone.push(other);
        }
    }
    let session_id = match decision.existing_session {
        Some(id) => {
            rows::refresh_session(conn, id, &ip, decision.expires_at)?;
            id
        }
        None => {
            let id = rows::open_session(conn, account.user_id, &mac, &ip, &Enforcer::Local, decision.expires_at, now)?;
            let event = Event::SessionStarted {
                session_id: id,
                account_id: account.user_id,
                username: record.username.clone(),
                mac: mac.clone(),
                ip: ip.clone(),
                enforcer: Enforcer::Local.as_str().to_owned(),
                expires_at: decision.expires_at,
            };
            outbox::record(conn, &event, now)?;
            id
        }
    };
    let cut = cuts(conn, &gone)?;
    let device = Device { ip: client.ip, mac: client.mac };
    let mut grant = grant_for(Target::Local(device), session_id, decision.expires_at, recorded, &record);
    grant.reset_counters = decision.existing_session.is_none() || moved;
    let package = catalog::get_package(conn, record.package_id)?.ok_or(StoreError::UnknownPackage(record.package_id))?;
    Ok(Ok(LoginRecord {
        session_id,
        username: record.username,
        expires_at: decision.expires_at,
        remaining: access::remaining(&account, now),
        package,
        grant,
        cut,
    }))
}

/// Where a stored session is enforced (`None` for a local session whose row holds garbage).
pub(super) fn target_of(session: &SessionRecord) -> Option<Target> {
    match &session.enforcer {
        Enforcer::Local => Some(Target::Local(device_of(session)?)),
        Enforcer::Nas(nas) => Some(Target::Nas(super::enforcement::NasSession {
            nas: nas.clone(),
            acct_session_id: session.acct_session_id.clone(),
            username: session.username.clone(),
            mac: session.mac.parse().ok(),
            ip: session.ip.parse().ok(),
        })),
    }
}

/// The firewall identity of a stored session (`None` if the row holds garbage).
pub fn device_of(session: &SessionRecord) -> Option<Device> {
    Some(Device { ip: session.ip.parse().ok()?, mac: session.mac.parse().ok()? })
}

/// What `session`'s enforcer needs to let it through, as the database holds it.
fn session_grant(session: &SessionRecord, record: &AccountRecord) -> Option<Grant> {
    Some(grant_for(target_of(session)?, session.id, session.expires_at, traffic_of(session), record))
}

/// The speed ceilings an account's devices get.
fn rate_of(record: &AccountRecord) -> Rate {
    let kbps = |v: Option<i64>| v.and_then(|v| u32::try_from(v).ok()).filter(|&v| v > 0);
    Rate { down_kbps: kbps(record.down_kbps), up_kbps: kbps(record.up_kbps) }
}

pub(super) fn grant_for(target: Target, session_id: i64, expires_at: i64, recorded: Traffic, record: &AccountRecord) -> Grant {
    Grant {
        target,
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

/// The enforcement changes for sessions that just ended (or moved to another address),
/// called after every change of the transaction: an account none of whose devices stays in
/// our firewall loses its shared kernel quota, once (a NAS keeps its own count).
pub(super) fn cuts(conn: &Connection, gone: &[SessionRecord]) -> Result<Vec<Cut>, StoreError> {
    let local = |s: &SessionRecord| s.enforcer == Enforcer::Local;
    let mut out = Vec::with_capacity(gone.len());
    for (i, session) in gone.iter().enumerate() {
        let Some(target) = target_of(session) else { continue };
        let account_again_later = gone[i + 1..].iter().any(|s| s.user_id == session.user_id && local(s));
        let last_of_account =
            !account_again_later && !rows::active_for_user(conn, session.user_id)?.iter().any(local);
        let capped = accounts::get_account(conn, session.user_id)?.is_some_and(|r| r.account.data_limit_bytes.is_some());
        out.push(Cut { target, session_id: session.id, account_id: session.user_id, capped, last_of_account });
    }
    Ok(out)
}

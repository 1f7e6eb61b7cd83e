//! The entitlement rules: who may be online, from how many devices, until when.
//!
//! Pure functions over data: no database, no clock, no network. Callers load an `Account`
//! and its active device sessions, pass `now` (Unix seconds), and act on the decision.
//! Everything a phone user can be refused for is a `Refusal` variant here.

use crate::netaddr::MacAddr;

crate::words::word_enum! {
    /// Where an account stands (`hotspot_users.status`).
    pub enum AccountStatus {
        Active = "active",
        Expired = "expired",
        Exhausted = "exhausted",
        Suspended = "suspended",
    }
}

/// An entitlement as stored: what was bought and how much of it is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub user_id: i64,
    pub status: AccountStatus,
    /// Total time bought; the clock starts at the first login.
    pub duration_secs: i64,
    pub starts_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub data_limit_bytes: Option<i64>,
    pub data_used_bytes: i64,
    pub max_devices: u32,
}

/// A device currently online on an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceSession {
    pub session_id: i64,
    pub mac: MacAddr,
}

/// What a voucher code found in the database stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoucherState {
    /// Never redeemed. `package_active`: the package is still sold.
    Unused { package_active: bool, valid_until: Option<i64> },
    /// Redeemed before: it now names that account.
    Redeemed(Account),
    Revoked,
}

/// Why a login is refused. Each has a message for the phone user in `i18n::PortalWords`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    UnknownVoucher,
    VoucherRevoked,
    /// An unused voucher past its sale validity.
    VoucherLapsed,
    PackageWithdrawn,
    WrongCredentials,
    /// The time bought ran out at `at`.
    Expired { at: i64 },
    DataExhausted,
    Suspended,
    DeviceLimit { max_devices: u32 },
    /// Another device online is using this device's address (a spoofed or conflicting
    /// address): the device must get an address of its own.
    AddressInUse,
}

impl Refusal {
    /// A stable code for logs and `auth_log.reason` (never reworded: tools count by it).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::UnknownVoucher => "unknown_voucher",
            Refusal::VoucherRevoked => "voucher_revoked",
            Refusal::VoucherLapsed => "voucher_lapsed",
            Refusal::PackageWithdrawn => "package_withdrawn",
            Refusal::WrongCredentials => "wrong_credentials",
            Refusal::Expired { .. } => "expired",
            Refusal::DataExhausted => "data_exhausted",
            Refusal::Suspended => "suspended",
            Refusal::DeviceLimit { .. } => "device_limit",
            Refusal::AddressInUse => "address_in_use",
        }
    }
}

/// A login the rules allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// This is the account's first login: its clock starts now.
    pub starts_now: bool,
    /// When this device's access ends (the account's expiry).
    pub expires_at: i64,
    /// The device already has a session on this account: refresh it instead of adding one.
    pub existing_session: Option<i64>,
}

/// Time and data left on an account at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remaining {
    pub secs: i64,
    /// `None`: no data cap.
    pub bytes: Option<i64>,
}

/// Decides what a voucher code does: `Ok(None)` means "unused and valid: create the account
/// from its package, then call `decide_login` on it"; `Ok(Some(account))` means "redeemed
/// before: log in to that account".
pub fn decide_voucher(state: Option<VoucherState>, now: i64) -> Result<Option<Account>, Refusal> {
    match state {
        None => Err(Refusal::UnknownVoucher),
        Some(VoucherState::Revoked) => Err(Refusal::VoucherRevoked),
        Some(VoucherState::Unused { package_active: false, .. }) => Err(Refusal::PackageWithdrawn),
        Some(VoucherState::Unused { valid_until: Some(until), .. }) if now >= until => {
            Err(Refusal::VoucherLapsed)
        }
        Some(VoucherState::Unused { .. }) => Ok(None),
        Some(VoucherState::Redeemed(account)) => Ok(Some(account)),
    }
}

/// Decides whether `mac` may go online on `account` now, given the devices already online.
pub fn decide_login(
    account: &Account,
    online: &[DeviceSession],
    mac: MacAddr,
    now: i64,
) -> Result<Grant, Refusal> {
    match account.status {
        AccountStatus::Suspended => return Err(Refusal::Suspended),
        AccountStatus::Exhausted => return Err(Refusal::DataExhausted),
        AccountStatus::Expired => {
            return Err(Refusal::Expired { at: account.expires_at.unwrap_or(now) })
        }
        AccountStatus::Active => {}
    }
    let (starts_now, expires_at) = match account.expires_at {
        Some(at) if now >= at => return Err(Refusal::Expired { at }),
        Some(at) => (false, at),
        None => (true, now + account.duration_secs),
    };
    if let Some(limit) = account.data_limit_bytes {
        if account.data_used_bytes >= limit {
            return Err(Refusal::DataExhausted);
        }
    }
    if let Some(same) = online.iter().find(|s| s.mac == mac) {
        return Ok(Grant { starts_now, expires_at, existing_session: Some(same.session_id) });
    }
    if online.len() >= account.max_devices as usize {
        return Err(Refusal::DeviceLimit { max_devices: account.max_devices });
    }
    Ok(Grant { starts_now, expires_at, existing_session: None })
}

/// What is left of an account at `now`. A never-used account has all its time left.
pub fn remaining(account: &Account, now: i64) -> Remaining {
    let secs = match account.expires_at {
        Some(at) => (at - now).max(0),
        None => account.duration_secs,
    };
    let bytes = account.data_limit_bytes.map(|limit| (limit - account.data_used_bytes).max(0));
    Remaining { secs, bytes }
}

/// The status an account should be stored with at `now` (e.g. `Expired` once its time is up).
pub fn status_at(account: &Account, now: i64) -> AccountStatus {
    if account.status != AccountStatus::Active {
        return account.status;
    }
    match (account.expires_at, account.data_limit_bytes) {
        (Some(at), _) if now >= at => AccountStatus::Expired,
        (_, Some(limit)) if account.data_used_bytes >= limit => AccountStatus::Exhausted,
        _ => AccountStatus::Active,
    }
}

/// What a purchase adds to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purchase {
    pub duration_secs: i64,
    /// `None`: unlimited data.
    pub data_limit_bytes: Option<i64>,
    pub max_devices: u32,
}

/// An account after a new purchase by the same phone number ("stacking"). Time adds to the
/// remaining time and data to the remaining cap; an expired or used-up account starts
/// afresh with what was bought (its clock starts at the next login). Unlimited data wins.
pub fn extend(account: &Account, purchase: Purchase, now: i64) -> Account {
    let spent = status_at(account, now) != AccountStatus::Active || account.status != AccountStatus::Active;
    let max_devices = account.max_devices.max(purchase.max_devices);
    if spent {
        return Account {
            // A suspension is the operator's decision; paying again does not lift it.
            status: if account.status == AccountStatus::Suspended { AccountStatus::Suspended } else { AccountStatus::Active },
            duration_secs: purchase.duration_secs,
            starts_at: None,
            expires_at: None,
            data_limit_bytes: purchase.data_limit_bytes,
            data_used_bytes: 0,
            max_devices,
            ..account.clone()
        };
    }
    Account {
        duration_secs: account.duration_secs + purchase.duration_secs,
        expires_at: account.expires_at.map(|at| at + purchase.duration_secs),
        data_limit_bytes: match (account.data_limit_bytes, purchase.data_limit_bytes) {
            (Some(limit), Some(more)) => Some(limit + more),
            _ => None,
        },
        max_devices,
        ..account.clone()
    }
}

/// An account after the operator granted `seconds` more time and `bytes` more data (a remote
/// `extend`): time adds to what is left (to now, for an account whose time ran out), data to
/// the cap (past what is used, for an account that used it up); unlimited data stays
/// unlimited. A time-only extension never lifts a cap. An expired or used-up account whose
/// extension gives it time and data left is active again; a suspension stays.
pub fn grant_more(account: &Account, seconds: i64, bytes: i64, now: i64) -> Account {
    let mut more = account.clone();
    more.duration_secs += seconds;
    more.expires_at = account.expires_at.map(|at| at.max(now) + seconds);
    if bytes > 0 {
        more.data_limit_bytes = account.data_limit_bytes.map(|limit| limit.max(account.data_used_bytes) + bytes);
    }
    if matches!(account.status, AccountStatus::Expired | AccountStatus::Exhausted) {
        let candidate = Account { status: AccountStatus::Active, ..more.clone() };
        if status_at(&candidate, now) == AccountStatus::Active {
            more.status = AccountStatus::Active;
        }
    }
    more
}

#[cfg(test)]
mod tests;

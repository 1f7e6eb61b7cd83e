//! Who lets a session through, and how `Sessions` tells them. A session is enforced either
//! by the router's own nft table (a device that logged in on the portal) or by a NAS that
//! authenticated it by RADIUS (a MikroTik, CoovaChilli or uspot box: the stored enforcer is
//! the NAS's name). Expiry, data caps, kicks and top-ups all go through `Sessions`, which
//! hands each change to the session's enforcer: the firewall for local sessions, the NAS's
//! dynamic authorisation (RFC 5176 Disconnect / CoA, `NasControl`) for the others.
//!
//! Pure data and one trait: what the database decided (`Grant`, `Cut`), split by enforcer.

use std::net::Ipv4Addr;

use crate::firewall::{Authorised, Device, Quota, Rate, Revoked, Traffic};
use crate::netaddr::MacAddr;
use crate::store::sessions::Enforcer;

/// A NAS session as its NAS knows it (the attributes a Disconnect or CoA request names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NasSession {
    /// The NAS's configured name.
    pub nas: String,
    /// RADIUS Acct-Session-Id.
    pub acct_session_id: String,
    /// RADIUS User-Name.
    pub username: String,
    /// Calling-Station-Id, when the NAS reported it.
    pub mac: Option<MacAddr>,
    /// Framed-IP-Address, when the NAS reported it.
    pub ip: Option<Ipv4Addr>,
}

/// Where a session's access is enforced, with what that enforcer needs to find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Our nft table, by the device's address and MAC.
    Local(Device),
    Nas(NasSession),
}

impl Target {
    pub fn enforcer(&self) -> Enforcer {
        match self {
            Target::Local(_) => Enforcer::Local,
            Target::Nas(s) => Enforcer::Nas(s.nas.clone()),
        }
    }
}

/// The limits a running NAS session is given (RADIUS CoA: Session-Timeout, data left,
/// speeds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NasLimits {
    pub session_timeout_secs: u64,
    /// `None`: no data cap.
    pub data_left_bytes: Option<u64>,
    pub rate: Rate,
}

#[derive(Debug, thiserror::Error)]
pub enum NasError {
    #[error("NAS `{0}` is unknown here (is its `config nas` section gone?)")]
    UnknownNas(String),
    #[error("NAS `{nas}` did not answer")]
    NoAnswer {
        nas: String,
        #[source]
        source: std::io::Error,
    },
    #[error("NAS `{nas}` refused the request (Error-Cause {cause})")]
    Refused { nas: String, cause: u32 },
    /// Its `das_port` is 0: nothing can be sent to it; it ends sessions at their
    /// Session-Timeout only.
    #[error("NAS `{nas}` takes no Disconnect/CoA requests (set `option das_port '3799'` in its `config nas` section and allow RADIUS incoming on the NAS, e.g. MikroTik `/radius incoming set accept=yes`)")]
    NoDynamicAuthorization { nas: String },
}

/// Dynamic authorisation of NAS sessions (RFC 5176). Calls block (a UDP exchange with
/// retransmissions): `Sessions` runs them off the runtime thread.
pub trait NasControl: Send + Sync {
    /// Ends the session on its NAS (Disconnect-Request).
    fn disconnect(&self, session: &NasSession) -> Result<(), NasError>;

    /// Gives a running session new limits (CoA-Request), e.g. after a top-up.
    fn change(&self, session: &NasSession, limits: &NasLimits) -> Result<(), NasError>;
}

/// A session that is allowed through now, with its limits as the database holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub target: Target,
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

/// A session whose access has just ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    pub target: Target,
    pub session_id: i64,
    pub account_id: i64,
    /// The account has a data cap (a local device is in the quota map).
    pub capped: bool,
    /// No other device of the account stays online (its shared quota goes too).
    pub last_of_account: bool,
}

impl Cut {
    /// The firewall change, for a local session.
    pub fn revoked(&self) -> Option<Revoked> {
        match &self.target {
            Target::Local(device) => Some(Revoked {
                device: *device,
                session_id: self.session_id,
                account_id: self.account_id,
                capped: self.capped,
                last_of_account: self.last_of_account,
            }),
            Target::Nas(_) => None,
        }
    }
}

/// What the kernel is told for a local grant: `counted` is where its counters resume,
/// `unsaved_of_account` what the account's sessions counted since the last checkpoint.
pub fn authorised(grant: &Grant, device: Device, now: i64, counted: Traffic, unsaved_of_account: u64) -> Authorised {
    Authorised {
        device,
        timeout_secs: (grant.expires_at - now).max(1) as u64,
        session_id: grant.session_id,
        counted,
        reset_counters: grant.reset_counters,
        quota: grant.cap_bytes.map(|limit_bytes| Quota {
            account_id: grant.account_id,
            limit_bytes,
            used_bytes: grant.account_used.saturating_add(unsaved_of_account),
        }),
        rate: grant.rate,
    }
}

/// What a NAS is told for a grant.
pub fn nas_limits(grant: &Grant, now: i64) -> NasLimits {
    NasLimits {
        session_timeout_secs: (grant.expires_at - now).max(1) as u64,
        data_left_bytes: grant.cap_bytes.map(|cap| cap.saturating_sub(grant.account_used)),
        rate: grant.rate,
    }
}

/// Grants and cuts split by enforcer: local ones for the firewall, the rest per NAS.
#[derive(Debug, Default)]
pub struct Split<T> {
    pub local: Vec<(Device, T)>,
    pub nas: Vec<(NasSession, T)>,
}

/// Splits `items` by their target.
pub fn split<T>(items: Vec<T>, target: impl Fn(&T) -> &Target) -> Split<T> {
    let mut out = Split { local: Vec::new(), nas: Vec::new() };
    for item in items {
        match target(&item).clone() {
            Target::Local(device) => out.local.push((device, item)),
            Target::Nas(session) => out.nas.push((session, item)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(n: u8) -> Device {
        Device { ip: Ipv4Addr::new(10, 0, 0, n), mac: MacAddr([2, 0, 0, 0, 0, n]) }
    }

    fn nas_session() -> NasSession {
        NasSession { nas: "till-1".into(), acct_session_id: "0000000A".into(), username: "u".into(), mac: None, ip: None }
    }

    fn grant(target: Target) -> Grant {
        Grant {
            target,
            session_id: 10,
            account_id: 3,
            expires_at: 1_000,
            recorded: Traffic::default(),
            reset_counters: false,
            cap_bytes: Some(5_000),
            account_used: 1_200,
            rate: Rate { down_kbps: Some(2048), up_kbps: None },
        }
    }

    #[test]
    fn changes_go_to_their_own_enforcer() {
        let grants = vec![grant(Target::Local(device(1))), grant(Target::Nas(nas_session())), grant(Target::Local(device(2)))];
        let split = split(grants, |g| &g.target);
        assert_eq!(split.local.iter().map(|(d, _)| d.ip.octets()[3]).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(split.nas.len(), 1);
        assert_eq!(split.nas[0].0.nas, "till-1");
    }

    #[test]
    fn a_nas_is_told_the_time_and_data_left() {
        let limits = nas_limits(&grant(Target::Nas(nas_session())), 400);
        assert_eq!(limits, NasLimits { session_timeout_secs: 600, data_left_bytes: Some(3_800), rate: Rate { down_kbps: Some(2048), up_kbps: None } });
        let local = authorised(&grant(Target::Local(device(1))), device(1), 999, Traffic { up: 1, down: 2 }, 300);
        assert_eq!((local.timeout_secs, local.quota.unwrap().used_bytes), (1, 1_500));
        let cut = Cut { target: Target::Nas(nas_session()), session_id: 1, account_id: 2, capped: true, last_of_account: true };
        assert_eq!(cut.revoked(), None, "a NAS session has no firewall entry");
        assert_eq!(cut.target.enforcer(), Enforcer::Nas("till-1".into()));
    }
}

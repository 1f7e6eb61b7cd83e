//! Devices behind a NAS (a MikroTik hotspot, a CoovaChilli or uspot box) that authenticates
//! them by RADIUS against us: their logins and the accounting their NAS reports. The RADIUS
//! server (`radius::server`) turns packets into these types; the rules are the portal's
//! (`access`, through `records::nas`), so a voucher, an account or a paid phone number works
//! the same on the portal and behind any NAS, and the device limit counts both.

use std::net::Ipv4Addr;
use std::sync::atomic::Ordering;

use super::enforcement::{nas_limits, NasLimits};
use super::records::{self, nas::AccountingOutcome};
use super::{describe, SessionError, Sessions};
use crate::access::Refusal;
use crate::netaddr::MacAddr;
use crate::store::sessions::EndReason;

/// How the person proved who they are.
#[derive(Debug, Clone)]
pub enum PasswordCheck {
    /// The password itself (RADIUS User-Password, already unhidden).
    Pap(Vec<u8>),
    /// CHAP-Password (ident ‖ 16-byte response) and the challenge it answers (CHAP-Challenge,
    /// or the Request Authenticator).
    Chap { chap_password: Vec<u8>, challenge: Vec<u8> },
}

/// An Access-Request from a NAS.
#[derive(Debug, Clone)]
pub struct NasLogin {
    /// The NAS's configured name.
    pub nas: String,
    /// User-Name: an account, a voucher code, or the device's MAC (MAC authentication).
    pub username: String,
    pub password: PasswordCheck,
    /// Calling-Station-Id.
    pub mac: Option<MacAddr>,
    /// Framed-IP-Address.
    pub ip: Option<Ipv4Addr>,
}

/// An accepted NAS login: what goes into the Access-Accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NasGrant {
    pub session_id: i64,
    pub username: String,
    /// RADIUS Class: the NAS echoes it in accounting, binding it to this session.
    pub class: Vec<u8>,
    pub limits: NasLimits,
}

/// Acct-Status-Type values we act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcctStatus {
    Start,
    Stop,
    Interim,
    /// Accounting-On: the NAS (re)started; it holds no sessions.
    On,
    /// Accounting-Off: the NAS is stopping; it holds no sessions.
    Off,
}

/// One Accounting-Request.
#[derive(Debug, Clone)]
pub struct NasAccounting {
    pub nas: String,
    pub status: AcctStatus,
    /// The NAS's Acct-Session-Id.
    pub acct_session_id: String,
    pub username: String,
    pub class: Option<Vec<u8>>,
    pub mac: Option<MacAddr>,
    pub ip: Option<Ipv4Addr>,
    /// Acct-Input-Octets with its gigawords: what the client sent (upload).
    pub input_bytes: u64,
    /// Acct-Output-Octets with its gigawords: what the client received.
    pub output_bytes: u64,
    pub session_time: Option<u32>,
    pub terminate_cause: Option<u32>,
    /// The Request Authenticator (an MD5 of the packet's content): a replayed
    /// Accounting-On/-Off is recognised by it.
    pub authenticator: [u8; 16],
}

/// The Class we put in an Access-Accept for a session.
pub fn class_of(session_id: i64) -> Vec<u8> {
    format!("hotspotd:{session_id}").into_bytes()
}

/// The session a Class names (`None`: not one of ours).
pub fn session_of_class(class: &[u8]) -> Option<i64> {
    std::str::from_utf8(class).ok()?.strip_prefix("hotspotd:")?.parse().ok()
}

/// Why the NAS ended a session, from RFC 2866 Acct-Terminate-Cause.
pub fn end_reason(terminate_cause: Option<u32>) -> EndReason {
    match terminate_cause {
        Some(1) => EndReason::Logout,        // User-Request
        Some(4) => EndReason::Idle,          // Idle-Timeout
        Some(5) => EndReason::Expired,       // Session-Timeout
        Some(6) => EndReason::Admin,         // Admin-Reset
        Some(7 | 11) => EndReason::NasReboot, // Admin-Reboot, NAS-Reboot
        _ => EndReason::NasEnded,
    }
}

impl Sessions {
    /// Decides an Access-Request by the portal's rules and records the NAS session it opens
    /// (or refreshes). `Ok(Err(refusal))`: refused, with its `auth_log` row. A PAP username
    /// the router does not know is first asked of the central RADIUS server, if there is one.
    pub async fn nas_login(&self, login: NasLogin) -> Result<Result<NasGrant, Refusal>, SessionError> {
        self.central_fallback_nas(&login).await;
        let decided = self.decide_nas_logins(vec![login], false).await?;
        Ok(decided.into_iter().next().and_then(Result::ok).unwrap_or(Err(Refusal::WrongCredentials)))
    }

    /// Decides many Access-Requests in one transaction (see `records::nas::login_batch`).
    /// `Err(login)`: a PAP login unknown here while a central RADIUS server is configured,
    /// handed back to be decided alone with `nas_login` (which asks the central), so a slow
    /// central holds up only it.
    pub async fn nas_login_batch(&self, logins: Vec<NasLogin>) -> Result<Vec<Result<Result<NasGrant, Refusal>, NasLogin>>, SessionError> {
        let defer_unknown = self.central.is_some();
        self.decide_nas_logins(logins, defer_unknown).await
    }

    async fn decide_nas_logins(&self, logins: Vec<NasLogin>, defer_unknown: bool) -> Result<Vec<Result<Result<NasGrant, Refusal>, NasLogin>>, SessionError> {
        let clock = self.clock.clone();
        let live = self.live();
        let (logins, decided) = self
            .store
            .call(move |conn| {
                let decided = records::nas::login_batch(conn, &logins, clock.now(), &live, defer_unknown)?;
                Ok((logins, decided))
            })
            .await?;
        let now = self.now();
        // Sessions these devices held elsewhere (another account, the portal) end now.
        let cut: Vec<_> = decided.iter().flatten().flatten().flat_map(|r| r.cut.iter().cloned()).collect();
        if !cut.is_empty() {
            self.apply(Vec::new(), cut, true).await?;
        }
        Ok(logins
            .into_iter()
            .zip(decided)
            .map(|(login, decided)| {
                let decided = decided.ok_or(login)?;
                Ok(decided.map(|record| {
                    log::debug!("NAS login: {} as {} until {} (session {})", describe(&record.grant.target), record.username, record.grant.expires_at, record.session_id);
                    NasGrant {
                        session_id: record.session_id,
                        username: record.username,
                        class: class_of(record.session_id),
                        limits: nas_limits(&record.grant, now),
                    }
                }))
            })
            .collect())
    }

    /// Records a batch of Accounting-Requests durably, in one transaction (many packets per
    /// commit keep up with thousands a second). Accounts whose data ran out end at once, on
    /// every device. `Ok`: every packet of the batch may be answered.
    pub async fn nas_accounting(&self, batch: Vec<NasAccounting>) -> Result<(), SessionError> {
        if batch.is_empty() {
            return Ok(());
        }
        let clock = self.clock.clone();
        let live = self.live();
        let outcome: AccountingOutcome = self.store.call(move |conn| records::nas::accounting(conn, &batch, clock.now(), &live)).await?;
        if outcome.usage_changed {
            self.nas_usage_reported.store(true, Ordering::Relaxed);
        }
        if !outcome.cut.is_empty() {
            self.apply(Vec::new(), outcome.cut, true).await?;
        }
        self.wake_jobs(outcome.disconnects_queued);
        for account_id in outcome.exhausted {
            self.end_exhausted(account_id).await?;
        }
        Ok(())
    }
}

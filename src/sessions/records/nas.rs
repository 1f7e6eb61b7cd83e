//! The database side of NAS devices: an Access-Request decided by the portal's rules and the
//! NAS session it opens, and Accounting-Requests recorded in batches. One transaction per
//! login, one per accounting batch; every change reported to the outbox like the portal's.
//!
//! Who a NAS login may be, in order: a voucher code (User-Name; the password the code or
//! empty, as MikroTik voucher set-ups send), an account (its password by PAP, or by CHAP
//! from the sealed copy), or a device already entitled (MAC authentication: User-Name is the
//! Calling-Station-Id MAC). Accounting is idempotent: counters are cumulative and only ever
//! raised, a session is bound to its NAS id once, a Stop ends it once, and an
//! Accounting-On/-Off replayed later closes nothing.

use rusqlite::{params, Connection, OptionalExtension};

use super::{check_password, cuts, end, grant_for, resolve_account, Credential, Cut, Grant, Live};
use crate::access::{self, Refusal};
use crate::credentials::{self, sealed};
use crate::firewall::Traffic;
use crate::ledger::Ended;
use crate::netaddr::MacAddr;
use crate::radius::crypto::chap_valid;
use crate::sessions::enforcement::{NasSession, Target};
use crate::sessions::nas::{end_reason, session_of_class, AcctStatus, NasAccounting, NasLogin, PasswordCheck};
use crate::store::accounts::{self, AccountRecord};
use crate::store::catalog;
use crate::store::outbox::{self, Event};
use crate::store::sessions::{self as rows, AuthAttempt, AuthOutcome, EndMethod, EndReason, Enforcer, SessionRecord, SessionStatus};
use crate::store::{usage, StoreError};

/// A recorded NAS login.
#[derive(Debug, Clone)]
pub struct NasLoginRecord {
    pub session_id: i64,
    pub username: String,
    pub grant: Grant,
    /// Sessions this device held elsewhere, now ended.
    pub cut: Vec<Cut>,
    /// The NAS asked again for a device already online through it on this account (a
    /// reconnect): nothing changed, and no `auth_log` row is added for it.
    pub again: bool,
}

/// The MAC a NAS session is stored under when the NAS sent no Calling-Station-Id.
const NO_MAC: MacAddr = MacAddr([0; 6]);

/// Decides a NAS login and records its session. `Ok(Err(refusal))`: refused (an `auth_log`
/// row is written), nothing else changed.
pub fn login(conn: &mut Connection, login: &NasLogin, now: i64, live: &dyn Live) -> Result<Result<NasLoginRecord, Refusal>, StoreError> {
    let mut decided = login_batch(conn, std::slice::from_ref(login), now, live, false)?;
    Ok(decided.pop().flatten().unwrap_or(Err(Refusal::WrongCredentials)))
}

/// Decides many NAS logins in one transaction, each in a savepoint of its own (a refused one
/// leaves only its `auth_log` row): one commit for many Access-Requests keeps up with a busy
/// NAS. A NAS asking again for a device already online through it changes nothing and
/// writes nothing. `defer_unknown`: a PAP login whose username and password are not ours is neither
/// refused nor logged but left `None`, to be asked of the central RADIUS server.
pub fn login_batch(
    conn: &mut Connection,
    logins: &[NasLogin],
    now: i64,
    live: &dyn Live,
    defer_unknown: bool,
) -> Result<Vec<Option<Result<NasLoginRecord, Refusal>>>, StoreError> {
    let tx = conn.transaction()?;
    let mut decided = Vec::with_capacity(logins.len());
    // Savepoints by cached statements: thousands a second, each parsed once.
    let savepoint = |sql: &str| -> Result<(), StoreError> { Ok(tx.prepare_cached(sql)?.execute([]).map(drop)?) };
    for login in logins {
        savepoint("SAVEPOINT nas_login")?;
        let outcome = match login_in(&tx, login, now, live) {
            Ok(outcome) => outcome,
            Err(e) => {
                savepoint("ROLLBACK TO nas_login")?;
                return Err(e);
            }
        };
        match outcome {
            Ok(record) => {
                if !record.again {
                    log_attempt(&tx, login, AuthOutcome::Accepted, None, now)?;
                }
                savepoint("RELEASE nas_login")?;
                decided.push(Some(Ok(record)));
            }
            Err(refusal) => {
                // A refusal writes nothing but its log row (and an unknown name waiting for
                // the central server, not even that).
                savepoint("ROLLBACK TO nas_login")?;
                savepoint("RELEASE nas_login")?;
                if refusal == Refusal::WrongCredentials && defer_unknown && matches!(login.password, PasswordCheck::Pap(_)) {
                    decided.push(None);
                    continue;
                }
                log_attempt(&tx, login, AuthOutcome::Rejected, Some(refusal.code()), now)?;
                decided.push(Some(Err(refusal)));
            }
        }
    }
    tx.commit()?;
    Ok(decided)
}

fn log_attempt(conn: &Connection, login: &NasLogin, outcome: AuthOutcome, reason: Option<&'static str>, now: i64) -> Result<(), StoreError> {
    let mac = login.mac.map(|m| m.to_string());
    let ip = login.ip.map(|ip| ip.to_string()).unwrap_or_default();
    let method = match login.password {
        PasswordCheck::Pap(_) => "radius_pap",
        PasswordCheck::Chap { .. } => "radius_chap",
    };
    rows::log_attempt(conn, &AuthAttempt { mac: mac.as_deref(), ip: &ip, method, identity: &login.username, outcome, reason }, now)
}

/// Whether `password` is what the person proved, by PAP or CHAP.
fn proves(check: &PasswordCheck, password: &str) -> bool {
    match check {
        PasswordCheck::Pap(typed) => typed.as_slice() == password.as_bytes(),
        PasswordCheck::Chap { chap_password, challenge } => chap_valid(chap_password, challenge, password.as_bytes()),
    }
}

/// The account a NAS login names, if its proof holds.
fn resolve(conn: &Connection, login: &NasLogin, now: i64) -> Result<Result<AccountRecord, Refusal>, StoreError> {
    let mac = login.mac.unwrap_or(NO_MAC);
    // A voucher: the password is the code itself, or empty.
    let code = credentials::normalise_voucher_code(&login.username);
    if credentials::could_be_voucher_code(&code) && catalog::find_voucher(conn, &code)?.is_some() {
        let typed_code = |p: &str| p.is_empty() || credentials::normalise_voucher_code(p) == code;
        let ok = match &login.password {
            PasswordCheck::Pap(typed) => std::str::from_utf8(typed).is_ok_and(typed_code),
            check => proves(check, &code) || proves(check, "") || proves(check, &code.to_ascii_lowercase()),
        };
        if !ok {
            return Ok(Err(Refusal::WrongCredentials));
        }
        return resolve_account(conn, &Credential::Voucher(code), mac, now);
    }
    let username = login.username.trim();
    if let Some(record) = accounts::find_account(conn, username)?.filter(|r| r.password_hash.is_some()) {
        return match &login.password {
            PasswordCheck::Pap(typed) => match std::str::from_utf8(typed) {
                Ok(password) => check_password(conn, record, password, now),
                Err(_) => Ok(Err(Refusal::WrongCredentials)),
            },
            check => chap_account(conn, record, check, now),
        };
    }
    // MAC authentication: the NAS asks about the device itself.
    match (MacAddr::from_calling_station(username), login.mac) {
        (Some(named), Some(calling)) if named == calling => entitled_account(conn, named, now),
        _ => Ok(Err(Refusal::WrongCredentials)),
    }
}

/// CHAP against the account's sealed password (or its reset password, which it then becomes).
fn chap_account(conn: &Connection, record: AccountRecord, check: &PasswordCheck, now: i64) -> Result<Result<AccountRecord, Refusal>, StoreError> {
    let Some(key) = sealed::key() else {
        log::warn!("CHAP login for {} refused: no password key is loaded (see `option password_key_file`)", record.username);
        return Ok(Err(Refusal::WrongCredentials));
    };
    let user_id = record.account.user_id;
    let (current, pending) = accounts::sealed_passwords(conn, user_id)?;
    if current.and_then(|s| key.open(&s)).is_some_and(|p| proves(check, &p)) {
        return Ok(Ok(record));
    }
    if pending.and_then(|s| key.open(&s)).is_some_and(|p| proves(check, &p)) {
        accounts::promote_pending_password(conn, user_id, now)?;
        return Ok(Ok(record));
    }
    Ok(Err(Refusal::WrongCredentials))
}

/// The account a device is entitled to use now: the one it is online with, else the last it
/// was online with if that is still active.
fn entitled_account(conn: &Connection, mac: MacAddr, now: i64) -> Result<Result<AccountRecord, Refusal>, StoreError> {
    let user_id: Option<i64> = conn
        .prepare_cached("SELECT user_id FROM sessions WHERE mac = ?1 ORDER BY status = 'active' DESC, id DESC LIMIT 1")?
        .query_row([mac.to_string()], |r| r.get(0))
        .optional()?;
    let Some(record) = user_id.map(|id| accounts::get_account(conn, id)).transpose()?.flatten() else {
        return Ok(Err(Refusal::WrongCredentials));
    };
    match access::status_at(&record.account, now) {
        access::AccountStatus::Active => Ok(Ok(record)),
        // Say why, as the portal would.
        _ => Ok(access::decide_login(&record.account, &[], mac, now).map(|_| record)),
    }
}

fn login_in(conn: &Connection, login: &NasLogin, now: i64, live: &dyn Live) -> Result<Result<NasLoginRecord, Refusal>, StoreError> {
    let record = match resolve(conn, login, now)? {
        Ok(record) => record,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let mac = login.mac.unwrap_or(NO_MAC);
    let mac_text = mac.to_string();
    let ip = login.ip.map(|ip| ip.to_string()).unwrap_or_default();
    let enforcer = Enforcer::Nas(login.nas.clone());
    // The device limit counts the account's portal devices and NAS sessions together.
    let online: Vec<access::DeviceSession> = rows::active_for_user(conn, record.account.user_id)?
        .iter()
        .filter_map(|s| Some(access::DeviceSession { session_id: s.id, mac: s.mac.parse().ok()? }))
        .collect();
    let decision = match access::decide_login(&record.account, &online, mac, now) {
        Ok(decision) => decision,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if decision.starts_now {
        accounts::start_clock(conn, record.account.user_id, now, decision.expires_at)?;
    }
    // The same device on this NAS and account keeps its session (a NAS re-asking, a
    // reconnect); anywhere else (the portal, another NAS, another account) it ends.
    let mut kept = None;
    let mut gone = Vec::new();
    for other in rows::active_for_mac(conn, &mac_text)? {
        // (A NAS that sends no Calling-Station-Id cannot tell its devices apart: each of its
        // logins to an account is that account's one device there.)
        if Some(other.id) == decision.existing_session && other.enforcer == enforcer {
            kept = Some(other);
            continue;
        }
        if mac != NO_MAC && end::end_one(conn, &other, EndMethod::Login, EndReason::Replaced, now, live)? {
            gone.push(other);
        }
    }
    let again = kept.is_some() && gone.is_empty();
    let (session_id, recorded) = match kept {
        Some(session) => {
            let ip = if ip.is_empty() { session.ip.clone() } else { ip.clone() };
            if ip != session.ip || decision.expires_at != session.expires_at {
                rows::refresh_session(conn, session.id, &ip, decision.expires_at)?;
            }
            (session.id, Traffic { up: session.bytes_in.max(0) as u64, down: session.bytes_out.max(0) as u64 })
        }
        None => {
            let id = rows::open_session(conn, record.account.user_id, &mac_text, &ip, &enforcer, decision.expires_at, now)?;
            outbox::record(conn, &Event::SessionStarted {
                session_id: id,
                account_id: record.account.user_id,
                username: record.username.clone(),
                mac: mac_text.clone(),
                ip: ip.clone(),
                enforcer: login.nas.clone(),
                expires_at: decision.expires_at,
            }, now)?;
            (id, Traffic::default())
        }
    };
    let cut = cuts(conn, &gone)?;
    let target = Target::Nas(NasSession {
        nas: login.nas.clone(),
        acct_session_id: String::new(), // the NAS names it in its Accounting Start
        username: record.username.clone(),
        mac: login.mac,
        ip: login.ip,
    });
    // What is left for this session: the account's recorded use (ended sessions and the
    // checkpointed totals of running ones) is in `record`.
    let grant = grant_for(target, session_id, decision.expires_at, recorded, &record);
    Ok(Ok(NasLoginRecord { session_id, username: record.username, grant, cut, again }))
}

/// What a batch of accounting changed beyond the database.
#[derive(Debug, Default)]
pub struct AccountingOutcome {
    /// Sessions ended here whose enforcer must hear of it (a device that moved).
    pub cut: Vec<Cut>,
    /// Accounts that reached their data cap: all their sessions must end.
    pub exhausted: Vec<i64>,
    /// Running sessions' totals changed (the next usage report to the outbox includes them).
    pub usage_changed: bool,
    /// Disconnect jobs were queued (a NAS restart ends nothing remotely, but a `Selection`
    /// may): wake the job worker.
    pub disconnects_queued: bool,
    /// Packets about sessions we could not place (no such account): answered, not recorded.
    pub unplaced: u32,
}

/// Records a batch of Accounting-Requests in one transaction.
pub fn accounting(conn: &mut Connection, batch: &[NasAccounting], now: i64, live: &dyn Live) -> Result<AccountingOutcome, StoreError> {
    let tx = conn.transaction()?;
    let mut outcome = AccountingOutcome::default();
    for packet in batch {
        match packet.status {
            AcctStatus::On | AcctStatus::Off => nas_restarted(&tx, packet, now, live)?,
            AcctStatus::Start | AcctStatus::Interim | AcctStatus::Stop => session_report(&tx, packet, now, live, &mut outcome)?,
        }
    }
    // Prune the replay memory now and then (a day is far longer than any retransmission).
    if batch.iter().any(|p| matches!(p.status, AcctStatus::On | AcctStatus::Off)) {
        tx.execute("DELETE FROM radius_nas_events WHERE at < ?1", [now - 86_400])?;
    }
    outcome.exhausted.sort_unstable();
    outcome.exhausted.dedup();
    tx.commit()?;
    Ok(outcome)
}

/// Accounting-On / -Off: the NAS holds no sessions any more; end every one it had, once.
fn nas_restarted(conn: &Connection, packet: &NasAccounting, now: i64, live: &dyn Live) -> Result<(), StoreError> {
    let fresh = conn
        .prepare_cached("INSERT OR IGNORE INTO radius_nas_events (nas, authenticator, at) VALUES (?1, ?2, ?3)")?
        .execute(params![packet.nas, &packet.authenticator[..], now])?;
    if fresh == 0 {
        return Ok(()); // this very packet was recorded before: a replay
    }
    let enforcer = Enforcer::Nas(packet.nas.clone());
    let ended: Vec<SessionRecord> = rows::active(conn)?.into_iter().filter(|s| s.enforcer == enforcer).collect();
    for session in &ended {
        end::end_one(conn, session, EndMethod::Nas, EndReason::NasReboot, now, live)?;
    }
    if !ended.is_empty() {
        log::info!("NAS {} restarted: its {} sessions ended", packet.nas, ended.len());
    }
    Ok(())
}

/// The reported totals as the session's live count, for `end::end_one`.
struct Reported(i64, Traffic);

impl Live for Reported {
    fn totals(&self, session_id: i64) -> Option<Traffic> {
        (session_id == self.0).then_some(self.1)
    }

    fn in_use(&self, _: i64) -> bool {
        false
    }
}

/// A session's row as accounting needs it.
struct Placed {
    id: i64,
    user_id: i64,
    status: SessionStatus,
}

/// Start, Interim-Update or Stop of one session.
fn session_report(conn: &Connection, packet: &NasAccounting, now: i64, live: &dyn Live, outcome: &mut AccountingOutcome) -> Result<(), StoreError> {
    let Some(placed) = place(conn, packet, now, live, outcome)? else {
        outcome.unplaced += 1;
        return Ok(());
    };
    let total = Traffic { up: packet.input_bytes, down: packet.output_bytes };
    match (placed.status, packet.status) {
        (SessionStatus::Active, AcctStatus::Stop) => {
            let Some(session) = rows::active_by_id(conn, placed.id)?.into_iter().next() else { return Ok(()) };
            end::end_one(conn, &session, EndMethod::Nas, end_reason(packet.terminate_cause), now, &Reported(placed.id, total))?;
        }
        (SessionStatus::Active, _) => {
            if usage::report_nas(conn, placed.id, placed.user_id, total, now)? {
                outcome.usage_changed = true;
            }
        }
        // A report after we ended it (a kick the NAS has not acted on yet, or a late Stop):
        // the final totals only ever grow.
        (SessionStatus::Ended, _) => {
            usage::record_ended(conn, &[Ended { session_id: placed.id, total }], now)?;
        }
    }
    if over_cap(conn, placed.user_id)? {
        outcome.exhausted.push(placed.user_id);
    }
    Ok(())
}

/// Finds the session a report is about: by the NAS's id; else the session our Access-Accept
/// opened (by its Class, or by device and user on this NAS), which the id is then bound to;
/// else, for an account we know, a session opened from the report itself (a NAS that
/// authenticated it elsewhere, or before our database was restored).
fn place(conn: &Connection, packet: &NasAccounting, now: i64, live: &dyn Live, outcome: &mut AccountingOutcome) -> Result<Option<Placed>, StoreError> {
    let by_id = conn
        .prepare_cached("SELECT id, user_id, status FROM sessions WHERE nas = ?1 AND nas_session_id = ?2")?
        .query_row(params![packet.nas, packet.acct_session_id], |r| Ok(Placed { id: r.get(0)?, user_id: r.get(1)?, status: r.get(2)? }))
        .optional()?;
    match by_id {
        // A Start under the id of a session that has ended: the NAS restarted and counts its
        // ids from the beginning again (MikroTik does). The id now names the new session.
        Some(old) if old.status == SessionStatus::Ended && packet.status == AcctStatus::Start => {
            conn.prepare_cached("UPDATE sessions SET nas_session_id = NULL WHERE id = ?1")?.execute([old.id])?;
        }
        Some(found) => return Ok(Some(found)),
        None => {}
    }
    let unbound = |id: i64| -> Result<Option<Placed>, StoreError> {
        Ok(conn
            .prepare_cached("SELECT id, user_id, status FROM sessions WHERE id = ?1 AND nas = ?2 AND nas_session_id IS NULL")?
            .query_row(params![id, packet.nas], |r| Ok(Placed { id: r.get(0)?, user_id: r.get(1)?, status: r.get(2)? }))
            .optional()?)
    };
    let mut found = match packet.class.as_deref().and_then(session_of_class) {
        Some(id) => unbound(id)?,
        None => None,
    };
    if found.is_none() {
        let mac = packet.mac.unwrap_or(NO_MAC).to_string();
        let id: Option<i64> = conn
            .prepare_cached(
                "SELECT s.id FROM sessions s JOIN hotspot_users u ON u.id = s.user_id
                 WHERE s.nas = ?1 AND s.mac = ?2 AND u.username = ?3 AND s.status = 'active' AND s.nas_session_id IS NULL
                 ORDER BY s.id DESC LIMIT 1",
            )?
            .query_row(params![packet.nas, mac, packet.username.trim()], |r| r.get(0))
            .optional()?;
        found = match id {
            Some(id) => unbound(id)?,
            None => None,
        };
    }
    if found.is_none() {
        found = open_from_report(conn, packet, now, live, outcome)?;
    }
    if let Some(placed) = &found {
        let ip = packet.ip.map(|ip| ip.to_string());
        conn.prepare_cached("UPDATE sessions SET nas_session_id = ?2, ip = coalesce(?3, ip) WHERE id = ?1")?
            .execute(params![placed.id, packet.acct_session_id, ip])?;
    }
    Ok(found)
}

/// A session the NAS reports but we never opened, for an account we know.
fn open_from_report(conn: &Connection, packet: &NasAccounting, now: i64, live: &dyn Live, outcome: &mut AccountingOutcome) -> Result<Option<Placed>, StoreError> {
    let username = packet.username.trim();
    let record = match accounts::find_account(conn, username)? {
        Some(record) => Some(record),
        None => {
            let code = credentials::normalise_voucher_code(username);
            match catalog::find_voucher(conn, &code)?.and_then(|v| v.user_id) {
                Some(user_id) => accounts::get_account(conn, user_id)?,
                None => None,
            }
        }
    };
    let Some(record) = record else { return Ok(None) };
    let user_id = record.account.user_id;
    let expires_at = match record.account.expires_at {
        Some(at) => at,
        None => {
            let at = now + record.account.duration_secs;
            accounts::start_clock(conn, user_id, now, at)?;
            at
        }
    };
    let mac = packet.mac.unwrap_or(NO_MAC);
    // The device is here now: a session it held elsewhere is over.
    let mut gone = Vec::new();
    if mac != NO_MAC {
        for other in rows::active_for_mac(conn, &mac.to_string())? {
            if end::end_one(conn, &other, EndMethod::Login, EndReason::Replaced, now, live)? {
                gone.push(other);
            }
        }
    }
    outcome.cut.extend(cuts(conn, &gone)?);
    let ip = packet.ip.map(|ip| ip.to_string()).unwrap_or_default();
    let id = rows::open_session(conn, user_id, &mac.to_string(), &ip, &Enforcer::Nas(packet.nas.clone()), expires_at, now)?;
    outbox::record(conn, &Event::SessionStarted {
        session_id: id,
        account_id: user_id,
        username: record.username.clone(),
        mac: mac.to_string(),
        ip,
        enforcer: packet.nas.clone(),
        expires_at,
    }, now)?;
    log::info!("NAS {} reported session {} of {} that it did not ask us about: recorded", packet.nas, packet.acct_session_id, record.username);
    Ok(Some(Placed { id, user_id, status: SessionStatus::Active }))
}

/// Whether an active, capped account has used its data (ended sessions and the running
/// ones' recorded totals).
fn over_cap(conn: &Connection, user_id: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT u.data_limit_bytes IS NOT NULL AND u.status = 'active'
                    AND u.data_used_bytes + coalesce((SELECT sum(bytes_in + bytes_out) FROM session_usage WHERE user_id = u.id), 0) >= u.data_limit_bytes
             FROM hotspot_users u WHERE u.id = ?1",
        )?
        .query_row([user_id], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}

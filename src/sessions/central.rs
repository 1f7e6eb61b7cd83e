//! The authentication fallback to the central RADIUS server: a username the router does not
//! know, with its password, is checked with the central (`radius::upstream::fallback`); on
//! Access-Accept the router creates a local account from the reply (source `central`:
//! Session-Timeout → time, any dialect's quota → data limit, rates → speeds, Class kept for
//! the accounting), so the person logs in now and keeps working while the uplink is down.
//! A name the router created itself is never sent upstream. An account the central created
//! is asked about again only when the router would refuse it (another password, its time or
//! data used up: the operator may have renewed it centrally); an Accept then renews it here.
//! One the operator suspended here stays suspended.

use rusqlite::{params, Connection, OptionalExtension};

use super::records::Credential;
use super::{SessionError, Sessions};
use crate::access::{Account, AccountStatus};
use crate::credentials;
use crate::netaddr::MacAddr;
use crate::radius::upstream::packets::CentralGrant;
use crate::radius::upstream::{queue, Verdict};
use crate::store::accounts::{self, AccountSource};
use crate::store::{catalog, StoreError};

/// The package accounts from the central server hang on (not for sale; each account's own
/// limits come from its Access-Accept).
const CENTRAL_PACKAGE: &str = "Central RADIUS account";

impl Sessions {
    /// Asks the central server about `username` if the router does not know it, or if it is
    /// an account from the central the router would refuse (see the module comment; nothing
    /// happens when authentication upstream is off). `Ok(true)`: the central accepted it and
    /// the local account now exists (or was renewed); `Ok(false)`: nothing to ask, refused,
    /// or no answer.
    pub async fn ask_central(&self, username: &str, password: &str, mac: Option<MacAddr>) -> Result<bool, SessionError> {
        let Some(central) = self.central.clone() else { return Ok(false) };
        let name = username.trim().to_owned();
        if name.is_empty() || password.is_empty() || name.len() > 253 {
            return Ok(false);
        }
        let (lookup, typed, now) = (name.clone(), password.to_owned(), self.now());
        let known = self.store.call(move |conn| known(conn, &lookup, &typed, now)).await?;
        if matches!(known, Known::Local | Known::CentralUsable) {
            return Ok(false);
        }
        let grant = match central.check(&name, password, mac).await {
            Ok(Verdict::Accept(grant)) => grant,
            Ok(Verdict::Reject) => {
                self.note_central_answer().await;
                return Ok(false);
            }
            Err(e) => {
                let error = crate::error_chain(&e);
                log::warn!("login of {name}: {error}");
                let now = self.now();
                let _ = self.store.call(move |conn| queue::note_failure(conn, None, &error, now)).await;
                return Ok(false);
            }
        };
        let hash = credentials::hash_password(password).map_err(StoreError::Random)?;
        let now = self.now();
        let done = match known {
            Known::CentralRenew { user_id } => self.store.call(move |conn| renew_central_account(conn, user_id, &hash, &grant, now)).await?,
            Known::CentralPassword { user_id } => self.store.call(move |conn| new_central_password(conn, user_id, &hash, &grant, now)).await?,
            _ => self.store.call(move |conn| create_central_account(conn, &name, &hash, &grant, now)).await?,
        };
        Ok(done)
    }

    /// The login hook: a password credential whose username is unknown here is asked upstream.
    pub(super) async fn central_fallback(&self, credential: &Credential, mac: MacAddr) {
        let Credential::Password { username, password } = credential else { return };
        if self.central.is_none() {
            return;
        }
        if let Err(e) = self.ask_central(username, password, Some(mac)).await {
            log::warn!("cannot ask the central RADIUS server about {username}: {}", crate::error_chain(&e));
        }
    }

    async fn note_central_answer(&self) {
        let now = self.now();
        let _ = self.store.call(move |conn| queue::note_answer(conn, now)).await;
    }
}

/// What the router knows of a username, for the fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    Unknown,
    /// Created here (voucher, payment, operator): never asked upstream.
    Local,
    /// From the central, and the router would let it in: no need to ask.
    CentralUsable,
    /// From the central, usable, but the password typed is not the one kept here.
    CentralPassword { user_id: i64 },
    /// From the central, with its time or data used up: the central may have renewed it.
    CentralRenew { user_id: i64 },
}

fn known(conn: &Connection, username: &str, password: &str, now: i64) -> Result<Known, StoreError> {
    let Some(record) = accounts::find_account(conn, username)? else { return Ok(Known::Unknown) };
    let user_id = record.account.user_id;
    let central: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM radius_central_accounts WHERE user_id = ?1)", [user_id], |r| r.get(0))?;
    if !central {
        return Ok(Known::Local);
    }
    let a = &record.account;
    let time_left = a.expires_at.is_none_or(|at| at > now);
    let data_left = a.data_limit_bytes.is_none_or(|limit| a.data_used_bytes < limit);
    Ok(match a.status {
        AccountStatus::Suspended => Known::Local,
        AccountStatus::Active if time_left && data_left => {
            if record.password_hash.as_deref().is_some_and(|h| credentials::verify_password(password, h)) {
                Known::CentralUsable
            } else {
                Known::CentralPassword { user_id }
            }
        }
        _ => Known::CentralRenew { user_id },
    })
}

/// The central accepted a used-up account again: it starts afresh with what the Accept
/// grants (its clock starts at this login), through the accounts' own extension writer.
pub fn renew_central_account(conn: &mut Connection, user_id: i64, password_hash: &str, grant: &CentralGrant, now: i64) -> Result<bool, StoreError> {
    let tx = conn.transaction()?;
    let Some(record) = accounts::get_account(&tx, user_id)? else { return Ok(false) };
    let account = Account {
        user_id,
        status: AccountStatus::Active,
        duration_secs: grant.duration_secs,
        starts_at: None,
        expires_at: None,
        data_limit_bytes: grant.data_limit_bytes,
        data_used_bytes: 0,
        max_devices: record.account.max_devices,
    };
    accounts::save_extension(&tx, &account, record.package_id, None, password_hash, now)?;
    tx.execute("UPDATE hotspot_users SET down_kbps = ?2, up_kbps = ?3 WHERE id = ?1", params![user_id, grant.down_kbps, grant.up_kbps])?;
    keep_class(&tx, user_id, grant, now)?;
    tx.commit()?;
    log::info!("account {} renewed from the central RADIUS server's Access-Accept ({} s)", record.username, grant.duration_secs);
    Ok(true)
}

/// The central accepted another password for an account still running here: it is the
/// password from now on (time and data stay as they run here).
pub fn new_central_password(conn: &mut Connection, user_id: i64, password_hash: &str, grant: &CentralGrant, now: i64) -> Result<bool, StoreError> {
    let tx = conn.transaction()?;
    tx.execute(
        "UPDATE hotspot_users SET password_hash = ?2, pending_password_hash = NULL, updated_at = ?3 WHERE id = ?1",
        params![user_id, password_hash, now],
    )?;
    keep_class(&tx, user_id, grant, now)?;
    tx.commit()?;
    Ok(true)
}

fn keep_class(conn: &Connection, user_id: i64, grant: &CentralGrant, now: i64) -> Result<(), StoreError> {
    conn.execute(
        "INSERT OR REPLACE INTO radius_central_accounts (user_id, class, checked_at) VALUES (?1, ?2, ?3)",
        params![user_id, grant.class, now],
    )?;
    queue::note_answer(conn, now)
}

/// Creates the local account the central server vouched for, in one transaction. `false`
/// if the name was taken meanwhile (another login of the same name won the race).
pub fn create_central_account(conn: &mut Connection, username: &str, password_hash: &str, grant: &CentralGrant, now: i64) -> Result<bool, StoreError> {
    let tx = conn.transaction()?;
    if accounts::find_account(&tx, username)?.is_some() {
        return Ok(false);
    }
    let package_id: Option<i64> = tx
        .query_row("SELECT id FROM packages WHERE name = ?1 AND active = 0 AND price = 0 ORDER BY id LIMIT 1", [CENTRAL_PACKAGE], |r| r.get(0))
        .optional()?;
    let package_id = match package_id {
        Some(id) => id,
        None => {
            tx.execute(
                "INSERT INTO packages (name, price, duration_secs, active, created_at, updated_at) VALUES (?1, 0, ?2, 0, ?3, ?3)",
                params![CENTRAL_PACKAGE, crate::radius::upstream::packets::DEFAULT_DURATION_SECS, now],
            )?;
            tx.last_insert_rowid()
        }
    };
    let package = catalog::get_package(&tx, package_id)?.ok_or(StoreError::UnknownPackage(package_id))?;
    let user_id = accounts::create_account(&tx, username, Some(password_hash), None, &package, AccountSource::Central, now)?;
    tx.execute(
        "UPDATE hotspot_users SET duration_secs = ?2, data_limit_bytes = ?3, down_kbps = ?4, up_kbps = ?5 WHERE id = ?1",
        params![user_id, grant.duration_secs, grant.data_limit_bytes, grant.down_kbps, grant.up_kbps],
    )?;
    keep_class(&tx, user_id, grant, now)?;
    tx.commit()?;
    log::info!("account {username} created from the central RADIUS server's Access-Accept ({} s)", grant.duration_secs);
    Ok(true)
}

impl Sessions {
    /// The NAS login hook (for `nas_login`, before its transaction): a PAP password for a
    /// username unknown here is asked upstream; CHAP cannot be (the central would need the
    /// challenge answered with a password we do not have).
    pub async fn central_fallback_nas(&self, login: &super::nas::NasLogin) {
        let super::nas::PasswordCheck::Pap(password) = &login.password else { return };
        if self.central.is_none() {
            return;
        }
        let Ok(password) = std::str::from_utf8(password) else { return };
        if let Err(e) = self.ask_central(&login.username, password, login.mac).await {
            log::warn!("cannot ask the central RADIUS server about {}: {}", login.username, crate::error_chain(&e));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn grant(duration_secs: i64) -> CentralGrant {
        CentralGrant { duration_secs, data_limit_bytes: Some(1 << 30), down_kbps: Some(2048), up_kbps: None, class: Some(b"plan-7".to_vec()) }
    }

    #[test]
    fn an_accept_creates_a_central_account_and_a_used_up_one_is_renewed() {
        let dir = std::env::temp_dir().join(format!("hotspotd-central-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut conn = crate::store::open(&dir.join("h.db")).unwrap();
        assert_eq!(known(&conn, "amina", "pw", NOW).unwrap(), Known::Unknown);
        let hash = credentials::hash_password("pw").unwrap();
        assert!(create_central_account(&mut conn, "amina", &hash, &grant(7200), NOW).unwrap());
        assert!(!create_central_account(&mut conn, "amina", &hash, &grant(7200), NOW).unwrap(), "a name taken meanwhile");
        let record = accounts::find_account(&conn, "amina").unwrap().unwrap();
        let a = &record.account;
        assert_eq!((a.duration_secs, a.data_limit_bytes, record.down_kbps, a.starts_at), (7200, Some(1 << 30), Some(2048), None));
        let source: String = conn.query_row("SELECT source FROM hotspot_users WHERE id = ?1", [a.user_id], |r| r.get(0)).unwrap();
        assert_eq!(source, "central");
        assert_eq!(known(&conn, "amina", "pw", NOW).unwrap(), Known::CentralUsable);
        assert_eq!(known(&conn, "amina", "other", NOW).unwrap(), Known::CentralPassword { user_id: a.user_id });
        // Its time runs out: the next login asks the central, whose Accept starts it afresh.
        accounts::start_clock(&conn, a.user_id, NOW, NOW + 7200).unwrap();
        accounts::expire_accounts(&conn, NOW + 7200).unwrap();
        assert_eq!(known(&conn, "amina", "pw", NOW + 7300).unwrap(), Known::CentralRenew { user_id: a.user_id });
        assert!(renew_central_account(&mut conn, a.user_id, &hash, &grant(600), NOW + 7300).unwrap());
        let renewed = accounts::find_account(&conn, "amina").unwrap().unwrap().account;
        assert_eq!((renewed.status, renewed.duration_secs, renewed.expires_at), (AccountStatus::Active, 600, None));
        // Suspended by the operator here: the central is not asked.
        conn.execute("UPDATE hotspot_users SET status = 'suspended' WHERE id = ?1", [a.user_id]).unwrap();
        assert_eq!(known(&conn, "amina", "pw", NOW + 7400).unwrap(), Known::Local);
        let _ = std::fs::remove_dir_all(dir);
    }
}

//! The authentication fallback to the central RADIUS server: a username the router does not
//! know, with its password, is checked with the central (`radius::upstream::fallback`); on
//! Access-Accept the router creates a local account from the reply (source `central`:
//! Session-Timeout → time, any dialect's quota → data limit, rates → speeds, Class kept for
//! the accounting), so the person logs in now and keeps working while the uplink is down.
//! A name the router knows is never sent upstream.

use rusqlite::{params, Connection, OptionalExtension};

use super::records::Credential;
use super::{SessionError, Sessions};
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
    /// Asks the central server about `username` if the router does not know it (nothing
    /// happens when authentication upstream is off). `Ok(true)`: the central accepted it and
    /// a local account now exists; `Ok(false)`: known here already, refused, or no answer.
    pub async fn ask_central(&self, username: &str, password: &str, mac: Option<MacAddr>) -> Result<bool, SessionError> {
        let Some(central) = self.central.clone() else { return Ok(false) };
        let name = username.trim().to_owned();
        if name.is_empty() || password.is_empty() || name.len() > 253 {
            return Ok(false);
        }
        let lookup = name.clone();
        if self.store.call(move |conn| Ok(accounts::find_account(conn, &lookup)?.is_some())).await? {
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
        let created = self.store.call(move |conn| create_central_account(conn, &name, &hash, &grant, now)).await?;
        Ok(created)
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
    tx.execute(
        "INSERT OR REPLACE INTO radius_central_accounts (user_id, class, checked_at) VALUES (?1, ?2, ?3)",
        params![user_id, grant.class, now],
    )?;
    queue::note_answer(&tx, now)?;
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

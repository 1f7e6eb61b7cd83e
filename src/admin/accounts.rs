//! Accounts the operator creates by hand (`hotspotd user add`), and disables or enables
//! (`hotspotd user disable|enable`).

use serde::Serialize;

use super::{Admin, AdminError, Reply};
use crate::credentials;
use crate::store::accounts::{self, AccountSource};
use crate::store::{catalog, StoreError};

/// A new account's credentials, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewUser {
    pub username: String,
    pub password: String,
}

pub async fn user_add(
    admin: &Admin,
    package_id: i64,
    username: Option<String>,
    password: Option<String>,
    phone: Option<String>,
) -> Result<Reply, AdminError> {
    let random = |e| AdminError::Store(StoreError::Random(e));
    let username = match username {
        Some(u) if u.is_empty() || u.chars().count() > 32 || u.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            return Err(AdminError::Invalid("--username must be 1 to 32 characters without spaces".into()))
        }
        Some(u) => u,
        None => format!("u{}", credentials::new_password().map_err(random)?),
    };
    let password = match password {
        Some(p) if p.chars().count() < 4 => return Err(AdminError::Invalid("--password must be at least 4 characters".into())),
        Some(p) => p,
        None => credentials::new_password().map_err(random)?,
    };
    let hash = credentials::hash_password(&password).map_err(random)?;
    let now = admin.sessions.now();
    let name = username.clone();
    let sealable = password.clone();
    admin
        .sessions
        .store()
        .call(move |conn| {
            let tx = conn.transaction()?;
            let package = catalog::get_package(&tx, package_id)?.ok_or(StoreError::UnknownPackage(package_id))?;
            let user_id = accounts::create_account(&tx, &name, Some(&hash), phone.as_deref(), &package, AccountSource::Admin, now)?;
            accounts::seal_password(&tx, user_id, &sealable, false)?;
            tx.commit()?;
            Ok(())
        })
        .await?;
    Ok(Reply::UserAdded(NewUser { username, password }))
}

/// Disables an account: no more logins, and its devices go offline now (NAS devices by a
/// Disconnect-Request).
pub async fn user_disable(admin: &Admin, username: String) -> Result<Reply, AdminError> {
    match admin.sessions.disable_account(username.clone()).await? {
        Some(sessions) => Ok(Reply::UserDisabled { username, sessions }),
        None => Err(AdminError::NoSuchUser(username)),
    }
}

/// Lets a disabled account log in again (what it had left is unchanged).
pub async fn user_enable(admin: &Admin, username: String) -> Result<Reply, AdminError> {
    match admin.sessions.enable_account(username.clone()).await? {
        Some(changed) => Ok(Reply::UserEnabled { username, changed }),
        None => Err(AdminError::NoSuchUser(username)),
    }
}

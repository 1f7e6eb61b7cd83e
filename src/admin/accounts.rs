//! Accounts the operator creates by hand (`hotspotd user add`).

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

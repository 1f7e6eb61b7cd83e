//! Packages and vouchers: adding and listing packages, creating, listing and revoking
//! vouchers.

use super::{Admin, AdminError, Reply};
use crate::credentials;
use crate::store::catalog::{self, NewPackage, Revoke};
use crate::store::StoreError;

/// The most vouchers one command creates (a print run; more is a mistake).
pub const MAX_VOUCHERS: u32 = 10_000;

pub async fn package_add(admin: &Admin, new: NewPackage) -> Result<Reply, AdminError> {
    if new.name.trim().is_empty() || new.name.chars().count() > 64 {
        return Err(AdminError::Invalid("--name must be 1 to 64 characters".into()));
    }
    if new.price < 0 || new.duration_secs <= 0 || new.max_devices == 0 {
        return Err(AdminError::Invalid("a package needs a price of 0 or more, a duration above 0 and at least 1 device".into()));
    }
    let now = admin.sessions.now();
    let id = admin.sessions.store().call(move |conn| catalog::add_package(conn, &new, now)).await?;
    Ok(Reply::PackageAdded { id })
}

pub async fn package_list(admin: &Admin) -> Result<Reply, AdminError> {
    Ok(Reply::Packages(admin.sessions.store().call(|conn| catalog::list_packages(conn, false)).await?))
}

pub async fn voucher_create(admin: &Admin, package_id: i64, count: u32, batch: Option<String>) -> Result<Reply, AdminError> {
    if !(1..=MAX_VOUCHERS).contains(&count) {
        return Err(AdminError::Invalid(format!("--count must be from 1 to {MAX_VOUCHERS}")));
    }
    let now = admin.sessions.now();
    let codes = admin
        .sessions
        .store()
        .call(move |conn| catalog::create_vouchers(conn, package_id, count, batch.as_deref(), now))
        .await?;
    Ok(Reply::VouchersCreated { codes })
}

pub async fn voucher_list(admin: &Admin, all: bool) -> Result<Reply, AdminError> {
    Ok(Reply::Vouchers(admin.sessions.store().call(move |conn| catalog::list_vouchers(conn, !all)).await?))
}

pub async fn voucher_revoke(admin: &Admin, typed: String) -> Result<Reply, AdminError> {
    let code = credentials::normalise_voucher_code(&typed);
    let now = admin.sessions.now();
    let outcome = admin
        .sessions
        .store()
        .call(move |conn| {
            let tx = conn.transaction()?;
            let outcome = catalog::revoke_voucher(&tx, &code, now)?;
            tx.commit().map_err(StoreError::from)?;
            Ok(outcome)
        })
        .await?;
    match outcome {
        Revoke::Revoked => Ok(Reply::VoucherRevoked(outcome)),
        Revoke::NoSuchCode => Err(AdminError::Invalid(format!("there is no voucher `{typed}` (see `hotspotd voucher list --all`)"))),
        Revoke::NotUnused(status) => {
            Err(AdminError::Invalid(format!("voucher `{typed}` is {status}: only unused vouchers can be revoked")))
        }
    }
}

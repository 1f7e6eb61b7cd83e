//! Packages and vouchers: adding and listing packages, creating, listing and revoking
//! vouchers.

use super::{Admin, AdminError, Reply};
use crate::credentials;
use crate::store::catalog::{self, BatchVoucher, NewPackage, Package, Revoke, VoucherStock};
use crate::store::StoreError;

/// The most vouchers one command creates (a print run; more is a mistake).
pub const MAX_VOUCHERS: u32 = 10_000;

/// What every package must be (the CLI's add, the web admin's add and edit).
fn check_package(new: &NewPackage) -> Result<(), AdminError> {
    if new.name.trim().is_empty() || new.name.chars().count() > 64 {
        return Err(AdminError::Invalid("--name must be 1 to 64 characters".into()));
    }
    if new.price < 0 || new.duration_secs <= 0 || new.max_devices == 0 {
        return Err(AdminError::Invalid("a package needs a price of 0 or more, a duration above 0 and at least 1 device".into()));
    }
    if [new.data_limit_bytes, new.down_kbps, new.up_kbps].iter().any(|v| v.is_some_and(|v| v <= 0)) {
        return Err(AdminError::Invalid("a data limit or speed limit must be above 0 (or none)".into()));
    }
    Ok(())
}

pub async fn package_add(admin: &Admin, new: NewPackage) -> Result<Reply, AdminError> {
    check_package(&new)?;
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

/// The web admin's operations on packages and vouchers, besides those `Request` carries.
impl Admin {
    /// Voucher stock per package and batch, newest batch first.
    pub async fn voucher_stock(&self) -> Result<Vec<VoucherStock>, AdminError> {
        let now = self.sessions.now();
        Ok(self.sessions.store().call(move |conn| catalog::voucher_stock(conn, now)).await?)
    }

    /// The vouchers of a batch (`None`: those made without a batch name), at most `MAX_VOUCHERS`.
    pub async fn batch_vouchers(&self, batch: Option<String>) -> Result<Vec<BatchVoucher>, AdminError> {
        let now = self.sessions.now();
        Ok(self.sessions.store().call(move |conn| catalog::batch_vouchers(conn, batch.as_deref(), MAX_VOUCHERS, now)).await?)
    }

    /// The batch a voucher belongs to (`None`: no such code; `Some(None)`: no batch name).
    pub async fn voucher_batch_of(&self, typed: String) -> Result<Option<Option<String>>, AdminError> {
        let code = credentials::normalise_voucher_code(&typed);
        Ok(self.sessions.store().call(move |conn| catalog::voucher_batch(conn, &code)).await?)
    }

    /// Unix time now, on the daemon's clock (the default batch name is today's date).
    pub fn catalog_now(&self) -> i64 {
        self.sessions.now()
    }

    /// Where a printed voucher's QR code sends a phone: `portal_url` if configured, else the
    /// portal's listen address, 0.0.0.0 replaced by the web admin's own (LAN) address.
    pub fn portal_base(&self) -> String {
        let config = &self.system.config;
        let admin_host = config.admin_listen.map(|a| a.ip()).filter(|ip| !ip.is_unspecified()).map(|ip| match ip {
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        });
        crate::webadmin::print::portal_base(config, admin_host.as_deref())
    }

    /// Revokes every unused voucher of a batch; returns how many.
    pub async fn voucher_revoke_batch(&self, batch: Option<String>) -> Result<usize, AdminError> {
        let now = self.sessions.now();
        Ok(self
            .sessions
            .store()
            .call(move |conn| {
                let tx = conn.transaction()?;
                let revoked = catalog::revoke_batch(&tx, batch.as_deref(), now)?;
                tx.commit().map_err(StoreError::from)?;
                Ok(revoked)
            })
            .await?)
    }

    /// One package, on sale or not.
    pub async fn package(&self, id: i64) -> Result<Option<Package>, AdminError> {
        Ok(self.sessions.store().call(move |conn| catalog::get_package(conn, id)).await?)
    }

    /// Every package, hidden ones too.
    pub async fn packages_all(&self) -> Result<Vec<Package>, AdminError> {
        Ok(self.sessions.store().call(|conn| catalog::list_packages(conn, false)).await?)
    }

    /// Changes a package for what is sold from now on (accounts already sold keep the
    /// limits they copied). The sync protocol has no event for a local package edit, so
    /// none is recorded.
    pub async fn package_update(&self, id: i64, edit: NewPackage) -> Result<(), AdminError> {
        check_package(&edit)?;
        let now = self.sessions.now();
        match self.sessions.store().call(move |conn| catalog::update_package(conn, id, &edit, now)).await? {
            true => Ok(()),
            false => Err(StoreError::UnknownPackage(id).into()),
        }
    }

    /// Puts a package on sale (`true`) or hides it from the splash page (`false`).
    pub async fn package_set_active(&self, id: i64, active: bool) -> Result<(), AdminError> {
        let now = self.sessions.now();
        match self.sessions.store().call(move |conn| catalog::set_package_active(conn, id, active, now)).await? {
            true => Ok(()),
            false => Err(StoreError::UnknownPackage(id).into()),
        }
    }
}

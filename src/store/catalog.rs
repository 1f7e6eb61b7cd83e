//! What is for sale: packages and the vouchers that sell them. Voucher changes are
//! reported to the sync outbox in the same transaction.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::outbox::{self, Event};
use super::{sql_word, StoreError};
use crate::credentials;
use crate::words::word_enum;

word_enum! {
    /// Where a voucher stands (`vouchers.status`).
    pub enum VoucherStatus {
        Unused = "unused",
        /// Used: it now names the account its first use created.
        Redeemed = "redeemed",
        /// Withdrawn by the operator before use.
        Revoked = "revoked",
    }
}
sql_word!(VoucherStatus);

/// A package as sold on the splash page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Package {
    pub id: i64,
    pub name: String,
    /// Whole currency units (KES).
    pub price: i64,
    pub currency: String,
    pub duration_secs: i64,
    pub data_limit_bytes: Option<i64>,
    pub down_kbps: Option<i64>,
    pub up_kbps: Option<i64>,
    pub max_devices: u32,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPackage {
    pub name: String,
    pub price: i64,
    pub duration_secs: i64,
    pub data_limit_bytes: Option<i64>,
    pub down_kbps: Option<i64>,
    pub up_kbps: Option<i64>,
    pub max_devices: u32,
}

const PACKAGE_COLUMNS: &str =
    "id, name, price, currency, duration_secs, data_limit_bytes, down_kbps, up_kbps, max_devices, active";

fn package_from_row(row: &Row) -> rusqlite::Result<Package> {
    Ok(Package {
        id: row.get(0)?,
        name: row.get(1)?,
        price: row.get(2)?,
        currency: row.get(3)?,
        duration_secs: row.get(4)?,
        data_limit_bytes: row.get(5)?,
        down_kbps: row.get(6)?,
        up_kbps: row.get(7)?,
        max_devices: row.get(8)?,
        active: row.get(9)?,
    })
}

pub fn add_package(conn: &Connection, new: &NewPackage, now: i64) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO packages (name, price, duration_secs, data_limit_bytes, down_kbps, up_kbps,
                               max_devices, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![
            new.name,
            new.price,
            new.duration_secs,
            new.data_limit_bytes,
            new.down_kbps,
            new.up_kbps,
            new.max_devices,
            now
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Packages by price; `only_active` leaves out those no longer sold.
pub fn list_packages(conn: &Connection, only_active: bool) -> Result<Vec<Package>, StoreError> {
    let sql = format!(
        "SELECT {PACKAGE_COLUMNS} FROM packages WHERE active OR NOT ?1 ORDER BY price, duration_secs, id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([only_active], package_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn get_package(conn: &Connection, id: i64) -> Result<Option<Package>, StoreError> {
    let sql = format!("SELECT {PACKAGE_COLUMNS} FROM packages WHERE id = ?1");
    Ok(conn.prepare_cached(&sql)?.query_row([id], package_from_row).optional()?)
}

/// Creates `count` unused vouchers for a package and returns their codes.
pub fn create_vouchers(
    conn: &mut Connection,
    package_id: i64,
    count: u32,
    batch: Option<&str>,
    now: i64,
) -> Result<Vec<String>, StoreError> {
    if get_package(conn, package_id)?.is_none() {
        return Err(StoreError::UnknownPackage(package_id));
    }
    let tx = conn.transaction()?;
    let mut codes = Vec::with_capacity(count as usize);
    while codes.len() < count as usize {
        let code = credentials::new_voucher_code().map_err(StoreError::Random)?;
        // A collision (1 in 2^39 per pair) just draws again.
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO vouchers (code, package_id, batch, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![code, package_id, batch, now],
        )?;
        if inserted == 1 {
            codes.push(code);
        }
    }
    let event = Event::VouchersCreated { package_id, batch: batch.map(str::to_owned), codes: codes.clone() };
    outbox::record(&tx, &event, now)?;
    tx.commit()?;
    Ok(codes)
}

/// Adds vouchers the central server issued (codes it made) to the package named `package`;
/// codes already here are left as they are. Returns how many were new; `None`: no package
/// has that name.
pub fn add_issued_vouchers(conn: &mut Connection, package: &str, batch: Option<&str>, codes: &[String], now: i64) -> Result<Option<usize>, StoreError> {
    let tx = conn.transaction()?;
    let Some(package_id) = tx.query_row("SELECT id FROM packages WHERE name = ?1 ORDER BY active DESC, id LIMIT 1", [package], |r| r.get::<_, i64>(0)).optional()? else {
        return Ok(None);
    };
    let mut added = 0;
    for code in codes {
        let code = credentials::normalise_voucher_code(code);
        added += tx
            .prepare_cached("INSERT OR IGNORE INTO vouchers (code, package_id, batch, created_at) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![code, package_id, batch, now])?;
    }
    tx.commit()?;
    Ok(Some(added))
}

/// Adds or updates the centrally managed package named `p.name` (kept apart from the
/// operator's own by `remote_id`); `hidden` takes it off sale. Returns its id.
pub fn put_central_package(conn: &Connection, p: &crate::sync::wire::CentralPackage, now: i64) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "INSERT INTO packages (name, price, duration_secs, data_limit_bytes, down_kbps, up_kbps, max_devices, active, remote_id,
                               created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'central:' || ?1, ?9, ?9)
         ON CONFLICT (remote_id) DO UPDATE SET price = excluded.price, duration_secs = excluded.duration_secs,
             data_limit_bytes = excluded.data_limit_bytes, down_kbps = excluded.down_kbps, up_kbps = excluded.up_kbps,
             max_devices = excluded.max_devices, active = excluded.active, updated_at = excluded.updated_at
         RETURNING id",
        params![p.name, p.price, p.duration_secs, p.data_limit_bytes, p.down_kbps, p.up_kbps, p.max_devices, !p.hidden, now],
        |r| r.get(0),
    )?)
}

/// A voucher with its package's name, for `voucher list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoucherListing {
    pub code: String,
    pub package_id: i64,
    pub package_name: String,
    pub status: VoucherStatus,
    pub redeemed_mac: Option<String>,
    pub redeemed_at: Option<i64>,
}

pub fn list_vouchers(conn: &Connection, only_unused: bool) -> Result<Vec<VoucherListing>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT v.code, v.package_id, p.name, v.status, v.redeemed_mac, v.redeemed_at
         FROM vouchers v JOIN packages p ON p.id = v.package_id
         WHERE v.status = 'unused' OR NOT ?1 ORDER BY v.id",
    )?;
    let rows = stmt.query_map([only_unused], |r| {
        Ok(VoucherListing {
            code: r.get(0)?,
            package_id: r.get(1)?,
            package_name: r.get(2)?,
            status: r.get(3)?,
            redeemed_mac: r.get(4)?,
            redeemed_at: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A voucher as the login path needs it.
#[derive(Debug, Clone)]
pub struct VoucherRecord {
    pub id: i64,
    pub package_id: i64,
    pub status: VoucherStatus,
    pub user_id: Option<i64>,
    pub valid_until: Option<i64>,
    pub package_active: bool,
}

pub fn find_voucher(conn: &Connection, code: &str) -> Result<Option<VoucherRecord>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT v.id, v.package_id, v.status, v.user_id, v.valid_until, p.active
             FROM vouchers v JOIN packages p ON p.id = v.package_id WHERE v.code = ?1",
            [code],
            |r| {
                Ok(VoucherRecord {
                    id: r.get(0)?,
                    package_id: r.get(1)?,
                    status: r.get(2)?,
                    user_id: r.get(3)?,
                    valid_until: r.get(4)?,
                    package_active: r.get(5)?,
                })
            },
        )
        .optional()?)
}

pub fn mark_voucher_redeemed(
    conn: &Connection,
    voucher_id: i64,
    user_id: i64,
    mac: &str,
    now: i64,
) -> Result<(), StoreError> {
    let changed = conn.execute(
        "UPDATE vouchers SET status = 'redeemed', user_id = ?2, redeemed_mac = ?3, redeemed_at = ?4,
                redeemed_price = (SELECT price FROM packages WHERE packages.id = vouchers.package_id)
         WHERE id = ?1 AND status = 'unused'",
        params![voucher_id, user_id, mac, now],
    )?;
    if changed == 1 {
        let (code, price, currency): (String, i64, String) = conn.query_row(
            "SELECT v.code, v.redeemed_price, p.currency FROM vouchers v JOIN packages p ON p.id = v.package_id WHERE v.id = ?1",
            [voucher_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let event = Event::VoucherRedeemed { voucher_id, code, account_id: user_id, mac: mac.to_owned(), price, currency };
        outbox::record(conn, &event, now)?;
    }
    Ok(())
}

/// What revoking a voucher found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Revoke {
    /// It was unused and is withdrawn now.
    Revoked,
    /// It was already used or revoked: nothing changed.
    NotUnused(VoucherStatus),
    NoSuchCode,
}

/// Withdraws an unused voucher (e.g. a printed sheet that was lost). A used voucher keeps
/// working: it names a paid account now.
pub fn revoke_voucher(conn: &Connection, code: &str, now: i64) -> Result<Revoke, StoreError> {
    let Some(voucher) = find_voucher(conn, code)? else { return Ok(Revoke::NoSuchCode) };
    if voucher.status != VoucherStatus::Unused {
        return Ok(Revoke::NotUnused(voucher.status));
    }
    conn.execute("UPDATE vouchers SET status = 'revoked' WHERE id = ?1 AND status = 'unused'", [voucher.id])?;
    outbox::record(conn, &Event::VoucherRevoked { voucher_id: voucher.id, code: code.to_owned() }, now)?;
    Ok(Revoke::Revoked)
}

/// How many vouchers are still unused (for `status`).
pub fn count_unused_vouchers(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("SELECT count(*) FROM vouchers WHERE status = 'unused'", [], |r| r.get(0))?)
}

// ---- The web admin's views and edits (vouchers by batch, package edits) ----

/// Vouchers of one package and batch, by where they stand (`expired`: unused, but its
/// `valid_until` has passed; not counted as unused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VoucherStock {
    pub package_id: i64,
    pub package_name: String,
    /// `None`: created without a batch name.
    pub batch: Option<String>,
    pub unused: i64,
    pub used: i64,
    pub expired: i64,
    pub revoked: i64,
    /// When the batch's newest voucher was created.
    pub created_at: i64,
}

/// Stock per package and batch, newest batch first.
pub fn voucher_stock(conn: &Connection, now: i64) -> Result<Vec<VoucherStock>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT v.package_id, p.name, v.batch,
                sum(v.status = 'unused' AND (v.valid_until IS NULL OR v.valid_until > ?1)),
                sum(v.status = 'redeemed'),
                sum(v.status = 'unused' AND coalesce(v.valid_until <= ?1, 0)),
                sum(v.status = 'revoked'),
                max(v.created_at)
         FROM vouchers v JOIN packages p ON p.id = v.package_id
         GROUP BY v.package_id, v.batch ORDER BY max(v.id) DESC",
    )?;
    let rows = stmt.query_map([now], |r| {
        Ok(VoucherStock {
            package_id: r.get(0)?,
            package_name: r.get(1)?,
            batch: r.get(2)?,
            unused: r.get(3)?,
            used: r.get(4)?,
            expired: r.get(5)?,
            revoked: r.get(6)?,
            created_at: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A voucher with what its printout and CSV show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchVoucher {
    pub code: String,
    pub package_name: String,
    pub price: i64,
    pub currency: String,
    pub duration_secs: i64,
    pub data_limit_bytes: Option<i64>,
    pub status: VoucherStatus,
    pub valid_until: Option<i64>,
    pub created_at: i64,
    pub redeemed_at: Option<i64>,
    /// Unused, but its `valid_until` had passed when listed.
    pub expired: bool,
}

/// The vouchers of a batch (`None`: those without a batch name), in creation order, at most
/// `limit`, as they stand at `now`.
pub fn batch_vouchers(conn: &Connection, batch: Option<&str>, limit: u32, now: i64) -> Result<Vec<BatchVoucher>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT v.code, p.name, p.price, p.currency, p.duration_secs, p.data_limit_bytes, v.status, v.valid_until,
                v.created_at, v.redeemed_at, v.status = 'unused' AND v.valid_until <= ?3
         FROM vouchers v JOIN packages p ON p.id = v.package_id
         WHERE v.batch IS ?1 ORDER BY v.id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![batch, limit, now], |r| {
        Ok(BatchVoucher {
            code: r.get(0)?,
            package_name: r.get(1)?,
            price: r.get(2)?,
            currency: r.get(3)?,
            duration_secs: r.get(4)?,
            data_limit_bytes: r.get(5)?,
            status: r.get(6)?,
            valid_until: r.get(7)?,
            created_at: r.get(8)?,
            redeemed_at: r.get(9)?,
            expired: r.get::<_, Option<bool>>(10)?.unwrap_or(false),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The batch of the voucher with this code: `None` if there is no such voucher,
/// `Some(None)` if it has no batch name.
pub fn voucher_batch(conn: &Connection, code: &str) -> Result<Option<Option<String>>, StoreError> {
    Ok(conn.query_row("SELECT batch FROM vouchers WHERE code = ?1", [code], |r| r.get(0)).optional()?)
}

/// Withdraws every unused voucher of a batch (a lost sheet), each reported to the outbox
/// as `revoke_voucher` does. Returns how many. Call inside a transaction.
pub fn revoke_batch(conn: &Connection, batch: Option<&str>, now: i64) -> Result<usize, StoreError> {
    let unused: Vec<(i64, String)> = conn
        .prepare_cached("SELECT id, code FROM vouchers WHERE batch IS ?1 AND status = 'unused' ORDER BY id")?
        .query_map(params![batch], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (voucher_id, code) in &unused {
        conn.execute("UPDATE vouchers SET status = 'revoked' WHERE id = ?1 AND status = 'unused'", [voucher_id])?;
        outbox::record(conn, &Event::VoucherRevoked { voucher_id: *voucher_id, code: code.clone() }, now)?;
    }
    Ok(unused.len())
}

/// Changes a package's name, price and limits for what is sold from now on. Accounts copy
/// their limits when sold, so nothing already sold changes. `false`: no such package.
/// (No outbox event: the sync protocol has none for a local package edit.)
pub fn update_package(conn: &Connection, id: i64, p: &NewPackage, now: i64) -> Result<bool, StoreError> {
    Ok(conn.execute(
        "UPDATE packages SET name = ?2, price = ?3, duration_secs = ?4, data_limit_bytes = ?5, down_kbps = ?6,
                             up_kbps = ?7, max_devices = ?8, updated_at = ?9
         WHERE id = ?1",
        params![id, p.name, p.price, p.duration_secs, p.data_limit_bytes, p.down_kbps, p.up_kbps, p.max_devices, now],
    )? == 1)
}

/// Puts a package on sale or takes it off (`packages.active`). `false`: no such package.
pub fn set_package_active(conn: &Connection, id: i64, active: bool, now: i64) -> Result<bool, StoreError> {
    Ok(conn.execute("UPDATE packages SET active = ?2, updated_at = ?3 WHERE id = ?1", params![id, active, now])? == 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::migrations::memory;

    fn package(conn: &Connection, name: &str) -> i64 {
        let new = NewPackage { name: name.into(), price: 50, duration_secs: 3600, data_limit_bytes: None, down_kbps: None, up_kbps: None, max_devices: 1 };
        add_package(conn, &new, 100).unwrap()
    }

    fn outbox_revocations(conn: &Connection) -> i64 {
        conn.query_row("SELECT count(*) FROM sync_outbox WHERE entity = 'voucher' AND op = 'revoked'", [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn stock_counts_per_package_and_batch_with_expired_apart() {
        let mut conn = memory();
        let hour = package(&conn, "1 hour");
        let day = package(&conn, "1 day");
        let a = create_vouchers(&mut conn, hour, 4, Some("A"), 100).unwrap();
        create_vouchers(&mut conn, day, 2, None, 100).unwrap();
        conn.execute("UPDATE vouchers SET status = 'redeemed' WHERE code = ?1", [&a[0]]).unwrap();
        conn.execute("UPDATE vouchers SET valid_until = 150 WHERE code = ?1", [&a[1]]).unwrap();
        conn.execute("UPDATE vouchers SET valid_until = 500 WHERE code = ?1", [&a[2]]).unwrap();
        assert_eq!(revoke_voucher(&conn, &a[3], 100).unwrap(), Revoke::Revoked);
        let stock = voucher_stock(&conn, 200).unwrap();
        assert_eq!(stock.len(), 2);
        assert_eq!((stock[0].package_name.as_str(), stock[0].batch.as_deref(), stock[0].unused), ("1 day", None, 2));
        let s = &stock[1];
        assert_eq!((s.batch.as_deref(), s.unused, s.used, s.expired, s.revoked), (Some("A"), 1, 1, 1, 1));

        let listed = batch_vouchers(&conn, Some("A"), 100, 200).unwrap();
        assert_eq!(listed.iter().map(|v| &v.code).collect::<Vec<_>>(), a.iter().collect::<Vec<_>>());
        assert!(listed[1].expired && !listed[2].expired && !listed[0].expired);
        assert_eq!(batch_vouchers(&conn, None, 100, 200).unwrap().len(), 2);
        assert_eq!(batch_vouchers(&conn, Some("A"), 2, 200).unwrap().len(), 2);
    }

    #[test]
    fn revoking_a_batch_withdraws_only_its_unused_and_reports_each() {
        let mut conn = memory();
        let id = package(&conn, "1 hour");
        let a = create_vouchers(&mut conn, id, 3, Some("A"), 100).unwrap();
        create_vouchers(&mut conn, id, 2, Some("B"), 100).unwrap();
        conn.execute("UPDATE vouchers SET status = 'redeemed' WHERE code = ?1", [&a[0]]).unwrap();
        assert_eq!(revoke_batch(&conn, Some("A"), 100).unwrap(), 2);
        assert_eq!(outbox_revocations(&conn), 2);
        let statuses: Vec<_> = batch_vouchers(&conn, Some("A"), 10, 200).unwrap().into_iter().map(|v| v.status).collect();
        assert_eq!(statuses, [VoucherStatus::Redeemed, VoucherStatus::Revoked, VoucherStatus::Revoked]);
        assert_eq!(revoke_batch(&conn, Some("A"), 100).unwrap(), 0);
        assert_eq!(count_unused_vouchers(&conn).unwrap(), 2);
    }

    #[test]
    fn a_package_edit_and_hiding_change_only_the_package() {
        let conn = memory();
        let id = package(&conn, "1 hour");
        let edit = NewPackage { name: "2 hours".into(), price: 80, duration_secs: 7200, data_limit_bytes: Some(1 << 30), down_kbps: Some(2048), up_kbps: Some(512), max_devices: 2 };
        assert!(update_package(&conn, id, &edit, 200).unwrap());
        let p = get_package(&conn, id).unwrap().unwrap();
        assert_eq!((p.name.as_str(), p.price, p.duration_secs, p.data_limit_bytes, p.down_kbps, p.up_kbps, p.max_devices), ("2 hours", 80, 7200, Some(1 << 30), Some(2048), Some(512), 2));
        assert!(set_package_active(&conn, id, false, 300).unwrap());
        assert!(list_packages(&conn, true).unwrap().is_empty());
        assert_eq!(list_packages(&conn, false).unwrap().len(), 1);
        assert!(set_package_active(&conn, id, true, 300).unwrap());
        assert_eq!(list_packages(&conn, true).unwrap().len(), 1);
        assert!(!update_package(&conn, 99, &edit, 200).unwrap());
        assert!(!set_package_active(&conn, 99, true, 200).unwrap());
    }
}

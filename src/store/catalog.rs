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
        "UPDATE vouchers SET status = 'redeemed', user_id = ?2, redeemed_mac = ?3, redeemed_at = ?4
         WHERE id = ?1 AND status = 'unused'",
        params![voucher_id, user_id, mac, now],
    )?;
    if changed == 1 {
        let (code, price, currency): (String, i64, String) = conn.query_row(
            "SELECT v.code, p.price, p.currency FROM vouchers v JOIN packages p ON p.id = v.package_id WHERE v.id = ?1",
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

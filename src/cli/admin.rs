//! The operator's commands, run straight on the database (the daemon need not be running;
//! SQLite's locking lets both work at once). `deauth` also updates the firewall itself, so
//! the device is cut at once whether or not the daemon runs.

use std::io::Write;

use rusqlite::Connection;

use super::Command;
use crate::clock::{self, Clock, SystemClock, Trust};
use crate::config::{Config, FirewallKind};
use crate::credentials;
use crate::daemon::firewall_of;
use crate::firewall::FirewallError;
use crate::jobs::queue;
use crate::netaddr::MacAddr;
use crate::portal::text;
use crate::sessions::records;
use crate::store::accounts::{self, AccountSource};
use crate::store::catalog::{self, NewPackage};
use crate::store::sessions::{self as session_rows, EndMethod};
use crate::store::{self, settings, StoreError};
use crate::usage;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot update the firewall")]
    Firewall(#[from] FirewallError),
    #[error("cannot write the output")]
    Output(#[from] std::io::Error),
    #[error("{0} has no active session")]
    NotOnline(MacAddr),
    #[error("{0}")]
    Invalid(String),
}

impl From<rusqlite::Error> for AdminError {
    fn from(e: rusqlite::Error) -> Self {
        AdminError::Store(StoreError::Sql(e))
    }
}

/// Carries out an operator command, writing its output to `out`.
pub fn execute(config: &Config, command: Command, out: &mut impl Write) -> Result<(), AdminError> {
    let mut conn = store::open(&config.database)?;
    let now = SystemClock.now();
    match command {
        Command::PackageAdd(new) => package_add(&conn, &new, now, out),
        Command::PackageList => package_list(&conn, out),
        Command::VoucherCreate { package_id, count, batch } => {
            for code in catalog::create_vouchers(&mut conn, package_id, count, batch.as_deref(), now)? {
                writeln!(out, "{code}")?;
            }
            Ok(())
        }
        Command::VoucherList { all } => voucher_list(&conn, all, out),
        Command::UserAdd { package_id, username, password, phone } => {
            user_add(&conn, package_id, username, password, phone, now, out)
        }
        Command::Clients => clients(&conn, now, out),
        Command::Deauth(mac) => deauth(config, &mut conn, mac, now, out),
        Command::Status => status(config, &conn, now, out),
        Command::ClockSynced => Ok(store::timeline::record_sync(&conn, &clock::boot_id(), now)?),
        Command::Jobs => jobs(&conn, now, out),
        Command::JobsRetry(id) => {
            if queue::retry_failed(&mut conn, id, now)? {
                writeln!(out, "failed job {id} is queued again")?;
                Ok(())
            } else {
                Err(AdminError::Invalid(format!("there is no failed job {id} (see `hotspotd jobs`), or the same work is already queued")))
            }
        }
        Command::Payments => payments_list(&conn, out),
        Command::Run | Command::Help | Command::Version => Ok(()),
    }
}

fn package_add(conn: &Connection, new: &NewPackage, now: i64, out: &mut impl Write) -> Result<(), AdminError> {
    if new.name.trim().is_empty() || new.name.len() > 64 {
        return Err(AdminError::Invalid("--name must be 1 to 64 characters".into()));
    }
    let id = catalog::add_package(conn, new, now)?;
    writeln!(out, "{id}")?;
    Ok(())
}

fn package_list(conn: &Connection, out: &mut impl Write) -> Result<(), AdminError> {
    writeln!(out, "{:<4} {:<20} {:>8} {:>12} {:>9} {:>13} {:>7} ON SALE", "ID", "NAME", "PRICE", "DURATION", "DATA", "DOWN/UP KBPS", "DEVICES")?;
    for p in catalog::list_packages(conn, false)? {
        let speed = match (p.down_kbps, p.up_kbps) {
            (None, None) => "-".to_string(),
            (d, u) => format!("{}/{}", d.map_or("-".into(), |v| v.to_string()), u.map_or("-".into(), |v| v.to_string())),
        };
        writeln!(
            out,
            "{:<4} {:<20} {:>8} {:>12} {:>9} {:>13} {:>7} {}",
            p.id,
            p.name,
            text::price(p.price, &p.currency),
            text::duration(p.duration_secs),
            p.data_limit_bytes.map_or("unlimited".into(), text::bytes),
            speed,
            p.max_devices,
            if p.active { "yes" } else { "no" }
        )?;
    }
    Ok(())
}

fn voucher_list(conn: &Connection, all: bool, out: &mut impl Write) -> Result<(), AdminError> {
    writeln!(out, "{:<10} {:<24} {:<9} REDEEMED BY", "CODE", "PACKAGE", "STATUS")?;
    for v in catalog::list_vouchers(conn, !all)? {
        writeln!(
            out,
            "{:<10} {:<24} {:<9} {}",
            v.code,
            format!("{} {}", v.package_id, v.package_name),
            v.status,
            v.redeemed_mac.unwrap_or_default()
        )?;
    }
    Ok(())
}

fn user_add(
    conn: &Connection,
    package_id: i64,
    username: Option<String>,
    password: Option<String>,
    phone: Option<String>,
    now: i64,
    out: &mut impl Write,
) -> Result<(), AdminError> {
    let package = catalog::get_package(conn, package_id)?.ok_or(StoreError::UnknownPackage(package_id))?;
    let random = |e| AdminError::Store(StoreError::Random(e));
    let username = match username {
        Some(u) if u.is_empty() || u.len() > 32 || u.chars().any(char::is_whitespace) => {
            return Err(AdminError::Invalid("--username must be 1 to 32 characters without spaces".into()))
        }
        Some(u) => u,
        None => format!("u{}", credentials::new_password().map_err(random)?),
    };
    let password = match password {
        Some(p) if p.len() < 4 => return Err(AdminError::Invalid("--password must be at least 4 characters".into())),
        Some(p) => p,
        None => credentials::new_password().map_err(random)?,
    };
    let hash = credentials::hash_password(&password).map_err(random)?;
    accounts::create_account(conn, &username, Some(&hash), phone.as_deref(), &package, AccountSource::Admin, now)?;
    writeln!(out, "{username} {password}")?;
    Ok(())
}

/// Devices online. Usage is as of the last checkpoint (a minute by default).
fn clients(conn: &Connection, now: i64, out: &mut impl Write) -> Result<(), AdminError> {
    writeln!(out, "{:<17} {:<15} {:<16} {:>10} {:>9} {:>9} {:>10}", "MAC", "IP", "USER", "TIME LEFT", "UP", "DOWN", "DATA LEFT")?;
    for s in session_rows::active(conn)? {
        let data_left = match accounts::get_account(conn, s.user_id)?.map(|r| r.account.data_limit_bytes.map(|l| l - r.account.data_used_bytes)) {
            Some(Some(left)) => text::bytes(left.max(0)),
            _ => text::UNLIMITED.into(),
        };
        writeln!(
            out,
            "{:<17} {:<15} {:<16} {:>10} {:>9} {:>9} {:>10}",
            s.mac,
            s.ip,
            s.username,
            text::duration(s.expires_at - now),
            text::bytes(s.bytes_in),
            text::bytes(s.bytes_out),
            data_left
        )?;
    }
    Ok(())
}

/// Ends the device's session, records the last bytes its counters hold, then removes it
/// from the firewall (counters included).
fn deauth(config: &Config, conn: &mut Connection, mac: MacAddr, now: i64, out: &mut impl Write) -> Result<(), AdminError> {
    let revoke = records::end_device(conn, mac, EndMethod::Cli, "admin", now)?;
    if revoke.is_empty() {
        return Err(AdminError::NotOnline(mac));
    }
    let firewall = firewall_of(config);
    match firewall.read_usage() {
        Ok(reading) => {
            let tx = conn.transaction()?;
            store::usage::record_ended(&tx, &usage::ledger::final_counts(&reading, &revoke), now)?;
            tx.commit()?;
        }
        Err(e) => log::warn!("cannot read the device's last usage: {}", crate::error_chain(&e)),
    }
    firewall.update(&[], &revoke)?;
    writeln!(out, "ended the session of {mac}")?;
    Ok(())
}

fn jobs(conn: &Connection, now: i64, out: &mut impl Write) -> Result<(), AdminError> {
    job_table(out, "PENDING", "DUE IN", "LAST ERROR", queue::pending(conn)?, |at| at - now)?;
    job_table(out, "FAILED (retry with `hotspotd jobs retry ID`)", "AGO", "ERROR", queue::failed(conn)?, |at| now - at)
}

/// One table of `hotspotd jobs`; `age` turns a job's time into what the column shows.
fn job_table(
    out: &mut impl Write,
    title: &str,
    when: &str,
    error: &str,
    jobs: Vec<queue::Listed>,
    age: impl Fn(i64) -> i64,
) -> Result<(), AdminError> {
    writeln!(out, "{title}")?;
    writeln!(out, "{:<6} {:<8} {:<22} {:>8} {:>10}  {error}", "ID", "QUEUE", "KIND", "ATTEMPTS", when)?;
    for j in jobs {
        let shown_at = text::duration(age(j.at).max(0));
        let error = j.error.unwrap_or_default();
        writeln!(out, "{:<6} {:<8} {:<22} {:>8} {shown_at:>10}  {error}", j.id, j.queue, j.kind, j.attempts)?;
    }
    Ok(())
}

fn payments_list(conn: &Connection, out: &mut impl Write) -> Result<(), AdminError> {
    writeln!(out, "{:<6} {:<8} {:<13} {:>6} {:<10} {:<12} {:<12} WHY", "ID", "PROVIDER", "PHONE", "AMOUNT", "STATUS", "RECEIPT", "ACCOUNT")?;
    let mut stmt = conn.prepare(
        "SELECT p.id, p.provider, p.phone, p.amount, p.status, p.receipt_number, u.username, p.failure
         FROM payments p LEFT JOIN hotspot_users u ON u.id = p.user_id ORDER BY p.id DESC LIMIT 50",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, Option<String>>(6)?,
            r.get::<_, Option<String>>(7)?,
        ))
    })?;
    for row in rows {
        let (id, provider, phone, amount, status, receipt, account, why) = row?;
        writeln!(
            out,
            "{id:<6} {provider:<8} {phone:<13} {amount:>6} {status:<10} {:<12} {:<12} {}",
            receipt.unwrap_or_default(),
            account.unwrap_or_default(),
            why.unwrap_or_default()
        )?;
    }
    Ok(())
}

/// How many active sessions have usage on flash, and when the daemon last checkpointed.
fn usage_checkpoint(conn: &Connection) -> Result<(i64, Option<i64>), AdminError> {
    let rows: i64 = conn.query_row("SELECT count(*) FROM session_usage", [], |r| r.get(0))?;
    let at = store::timeline::last_checkpoint(conn)?.map(|c| c.at);
    Ok((rows, at))
}

fn status(config: &Config, conn: &Connection, now: i64, out: &mut impl Write) -> Result<(), AdminError> {
    let packages = catalog::list_packages(conn, true)?.len();
    let vouchers = catalog::count_unused_vouchers(conn)?;
    let online = session_rows::active(conn)?.iter().filter(|s| s.expires_at > now).count();
    writeln!(out, "database:      {}", config.database.display())?;
    writeln!(out, "portal:        {}", config.listen)?;
    writeln!(out, "interface:     {}", config.interface)?;
    let firewall = match (config.firewall, firewall_of(config).is_installed()) {
        (FirewallKind::None, _) => "none: nothing is enforced".to_string(),
        (_, Ok(true)) => "nft, table inet hotspotd installed".to_string(),
        (_, Ok(false)) => "nft, table inet hotspotd NOT installed (is the daemon running?)".to_string(),
        (_, Err(e)) => format!("nft, cannot be checked: {}", crate::error_chain(&e)),
    };
    writeln!(out, "firewall:      {firewall}")?;
    if config.firewall == FirewallKind::Nft {
        writeln!(out, "speed limits:  {}", crate::firewall::describe_shaping(&config.interface))?;
    }
    writeln!(out, "packages:      {packages} on sale")?;
    writeln!(out, "vouchers:      {vouchers} unused")?;
    writeln!(out, "online:        {online} devices")?;
    let clock = match store::timeline::trust(conn, &clock::boot_id(), now)? {
        Trust::Synced { at } => format!("trusted: synchronised by NTP {} ago", text::duration(now - at)),
        Trust::PastLastGood { .. } => "trusted: later than the last time known good (not yet synchronised by NTP since boot)".into(),
        Trust::Untrusted { last_good: Some(at) } => {
            format!("NOT trusted: {} behind the last time known good; waiting for NTP", text::duration(at - now))
        }
        Trust::Untrusted { last_good: None } => "NOT trusted: never confirmed by NTP; waiting for NTP".into(),
    };
    writeln!(out, "clock:         {clock} (remaining time runs on the monotonic clock either way)")?;
    let (checkpointed, at) = usage_checkpoint(conn)?;
    let usage = match at {
        Some(at) => format!("{checkpointed} active sessions checkpointed, last {} ago", text::duration((now - at).max(0))),
        None => "no checkpoint yet".into(),
    };
    writeln!(out, "usage:         {usage} (every {} s, polled every {} s)", config.usage_checkpoint_interval.as_secs(), config.usage_poll_interval.as_secs())?;
    let pending_jobs = queue::pending(conn)?.len();
    let failed_jobs = queue::failed(conn)?.len();
    writeln!(out, "jobs:          {pending_jobs} pending, {failed_jobs} failed (`hotspotd jobs`)")?;
    let mpesa = match (config.mpesa.enabled, config.mpesa.mode) {
        (false, _) => "off".to_string(),
        (true, crate::config::MpesaMode::Demo) => "DEMO (no real money)".to_string(),
        (true, crate::config::MpesaMode::Daraja) => format!("on ({})", config.mpesa.base_url),
    };
    writeln!(out, "m-pesa:        {mpesa}")?;
    writeln!(out, "sms:           {:?}", config.sms.provider)?;
    let sync = settings::get(conn, settings::SYNC_STATUS)?.unwrap_or_else(|| "not configured".into());
    writeln!(out, "sync:          {sync}")?;
    Ok(())
}

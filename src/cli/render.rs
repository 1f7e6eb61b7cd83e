//! Operator answers as the command prints them: text for a terminal (the tables and lines
//! `hotspotd` prints) or, with `--json`, the reply's value as JSON. Pure formatting of
//! `admin::Reply` values; the daemon uses it too, to answer a command over the control
//! socket with exactly what that command prints.

use std::io::{self, Write as _};

use crate::admin::{ClientRow, JobList, RadiusUpstreamReport, Reply, StatusReport};
use crate::jobs::queue::Listed;
use crate::i18n::{Lang, PortalWords};
use crate::store::catalog::{Package, VoucherListing};
use crate::store::payments::PaymentListing;

/// The command line speaks English (to the operator, in a shell).
fn words() -> &'static PortalWords {
    &Lang::En.words().portal
}

/// What the command prints for `reply`.
pub fn output(reply: &Reply, json: bool) -> String {
    let mut out = Vec::new();
    let written = if json { reply.write_json(&mut out).map_err(io::Error::from) } else { text(reply, &mut out) };
    if let Err(e) = written {
        out = format!("cannot show the answer: {e}").into_bytes();
    }
    if json {
        out.push(b'\n');
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn text(reply: &Reply, out: &mut Vec<u8>) -> io::Result<()> {
    match reply {
        Reply::PackageAdded { id } => writeln!(out, "{id}"),
        Reply::Packages(packages) => package_table(packages, out),
        Reply::VouchersCreated { codes } => codes.iter().try_for_each(|code| writeln!(out, "{code}")),
        Reply::Vouchers(vouchers) => voucher_table(vouchers, out),
        Reply::VoucherRevoked(_) => writeln!(out, "revoked: the code no longer logs anyone in"),
        Reply::UserAdded(user) => writeln!(out, "{} {}", user.username, user.password),
        Reply::UserDisabled { username, sessions } => writeln!(out, "{username} disabled; {sessions} devices went offline"),
        Reply::UserEnabled { username, changed: true } => writeln!(out, "{username} may log in again"),
        Reply::UserEnabled { username, changed: false } => writeln!(out, "{username} was not disabled"),
        Reply::Clients(clients) => client_table(clients, out),
        Reply::Kicked(kicked) => writeln!(out, "ended the session of {}", kicked.mac),
        Reply::Status(report) => status(report, out),
        Reply::ClockSynced => Ok(()),
        Reply::Jobs(jobs) => job_tables(jobs, out),
        Reply::JobRetried { id } => writeln!(out, "failed job {id} is queued again"),
        Reply::Payments(payments) => payment_table(payments, out),
    }
}

fn package_table(packages: &[Package], out: &mut Vec<u8>) -> io::Result<()> {
    writeln!(out, "{:<4} {:<20} {:>8} {:>12} {:>9} {:>13} {:>7} ON SALE", "ID", "NAME", "PRICE", "DURATION", "DATA", "DOWN/UP KBPS", "DEVICES")?;
    for p in packages {
        let speed = match (p.down_kbps, p.up_kbps) {
            (None, None) => "-".to_string(),
            (d, u) => format!("{}/{}", d.map_or("-".into(), |v| v.to_string()), u.map_or("-".into(), |v| v.to_string())),
        };
        writeln!(
            out,
            "{:<4} {:<20} {:>8} {:>12} {:>9} {:>13} {:>7} {}",
            p.id,
            p.name,
            (words().price)(p.price, &p.currency),
            (words().duration)(p.duration_secs),
            p.data_limit_bytes.map_or("unlimited".into(), words().bytes),
            speed,
            p.max_devices,
            if p.active { "yes" } else { "no" }
        )?;
    }
    Ok(())
}

fn voucher_table(vouchers: &[VoucherListing], out: &mut Vec<u8>) -> io::Result<()> {
    writeln!(out, "{:<10} {:<24} {:<9} REDEEMED BY", "CODE", "PACKAGE", "STATUS")?;
    for v in vouchers {
        let package = format!("{} {}", v.package_id, v.package_name);
        writeln!(out, "{:<10} {:<24} {:<9} {}", v.code, package, v.status, v.redeemed_mac.as_deref().unwrap_or_default())?;
    }
    Ok(())
}

fn client_table(clients: &[ClientRow], out: &mut Vec<u8>) -> io::Result<()> {
    writeln!(out, "{:<17} {:<15} {:<16} {:>10} {:>9} {:>9} {:>10}", "MAC", "IP", "USER", "TIME LEFT", "UP", "DOWN", "DATA LEFT")?;
    for c in clients {
        let data_left = c.data_left_bytes.map_or(words().unlimited.to_owned(), words().bytes);
        let via = if c.enforcer == "local" { String::new() } else { format!("  (NAS {})", c.enforcer) };
        writeln!(
            out,
            "{:<17} {:<15} {:<16} {:>10} {:>9} {:>9} {:>10}{via}",
            c.mac,
            c.ip,
            c.username,
            (words().duration)(c.seconds_left),
            (words().bytes)(c.bytes_up),
            (words().bytes)(c.bytes_down),
            data_left
        )?;
    }
    Ok(())
}

fn job_tables(jobs: &JobList, out: &mut Vec<u8>) -> io::Result<()> {
    job_table(out, "PENDING", "DUE IN", "LAST ERROR", &jobs.pending, |at| at - jobs.now)?;
    job_table(out, "FAILED (retry with `hotspotd jobs retry ID`)", "AGO", "ERROR", &jobs.failed, |at| jobs.now - at)
}

/// One table of `hotspotd jobs`; `age` turns a job's time into what the column shows.
fn job_table(out: &mut Vec<u8>, title: &str, when: &str, error: &str, jobs: &[Listed], age: impl Fn(i64) -> i64) -> io::Result<()> {
    writeln!(out, "{title}")?;
    writeln!(out, "{:<6} {:<8} {:<22} {:>8} {:>10}  {error}", "ID", "QUEUE", "KIND", "ATTEMPTS", when)?;
    for j in jobs {
        let shown_at = (words().duration)(age(j.at).max(0));
        let error = j.error.as_deref().unwrap_or_default();
        writeln!(out, "{:<6} {:<8} {:<22} {:>8} {shown_at:>10}  {error}", j.id, j.queue, j.kind, j.attempts)?;
    }
    Ok(())
}

fn payment_table(payments: &[PaymentListing], out: &mut Vec<u8>) -> io::Result<()> {
    writeln!(out, "{:<6} {:<8} {:<13} {:>6} {:<10} {:<12} {:<12} WHY", "ID", "PROVIDER", "PHONE", "AMOUNT", "STATUS", "RECEIPT", "ACCOUNT")?;
    for p in payments {
        writeln!(
            out,
            "{:<6} {:<8} {:<13} {:>6} {:<10} {:<12} {:<12} {}",
            p.id,
            p.provider,
            p.phone,
            p.amount,
            p.status,
            p.receipt.as_deref().unwrap_or_default(),
            p.account.as_deref().unwrap_or_default(),
            p.failure.map(|f| f.as_str()).unwrap_or_default()
        )?;
    }
    Ok(())
}

/// The central RADIUS server's lines of `hotspotd status`.
fn central_radius(u: &RadiusUpstreamReport, now: i64, out: &mut Vec<u8>) -> io::Result<()> {
    let ago = |at: i64| format!("{} ago", (words().duration)((now - at).max(0)));
    let roles = match (u.accounting, u.authentication) {
        (true, true) => "accounting and authentication",
        (true, false) => "accounting",
        (false, true) => "authentication",
        (false, false) => "nothing enabled",
    };
    writeln!(out, "central radius: {} ({roles})", u.server)?;
    let s = &u.status;
    let backlog = match s.oldest_at {
        Some(at) => format!("{} accounting packets waiting ({} starts/stops), oldest from {}", s.backlog, s.backlog_starts_stops, ago(at)),
        None => "nothing waiting".into(),
    };
    writeln!(out, "  backlog:     {backlog}")?;
    writeln!(out, "  last answer: {}", s.last_answer_at.map_or("never".into(), ago))?;
    if let Some(error) = &s.last_error {
        writeln!(out, "  last error:  {error}{}", s.last_error_at.map_or(String::new(), |at| format!(" ({})", ago(at))))?;
    }
    Ok(())
}

fn status(r: &StatusReport, out: &mut Vec<u8>) -> io::Result<()> {
    let daemon = match (r.daemon_running, r.daemon_pid, r.daemon_uptime_secs) {
        (true, Some(pid), Some(up)) => format!("running (pid {pid}, up {})", (words().duration)(up as i64)),
        _ => "not running (this command read the database itself)".into(),
    };
    writeln!(out, "daemon:        {daemon}")?;
    writeln!(out, "database:      {}", r.database)?;
    writeln!(out, "portal:        {}", r.portal)?;
    writeln!(out, "interface:     {}", r.interface)?;
    let firewall = match (r.firewall.as_str(), r.firewall_installed, &r.firewall_error) {
        ("none", _, _) => "none: nothing is enforced".to_string(),
        (_, Some(true), _) => "nft, table inet hotspotd installed".to_string(),
        (_, Some(false), _) => "nft, table inet hotspotd NOT installed (is the daemon running?)".to_string(),
        (_, None, Some(e)) => format!("nft, cannot be checked: {e}"),
        (kind, None, None) => kind.to_owned(),
    };
    writeln!(out, "firewall:      {firewall}")?;
    if let Some(speed) = &r.speed_limits {
        writeln!(out, "speed limits:  {speed}")?;
    }
    writeln!(out, "packages:      {} on sale", r.packages_on_sale)?;
    writeln!(out, "vouchers:      {} unused", r.vouchers_unused)?;
    writeln!(out, "online:        {} devices", r.devices_online)?;
    let clock = match (r.clock_trusted, r.clock_synced_at, r.clock_last_good) {
        (true, Some(at), _) => format!("trusted: synchronised by NTP {} ago", (words().duration)(r.now - at)),
        (true, None, _) => "trusted: later than the last time known good (not yet synchronised by NTP since boot)".into(),
        (false, _, Some(at)) => format!("NOT trusted: {} behind the last time known good; waiting for NTP", (words().duration)(at - r.now)),
        (false, _, None) => "NOT trusted: never confirmed by NTP; waiting for NTP".into(),
    };
    writeln!(out, "clock:         {clock} (remaining time runs on the monotonic clock either way)")?;
    let usage = match r.usage_last_checkpoint {
        Some(at) => format!(
            "{} active sessions checkpointed, last {} ago",
            r.usage_sessions_checkpointed,
            (words().duration)((r.now - at).max(0))
        ),
        None => "no checkpoint yet".into(),
    };
    writeln!(out, "usage:         {usage} (every {} s, polled every {} s)", r.usage_checkpoint_secs, r.usage_poll_secs)?;
    writeln!(out, "jobs:          {} pending, {} failed (`hotspotd jobs`)", r.jobs_pending, r.jobs_failed)?;
    let mpesa = match r.mpesa.as_str() {
        "demo" => "DEMO (no real money)".to_string(),
        "daraja" => format!("on ({})", r.mpesa_base_url),
        other => other.to_owned(),
    };
    writeln!(out, "m-pesa:        {mpesa}")?;
    writeln!(out, "sms:           {}", r.sms)?;
    match &r.sync {
        None => writeln!(out, "sync:          off (no `config sync`); {} events recorded for a central server", r.sync_backlog)?,
        Some(s) => {
            let last = match s.last_success {
                Some(at) => format!("last success {} s ago", (r.now - at).max(0)),
                None => "no success yet".into(),
            };
            writeln!(out, "sync:          router {} at {}: {} events to send, {last}, {} orders applied", s.router_id, s.url, s.backlog, s.applied)?;
            if let Some(error) = &s.last_error {
                writeln!(out, "               last error: {error}")?;
            }
        }
    }
    if let Some(radius) = &r.radius {
        radius_status(radius, out)?;
    }
    if let Some(u) = &r.radius_upstream {
        central_radius(u, r.now, out)?;
    }
    Ok(())
}

/// The RADIUS server's lines: where it listens, what it answered, what it dropped and why.
fn radius_status(r: &crate::radius::server::Status, out: &mut Vec<u8>) -> io::Result<()> {
    let c = &r.counters;
    writeln!(out, "radius:        udp {} (auth), {} (accounting), {} NAS", r.auth, r.accounting, r.nases)?;
    writeln!(
        out,
        "               {} accepted, {} rejected, {} accounting recorded, {} retransmissions answered again",
        c.accepted, c.rejected, c.accounting_recorded, c.duplicates
    )?;
    let causes = [
        (c.dropped_unknown_nas, "unknown NAS address"),
        (c.dropped_bad_authenticator, "wrong secret"),
        (c.dropped_message_authenticator, "no or bad Message-Authenticator"),
        (c.dropped_malformed, "malformed"),
        (c.dropped_queue_full, "NAS queue full"),
        (c.dropped_not_recorded, "database error"),
    ];
    let dropped: Vec<String> = causes.iter().filter(|(n, _)| *n > 0).map(|(n, why)| format!("{n} {why}")).collect();
    if dropped.is_empty() {
        writeln!(out, "               dropped: none")
    } else {
        writeln!(out, "               dropped: {}", dropped.join(", "))
    }
}

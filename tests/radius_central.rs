//! The central RADIUS server, for real: a private FreeRADIUS 3.2 with rlm_sql + sqlite and
//! the stock schema and queries (`scripts/freeradius-central.sh`), and hotspotd (the real
//! binary, firewall `none`, devices over loopback) with `config radius_upstream` pointing at
//! it. What must hold: every session's Start and Stop reach `radacct` with the right octets
//! (gigawords included); a central that is down while sessions come and go gets them all
//! later, once each and in order, with Acct-Delay-Time; a `kill -9` while forwarding loses
//! nothing; a user only in `radcheck` logs in at the portal and keeps working once the
//! central is gone.
//!
//! Needs `freeradius` (Debian, 3.2) installed (`scripts/test.sh` installs it): without it
//! each test fails saying so, rather than passing having checked nothing.

mod device;
mod radius;

use std::collections::HashMap;
use std::net::{Ipv4Addr, UdpSocket};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use device::{addr, mac, post_json, Daemon};
use hotspotd::clock::SystemClock;
use hotspotd::config::RadiusUpstreamConfig;
use hotspotd::firewall::Traffic;
use hotspotd::netaddr::MacAddr;
use hotspotd::radius::upstream::{forwarder, queue};
use hotspotd::sessions::nas::{class_of, AcctStatus, NasAccounting, NasLogin, PasswordCheck};
use hotspotd::sessions::records::{self, Client, Credential, Live, Selection};
use hotspotd::store::sessions::{EndMethod, EndReason};
use hotspotd::store::{self, catalog, Store};
use rusqlite::Connection;

const SECRET: &str = "central-s3cret";
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/freeradius-central.sh");

fn have_freeradius() -> bool {
    let found = Command::new("sh").args(["-c", "command -v freeradius || test -x /usr/sbin/freeradius"]).output().is_ok_and(|o| o.status.success());
    assert!(found, "freeradius is not installed: run scripts/test.sh (as root it installs freeradius and freeradius-utils)");
    found
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Waits until `check` holds, up to `limit`; panics with `what` otherwise.
fn wait_for(limit: Duration, what: &str, mut check: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    started.elapsed()
}

/// The central FreeRADIUS in its own directory; stopped and removed on drop.
struct Central {
    dir: PathBuf,
    auth_port: u16,
    acct_port: u16,
}

impl Central {
    fn new(name: &str) -> Central {
        let dir = std::env::temp_dir().join(format!("hotspotd-central-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let auth_port = free_udp_port();
        let mut acct_port = free_udp_port();
        while acct_port == auth_port {
            acct_port = free_udp_port();
        }
        Central { dir, auth_port, acct_port }
    }

    fn start(&self) {
        let out = Command::new(SCRIPT)
            .args(["start", self.dir.to_str().unwrap(), &self.auth_port.to_string(), &self.acct_port.to_string(), SECRET])
            .output()
            .unwrap();
        assert!(out.status.success(), "freeradius-central start: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }

    fn stop(&self) {
        let _ = Command::new(SCRIPT).args(["stop", self.dir.to_str().unwrap()]).output();
    }

    fn db(&self) -> Connection {
        let conn = Connection::open(self.dir.join("radius.db")).unwrap();
        conn.busy_timeout(Duration::from_secs(5)).unwrap();
        conn
    }

    /// Every Accounting-Request FreeRADIUS received, in order of arrival.
    fn received(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.dir.join("accounting.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .map(|v| v["attrs"].clone())
            .collect()
    }

    fn user(&self, username: &str, password: &str, replies: &[(&str, &str)]) {
        let db = self.db();
        db.execute("INSERT INTO radcheck (username, attribute, op, value) VALUES (?1, 'Cleartext-Password', ':=', ?2)", [username, password]).unwrap();
        for (attribute, value) in replies {
            db.execute("INSERT INTO radreply (username, attribute, op, value) VALUES (?1, ?2, ':=', ?3)", [username, attribute, value]).unwrap();
        }
    }

    fn upstream_section(&self, authentication: bool) -> String {
        format!(
            "config radius_upstream 'central'\n\toption server '127.0.0.1'\n\toption auth_port '{}'\n\toption acct_port '{}'\n\t\
             option secret '{SECRET}'\n\toption accounting '1'\n\toption authentication '{}'\n\toption nas_identifier 'shop-1'\n",
            self.auth_port,
            self.acct_port,
            u8::from(authentication)
        )
    }
}

impl Drop for Central {
    fn drop(&mut self) {
        self.stop();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        } else {
            eprintln!("central's files kept in {}", self.dir.display());
        }
    }
}

/// (Acct-Session-Id, Acct-Status-Type) of each Accounting-Request received, in order.
fn arrivals(received: &[serde_json::Value]) -> Vec<(String, i64)> {
    received
        .iter()
        .map(|a| (a["Acct-Session-Id"].as_str().unwrap_or_default().to_owned(), a["Acct-Status-Type"].as_i64().unwrap_or(0)))
        .collect()
}

/// hotspotd on loopback (`device::Daemon`: its own directory, kept across restarts and
/// `kill -9`), debug-logging, with what these tests do to it.
struct Hotspot(Daemon);

impl std::ops::Deref for Hotspot {
    type Target = Daemon;
    fn deref(&self) -> &Daemon {
        &self.0
    }
}

impl std::ops::DerefMut for Hotspot {
    fn deref_mut(&mut self) -> &mut Daemon {
        &mut self.0
    }
}

impl Hotspot {
    fn new(name: &str, extra: &str) -> Hotspot {
        Hotspot(Daemon::start(&format!("upstream-{name}"), &format!("\toption log_level 'debug'\n{extra}")))
    }

    /// Codes of a voucher package for `devices` devices.
    fn vouchers(&self, n: usize, devices: u32) -> Vec<String> {
        let package = self.cli(&["package", "add", "--name", "Hour", "--price", "10", "--duration", "3600", "--devices", &devices.to_string()]);
        let out = self.cli(&["voucher", "create", "--package", package.trim(), "--count", &n.to_string()]);
        out.lines().map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).collect()
    }

    fn voucher_login(&self, device: u8, code: &str) {
        let answer = self.try_code(device, 1, code);
        assert_eq!(answer.status, 200, "voucher login of device {device}: {answer:?}");
    }

    fn password_login(&self, device: u8, username: &str, password: &str) -> device::Answer {
        post_json(addr(device, 1), self.addr, "/api/hotspot/login", &format!(r#"{{"username":"{username}","password":"{password}"}}"#))
    }

    fn status_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.cli(&["--json", "status"])).unwrap()
    }

    fn backlog(&self) -> i64 {
        let conn = Connection::open(self.dir.join("hotspotd.db")).unwrap();
        conn.busy_timeout(Duration::from_secs(5)).unwrap();
        conn.query_row("SELECT count(*) FROM radius_acct_outbox", [], |r| r.get(0)).unwrap()
    }
}

#[test]
fn a_portal_session_reaches_radacct_with_start_and_stop() {
    if !have_freeradius() {
        return;
    }
    let central = Central::new("portal");
    central.start();
    let hotspot = Hotspot::new("portal", &central.upstream_section(false));
    let code = hotspot.vouchers(1, 5).remove(0);
    hotspot.voucher_login(1, &code);
    wait_for(Duration::from_secs(10), "the Start reaches radacct", || {
        central.db().query_row("SELECT count(*) FROM radacct", [], |r| r.get::<_, i64>(0)).unwrap() == 1
    });
    hotspot.cli(&["deauth", &mac(1)]);
    wait_for(Duration::from_secs(10), "the Stop reaches radacct", || {
        central.db().query_row("SELECT count(*) FROM radacct WHERE acctstoptime IS NOT NULL", [], |r| r.get::<_, i64>(0)).unwrap() == 1
    });
    let (username, calling, framed, cause, nas_ip, input, output): (String, String, String, String, String, i64, i64) = central
        .db()
        .query_row(
            "SELECT username, callingstationid, framedipaddress, acctterminatecause, nasipaddress, acctinputoctets, acctoutputoctets FROM radacct",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
        )
        .unwrap();
    assert_eq!(username, code);
    assert_eq!(calling, "02-7F-01-00-00-00");
    assert_eq!(framed, "127.1.0.1");
    assert_eq!(cause, "Admin-Reset");
    assert_eq!(nas_ip, "127.0.0.1");
    assert_eq!((input, output), (0, 0), "firewall `none` counts nothing (octets: see the in-process test)");
    let received = central.received();
    assert_eq!(received[0]["Acct-Status-Type"], 7, "Accounting-On first: {received:?}");
    assert_eq!(received[1]["NAS-Identifier"], "shop-1");
    // Every packet carries a Message-Authenticator (packets.rs tests): FreeRADIUS drops one
    // whose Message-Authenticator is wrong, so these answers vouch for ours.
    let status = hotspot.status_json();
    let upstream = &status["radius_upstream"];
    assert_eq!(upstream["backlog"], 0, "{status}");
    assert!(upstream["last_answer_at"].as_i64().is_some_and(|at| now() - at < 30), "{status}");
    let text = hotspot.cli(&["status"]);
    assert!(text.contains("central radius: 127.0.0.1") && text.contains("nothing waiting"), "{text}");
}

/// Live totals for the sessions an in-process test ends: session N moved 5 GiB + N up.
struct Moved;

impl Live for Moved {
    fn totals(&self, session_id: i64) -> Option<Traffic> {
        Some(Traffic { up: (5 << 32) + session_id as u64, down: (7 << 32) + 2 * session_id as u64 })
    }

    fn in_use(&self, _: i64) -> bool {
        false
    }
}

/// Runs the forwarder on `conn` until the outbox is empty, then stops it (Accounting-Off);
/// returns how long the outbox took to drain.
fn forward_all(central: &Central, conn: Connection) -> Duration {
    let (store_handle, store_thread) = Store::start(conn).unwrap();
    let config = RadiusUpstreamConfig {
        server: "127.0.0.1".parse().unwrap(),
        auth_port: central.auth_port,
        acct_port: central.acct_port,
        secret: SECRET.into(),
        accounting: true,
        authentication: false,
        nas_identifier: "shop-1".into(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let drained = runtime.block_on(async {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(forwarder::run(store_handle.clone(), Arc::new(SystemClock), config, stopped));
        let started = Instant::now();
        loop {
            let status = store_handle.call(|conn| queue::status(conn)).await.unwrap();
            if status.backlog == 0 {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(120), "backlog left: {status:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let drained = started.elapsed();
        stop.send(true).unwrap();
        task.await.unwrap();
        drained
    });
    drop(store_handle);
    store_thread.join().unwrap();
    drained
}

#[test]
fn octets_with_gigawords_reach_radacct_and_a_backlog_drains() {
    if !have_freeradius() {
        return;
    }
    const SESSIONS: u32 = 500;
    let central = Central::new("octets");
    let dir = central.dir.join("hotspotd");
    let mut conn = store::open(&dir.join("hotspotd.db")).unwrap();
    queue::configure(&conn, Some(300)).unwrap();
    let package = catalog::NewPackage { name: "Hour".into(), price: 10, duration_secs: 3600, data_limit_bytes: None, down_kbps: None, up_kbps: None, max_devices: 1 };
    let t = now();
    let package = catalog::add_package(&conn, &package, t).unwrap();
    let codes = catalog::create_vouchers(&mut conn, package, SESSIONS, None, t).unwrap();
    for (i, code) in codes.iter().enumerate() {
        let client = Client { ip: Ipv4Addr::new(10, 9, (i / 200) as u8, (i % 200) as u8 + 1), mac: MacAddr([2, 0, 0, 0, (i >> 8) as u8, i as u8]) };
        records::login(&mut conn, client, &Credential::Voucher(code.clone()), t, &()).unwrap().unwrap();
        records::end_sessions(&mut conn, Selection::Device(client.mac), EndMethod::Cli, EndReason::Quota, t + 1, &Moved).unwrap().unwrap();
    }
    assert_eq!(conn.query_row("SELECT count(*) FROM radius_acct_outbox", [], |r| r.get::<_, i64>(0)).unwrap(), 2 * SESSIONS as i64);
    // The central comes up with the whole backlog waiting (as after a day offline).
    central.start();
    let drained = forward_all(&central, conn);
    eprintln!("figure: {} accounting rows drained into FreeRADIUS+sqlite in {drained:?} ({:.0}/s)", 2 * SESSIONS, 2.0 * SESSIONS as f64 / drained.as_secs_f64());
    let db = central.db();
    let rows: Vec<(String, i64, i64, String, i64)> = db
        .prepare("SELECT acctsessionid, acctinputoctets, acctoutputoctets, acctterminatecause, acctsessiontime FROM radacct ORDER BY acctsessionid")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), SESSIONS as usize);
    for (acct_session_id, input, output, cause, time) in rows {
        let id = i64::from_str_radix(&acct_session_id, 16).unwrap();
        assert_eq!((input, output), ((5 << 32) + id, (7 << 32) + 2 * id), "session {acct_session_id}: upload is input, gigawords counted");
        assert_eq!((cause.as_str(), time), ("NAS-Request", 1));
    }
    let received = central.received();
    assert_eq!(received.last().unwrap()["Acct-Status-Type"], 8, "Accounting-Off at the stop");
    assert!(received.iter().filter(|a| a["Acct-Status-Type"] == 2).all(|a| a["Acct-Delay-Time"].as_i64().is_some()));
}

#[test]
fn a_central_down_gets_every_start_and_stop_later_once_and_in_order() {
    if !have_freeradius() {
        return;
    }
    let central = Central::new("down");
    let hotspot = Hotspot::new("down", &central.upstream_section(false));
    let codes = hotspot.vouchers(6, 5);
    // Sessions come and go while the central is down.
    for device in 1..=6u8 {
        hotspot.voucher_login(device, &codes[device as usize - 1]);
    }
    for device in [2u8, 4, 6] {
        hotspot.cli(&["deauth", &mac(device)]);
    }
    hotspot.voucher_login(2, &codes[1]); // device 2 again: a new session
    assert_eq!(hotspot.backlog(), 6 + 3 + 1);
    let status = hotspot.status_json();
    assert!(status["radius_upstream"]["last_error"].as_str().is_some_and(|e| e.contains("refused") || e.contains("no answer")), "{status}");
    let text = hotspot.cli(&["status"]);
    assert!(text.contains("10 accounting packets waiting (10 starts/stops)"), "{text}");
    std::thread::sleep(Duration::from_secs(2)); // so the delay shows
    central.start();
    let drained = wait_for(Duration::from_secs(90), "the backlog drains", || hotspot.backlog() == 0);
    eprintln!("figure: 10 rows sent {drained:?} after the central came back (probe backoff included)");
    let received = central.received();
    let sessions: Vec<(String, i64)> = arrivals(&received).into_iter().filter(|(_, kind)| *kind == 1 || *kind == 2).collect();
    let mut seen: HashMap<(String, i64), usize> = HashMap::new();
    for s in &sessions {
        *seen.entry(s.clone()).or_default() += 1;
    }
    assert_eq!(seen.len(), 10, "{sessions:?}");
    assert!(seen.values().all(|&n| n == 1), "each once: {sessions:?}");
    for (id, kind) in &sessions {
        if *kind == 2 {
            let start = sessions.iter().position(|s| s == &(id.clone(), 1)).unwrap();
            let stop = sessions.iter().position(|s| s == &(id.clone(), 2)).unwrap();
            assert!(start < stop, "the Start of {id} before its Stop: {sessions:?}");
        }
    }
    for a in received.iter().filter(|a| a["Acct-Status-Type"] == 1 || a["Acct-Status-Type"] == 2) {
        assert!(a["Acct-Delay-Time"].as_i64().is_some_and(|d| d >= 2), "Acct-Delay-Time says how late: {a}");
    }
    let open: i64 = central.db().query_row("SELECT count(*) FROM radacct WHERE acctstoptime IS NULL", [], |r| r.get(0)).unwrap();
    assert_eq!(open, 4, "devices 1, 3, 5 and device 2's second session are online");
}

#[test]
fn kill_9_while_forwarding_loses_nothing() {
    if !have_freeradius() {
        return;
    }
    const DEVICES: u8 = 60;
    let central = Central::new("kill");
    let mut hotspot = Hotspot::new("kill", &central.upstream_section(false));
    let codes = hotspot.vouchers(DEVICES as usize, 5);
    for device in 1..=DEVICES {
        hotspot.voucher_login(device, &codes[device as usize - 1]);
    }
    for device in 1..=DEVICES / 2 {
        hotspot.cli(&["deauth", &mac(device)]);
    }
    let queued = hotspot.backlog();
    assert_eq!(queued, DEVICES as i64 + DEVICES as i64 / 2);
    central.start();
    // Killed while the backlog is on its way.
    wait_for(Duration::from_secs(60), "forwarding begins", || central.received().len() > 5);
    hotspot.kill_9();
    let left = hotspot.backlog();
    eprintln!("killed with {left} of {queued} rows left");
    hotspot.restart();
    wait_for(Duration::from_secs(90), "the backlog drains after the restart", || hotspot.backlog() == 0);
    let received = arrivals(&central.received());
    let mut seen: HashMap<(String, i64), usize> = HashMap::new();
    for s in received.iter().filter(|(_, kind)| *kind == 1 || *kind == 2) {
        *seen.entry(s.clone()).or_default() += 1;
    }
    assert_eq!(seen.len() as i64, queued, "every Start and Stop arrived: {received:?}");
    let twice = seen.values().filter(|&&n| n > 1).count();
    eprintln!("figure: {twice} of {queued} sent twice (in flight at the kill; radacct keeps one row each)");
    let db = central.db();
    let rows: i64 = db.query_row("SELECT count(*) FROM radacct", [], |r| r.get(0)).unwrap();
    let stopped: i64 = db.query_row("SELECT count(*) FROM radacct WHERE acctterminatecause = 'Admin-Reset'", [], |r| r.get(0)).unwrap();
    assert_eq!((rows, stopped), (DEVICES as i64, DEVICES as i64 / 2));
}

#[test]
fn a_user_only_in_radcheck_logs_in_and_keeps_working_without_the_central() {
    if !have_freeradius() {
        return;
    }
    let central = Central::new("auth");
    central.start();
    central.user("wanjiru", "pass-1234", &[("Session-Timeout", "7200"), ("Class", "0x706c616e2d37"), ("WISPr-Bandwidth-Max-Down", "2048000")]);
    let hotspot = Hotspot::new("auth", &central.upstream_section(true));
    let answer = hotspot.password_login(1, "wanjiru", "pass-1234");
    assert_eq!(answer.status, 200, "{answer:?}");
    let account = Connection::open(hotspot.dir.join("hotspotd.db"))
        .unwrap()
        .query_row(
            "SELECT u.source, u.duration_secs, u.down_kbps, c.class FROM hotspot_users u JOIN radius_central_accounts c ON c.user_id = u.id WHERE username = 'wanjiru'",
            [],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, Option<i64>>(2)?, r.get::<_, Vec<u8>>(3)?)),
        )
        .unwrap();
    assert_eq!(account, ("central".into(), 7200, Some(2048), b"plan-7".to_vec()));
    // A wrong password and a stranger are refused by the central.
    assert_ne!(hotspot.password_login(3, "stranger", "nope").status, 200);
    // The central goes away; the account keeps working here, from the same and another device.
    central.stop();
    hotspot.cli(&["deauth", &mac(1)]);
    let started = Instant::now();
    assert_eq!(hotspot.password_login(1, "wanjiru", "pass-1234").status, 200);
    assert!(started.elapsed() < Duration::from_secs(1), "a known account never waits for the central");
    hotspot.cli(&["deauth", &mac(1)]);
    assert_eq!(hotspot.password_login(2, "wanjiru", "pass-1234").status, 200);
    assert!(hotspot.cli(&["clients"]).contains("wanjiru"));
    // An unknown name while the central is down costs that login ~3 s, and is refused.
    let started = Instant::now();
    assert_ne!(hotspot.password_login(4, "nobody", "x").status, 200);
    let waited = started.elapsed();
    eprintln!("figure: a login of an unknown name with the central down took {waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    // The accounting of the central account's sessions carries its Class.
    central.start();
    wait_for(Duration::from_secs(60), "the sessions reach radacct", || hotspot.backlog() == 0);
    let class: Option<String> = central.db().query_row("SELECT class FROM radacct LIMIT 1", [], |r| r.get(0)).ok();
    eprintln!("radacct class column: {class:?}");
    assert!(central.received().iter().any(|a| a["User-Name"] == "wanjiru" && a["Class"].as_str().is_some_and(|c| c.contains("706c616e2d37"))));
    // The operator changes the password centrally: the new one works here (asked again), and
    // the router keeps it for the next time the central is away.
    central.db().execute("UPDATE radcheck SET value = 'pass-5678' WHERE username = 'wanjiru'", []).unwrap();
    assert_eq!(hotspot.password_login(2, "wanjiru", "pass-5678").status, 200);
    // A central account whose time ran out is renewed by the central's next Accept.
    central.user("short", "pw-short", &[("Session-Timeout", "3")]);
    assert_eq!(hotspot.password_login(5, "short", "pw-short").status, 200);
    wait_for(Duration::from_secs(15), "the 3-second account expires", || !hotspot.cli(&["clients"]).contains("short"));
    central.db().execute("UPDATE radreply SET value = '600' WHERE username = 'short'", []).unwrap();
    let again = hotspot.password_login(5, "short", "pw-short");
    assert_eq!(again.status, 200, "renewed by the central: {again:?}");
    assert_eq!(again.json()["seconds_remaining"], 600, "the renewed account's time: {again:?}");
}

#[test]
fn a_stop_does_not_wait_for_a_silent_central() {
    // A "central" that takes every packet and never answers (no ICMP either).
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let upstream = format!(
        "config radius_upstream 'central'\n\toption server '127.0.0.1'\n\toption auth_port '{port}'\n\toption acct_port '{port}'\n\t\
         option secret '{SECRET}'\n\toption accounting '1'\n\toption authentication '1'\n"
    );
    let mut hotspot = Hotspot::new("silent", &upstream);
    let code = hotspot.vouchers(1, 5).remove(0);
    hotspot.voucher_login(1, &code);
    // Sent and retransmitted to nobody for a while; a login of an unknown name is under way.
    std::thread::sleep(Duration::from_secs(3));
    let asking = std::thread::spawn({
        let portal = hotspot.addr;
        move || post_json(addr(2, 1), portal, "/api/hotspot/login", r#"{"username":"nobody","password":"x"}"#).status
    });
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let status = hotspot.terminate();
    let took = started.elapsed();
    eprintln!("figure: stop with a silent central and a central login under way took {took:?}");
    assert!(status.success(), "{status:?}\n{}", hotspot.log());
    assert!(took < Duration::from_secs(8), "{took:?}");
    let _ = asking.join();
    assert!(hotspot.backlog() >= 1, "the Start waits for the next run");
}

/// NAS sessions (a MikroTik or CoovaChilli behind the router, accounted to hotspotd by
/// RADIUS) reach the central's radacct as portal sessions do: under the router's own
/// Acct-Session-Id, with the octets the NAS reported and its terminate cause.
#[test]
fn nas_sessions_reach_radacct() {
    if !have_freeradius() {
        return;
    }
    let central = Central::new("nas");
    let mut conn = store::open(&central.dir.join("hotspotd").join("hotspotd.db")).unwrap();
    queue::configure(&conn, Some(300)).unwrap();
    let t = now();
    let package = catalog::NewPackage { name: "Hour".into(), price: 10, duration_secs: 3600, data_limit_bytes: None, down_kbps: None, up_kbps: None, max_devices: 1 };
    let package = catalog::add_package(&conn, &package, t).unwrap();
    let code = catalog::create_vouchers(&mut conn, package, 1, None, t).unwrap().remove(0);
    let device = MacAddr([0x4c, 0x5e, 0x0c, 0, 0, 7]);
    let ip = Ipv4Addr::new(192, 168, 88, 20);
    let login = NasLogin { nas: "till-1".into(), username: code.clone(), password: PasswordCheck::Pap(code.clone().into_bytes()), mac: Some(device), ip: Some(ip) };
    let session_id = records::nas::login(&mut conn, &login, t, &()).unwrap().unwrap().session_id;
    let report = |status, input_bytes, output_bytes, terminate_cause, n: u8| NasAccounting {
        nas: "till-1".into(),
        status,
        acct_session_id: "81a00007".into(),
        username: code.clone(),
        class: Some(class_of(session_id)),
        mac: Some(device),
        ip: Some(ip),
        input_bytes,
        output_bytes,
        session_time: Some(600),
        terminate_cause,
        authenticator: [n; 16],
    };
    records::nas::accounting(&mut conn, &[report(AcctStatus::Start, 0, 0, None, 1)], t, &()).unwrap();
    // The NAS's Interim-Update, then the usage report after the interval: an Interim-Update
    // goes upstream with the totals so far.
    records::nas::accounting(&mut conn, &[report(AcctStatus::Interim, 1_000, 2_000, None, 3)], t + 290, &()).unwrap();
    store::usage::report(&conn, t + 300).unwrap();
    central.start();
    forward_all(&central, conn);
    let interim: (i64, i64) =
        central.db().query_row("SELECT acctinputoctets, acctoutputoctets FROM radacct", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!(interim, (1_000, 2_000));
    assert!(central.received().iter().any(|a| a["Acct-Status-Type"] == 3 && a["Acct-Input-Octets"] == 1_000 && a["Acct-Session-Time"] == 300));
    // (The forwarder's stop sent Accounting-Off, which FreeRADIUS takes as "every session of
    // this NAS ended": the row is closed until the real Stop below sets its end.)
    let mut conn = store::open(&central.dir.join("hotspotd").join("hotspotd.db")).unwrap();
    records::nas::accounting(&mut conn, &[report(AcctStatus::Stop, (3 << 32) + 5, 9_000, Some(1), 2)], t + 600, &()).unwrap();
    forward_all(&central, conn);
    let row: (String, String, i64, i64, String, String) = central
        .db()
        .query_row(
            "SELECT acctsessionid, username, acctinputoctets, acctoutputoctets, acctterminatecause, callingstationid FROM radacct",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .unwrap();
    assert_eq!(row, (format!("{session_id:08X}"), code, (3 << 32) + 5, 9_000, "User-Request".into(), "4C-5E-0C-00-00-07".into()));
}

/// A NAS (the real radclient) asking hotspotd about a user only the central knows: the
/// server hands that one login to the central (the others of its batch are answered at
/// once), accepts it with the central's limits in the NAS's dialect, and keeps accepting it
/// once the central is gone.
#[test]
fn a_nas_login_of_a_user_only_the_central_knows_is_asked_of_it_once() {
    if !have_freeradius() {
        return;
    }
    let central = Central::new("nas-auth");
    central.start();
    central.user("otieno", "pass-9876", &[("Session-Timeout", "3600"), ("Mikrotik-Rate-Limit", "1M/2M")]);
    const TILL: radius::NasEntry = radius::NasEntry::new("till-1", "127.0.0.31", "till-secret-1", "mikrotik");
    let r = radius::Radius::start("central-nas-auth", &[TILL], &central.upstream_section(true));
    r.account("amina", "sunny-day", &["--devices", "5"]);
    let pap = |user: &str, password: &str| {
        r.auth(&TILL, TILL.secret, &[&format!("User-Name = \"{user}\""), &format!("User-Password = \"{password}\""), "Calling-Station-Id = \"AA-BB-CC-00-00-31\""], true)
    };
    assert!(pap("amina", "sunny-day").is("Access-Accept"), "a local account needs no central");
    let accepted = pap("otieno", "pass-9876");
    assert!(accepted.is("Access-Accept"), "{}", accepted.output);
    assert_eq!(accepted.get("Mikrotik-Rate-Limit"), Some("1000k/2000k"), "{}", accepted.output);
    let timeout: u64 = accepted.get("Session-Timeout").unwrap().parse().unwrap();
    assert!((3500..=3600).contains(&timeout), "{}", accepted.output);
    assert!(pap("otieno", "wrong").is("Access-Reject"));
    assert!(pap("nobody", "x").is("Access-Reject"));
    central.stop();
    let offline = pap("otieno", "pass-9876");
    assert!(offline.is("Access-Accept"), "the account works without the central: {}", offline.output);
}


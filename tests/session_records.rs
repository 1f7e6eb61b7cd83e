//! The login, logout and expiry transactions on a real SQLite file (no network, no root):
//! what the database holds after each step a phone user or the operator takes.

use std::path::PathBuf;

use hotspotd::access::Refusal;
use hotspotd::netaddr::MacAddr;
use hotspotd::sessions::records::{self, Client, Credential, LoginRecord, Selection};
use hotspotd::sessions::{Cut, Target};
use hotspotd::store::sessions::{EndMethod, EndReason};
use hotspotd::store::{self, catalog, outbox};
use rusqlite::Connection;

const NOW: i64 = 1_800_000_000;

struct Db {
    path: PathBuf,
    conn: Connection,
}

impl Drop for Db {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.path.parent().unwrap());
    }
}

fn db(name: &str) -> Db {
    let dir = std::env::temp_dir().join(format!("hotspotd-records-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("hotspotd.db");
    let conn = store::open(&path).unwrap();
    Db { path, conn }
}

fn package(conn: &Connection, duration_secs: i64, max_devices: u32) -> i64 {
    let new = catalog::NewPackage {
        name: "Test".into(),
        price: 10,
        duration_secs,
        data_limit_bytes: None,
        down_kbps: None,
        up_kbps: None,
        max_devices,
    };
    catalog::add_package(conn, &new, NOW).unwrap()
}

fn client(n: u8) -> Client {
    Client { ip: [10, 77, 0, 10 + n].into(), mac: MacAddr([2, 0, 0, 0, 0, n]) }
}

fn voucher(code: &str) -> Credential {
    Credential::Voucher(code.into())
}

fn login(conn: &mut Connection, client: Client, credential: &Credential, now: i64) -> Result<LoginRecord, Refusal> {
    records::login(conn, client, credential, now, &()).unwrap()
}

fn end(conn: &mut Connection, selection: Selection, method: EndMethod, reason: EndReason, now: i64) -> Vec<Cut> {
    records::end_sessions(conn, selection, method, reason, now, &()).unwrap().unwrap()
}

fn local_ip(cut: &Cut) -> String {
    match &cut.target {
        Target::Local(device) => device.ip.to_string(),
        other => panic!("not a local session: {other:?}"),
    }
}

/// The kinds of outbox events recorded so far, in order (`payment_started`, …).
fn events(conn: &Connection) -> Vec<String> {
    outbox::unsent(conn, 0, 1000)
        .unwrap()
        .into_iter()
        .map(|r| serde_json::from_str::<serde_json::Value>(&r.payload).unwrap()["event"].as_str().unwrap().to_owned())
        .collect()
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn first_redemption_creates_the_account_and_starts_its_clock() {
    let mut db = db("first");
    let pkg = package(&db.conn, 3600, 1);
    let code = catalog::create_vouchers(&mut db.conn, pkg, 1, None, NOW).unwrap().remove(0);
    // Typed in lower case with a dash, as people do.
    let typed = format!("{}-{}", &code[..4].to_lowercase(), &code[4..]);
    let record = login(&mut db.conn, client(1), &voucher(&typed), NOW + 100).unwrap();
    assert_eq!(record.username, code);
    assert_eq!(record.expires_at, NOW + 100 + 3600, "the hour runs from the first login");
    assert_eq!(record.grant.expires_at - (NOW + 100), 3600);
    assert_eq!(count(&db.conn, "SELECT count(*) FROM vouchers WHERE status = 'redeemed'"), 1);
    assert_eq!(count(&db.conn, "SELECT count(*) FROM hotspot_users WHERE subscription_starts_at IS NOT NULL"), 1);
    assert_eq!(count(&db.conn, "SELECT count(*) FROM sessions WHERE status = 'active'"), 1);
    assert_eq!(count(&db.conn, "SELECT count(*) FROM auth_log WHERE outcome = 'accepted'"), 1);
}

#[test]
fn the_same_voucher_attaches_devices_up_to_the_limit() {
    let mut db = db("devices");
    let pkg = package(&db.conn, 3600, 2);
    let code = catalog::create_vouchers(&mut db.conn, pkg, 1, None, NOW).unwrap().remove(0);
    let first = login(&mut db.conn, client(1), &voucher(&code), NOW).unwrap();
    let second = login(&mut db.conn, client(2), &voucher(&code), NOW + 60).unwrap();
    assert_eq!(second.expires_at, first.expires_at, "a second device does not restart the clock");
    assert_eq!(second.grant.expires_at - (NOW + 60), 3600 - 60);
    let third = login(&mut db.conn, client(3), &voucher(&code), NOW + 61);
    assert_eq!(third.unwrap_err(), Refusal::DeviceLimit { max_devices: 2 });
    assert_eq!(count(&db.conn, "SELECT count(*) FROM sessions WHERE status = 'active'"), 2);
    assert_eq!(count(&db.conn, "SELECT count(*) FROM auth_log WHERE outcome = 'rejected'"), 1);
    // After a logout the third device fits.
    let revoked = end(&mut db.conn, Selection::Device(client(1).mac), EndMethod::Portal, EndReason::Logout, NOW + 62);
    assert_eq!(revoked.len(), 1);
    assert!(login(&mut db.conn, client(3), &voucher(&code), NOW + 63).is_ok());
    // The same device logging in again refreshes its session rather than taking a slot.
    let again = login(&mut db.conn, client(3), &voucher(&code), NOW + 64).unwrap();
    assert_eq!(count(&db.conn, "SELECT count(*) FROM sessions WHERE status = 'active'"), 2);
    assert!(again.cut.is_empty());
}

#[test]
fn expiry_ends_sessions_and_the_account_cannot_come_back() {
    let mut db = db("expiry");
    let pkg = package(&db.conn, 10, 1);
    let code = catalog::create_vouchers(&mut db.conn, pkg, 1, None, NOW).unwrap().remove(0);
    login(&mut db.conn, client(1), &voucher(&code), NOW).unwrap();
    assert!(end(&mut db.conn, Selection::Due, EndMethod::Expiry, EndReason::Expired, NOW + 9).is_empty());
    assert_eq!(records::authorised_now(&db.conn, None, NOW + 9).unwrap().len(), 1);
    let ended = end(&mut db.conn, Selection::Due, EndMethod::Expiry, EndReason::Expired, NOW + 10);
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].target, Target::Local(hotspotd::firewall::Device { ip: client(1).ip, mac: client(1).mac }));
    assert!(records::authorised_now(&db.conn, None, NOW + 10).unwrap().is_empty());
    assert_eq!(count(&db.conn, "SELECT count(*) FROM hotspot_users WHERE status = 'expired'"), 1);
    assert_eq!(
        count(&db.conn, "SELECT count(*) FROM session_disconnections WHERE method = 'expiry' AND reason = 'expired' AND duration_secs = 10"),
        1
    );
    let again = login(&mut db.conn, client(1), &voucher(&code), NOW + 11);
    assert!(matches!(again, Err(Refusal::Expired { .. })), "{again:?}");
}

#[test]
fn passwords_and_unknown_codes_are_refused_without_side_effects() {
    let mut db = db("refused");
    let pkg = package(&db.conn, 3600, 1);
    let unknown = login(&mut db.conn, client(1), &voucher("NOPE2345"), NOW);
    assert_eq!(unknown.unwrap_err(), Refusal::UnknownVoucher);
    let hash = hotspotd::credentials::hash_password("secret1").unwrap();
    let package = catalog::get_package(&db.conn, pkg).unwrap().unwrap();
    hotspotd::store::accounts::create_account(
        &db.conn,
        "amina",
        Some(&hash),
        None,
        &package,
        hotspotd::store::accounts::AccountSource::Admin,
        NOW,
    )
    .unwrap();
    let wrong = Credential::Password { username: "amina".into(), password: "secret2".into() };
    assert_eq!(login(&mut db.conn, client(1), &wrong, NOW).unwrap_err(), Refusal::WrongCredentials);
    let nobody = Credential::Password { username: "nobody".into(), password: "secret1".into() };
    assert_eq!(login(&mut db.conn, client(1), &nobody, NOW).unwrap_err(), Refusal::WrongCredentials);
    assert_eq!(count(&db.conn, "SELECT count(*) FROM sessions"), 0);
    assert_eq!(count(&db.conn, "SELECT count(*) FROM auth_log WHERE outcome = 'rejected'"), 3);
    // Refusals are logged with stable codes that tools can count by.
    assert_eq!(count(&db.conn, "SELECT count(*) FROM auth_log WHERE reason = 'unknown_voucher'"), 1);
    assert_eq!(count(&db.conn, "SELECT count(*) FROM auth_log WHERE reason = 'wrong_credentials'"), 2);
    let right = Credential::Password { username: "amina".into(), password: "secret1".into() };
    assert!(login(&mut db.conn, client(1), &right, NOW).is_ok());
}

#[test]
fn a_device_moving_to_another_account_or_address_is_revoked_from_the_old_one() {
    let mut db = db("moves");
    let pkg = package(&db.conn, 3600, 1);
    let codes = catalog::create_vouchers(&mut db.conn, pkg, 2, None, NOW).unwrap();
    login(&mut db.conn, client(1), &voucher(&codes[0]), NOW).unwrap();
    // The same phone uses a second voucher: the first session ends, its firewall entry goes.
    let second = login(&mut db.conn, client(1), &voucher(&codes[1]), NOW + 1).unwrap();
    assert_eq!(second.cut.len(), 1);
    assert_eq!(count(&db.conn, "SELECT count(*) FROM sessions WHERE status = 'active'"), 1);
    assert_eq!(count(&db.conn, "SELECT count(*) FROM sessions WHERE end_reason = 'replaced'"), 1);
    // It comes back with a new DHCP address: same session, the old address is revoked.
    let moved = Client { ip: [10, 77, 0, 99].into(), ..client(1) };
    let record = login(&mut db.conn, moved, &voucher(&codes[1]), NOW + 2).unwrap();
    assert_eq!(record.session_id, second.session_id);
    assert_eq!(record.cut.iter().map(local_ip).collect::<Vec<_>>(), ["10.77.0.11"]);
}

#[test]
fn every_change_is_in_the_outbox_in_its_own_transaction() {
    let mut db = db("outbox");
    let pkg = package(&db.conn, 3600, 1);
    let code = catalog::create_vouchers(&mut db.conn, pkg, 1, Some("till"), NOW).unwrap().remove(0);
    assert_eq!(events(&db.conn), ["vouchers_created"]);
    // A refused login changes nothing, so it reports nothing.
    login(&mut db.conn, client(1), &voucher("NOPE2345"), NOW).unwrap_err();
    assert_eq!(events(&db.conn).len(), 1);
    login(&mut db.conn, client(1), &voucher(&code), NOW).unwrap();
    assert_eq!(events(&db.conn)[1..], ["account_created", "voucher_redeemed", "session_started"]);
    end(&mut db.conn, Selection::Device(client(1).mac), EndMethod::Portal, EndReason::Logout, NOW + 30);
    let rows = outbox::unsent(&db.conn, 0, 1000).unwrap();
    let ended: serde_json::Value = serde_json::from_str(&rows.last().unwrap().payload).unwrap();
    assert_eq!(ended["event"], "session_ended");
    assert_eq!((ended["method"].as_str(), ended["reason"].as_str(), ended["duration_secs"].as_i64()), (Some("portal"), Some("logout"), Some(30)));
    // Never a password or a voucher's secret beyond the code itself.
    assert!(rows.iter().all(|r| !r.payload.contains("password")));
}

#[test]
fn the_database_reopens_with_its_data() {
    let mut db = db("reopen");
    let pkg = package(&db.conn, 3600, 1);
    let code = catalog::create_vouchers(&mut db.conn, pkg, 1, None, NOW).unwrap().remove(0);
    login(&mut db.conn, client(1), &voucher(&code), NOW).unwrap();
    let reopened = store::open(&db.path).unwrap();
    assert_eq!(records::authorised_now(&reopened, None, NOW + 5).unwrap()[0].expires_at - (NOW + 5), 3595);
}

#[test]
fn sqlite_is_trimmed_as_configured() {
    // .cargo/config.toml leaves full-text search, JSON functions and extension loading out of
    // the router build (and with them the compile-option report): what is left out fails.
    // Each must fail because the feature is not there at all: a built-in feature can fail
    // too (extension loading is off at run time even when compiled in), with another error.
    let conn = Connection::open_in_memory().unwrap();
    let error = |sql: &str| conn.execute_batch(sql).err().map(|e| e.to_string()).unwrap_or_else(|| "(no error)".into());
    let absent = [
        ("CREATE VIRTUAL TABLE t USING fts5(x)", "no such module: fts5", "FTS5 is compiled in: is LIBSQLITE3_FLAGS applied?"),
        ("SELECT json_valid('{}')", "no such function: json_valid", "JSON functions are compiled in"),
        ("SELECT load_extension('x')", "no such function: load_extension", "extension loading is compiled in"),
        ("SELECT sqlite_compileoption_used('OMIT_JSON')", "no such function: sqlite_compileoption_used", "the compile-option report is compiled in"),
    ];
    for (sql, only_when_absent, what) in absent {
        let shown = error(sql);
        assert!(shown.contains(only_when_absent), "{what}: `{sql}` gave {shown}");
    }
    assert_eq!(error("CREATE TABLE u (a INTEGER PRIMARY KEY, b TEXT); SELECT count(*) FROM u"), "(no error)");
}

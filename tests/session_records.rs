//! The login, logout and expiry transactions on a real SQLite file (no network, no root):
//! what the database holds after each step a phone user or the operator takes.

use std::path::PathBuf;

use hotspotd::access::Refusal;
use hotspotd::netaddr::MacAddr;
use hotspotd::sessions::records::{self, Client, Credential};
use hotspotd::store::{self, catalog, sessions::EndMethod};
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
    let record = records::login(&mut db.conn, client(1), &voucher(&typed), NOW + 100).unwrap().unwrap();
    assert_eq!(record.username, code);
    assert_eq!(record.expires_at, NOW + 100 + 3600, "the hour runs from the first login");
    assert_eq!(record.access.expires_at - (NOW + 100), 3600);
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
    let first = records::login(&mut db.conn, client(1), &voucher(&code), NOW).unwrap().unwrap();
    let second = records::login(&mut db.conn, client(2), &voucher(&code), NOW + 60).unwrap().unwrap();
    assert_eq!(second.expires_at, first.expires_at, "a second device does not restart the clock");
    assert_eq!(second.access.expires_at - (NOW + 60), 3600 - 60);
    let third = records::login(&mut db.conn, client(3), &voucher(&code), NOW + 61).unwrap();
    assert_eq!(third.unwrap_err(), Refusal::DeviceLimit { max_devices: 2 });
    assert_eq!(count(&db.conn, "SELECT count(*) FROM sessions WHERE status = 'active'"), 2);
    assert_eq!(count(&db.conn, "SELECT count(*) FROM auth_log WHERE outcome = 'rejected'"), 1);
    // After a logout the third device fits.
    let revoked = records::end_device(&mut db.conn, client(1).mac, EndMethod::Portal, "logout", NOW + 62).unwrap();
    assert_eq!(revoked.len(), 1);
    assert!(records::login(&mut db.conn, client(3), &voucher(&code), NOW + 63).unwrap().is_ok());
    // The same device logging in again refreshes its session rather than taking a slot.
    let again = records::login(&mut db.conn, client(3), &voucher(&code), NOW + 64).unwrap().unwrap();
    assert_eq!(count(&db.conn, "SELECT count(*) FROM sessions WHERE status = 'active'"), 2);
    assert!(again.revoke.is_empty());
}

#[test]
fn expiry_ends_sessions_and_the_account_cannot_come_back() {
    let mut db = db("expiry");
    let pkg = package(&db.conn, 10, 1);
    let code = catalog::create_vouchers(&mut db.conn, pkg, 1, None, NOW).unwrap().remove(0);
    records::login(&mut db.conn, client(1), &voucher(&code), NOW).unwrap().unwrap();
    assert!(records::expire_due(&mut db.conn, NOW + 9).unwrap().is_empty());
    assert_eq!(records::authorised_now(&db.conn, None, NOW + 9).unwrap().len(), 1);
    let ended = records::expire_due(&mut db.conn, NOW + 10).unwrap();
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].device.mac, client(1).mac);
    assert!(records::authorised_now(&db.conn, None, NOW + 10).unwrap().is_empty());
    assert_eq!(count(&db.conn, "SELECT count(*) FROM hotspot_users WHERE status = 'expired'"), 1);
    assert_eq!(
        count(&db.conn, "SELECT count(*) FROM session_disconnections WHERE method = 'expiry' AND reason = 'expired' AND duration_secs = 10"),
        1
    );
    let again = records::login(&mut db.conn, client(1), &voucher(&code), NOW + 11).unwrap();
    assert!(matches!(again, Err(Refusal::Expired { .. })), "{again:?}");
}

#[test]
fn passwords_and_unknown_codes_are_refused_without_side_effects() {
    let mut db = db("refused");
    let pkg = package(&db.conn, 3600, 1);
    let unknown = records::login(&mut db.conn, client(1), &voucher("NOPE2345"), NOW).unwrap();
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
    assert_eq!(records::login(&mut db.conn, client(1), &wrong, NOW).unwrap().unwrap_err(), Refusal::WrongCredentials);
    let nobody = Credential::Password { username: "nobody".into(), password: "secret1".into() };
    assert_eq!(records::login(&mut db.conn, client(1), &nobody, NOW).unwrap().unwrap_err(), Refusal::WrongCredentials);
    assert_eq!(count(&db.conn, "SELECT count(*) FROM sessions"), 0);
    assert_eq!(count(&db.conn, "SELECT count(*) FROM auth_log WHERE outcome = 'rejected'"), 3);
    let right = Credential::Password { username: "amina".into(), password: "secret1".into() };
    assert!(records::login(&mut db.conn, client(1), &right, NOW).unwrap().is_ok());
}

#[test]
fn a_device_moving_to_another_account_or_address_is_revoked_from_the_old_one() {
    let mut db = db("moves");
    let pkg = package(&db.conn, 3600, 1);
    let codes = catalog::create_vouchers(&mut db.conn, pkg, 2, None, NOW).unwrap();
    records::login(&mut db.conn, client(1), &voucher(&codes[0]), NOW).unwrap().unwrap();
    // The same phone uses a second voucher: the first session ends, its firewall entry goes.
    let second = records::login(&mut db.conn, client(1), &voucher(&codes[1]), NOW + 1).unwrap().unwrap();
    assert_eq!(second.revoke.len(), 1);
    assert_eq!(count(&db.conn, "SELECT count(*) FROM sessions WHERE status = 'active'"), 1);
    assert_eq!(count(&db.conn, "SELECT count(*) FROM sessions WHERE end_reason = 'replaced'"), 1);
    // It comes back with a new DHCP address: same session, the old address is revoked.
    let moved = Client { ip: [10, 77, 0, 99].into(), ..client(1) };
    let record = records::login(&mut db.conn, moved, &voucher(&codes[1]), NOW + 2).unwrap().unwrap();
    assert_eq!(record.session_id, second.session_id);
    assert_eq!(record.revoke.iter().map(|r| r.device.ip.to_string()).collect::<Vec<_>>(), ["10.77.0.11"]);
}

#[test]
fn the_database_reopens_with_its_data() {
    let mut db = db("reopen");
    let pkg = package(&db.conn, 3600, 1);
    let code = catalog::create_vouchers(&mut db.conn, pkg, 1, None, NOW).unwrap().remove(0);
    records::login(&mut db.conn, client(1), &voucher(&code), NOW).unwrap().unwrap();
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

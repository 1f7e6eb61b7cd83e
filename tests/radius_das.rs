//! Disconnect-Requests (RFC 5176) to a NAS: the real daemon, the real `radclient` as the
//! NAS's authentication and accounting side, and `scripts/fake-nas.py` as its dynamic
//! authorization port (it checks the Request Authenticator and the Message-Authenticator,
//! answers ACK or NAK, and logs every request as a JSON line). A NAS session whose 4-second
//! package runs out is disconnected, so is one the operator ends (`hotspotd deauth`) or whose
//! account is disabled (`hotspotd user disable`), and a NAK is recorded in the session's
//! audit row with its Error-Cause.

mod device;
mod radius;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use radius::{NasEntry, Radius};

/// `scripts/fake-nas.py` on `address:port`; killed on drop.
struct FakeNas {
    child: Child,
    log: PathBuf,
}

impl Drop for FakeNas {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl FakeNas {
    fn start(dir: &Path, address: &str, port: u16, secret: &str, nak: Option<u32>) -> FakeNas {
        let log = dir.join(format!("fake-nas-{address}.jsonl"));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/fake-nas.py");
        let mut command = Command::new("python3");
        command.arg(script).args([&port.to_string(), secret, log.to_str().unwrap(), "--bind", address]);
        if let Some(cause) = nak {
            command.args(["--nak", &cause.to_string()]);
        }
        let child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        // Bound once it can no longer be bound by us.
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::UdpSocket::bind((address, port)).is_ok() {
            assert!(Instant::now() < deadline, "fake-nas.py did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        FakeNas { child, log }
    }

    /// The requests logged so far.
    fn requests(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.log).unwrap_or_default().lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
    }

    /// Waits up to `secs` for a request naming `acct_session_id`.
    fn wait_for(&self, acct_session_id: &str, secs: u64) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(r) = self.requests().into_iter().find(|r| r["attrs"]["Acct-Session-Id"] == acct_session_id) {
                return r;
            }
            assert!(Instant::now() < deadline, "no Disconnect-Request for {acct_session_id} within {secs} s: {:?}", self.requests());
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn free_port_on(address: &str) -> u16 {
    std::net::UdpSocket::bind((address, 0)).unwrap().local_addr().unwrap().port()
}

/// Logs `code` in behind `nas` as device `mac` and starts its accounting as `acct_session_id`.
fn online(r: &Radius, nas: &NasEntry, code: &str, mac: &str, acct_session_id: &str) {
    online_as(r, nas, code, "", mac, acct_session_id)
}

/// Logs `code` (a voucher or account) in with `password` (PAP) behind `nas`, and starts
/// its accounting.
fn online_as(r: &Radius, nas: &NasEntry, code: &str, password: &str, mac: &str, acct_session_id: &str) {
    let accept = r.auth(nas, nas.secret, &[&format!("User-Name = \"{code}\""), &format!("User-Password = \"{password}\""), &format!("Calling-Station-Id = \"{mac}\""), "Framed-IP-Address = 10.5.50.9"], true);
    assert!(accept.is("Access-Accept"), "{}", accept.output);
    let class = accept.get("Class").unwrap_or_else(|| panic!("{}", accept.output)).to_owned();
    let start = r.acct(
        nas,
        &[
            "Acct-Status-Type = Start",
            &format!("Acct-Session-Id = \"{acct_session_id}\""),
            &format!("User-Name = \"{code}\""),
            &format!("Class = {class}"),
            &format!("Calling-Station-Id = \"{mac}\""),
            "Framed-IP-Address = 10.5.50.9",
        ],
    );
    assert!(start.is("Accounting-Response"), "{}", start.output);
}

/// The audit row of the session the NAS knows as `acct_session_id`: (method and reason,
/// nas_result, Error-Cause).
fn audit(r: &Radius, acct_session_id: &str, secs: u64) -> (String, String, Option<i64>) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let row = r.db().query_row(
            "SELECT d.method || ' ' || d.reason, d.nas_result, d.nas_error_cause FROM session_disconnections d JOIN sessions s ON s.id = d.session_id
             WHERE s.nas_session_id = ?1",
            [acct_session_id],
            |row| Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?, row.get::<_, Option<i64>>(2)?)),
        );
        if let Ok((method, Some(result), cause)) = row {
            if result != "pending" {
                return (method, result, cause);
            }
        }
        assert!(Instant::now() < deadline, "no NAS answer recorded for {acct_session_id} within {secs} s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn expiry_and_deauth_send_disconnect_requests_and_a_nak_is_recorded() {
    let (acker_address, naker_address) = ("127.0.0.51", "127.0.0.52");
    let (acker_port, naker_port) = (free_port_on(acker_address), free_port_on(naker_address));
    let acker = NasEntry { das_port: acker_port, ..NasEntry::new("hall", acker_address, "hall-secret-1", "mikrotik") };
    let naker = NasEntry { das_port: naker_port, ..NasEntry::new("yard", naker_address, "yard-secret-1", "chilli") };
    let r = Radius::start("radius-das", &[acker, naker], "");
    let hall = FakeNas::start(&r.daemon.dir, acker_address, acker_port, acker.secret, None);
    let yard = FakeNas::start(&r.daemon.dir, naker_address, naker_port, naker.secret, Some(503));

    // A 4-second package: its NAS is told when the time is up.
    let short = r.vouchers(1, &["--duration", "4"]);
    let started = Instant::now();
    online(&r, &acker, &short[0], "02:00:00:00:07:01", "hall-0001");
    let request = hall.wait_for("hall-0001", 15);
    assert!(started.elapsed() >= Duration::from_secs(3), "not before the package ran out");
    assert_eq!(request["code"], 40, "{request}");
    assert_eq!(request["valid"], true, "authenticator and Message-Authenticator check: {request}");
    assert_eq!(request["attrs"]["User-Name"], short[0].as_str());
    assert_eq!(request["attrs"]["Framed-IP-Address"], "10.5.50.9");
    assert!(request["attrs"]["Calling-Station-Id"].as_str().is_some_and(|m| m.eq_ignore_ascii_case("02:00:00:00:07:01") || m.eq_ignore_ascii_case("02-00-00-00-07-01")), "{request}");
    assert!(request["attrs"]["Event-Timestamp"].is_u64(), "{request}");
    let (method, result, _) = audit(&r, "hall-0001", 10);
    assert_eq!((method.as_str(), result.as_str()), ("radius_disconnect expired", "acked"));

    // The operator ends a session: its NAS is told.
    let hour = r.vouchers(2, &["--devices", "2"]);
    online(&r, &acker, &hour[0], "02:00:00:00:07:02", "hall-0002");
    r.daemon.cli(&["deauth", "02:00:00:00:07:02"]);
    let request = hall.wait_for("hall-0002", 10);
    assert_eq!(request["code"], 40);
    assert_eq!(request["reply"], 41, "ACK");
    let (method, result, _) = audit(&r, "hall-0002", 10);
    assert_eq!((method.as_str(), result.as_str()), ("radius_disconnect admin", "acked"), "the operator's kick");
    assert!(r.json(&["clients"]).as_array().unwrap().iter().all(|c| c["mac"] != "02:00:00:00:07:02"));

    // A NAS that answers NAK (Error-Cause 503, no such session): recorded with its cause.
    online(&r, &naker, &hour[1], "02:00:00:00:07:03", "yard-0001");
    r.daemon.cli(&["deauth", "02:00:00:00:07:03"]);
    let request = yard.wait_for("yard-0001", 10);
    assert_eq!(request["reply"], 42, "NAK: {request}");
    let (_, result, cause) = audit(&r, "yard-0001", 10);
    assert_eq!((result.as_str(), cause), ("refused", Some(503)));
    assert!(r.daemon.log().contains("Error-Cause 503"), "the log says why: {}", r.daemon.log());

    // The operator disables an account: its NAS session is disconnected, and the NAS's next
    // Access-Request for it is refused in the portal's words.
    let package = r.daemon.cli(&["package", "add", "--name", "Month", "--price", "100", "--duration", "2592000"]);
    r.daemon.cli(&["user", "add", "--package", package.trim(), "--username", "ali", "--password", "ali-pass-1"]);
    online_as(&r, &acker, "ali", "ali-pass-1", "02:00:00:00:07:04", "hall-0003");
    r.daemon.cli(&["user", "disable", "ali"]);
    let request = hall.wait_for("hall-0003", 10);
    assert_eq!((request["code"].as_u64(), request["attrs"]["User-Name"].as_str()), (Some(40), Some("ali")), "{request}");
    let (_, result, _) = audit(&r, "hall-0003", 10);
    assert_eq!(result, "acked");
    let refused = r.auth(&acker, acker.secret, &["User-Name = \"ali\"", "User-Password = \"ali-pass-1\"", "Calling-Station-Id = \"02:00:00:00:07:04\""], true);
    assert!(refused.is("Access-Reject"), "{}", refused.output);
    assert_eq!(refused.get("Reply-Message"), Some("This account is suspended. Please ask the staff."));
}

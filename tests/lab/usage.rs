//! Usage checks on a lab hotspot: move bytes from a client (download / upload through the
//! router to the internet host), read what the kernel counted for a session, and read the
//! daemon's database the way an operator's report would. `rusqlite` is one of hotspotd's
//! [dependencies], so no dev-dependency.

use rusqlite::{Connection, OpenFlags};
use serde_json::Value;

use super::{Lab, INTERNET_IP};

impl Lab {
    /// Downloads `bytes` from the internet host on client `n`; returns how many bytes of body
    /// arrived. Gives up when nothing arrives for 3 s (a capped client) or after `max_secs`.
    pub fn download(&self, n: usize, bytes: u64, max_secs: u32) -> u64 {
        let url = format!("http://{INTERNET_IP}/bytes/{bytes}");
        self.curl_size(n, &["--max-time", &max_secs.to_string(), &url], "%{size_download}")
    }

    /// Uploads `bytes` to the internet host from client `n`; returns how many bytes were sent.
    pub fn upload(&self, n: usize, bytes: u64, max_secs: u32) -> u64 {
        let file = self.dir().join(format!("upload-{n}-{bytes}.bin"));
        std::fs::write(&file, vec![b'u'; bytes as usize]).expect("write upload file");
        let data = format!("@{}", file.display());
        let url = format!("http://{INTERNET_IP}/upload");
        let args = ["--max-time", &max_secs.to_string(), "-H", "Content-Type: application/octet-stream", "--data-binary", &data, &url];
        self.curl_size(n, &args, "%{size_upload}")
    }

    fn curl_size(&self, n: usize, args: &[&str], what: &str) -> u64 {
        let mut argv = vec!["curl", "-s", "-o", "/dev/null", "--speed-time", "3", "--speed-limit", "1", "-w", what];
        argv.extend_from_slice(args);
        let out = self.client_exec(n, &argv);
        let text = String::from_utf8_lossy(&out.stdout);
        text.trim().parse::<f64>().unwrap_or_else(|_| panic!("curl printed {text:?}, not a size")) as u64
    }

    /// The daemon's database, opened read-only (WAL lets us read while it writes).
    pub fn db(&self) -> Connection {
        Connection::open_with_flags(self.dir().join("hotspotd.db"), OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the lab database")
    }

    /// The id of client `n`'s newest session.
    pub fn session_id(&self, n: usize) -> i64 {
        self.db()
            .query_row("SELECT max(id) FROM sessions WHERE mac = ?1", [self.client_mac(n)], |r| r.get(0))
            .unwrap_or_else(|e| panic!("client {n} has no session: {e}"))
    }

    /// What the kernel counted for client `n`'s device: (uploaded, downloaded) bytes.
    pub fn kernel_counters(&self, n: usize) -> (u64, u64) {
        let ip = self.client_ip(n);
        let read = |set: &str| -> u64 {
            let out = self.router_exec(&["nft", "-j", "list", "set", "inet", "hotspotd", set]);
            assert!(out.status.success(), "no set {set}: {}", String::from_utf8_lossy(&out.stderr));
            let doc: Value = serde_json::from_slice(&out.stdout).expect("nft -j output is JSON");
            let elements = doc["nftables"].as_array().and_then(|items| items.iter().find_map(|i| i.get("set")?.get("elem")?.as_array()));
            elements
                .into_iter()
                .flatten()
                .find(|e| e["elem"]["val"] == Value::String(ip.clone()))
                .and_then(|e| e["elem"]["counter"]["bytes"].as_u64())
                .unwrap_or_else(|| panic!("no counter for {ip} in {set}: {doc}"))
        };
        (read("up_bytes"), read("dn_bytes"))
    }
}

/// A session's row: (status, end reason, bytes in, bytes out).
pub fn session_row(conn: &Connection, session_id: i64) -> (String, Option<String>, i64, i64) {
    conn.query_row(
        "SELECT status, end_reason, bytes_in, bytes_out FROM sessions WHERE id = ?1",
        [session_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
    .expect("session row")
}

/// A session's audit row: (method, reason, bytes in, bytes out), if it has ended.
pub fn audit_row(conn: &Connection, session_id: i64) -> Option<(String, String, i64, i64)> {
    conn.query_row(
        "SELECT method, reason, bytes_in, bytes_out FROM session_disconnections WHERE session_id = ?1",
        [session_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
    .ok()
}

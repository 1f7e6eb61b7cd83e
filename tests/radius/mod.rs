//! The daemon with its RADIUS server on loopback, and the real `radclient` (freeradius-utils)
//! as the NAS: each NAS entry has its own `127.0.0.x` address, and radclient sends from it
//! (`Packet-Src-IP-Address`), so NAS identification works as on a LAN. Raw packets (a
//! retransmission, a corrupted Message-Authenticator) go out of a UDP socket bound to the
//! NAS's address, built with hotspotd's codec.

#![allow(dead_code)]

use std::io::Write;
use std::net::{SocketAddr, UdpSocket};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::device::Daemon;

/// One `config nas` entry.
#[derive(Debug, Clone, Copy)]
pub struct NasEntry {
    pub name: &'static str,
    pub address: &'static str,
    pub secret: &'static str,
    pub vendor: &'static str,
    pub require_message_authenticator: bool,
    pub das_port: u16,
}

impl NasEntry {
    pub const fn new(name: &'static str, address: &'static str, secret: &'static str, vendor: &'static str) -> NasEntry {
        NasEntry { name, address, secret, vendor, require_message_authenticator: true, das_port: 0 }
    }
}

pub struct Radius {
    pub daemon: Daemon,
    pub auth_port: u16,
    pub acct_port: u16,
}

/// A free UDP port on loopback.
pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Radius {
    /// The daemon with RADIUS on 127.0.0.1 for `nases`; `extra`: more UCI lines.
    pub fn start(name: &str, nases: &[NasEntry], extra: &str) -> Radius {
        let (auth_port, acct_port) = loop {
            let (a, b) = (free_udp_port(), free_udp_port());
            if a != b {
                break (a, b);
            }
        };
        let mut config = format!(
            "config radius 'radius'\n\toption enabled '1'\n\toption listen '127.0.0.1'\n\toption auth_port '{auth_port}'\n\t\
             option acct_port '{acct_port}'\n\toption interim_interval '120'\n"
        );
        for nas in nases {
            config.push_str(&format!(
                "config nas\n\toption name '{}'\n\toption address '{}'\n\toption secret '{}'\n\toption vendor '{}'\n\t\
                 option require_message_authenticator '{}'\n\toption das_port '{}'\n",
                nas.name,
                nas.address,
                nas.secret,
                nas.vendor,
                u8::from(nas.require_message_authenticator),
                nas.das_port
            ));
        }
        config.push_str(extra);
        let daemon = Daemon::start(name, &config);
        Radius { daemon, auth_port, acct_port }
    }

    pub fn auth_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.auth_port))
    }

    pub fn acct_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.acct_port))
    }

    /// radclient `auth` from `nas`'s address with `secret`; the attributes one a line
    /// (`User-Name = "x"`). A Message-Authenticator is added unless `with_ma` is false.
    /// Up to 3 tries 2 s apart, as a NAS retransmits (a busy machine may be slow to answer).
    pub fn auth(&self, nas: &NasEntry, secret: &str, attrs: &[&str], with_ma: bool) -> Reply {
        radclient(self.auth_port, "auth", secret, &auth_lines(nas, attrs, with_ma), 3)
    }

    /// As `auth`, one try with a 1 s timeout: for requests that must get no answer.
    pub fn auth_once(&self, nas: &NasEntry, secret: &str, attrs: &[&str], with_ma: bool) -> Reply {
        radclient(self.auth_port, "auth", secret, &auth_lines(nas, attrs, with_ma), 1)
    }

    /// radclient `acct` from `nas`'s address with its secret, up to 3 tries.
    pub fn acct(&self, nas: &NasEntry, attrs: &[&str]) -> Reply {
        radclient(self.acct_port, "acct", nas.secret, &acct_lines(nas, attrs), 3)
    }

    /// As `acct`, one try with a 1 s timeout.
    pub fn acct_once(&self, nas: &NasEntry, attrs: &[&str]) -> Reply {
        radclient(self.acct_port, "acct", nas.secret, &acct_lines(nas, attrs), 1)
    }

    /// `hotspotd --json ARGS…` parsed.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.daemon.cli(&all)).unwrap()
    }

    /// The RADIUS part of `hotspotd --json status`.
    pub fn counters(&self) -> serde_json::Value {
        self.json(&["status"])["radius"].clone()
    }

    /// A package and `n` of its vouchers; `package_args` like `["--devices", "2"]`.
    pub fn vouchers(&self, n: usize, package_args: &[&str]) -> Vec<String> {
        let mut args = vec!["package", "add", "--name", "Radius", "--price", "10"];
        if !package_args.contains(&"--duration") {
            args.extend_from_slice(&["--duration", "3600"]);
        }
        args.extend_from_slice(package_args);
        let package = self.daemon.cli(&args);
        let out = self.daemon.cli(&["voucher", "create", "--package", package.trim(), "--count", &n.to_string()]);
        out.lines().map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).collect()
    }

    /// An account `username` / `password` on a new package.
    pub fn account(&self, username: &str, password: &str, package_args: &[&str]) {
        let mut args = vec!["package", "add", "--name", "Account", "--price", "10", "--duration", "3600"];
        args.extend_from_slice(package_args);
        let package = self.daemon.cli(&args);
        self.daemon.cli(&["user", "add", "--package", package.trim(), "--username", username, "--password", password]);
    }

    pub fn db(&self) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(self.daemon.dir.join("hotspotd.db")).unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        conn
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).unwrap()
    }
}

fn auth_lines(nas: &NasEntry, attrs: &[&str], with_ma: bool) -> Vec<String> {
    let mut lines: Vec<String> = attrs.iter().map(|a| a.to_string()).collect();
    if with_ma {
        lines.push("Message-Authenticator = 0x00".into());
    }
    lines.push(format!("Packet-Src-IP-Address = {}", nas.address));
    lines
}

fn acct_lines(nas: &NasEntry, attrs: &[&str]) -> Vec<String> {
    let mut lines: Vec<String> = attrs.iter().map(|a| a.to_string()).collect();
    lines.push(format!("Packet-Src-IP-Address = {}", nas.address));
    lines
}

/// What radclient printed about the answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// `Access-Accept`, `Access-Reject`, `Accounting-Response`; `None`: no answer.
    pub code: Option<String>,
    /// The reply's attributes as radclient names them, values as printed (strings unquoted).
    pub attrs: Vec<(String, String)>,
    pub output: String,
}

impl Reply {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.attrs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    pub fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
}

/// Runs radclient against `127.0.0.1:port`: `tries` sends, 2 s apart (one try: 1 s timeout).
pub fn radclient(port: u16, kind: &str, secret: &str, lines: &[String], tries: u32) -> Reply {
    let timeout = if tries == 1 { "1" } else { "2" };
    let mut child = Command::new("radclient")
        .args(["-x", "-r", &tries.to_string(), "-t", timeout, &format!("127.0.0.1:{port}"), kind, secret])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("radclient (freeradius-utils) is installed");
    child.stdin.take().unwrap().write_all(format!("{}\n", lines.join("\n")).as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let output = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let mut code = None;
    let mut attrs = Vec::new();
    let mut in_reply = false;
    for line in output.lines() {
        if let Some(rest) = line.strip_prefix("Received ") {
            code = rest.split_whitespace().next().map(str::to_owned);
            in_reply = true;
            continue;
        }
        if !line.starts_with('\t') {
            in_reply = false;
            continue;
        }
        if in_reply {
            if let Some((k, v)) = line.trim().split_once(" = ") {
                attrs.push((k.to_owned(), v.trim_matches('"').to_owned()));
            }
        }
    }
    if code.is_none() {
        assert!(!out.status.success(), "radclient succeeded without an answer: {output}");
    }
    Reply { code, attrs, output }
}

/// A UDP socket on `nas`'s address, talking to `to` (raw packets, exact retransmissions).
pub fn raw_socket(nas: &NasEntry, to: SocketAddr) -> UdpSocket {
    let socket = UdpSocket::bind(format!("{}:0", nas.address)).unwrap();
    socket.connect(to).unwrap();
    socket.set_read_timeout(Some(Duration::from_millis(1500))).unwrap();
    socket
}

/// Sends `bytes` and returns the answer's bytes, if one came within 1.5 s.
pub fn exchange(socket: &UdpSocket, bytes: &[u8]) -> Option<Vec<u8>> {
    socket.send(bytes).unwrap();
    let mut buf = [0u8; 4096];
    socket.recv(&mut buf).ok().map(|n| buf[..n].to_vec())
}

/// Sends `bytes` and waits up to 10 s for the answer (a busy machine may be slow).
pub fn answer(socket: &UdpSocket, bytes: &[u8]) -> Vec<u8> {
    socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let answer = exchange(socket, bytes);
    socket.set_read_timeout(Some(Duration::from_millis(1500))).unwrap();
    answer.expect("an answer within 10 s")
}

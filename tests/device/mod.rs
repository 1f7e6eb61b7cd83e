//! Several devices over loopback: the daemon takes a loopback peer `127.N.x.y` (N ≥ 1) as
//! device N whatever x.y, with MAC `02:7f:NN:00:00:00`; `127.0.0.1` is this machine (MAC
//! 00:00:00:00:00:00) and any other `127.0.x.y` a device of its own (src/portal/neighbours.rs). These helpers open real TCP
//! connections from a chosen source address (bind before connect) and speak plain HTTP/1.1;
//! `Daemon` runs the real binary on loopback with a temp config and database (firewall
//! `none`). Std, libc and serde_json only (hotspotd's own dependencies).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::os::fd::FromRawFd;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The daemon on `127.0.0.1:<free port>`, firewall `none`; killed and its files removed on
/// drop (kept, with its log printed, when the test failed). It may be killed (`kill_9`) and
/// started again on the same files (`restart`); its log gathers every run.
pub struct Daemon {
    child: Option<Child>,
    pub dir: PathBuf,
    pub config: PathBuf,
    pub addr: SocketAddr,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill_9();
        if std::thread::panicking() {
            eprintln!("hotspotd's files kept in {}\n{}", self.dir.display(), self.log());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl Daemon {
    /// `extra`: whole UCI lines after the main section's options (more options, sections).
    pub fn start(name: &str, extra: &str) -> Daemon {
        let dir = std::env::temp_dir().join(format!("hotspotd-device-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let config = dir.join("hotspotd.config");
        std::fs::write(
            &config,
            format!(
                "config hotspotd 'main'\n\toption interface 'lo'\n\toption listen '{addr}'\n\t\
                 option database '{}'\n\toption firewall 'none'\n{extra}",
                dir.join("hotspotd.db").display()
            ),
        )
        .unwrap();
        let mut daemon = Daemon { child: None, dir, config, addr };
        daemon.spawn();
        daemon
    }

    /// Runs the binary on this daemon's files and waits for its portal.
    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.dir.join("daemon.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_hotspotd"))
            .args(["--config", self.config.to_str().unwrap(), "run"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(self.addr).is_err() {
            assert!(Instant::now() < deadline, "the portal did not start on {}", self.addr);
            std::thread::sleep(Duration::from_millis(50));
        }
        // The probe's connection ends on the daemon's side a moment later: tests that count
        // connections start without it.
        std::thread::sleep(Duration::from_millis(200));
    }

    /// SIGKILL: no shutdown at all, as a power cut leaves it.
    pub fn kill_9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, as procd stops it; waits for the exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("the daemon is running");
        // SAFETY: a plain signal to the child we started.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        child.wait().unwrap()
    }

    /// Starts the daemon again on the same database and config.
    pub fn restart(&mut self) {
        self.kill_9();
        self.spawn();
    }

    /// `hotspotd --config F ARGS…`; its stdout (it must succeed).
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_hotspotd")).arg("--config").arg(&self.config).args(args).output().unwrap();
        assert!(out.status.success(), "hotspotd {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// A package for 50 devices and `n` of its voucher codes.
    pub fn vouchers(&self, n: usize) -> Vec<String> {
        let package = self.cli(&["package", "add", "--name", "Hour", "--price", "10", "--duration", "3600", "--devices", "50"]);
        let out = self.cli(&["voucher", "create", "--package", package.trim(), "--count", &n.to_string()]);
        out.lines().map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).collect()
    }

    /// `POST /api/hotspot/login {"voucher": code}` from `(device, address)`.
    pub fn try_code(&self, device: u8, address: u8, code: &str) -> Answer {
        let body = format!(r#"{{"voucher":"{code}"}}"#);
        post_json(addr(device, address), self.addr, "/api/hotspot/login", &body)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Whether the daemon process is still running (it did not crash).
    pub fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| c.try_wait().map(|status| status.is_none()).unwrap_or(false))
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("daemon.log")).unwrap_or_default()
    }
}

/// Source address `127.device.0.address` of device `device` (1 to 255).
pub fn addr(device: u8, address: u8) -> Ipv4Addr {
    assert!(device >= 1, "device 0 is not one device: 127.0.x.y are one device per address");
    Ipv4Addr::new(127, device, 0, address)
}

/// The MAC the daemon gives device `device`.
pub fn mac(device: u8) -> String {
    format!("02:7f:{device:02x}:00:00:00")
}

fn sockaddr(addr: SocketAddrV4) -> libc::sockaddr_in {
    // SAFETY: sockaddr_in is plain old data; all-zero is a valid value.
    let mut sa: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    sa.sin_family = libc::AF_INET as libc::sa_family_t;
    sa.sin_port = addr.port().to_be();
    sa.sin_addr = libc::in_addr { s_addr: u32::from(*addr.ip()).to_be() };
    sa
}

/// A TCP connection to `to` from `from` (any port).
pub fn connect_from(from: Ipv4Addr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let SocketAddr::V4(to) = to else { panic!("IPv4 only") };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: plain socket calls on a descriptor we own; it is closed on every error path
    // or handed to TcpStream, which closes it on drop.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let local = sockaddr(SocketAddrV4::new(from, 0));
        let remote = sockaddr(to);
        if libc::bind(fd, &local as *const _ as *const libc::sockaddr, len) != 0
            || libc::connect(fd, &remote as *const _ as *const libc::sockaddr, len) != 0
        {
            let e = std::io::Error::last_os_error();
            libc::close(fd);
            return Err(e);
        }
        Ok(TcpStream::from_raw_fd(fd))
    }
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// Header lines, names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

/// Reads one response that announces its length, leaving the connection open.
pub fn read_answer_keep_alive(stream: &mut TcpStream) -> Option<Answer> {
    read_answer(stream)
}

/// Reads one response (by Content-Length, or to the end) from `stream`.
pub fn read_answer(stream: &mut TcpStream) -> Option<Answer> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
        let text = String::from_utf8_lossy(&raw);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head.lines().find_map(|l| {
                l.to_ascii_lowercase().strip_prefix("content-length:").and_then(|v| v.trim().parse::<usize>().ok())
            });
            if length.is_some_and(|n| body.len() >= n) {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.lines();
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned())))
        .collect();
    Some(Answer { status, headers, body: body.to_owned() })
}

/// Sends `bytes` as they are from `from` on a fresh connection; the answer, if any.
pub fn raw(from: Ipv4Addr, to: SocketAddr, bytes: &[u8]) -> Option<Answer> {
    let mut stream = connect_from(from, to).unwrap_or_else(|e| panic!("connect from {from} to {to}: {e}"));
    stream.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    stream.write_all(bytes).unwrap();
    read_answer(&mut stream)
}

/// One request from `from` on a fresh connection; `extra` are whole header lines.
pub fn request(from: Ipv4Addr, to: SocketAddr, method: &str, path: &str, extra: &[&str], body: Option<(&str, &str)>) -> Answer {
    let mut stream = connect_from(from, to).unwrap_or_else(|e| panic!("connect from {from} to {to}: {e}"));
    stream.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: {to}\r\nConnection: close\r\n");
    for line in extra {
        text.push_str(line);
        text.push_str("\r\n");
    }
    if let Some((content_type, body)) = body {
        text.push_str(&format!("Content-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}", body.len()));
    } else {
        text.push_str("\r\n");
    }
    stream.write_all(text.as_bytes()).unwrap();
    read_answer(&mut stream).unwrap_or_else(|| panic!("{method} {path} from {from}: no HTTP answer"))
}

pub fn get(from: Ipv4Addr, to: SocketAddr, path: &str) -> Answer {
    request(from, to, "GET", path, &[], None)
}

pub fn post_json(from: Ipv4Addr, to: SocketAddr, path: &str, body: &str) -> Answer {
    request(from, to, "POST", path, &[], Some(("application/json", body)))
}

pub fn post_form(from: Ipv4Addr, to: SocketAddr, path: &str, body: &str) -> Answer {
    request(from, to, "POST", path, &[], Some(("application/x-www-form-urlencoded", body)))
}

/// The daemon with its web admin on a free loopback port (`extra` adds lines to the `main`
/// section or whole sections after it), once the admin accepts connections.
pub fn start_with_admin(name: &str, extra: &str) -> (Daemon, SocketAddr) {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let admin: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let d = Daemon::start(name, &format!("\toption admin_listen '{admin}'\n{extra}"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(admin).is_err() {
        assert!(Instant::now() < deadline, "the web admin did not start on {admin}");
        std::thread::sleep(Duration::from_millis(50));
    }
    (d, admin)
}

/// `hotspotd admin password` with `input` on stdin: (success, stdout + stderr).
pub fn set_admin_password(d: &Daemon, input: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotspotd"))
        .arg("--config")
        .arg(&d.config)
        .args(["admin", "password"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// The operator logged in to the web admin at `admin` from this machine: requests carry the
/// session cookie, and POSTs the admin's own `Origin` as a browser's forms do.
pub struct Operator {
    pub admin: SocketAddr,
    pub session: String,
}

impl Operator {
    /// Logs in with `password` (expects the 303 to the dashboard) and keeps the session.
    pub fn log_in(admin: SocketAddr, password: &str) -> Operator {
        let answer = post_form(Ipv4Addr::LOCALHOST, admin, "/login", &format!("password={password}"));
        assert_eq!(answer.status, 303, "{answer:?}");
        let cookie = answer.header("set-cookie").expect("a session cookie");
        let session = cookie["hotspotd_admin=".len()..].split(';').next().unwrap().to_owned();
        Operator { admin, session }
    }

    pub fn get(&self, path: &str) -> Answer {
        request(Ipv4Addr::LOCALHOST, self.admin, "GET", path, &[&format!("Cookie: hotspotd_admin={}", self.session)], None)
    }

    /// A page that must answer 200.
    pub fn page(&self, path: &str) -> Answer {
        let answer = self.get(path);
        assert_eq!(answer.status, 200, "GET {path}: {answer:?}");
        answer
    }

    /// A form post (`body` url-encoded, the CSRF token included by the caller).
    pub fn post(&self, path: &str, body: &str) -> Answer {
        let headers = [format!("Cookie: hotspotd_admin={}", self.session), format!("Origin: http://{}", self.admin)];
        request(Ipv4Addr::LOCALHOST, self.admin, "POST", path, &[&headers[0], &headers[1]], Some(("application/x-www-form-urlencoded", body)))
    }
}

/// The CSRF token in a page's forms.
pub fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a form with the token") + "name=\"csrf\" value=\"".len();
    page[at..].split('"').next().unwrap().to_owned()
}

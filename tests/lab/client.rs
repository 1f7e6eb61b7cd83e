//! What a lab client (or the router) can do on the network: HTTP with curl, a TCP connect,
//! an ICMP echo, a background download. All run inside the lab's namespaces with
//! `ip netns exec`; nothing here touches an address outside the lab. Std only.

use std::fs;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::{netns_exec, script_path, Lab, CURL_MAX_TIME_SECS, TEMP_COUNTER};

/// An HTTP answer as a client got it.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// 0 when no HTTP answer came (refused, timeout...): see `curl_exit`.
    pub status: u16,
    /// Headers of the last response (after redirects when `-L` was given), names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// curl's exit code (0 ok, 7 refused, 28 timeout, ...).
    pub curl_exit: i32,
    pub elapsed: Duration,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    /// True when this answer came from the lab's internet web server (not the portal).
    pub fn is_from_internet(&self) -> bool {
        self.header("x-lab-internet") == Some("1")
    }
}

/// Result of a TCP connection attempt from a client (see scripts/lab-probe.py).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TcpProbe {
    /// Connected; the first bytes the server sent (the internet host sends `tls?`).
    Open(String),
    /// Reset / ICMP port unreachable.
    Refused,
    Timeout,
    Other(String),
}

/// A process started with [`Lab::client_spawn`]; killed on drop.
pub struct Background {
    child: Child,
}

impl Background {
    /// True while the process runs.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Lab {
    // ---------------------------------------------------------------- clients

    /// `curl ARGS` from client `n`: (HTTP status, body). Status 0 = no HTTP answer.
    pub fn client_curl(&self, n: usize, args: &[&str]) -> (u16, String) {
        let r = self.client_http(n, args);
        (r.status, r.body)
    }

    /// `curl ARGS` from client `n` with headers, curl exit code and elapsed time.
    /// `--max-time 5` unless ARGS give their own.
    pub fn client_http(&self, n: usize, args: &[&str]) -> HttpResponse {
        let ns = self.client_ns(n).to_string();
        self.curl_in(&ns, args)
    }

    /// Run a command inside client `n`'s namespace.
    pub fn client_exec(&self, n: usize, argv: &[&str]) -> Output {
        netns_exec(self.client_ns(n), argv)
    }

    /// Start a command inside client `n`'s namespace in the background (output discarded);
    /// it is killed when the returned guard drops (and by the lab's teardown at the latest).
    pub fn client_spawn(&self, n: usize, argv: &[&str]) -> Background {
        let child = Command::new("ip")
            .args(["netns", "exec", self.client_ns(n)])
            .args(argv)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {} in client {n}: {e}", argv.join(" ")));
        Background { child }
    }

    /// Open a TCP connection from client `n` (timeout in seconds).
    pub fn client_tcp(&self, n: usize, host: &str, port: u16, timeout_secs: f64) -> TcpProbe {
        let probe = script_path("lab-probe.py");
        let out = self.client_exec(n, &["python3", &probe, "tcp", host, &port.to_string(), &timeout_secs.to_string()]);
        let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if let Some(data) = line.strip_prefix("open") {
            TcpProbe::Open(data.trim().to_string())
        } else if line == "refused" {
            TcpProbe::Refused
        } else if line == "timeout" {
            TcpProbe::Timeout
        } else {
            TcpProbe::Other(format!("{line} {}", String::from_utf8_lossy(&out.stderr)))
        }
    }

    /// One ICMP echo from client `n`; true when a reply came within `timeout_secs`.
    pub fn client_ping(&self, n: usize, host: &str, timeout_secs: f64) -> bool {
        let probe = script_path("lab-probe.py");
        let out = self.client_exec(n, &["python3", &probe, "ping", host, &timeout_secs.to_string()]);
        String::from_utf8_lossy(&out.stdout).trim() == "reply"
    }

    /// `curl ARGS` from the router itself.
    pub fn router_http(&self, args: &[&str]) -> HttpResponse {
        let ns = self.router.clone();
        self.curl_in(&ns, args)
    }

    fn curl_in(&self, ns: &str, args: &[&str]) -> HttpResponse {
        let k = TEMP_COUNTER.fetch_add(1, Ordering::SeqCst);
        let head_file = self.dir.join(format!("curl-{k}.head"));
        let body_file = self.dir.join(format!("curl-{k}.body"));
        let head_s = head_file.to_string_lossy().into_owned();
        let body_s = body_file.to_string_lossy().into_owned();
        let mut argv = vec![
            "curl",
            "-sS",
            "--noproxy",
            "*",
            "--max-time",
            CURL_MAX_TIME_SECS,
            "-D",
            &head_s,
            "-o",
            &body_s,
            "-w",
            "%{http_code}",
        ];
        argv.extend_from_slice(args);
        let started = Instant::now();
        let out = netns_exec(ns, &argv);
        let elapsed = started.elapsed();
        let status = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0);
        let head = fs::read_to_string(&head_file).unwrap_or_default();
        let body = fs::read(&body_file).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        let _ = fs::remove_file(&head_file);
        let _ = fs::remove_file(&body_file);
        HttpResponse {
            status,
            headers: parse_last_header_block(&head),
            body,
            curl_exit: out.status.code().unwrap_or(-1),
            elapsed,
        }
    }
}

fn parse_last_header_block(head: &str) -> Vec<(String, String)> {
    // curl -D writes one block per response (redirects, 100-continue): keep the last.
    let blocks: Vec<&str> = head.split("\r\n\r\n").map(str::trim).filter(|b| b.starts_with("HTTP/")).collect();
    let Some(last) = blocks.last() else { return Vec::new() };
    last.lines()
        .skip(1)
        .filter_map(|line| {
            let (k, v) = line.split_once(':')?;
            Some((k.trim().to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect()
}

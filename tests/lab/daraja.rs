//! `scripts/fake-daraja.py` on the lab's internet host (port `DARAJA_PORT`), so the router
//! reaches "Daraja" over its uplink, and the control calls tests use on it (from inside the
//! internet namespace). Std only.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use super::{Lab, INTERNET_IP};

pub const DARAJA_PORT: u16 = 8000;
pub const KEY: &str = "lab-key";
pub const SECRET: &str = "lab-secret";
pub const SHORTCODE: &str = "174379";
pub const PASSKEY: &str = "lab-passkey";

/// The UCI lines that point the daemon at it (`poll_interval` seconds between queries).
pub fn mpesa_config(poll_interval: u32) -> Vec<String> {
    vec![
        "config mpesa 'mpesa'".into(),
        "option enabled '1'".into(),
        format!("option base_url 'http://{INTERNET_IP}:{DARAJA_PORT}'"),
        format!("option consumer_key '{KEY}'"),
        format!("option consumer_secret '{SECRET}'"),
        format!("option shortcode '{SHORTCODE}'"),
        format!("option passkey '{PASSKEY}'"),
        format!("option poll_interval '{poll_interval}'"),
    ]
}

/// The fake, killed on drop.
pub struct FakeDaraja<'a> {
    lab: &'a Lab,
    child: Child,
}

impl Drop for FakeDaraja<'_> {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl FakeDaraja<'_> {
    pub fn start(lab: &Lab) -> FakeDaraja<'_> {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/fake-daraja.py");
        let port = DARAJA_PORT.to_string();
        let mut child = Command::new("ip")
            .args(["netns", "exec", lab.internet_ns(), "python3", script, "--bind", INTERNET_IP, "--port", &port])
            .args(["--consumer-key", KEY, "--consumer-secret", SECRET, "--shortcode", SHORTCODE, "--passkey", PASSKEY])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start fake-daraja.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("its stdout")).read_line(&mut line).expect("its first line");
        assert!(line.starts_with("listening on"), "fake Daraja did not start: {line:?}");
        FakeDaraja { lab, child }
    }

    /// POSTs `body` to a control path (`/_fake/plan`, `/_fake/down`, …).
    pub fn control(&self, path: &str, body: &str) {
        let url = format!("http://{INTERNET_IP}:{DARAJA_PORT}{path}");
        let out = self.lab.internet_exec(&["curl", "-sf", "--max-time", "5", "-d", body, &url]);
        assert!(out.status.success(), "fake Daraja {path} {body}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Every API call from now on is accepted and never answered (until `hang(false)`; the
    /// fake gives up after 60 s).
    pub fn hang(&self, hang: bool) {
        self.control("/_fake/down", &format!(r#"{{"down": {hang}, "hang": {hang}}}"#));
    }
}

//! Speed limits as a phone user measures them: iperf3 through the namespace lab's router,
//! real nft and tc. A 1 Mbit/s down / 512 kbit/s up package stays within ±15 % of its rate
//! in both directions with TCP flowing steadily (no stalled second), two devices on
//! different packages each get their own rate at the same time, and a device without a
//! limit is not shaped.
//!
//! HTB counts Ethernet frames, so TCP goodput sits ~4 % under the package rate.
//! Needs root, nft, tc, iperf3, iproute2, curl and python3; HOTSPOTD_SKIP_NETNS=1 skips.

mod lab;

use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

use lab::portal::*;
use lab::{Lab, LabOptions, INTERNET_IP};
use serde_json::Value;

const SECONDS: &str = "8";

/// iperf3 servers on the internet host (one port per client); killed on drop.
struct Servers(Vec<Child>);

impl Drop for Servers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn iperf3_servers(lab: &Lab, ports: &[u16]) -> Servers {
    let servers = ports
        .iter()
        .map(|port| {
            Command::new("ip")
                .args(["netns", "exec", lab.internet_ns(), "iperf3", "-s", "-J", "-p", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("iperf3 is needed for the speed tests (apt-get install -y iperf3)")
        })
        .collect();
    thread::sleep(Duration::from_millis(500));
    Servers(servers)
}

/// What iperf3 measured for one run.
#[derive(Debug)]
struct Run {
    /// Receiver's goodput.
    kbps: f64,
    retransmits: u64,
    /// The slowest one-second interval's rate at the receiver, as a share of the average (a
    /// stall shows as 0).
    slowest_second: f64,
}

/// One iperf3 run from client `n` to port `port`: `download` uses -R (server sends).
fn iperf3(lab: &Lab, n: usize, port: u16, download: bool) -> Run {
    let port = port.to_string();
    // The receiver's one-second intervals: the client's own when it downloads (-R), the
    // server's (--get-server-output) when it uploads.
    let mut argv = vec!["iperf3", "-c", INTERNET_IP, "-p", &port, "-t", SECONDS, "-O", "2", "-J", "--get-server-output"];
    if download {
        argv.push("-R");
    }
    let out = lab.client_exec(n, &argv);
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("iperf3 from client {n} printed no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    assert!(doc.get("error").is_none(), "iperf3 from client {n}: {}", doc["error"]);
    let end = &doc["end"];
    let kbps = end["sum_received"]["bits_per_second"].as_f64().expect("receiver rate") / 1000.0;
    let retransmits = end["sum_sent"]["retransmits"].as_u64().unwrap_or(0);
    let receiver = if download { &doc } else { &doc["server_output_json"] };
    let seconds: Vec<f64> = receiver["intervals"]
        .as_array()
        .map(|a| a.iter().filter(|i| i["sum"]["omitted"] != Value::Bool(true)).filter_map(|i| i["sum"]["bits_per_second"].as_f64()).collect())
        .unwrap_or_default();
    let average = seconds.iter().sum::<f64>() / seconds.len().max(1) as f64;
    let slowest = seconds.iter().copied().fold(f64::INFINITY, f64::min);
    Run { kbps, retransmits, slowest_second: if average > 0.0 { slowest / average } else { 0.0 } }
}

fn assert_rate(run: &Run, package_kbps: f64, what: &str) {
    let ratio = run.kbps / package_kbps;
    eprintln!("{what}: {:.0} kbit/s for a {package_kbps:.0} kbit/s package (ratio {ratio:.2}), {} retransmits, slowest second {:.2} of the average", run.kbps, run.retransmits, run.slowest_second);
    assert!((0.85..=1.15).contains(&ratio), "{what}: {:.0} kbit/s is not within ±15 % of {package_kbps:.0}: {run:?}", run.kbps);
    assert!(run.slowest_second > 0.3, "{what}: TCP stalled (a second at {:.0} % of the average): {run:?}", run.slowest_second * 100.0);
}

fn lab(clients: usize) -> Option<Lab> {
    Lab::with(LabOptions { clients, ..LabOptions::default() })
}

#[test]
fn a_1_mbit_512_kbit_package_holds_both_ways() {
    let Some(lab) = lab(1) else { return };
    let _servers = iperf3_servers(&lab, &[5201]);
    let package = lab.package_add("1M/512k", 3600, &["--down-kbps", "1000", "--up-kbps", "512"]);
    let code = lab.vouchers(&package, 1).remove(0);
    let v = login_ok(&lab, 1, &code);
    assert_eq!(v["package"]["down_kbps"].as_u64(), Some(1000), "{v}");

    assert_rate(&iperf3(&lab, 1, 5201, true), 1000.0, "download");
    assert_rate(&iperf3(&lab, 1, 5201, false), 512.0, "upload");
    let status = check_session(&lab, 1);
    assert_eq!((status["down_kbps"].as_u64(), status["up_kbps"].as_u64()), (Some(1000), Some(512)), "{status}");
    let page = lab.client_http(1, &["http://10.77.0.1:2050/status"]);
    assert!(page.body.contains("1 Mbit/s down, 512 kbit/s up"), "the status page shows the speed: {}", describe(&page));
    let status = lab.cli(&["status"]);
    assert!(status.contains("speed limits:  HTB on br-lan and ifb-hotspotd: 1 device classes"), "{status}");

    // After logout the device's classes are gone; logged in again, the limit is back.
    api_post(&lab, 1, API_LOGOUT, "{}");
    let classes = lab.router_exec(&["tc", "class", "show", "dev", "br-lan"]);
    assert!(!String::from_utf8_lossy(&classes.stdout).contains("1:b "), "class left after logout: {}", String::from_utf8_lossy(&classes.stdout));
    login_ok(&lab, 1, &code);
    assert_rate(&iperf3(&lab, 1, 5201, true), 1000.0, "download after logging in again");
}

#[test]
fn two_devices_on_different_packages_each_get_their_own_rate() {
    let Some(lab) = lab(2) else { return };
    let _servers = iperf3_servers(&lab, &[5201, 5202]);
    let slow = lab.package_add("1M/512k", 3600, &["--down-kbps", "1000", "--up-kbps", "512"]);
    let fast = lab.package_add("4M/1M", 3600, &["--down-kbps", "4000", "--up-kbps", "1000"]);
    login_ok(&lab, 1, &lab.vouchers(&slow, 1).remove(0));
    login_ok(&lab, 2, &lab.vouchers(&fast, 1).remove(0));

    for download in [true, false] {
        let (a, b) = thread::scope(|s| {
            let a = s.spawn(|| iperf3(&lab, 1, 5201, download));
            let b = s.spawn(|| iperf3(&lab, 2, 5202, download));
            (a.join().unwrap(), b.join().unwrap())
        });
        let way = if download { "download" } else { "upload" };
        assert_rate(&a, if download { 1000.0 } else { 512.0 }, &format!("device 1 (1M/512k) {way}, both at once"));
        assert_rate(&b, if download { 4000.0 } else { 1000.0 }, &format!("device 2 (4M/1M) {way}, both at once"));
    }
}

#[test]
fn a_device_without_a_limit_is_not_shaped() {
    let Some(lab) = lab(2) else { return };
    let _servers = iperf3_servers(&lab, &[5201]);
    let limited = lab.package_add("1M/512k", 3600, &["--down-kbps", "1000", "--up-kbps", "512"]);
    let unlimited = lab.package_add("Unlimited", 3600, &[]);
    login_ok(&lab, 1, &lab.vouchers(&limited, 1).remove(0));
    login_ok(&lab, 2, &lab.vouchers(&unlimited, 1).remove(0));
    let free = iperf3(&lab, 2, 5201, true);
    eprintln!("unlimited device: {:.0} kbit/s", free.kbps);
    assert!(free.kbps > 20_000.0, "a device without a limit got only {:.0} kbit/s", free.kbps);
}

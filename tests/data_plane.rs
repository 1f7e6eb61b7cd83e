//! The data plane against hostile clients, in the network-namespace lab with real nft
//! (tests/lab): spoofed addresses, DNS to outside resolvers and through the router's own,
//! IPv6, and connections (TCP, UDP, NAT/conntrack state) that try to outlive a logout or an
//! expiry. What is checked is what reaches the other side, measured there.
//!
//! The small network tools the clients, the router and the internet host run are one Python
//! script (`NET_TOOL`, written to the lab's temp dir). The NAT test adds a masquerade table to
//! the lab router, standing in for firewall4's, and nothing else outside hotspotd's table.
//!
//! Needs root, nft, iproute2, curl and python3; HOTSPOTD_SKIP_NETNS=1 skips them.

mod lab;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

use lab::portal::*;
use lab::{wait_until, Lab, LabOptions, TcpProbe, INTERNET_IP, PORTAL_IP};

const NET_TOOL: &str = r#"
import socket, sys, threading, time

def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET

def log_line(path, text):
    with open(path, "a") as f:
        f.write(text + "\n")

cmd = sys.argv[1]
if cmd == "udp-server":
    # Counts what arrives (one line each), echoes it, and keeps pushing to the last sender.
    host, port, log = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.bind((host, port))
    peer = [None]
    def push():
        while True:
            time.sleep(0.05)
            if peer[0] is not None:
                try: s.sendto(b"push", peer[0])
                except OSError: pass
    threading.Thread(target=push, daemon=True).start()
    print("ready", flush=True)
    while True:
        data, addr = s.recvfrom(2048)
        peer[0] = addr
        log_line(log, "%s %s" % (addr[0], data[:16]))
        try: s.sendto(b"echo", addr)
        except OSError: pass
elif cmd == "udp-client":
    # Sends every 50 ms for SECONDS; one line per datagram received.
    host, port, log, secs = sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.settimeout(0.05)
    end = time.monotonic() + secs
    print("ready", flush=True)
    while time.monotonic() < end:
        try: s.sendto(b"ping", (host, port))
        except OSError: pass
        try:
            while True:
                data, _ = s.recvfrom(2048)
                log_line(log, data.decode())
        except (socket.timeout, OSError):
            pass
elif cmd == "udp-count":
    # Counts datagrams (one line each) on ADDR:PORT.
    host, port, log = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.bind((host, port))
    print("ready", flush=True)
    while True:
        data, addr = s.recvfrom(2048)
        log_line(log, addr[0])
elif cmd == "udp-blast":
    # COUNT datagrams to HOST:PORT, INTERVAL seconds apart (0: as fast as possible).
    host, port, count, interval = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    for i in range(count):
        # A DNS query for a different name each time: what a tunnel sends.
        query = i.to_bytes(2, "big") + b"\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + bytes([8]) + b"t%07d" % i + b"\x03lab\x00\x00\x10\x00\x01"
        try: s.sendto(query, (host, port))
        except OSError: pass
        if interval: time.sleep(interval)
    print("sent %d" % count)
elif cmd == "tcp-server":
    host, port = sys.argv[2], int(sys.argv[3])
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(16)
    print("ready", flush=True)
    while True:
        c, _ = s.accept()
        try: c.sendall(b"open?")
        except OSError: pass
        c.close()
elif cmd == "tcp-probe":
    host, port, timeout = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
        data = s.recv(16)
        print("open " + data.decode())
    except ConnectionRefusedError:
        print("refused")
    except socket.timeout:
        print("timeout")
    except OSError as e:
        print("error %s" % e.errno)
"#;

/// A process in a namespace, killed on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tool(lab: &Lab) -> PathBuf {
    let path = lab.dir().join("net-tool.py");
    if !path.exists() {
        std::fs::write(&path, NET_TOOL).unwrap();
    }
    path
}

/// Starts `net-tool.py ARGS` in `ns` and waits for its "ready" line.
fn serve(lab: &Lab, ns: &str, args: &[&str]) -> Running {
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns, "python3", "-u"])
        .arg(tool(lab))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut line).unwrap();
    assert_eq!(line.trim(), "ready", "net-tool {args:?} in {ns} did not start");
    Running(child)
}

/// Runs `net-tool.py ARGS` in `ns` to the end; its output.
fn run(lab: &Lab, ns: &str, args: &[&str]) -> String {
    let out = Command::new("ip").args(["netns", "exec", ns, "python3"]).arg(tool(lab)).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map(|t| t.lines().count()).unwrap_or(0)
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().unwrap();
    assert!(out.status.success(), "ip {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn probe(lab: &Lab, ns: &str, host: &str, port: u16) -> String {
    run(lab, ns, &["tcp-probe", host, &port.to_string(), "1.5"])
}

fn online_lab(clients: usize) -> Option<(Lab, Vec<String>)> {
    let lab = Lab::up(clients)?;
    let package = lab.package_add("Hour", 3600, &[]);
    let codes = lab.vouchers(&package, clients);
    Some((lab, codes))
}

/// An unauthorised device that takes an authorised device's address (with its own MAC), or
/// its MAC (with its own address), gets no two-way traffic through, in either direction,
/// even when the router's neighbour entry for the address points at it (ARP poisoning).
#[test]
fn a_device_spoofing_an_authorised_address_or_mac_gets_nothing_through() {
    let Some((lab, codes)) = online_lab(2) else { return };
    login_ok(&lab, 1, &codes[0]);
    assert_online(&lab, 1, "the victim");
    let (victim_ip, victim_mac, spoofer_mac) = (lab.client_ip(1), lab.client_mac(1), lab.client_mac(2));
    let (router, spoofer, internet) = (lab.router_ns().to_owned(), lab.client_ns(2).to_owned(), lab.internet_ns().to_owned());
    let echo_log = lab.dir().join("echo.log");
    let _echo = serve(&lab, &internet, &["udp-server", "0.0.0.0", "7000", echo_log.to_str().unwrap()]);
    let _spoofer_listens = serve(&lab, &spoofer, &["tcp-server", "0.0.0.0", "9000"]);

    let blocked = |what: &str| {
        let tcp = lab.client_tcp(2, INTERNET_IP, 8080, 1.5);
        assert!(!matches!(tcp, TcpProbe::Open(_)), "{what}: TCP to the internet got through: {tcp:?}");
        assert!(!lab.client_ping(2, INTERNET_IP, 1.0), "{what}: ping got through");
        let r = lab.client_http(2, &["--max-time", "2", &format!("http://{INTERNET_IP}/")]);
        assert!(!r.is_from_internet(), "{what}: HTTP reached the internet host: {}", describe(&r));
        let before = lines(&echo_log);
        run(&lab, &spoofer, &["udp-blast", INTERNET_IP, "7000", "20", "0.01"]);
        thread::sleep(Duration::from_millis(300));
        assert_eq!(lines(&echo_log), before, "{what}: UDP reached the internet host");
        // The other direction: the internet host cannot open a connection to the spoofer
        // (its answer is the spoofer's, and the spoofer's packets do not pass).
        let inbound = probe(&lab, &internet, &victim_ip, 9000);
        assert!(!inbound.starts_with("open"), "{what}: the internet host reached the spoofer: {inbound}");
    };

    // 1. The victim's address, the spoofer's own MAC; the router's neighbour entry says so.
    ip(&["-n", &spoofer, "addr", "flush", "dev", "eth0"]);
    ip(&["-n", &spoofer, "addr", "add", &format!("{victim_ip}/24"), "dev", "eth0", "nodad"]);
    ip(&["-n", &spoofer, "route", "replace", "default", "via", PORTAL_IP]);
    ip(&["-n", &router, "neigh", "replace", &victim_ip, "lladdr", &spoofer_mac, "dev", "br-lan", "nud", "permanent"]);
    blocked("victim's address, own MAC");

    // 2. The victim's MAC, the spoofer's own address.
    ip(&["-n", &router, "neigh", "del", &victim_ip, "dev", "br-lan"]);
    ip(&["-n", &spoofer, "addr", "flush", "dev", "eth0"]);
    ip(&["-n", &spoofer, "link", "set", "eth0", "address", &victim_mac]);
    ip(&["-n", &spoofer, "addr", "add", &format!("{}/24", lab.client_ip(2)), "dev", "eth0", "nodad"]);
    ip(&["-n", &spoofer, "route", "replace", "default", "via", PORTAL_IP]);
    ip(&["-n", &router, "neigh", "replace", &lab.client_ip(2), "lladdr", &victim_mac, "dev", "br-lan", "nud", "permanent"]);
    let r = lab.client_http(2, &["--max-time", "2", &format!("http://{INTERNET_IP}/")]);
    assert!(!r.is_from_internet(), "victim's MAC, own address: HTTP reached the internet host: {}", describe(&r));
    let tcp = lab.client_tcp(2, INTERNET_IP, 8080, 1.5);
    assert!(!matches!(tcp, TcpProbe::Open(_)), "victim's MAC, own address: {tcp:?}");

    // The victim is unharmed once the spoofer is gone.
    ip(&["-n", &spoofer, "link", "set", "eth0", "address", &spoofer_mac]);
    ip(&["-n", &router, "neigh", "del", &lab.client_ip(2), "dev", "br-lan"]);
    let back = wait_until(Duration::from_secs(5), Duration::from_millis(200), || internet_ok(&lab, 1));
    assert!(back.is_some(), "the victim is not online again:\n{}", lab.nft_text());
}

/// Before login, DNS goes nowhere but the router: queries to an outside resolver (UDP or
/// TCP 53, DNS over TLS on 853) are dropped. After login they pass (the check is real).
#[test]
fn dns_to_outside_resolvers_is_blocked_before_login() {
    let Some((lab, codes)) = online_lab(1) else { return };
    let internet = lab.internet_ns().to_owned();
    let dns_log = lab.dir().join("outside-dns.log");
    let _udp = serve(&lab, &internet, &["udp-count", "0.0.0.0", "53", dns_log.to_str().unwrap()]);
    let _tcp53 = serve(&lab, &internet, &["tcp-server", "0.0.0.0", "53"]);
    let _tcp853 = serve(&lab, &internet, &["tcp-server", "0.0.0.0", "853"]);
    let client = lab.client_ns(1).to_owned();

    run(&lab, &client, &["udp-blast", INTERNET_IP, "53", "10", "0.01"]);
    for port in [53, 853] {
        let tcp = probe(&lab, &client, INTERNET_IP, port);
        assert!(!tcp.starts_with("open"), "TCP {port} to an outside resolver before login: {tcp}");
    }
    thread::sleep(Duration::from_millis(300));
    assert_eq!(lines(&dns_log), 0, "UDP DNS reached an outside resolver before login");

    login_ok(&lab, 1, &codes[0]);
    run(&lab, &client, &["udp-blast", INTERNET_IP, "53", "10", "0.01"]);
    assert!(probe(&lab, &client, INTERNET_IP, 53).starts_with("open"), "TCP 53 after login");
    thread::sleep(Duration::from_millis(300));
    assert_eq!(lines(&dns_log), 10, "after login, DNS to any resolver passes");
}

/// The router's own resolver answers any name before login, so it could carry a DNS tunnel.
/// Before login each device (by MAC) gets a burst of 50 DNS packets, then 5 a second: far
/// more than a phone's detection lookups, far less than a usable tunnel. After login: no limit.
#[test]
fn dns_through_the_router_is_rate_limited_before_login_only() {
    let Some((lab, codes)) = online_lab(2) else { return };
    let router = lab.router_ns().to_owned();
    let dns_log = lab.dir().join("router-dns.log");
    let _resolver = serve(&lab, &router, &["udp-count", PORTAL_IP, "53", dns_log.to_str().unwrap()]);
    let from = |ip: String| std::fs::read_to_string(&dns_log).unwrap_or_default().lines().filter(|l| *l == ip).count();

    // A tunnel's worth of queries, as fast as a client can send them: the burst and a few.
    run(&lab, lab.client_ns(1), &["udp-blast", PORTAL_IP, "53", "400", "0"]);
    thread::sleep(Duration::from_millis(500));
    let tunnel = from(lab.client_ip(1));
    assert!((45..=60).contains(&tunnel), "{tunnel} of 400 queries reached the resolver before login");
    // A phone joining: its detection lookups all pass (another device, its own allowance).
    run(&lab, lab.client_ns(2), &["udp-blast", PORTAL_IP, "53", "30", "0.02"]);
    thread::sleep(Duration::from_millis(300));
    assert_eq!(from(lab.client_ip(2)), 30, "a phone's lookups before login");
    // At 5 a second the first device is served again.
    thread::sleep(Duration::from_secs(2));
    run(&lab, lab.client_ns(1), &["udp-blast", PORTAL_IP, "53", "5", "0.25"]);
    thread::sleep(Duration::from_millis(300));
    assert_eq!(from(lab.client_ip(1)), tunnel + 5, "queries at the allowed rate");

    // Logged in: no limit.
    login_ok(&lab, 1, &codes[0]);
    let before = from(lab.client_ip(1));
    run(&lab, lab.client_ns(1), &["udp-blast", PORTAL_IP, "53", "400", "0.001"]);
    thread::sleep(Duration::from_millis(500));
    assert!(from(lab.client_ip(1)) - before >= 395, "after login: {} of 400", from(lab.client_ip(1)) - before);
}

/// Clients' IPv6 is never forwarded, before or after login, either way (the router itself
/// reaches the IPv6 internet: the path exists). DNS over IPv6 to the router is limited for
/// every device.
#[test]
fn ipv6_is_never_forwarded_for_clients() {
    let Some((lab, codes)) = online_lab(1) else { return };
    let (router, internet, client) = (lab.router_ns().to_owned(), lab.internet_ns().to_owned(), lab.client_ns(1).to_owned());
    ip(&["-n", &router, "addr", "add", "fd00:77::1/64", "dev", "br-lan", "nodad"]);
    ip(&["-n", &router, "addr", "add", "fd00:51::1/64", "dev", "wan0", "nodad"]);
    let out = Command::new("ip").args(["netns", "exec", &router, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"]).output().unwrap();
    assert!(out.status.success());
    ip(&["-n", &internet, "addr", "add", "fd00:51::2/64", "dev", "eth0", "nodad"]);
    ip(&["-n", &internet, "route", "add", "fd00:77::/64", "via", "fd00:51::1"]);
    ip(&["-n", &client, "addr", "add", "fd00:77::11/64", "dev", "eth0", "nodad"]);
    ip(&["-n", &client, "-6", "route", "add", "default", "via", "fd00:77::1"]);
    let udp_log = lab.dir().join("v6.log");
    let _udp = serve(&lab, &internet, &["udp-count", "::", "7006", udp_log.to_str().unwrap()]);
    let _tcp = serve(&lab, &internet, &["tcp-server", "::", "9006"]);
    let _inbound = serve(&lab, &client, &["tcp-server", "::", "9007"]);
    assert!(probe(&lab, &router, "fd00:51::2", 9006).starts_with("open"), "the router reaches the internet over IPv6");

    let blocked = |what: &str| {
        let out = probe(&lab, &client, "fd00:51::2", 9006);
        assert!(!out.starts_with("open"), "{what}: TCP over IPv6 went out: {out}");
        let before = lines(&udp_log);
        run(&lab, &client, &["udp-blast", "fd00:51::2", "7006", "10", "0.01"]);
        thread::sleep(Duration::from_millis(300));
        assert_eq!(lines(&udp_log), before, "{what}: UDP over IPv6 went out");
        let r = lab.client_http(1, &["--max-time", "2", "-g", "http://[fd00:51::2]/"]);
        assert!(!r.is_from_internet(), "{what}: HTTP over IPv6 reached the internet: {}", describe(&r));
        let inbound = probe(&lab, &internet, "fd00:77::11", 9007);
        assert!(!inbound.starts_with("open"), "{what}: the internet opened a connection to the client over IPv6: {inbound}");
    };
    blocked("before login");
    login_ok(&lab, 1, &codes[0]);
    assert_online(&lab, 1, "IPv4 after login");
    blocked("after login");

    // DNS over IPv6 to the router: limited whoever asks (the hotspot serves IPv4).
    let dns_log = lab.dir().join("v6-dns.log");
    let _resolver = serve(&lab, &router, &["udp-count", "fd00:77::1", "53", dns_log.to_str().unwrap()]);
    run(&lab, &client, &["udp-blast", "fd00:77::1", "53", "300", "0"]);
    thread::sleep(Duration::from_millis(500));
    let got = lines(&dns_log);
    assert!((45..=60).contains(&got), "{got} of 300 IPv6 DNS queries reached the resolver");
}

/// Logout and expiry cut what is already flowing: a TCP download, a UDP flow in both
/// directions, and what the NAT (firewall4's masquerade, here a stand-in table) keeps for
/// them in conntrack. The entries stay in conntrack; nothing passes through them.
#[test]
fn connections_do_not_outlive_a_logout_or_an_expiry_even_through_nat() {
    let Some(lab) = Lab::with(LabOptions { clients: 2, ..LabOptions::default() }) else { return };
    let hour = lab.package_add("Hour", 3600, &[]);
    let short = lab.package_add("Five seconds", 5, &[]);
    let (code, short_code) = (lab.vouchers(&hour, 1).remove(0), lab.vouchers(&short, 1).remove(0));
    let (router, internet) = (lab.router_ns().to_owned(), lab.internet_ns().to_owned());
    // The router masquerades its uplink, as firewall4 does; the internet host has no route
    // back to the clients: every reply goes through the NAT's conntrack entries.
    let nat = "table ip labnat {\n chain post {\n  type nat hook postrouting priority srcnat; policy accept;\n  oifname \"wan0\" masquerade\n }\n}\n";
    let mut nft = Command::new("ip").args(["netns", "exec", &router, "nft", "-f", "-"]).stdin(Stdio::piped()).spawn().unwrap();
    std::io::Write::write_all(nft.stdin.as_mut().unwrap(), nat.as_bytes()).unwrap();
    drop(nft.stdin.take());
    assert!(nft.wait().unwrap().success());
    ip(&["-n", &internet, "route", "del", "10.77.0.0/24"]);
    let server_log = lab.dir().join("server.log");
    let _server = serve(&lab, &internet, &["udp-server", "0.0.0.0", "7000", server_log.to_str().unwrap()]);
    // What reached the internet host (from either client: the other one is cut off by then).
    let reached = || lines(&server_log);

    // Client 1: an hour, cut by logout. Client 2: five seconds, cut by expiry.
    login_ok(&lab, 1, &code);
    assert_online(&lab, 1, "through the NAT");
    let file = lab.dir().join("stream.bin");
    let _download = lab.client_spawn(1, &["curl", "-s", "--max-time", "30", "-o", file.to_str().unwrap(), &format!("http://{INTERNET_IP}/stream")]);
    let flow1 = lab.dir().join("flow1.log");
    let _udp1 = serve(&lab, lab.client_ns(1), &["udp-client", INTERNET_IP, "7000", flow1.to_str().unwrap(), "25"]);
    let size = || std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    assert!(wait_until(Duration::from_secs(5), Duration::from_millis(50), || size() > 20_000 && lines(&flow1) > 10).is_some());
    let conntrack = || {
        let out = Command::new("ip").args(["netns", "exec", &router, "cat", "/proc/net/nf_conntrack"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let udp_entry = |ip: &str| conntrack().lines().any(|l| l.contains("udp") && l.contains(&format!("src={ip} ")) && l.contains("dport=7000"));
    assert!(udp_entry(&lab.client_ip(1)), "no conntrack entry for the UDP flow:\n{}", conntrack());

    let r = api_post(&lab, 1, API_LOGOUT, "{}");
    assert_eq!(r.status, 200, "logout: {}", describe(&r));
    thread::sleep(Duration::from_millis(500));
    let (at_cut, received, sent) = (size(), lines(&flow1), reached());
    thread::sleep(Duration::from_secs(2));
    assert!(size() - at_cut <= 4096, "the download kept flowing after logout: {} bytes", size() - at_cut);
    assert_eq!(lines(&flow1), received, "UDP from the internet (echoes and pushes through the NAT entry) kept arriving");
    assert_eq!(reached(), sent, "the client's UDP kept reaching the internet");
    assert!(udp_entry(&lab.client_ip(1)), "the conntrack entry is still there (and carries nothing):\n{}", conntrack());
    assert_captive(&lab, 1, "after logout");

    // Expiry: the kernel drops the device when its time is up, whatever conntrack holds.
    login_ok(&lab, 2, &short_code);
    let flow2 = lab.dir().join("flow2.log");
    let _udp2 = serve(&lab, lab.client_ns(2), &["udp-client", INTERNET_IP, "7000", flow2.to_str().unwrap(), "20"]);
    assert!(wait_until(Duration::from_secs(3), Duration::from_millis(50), || lines(&flow2) > 10).is_some(), "flow 2 did not start");
    thread::sleep(Duration::from_secs(6)); // past the five seconds, with the 2 s grace
    let (received, sent) = (lines(&flow2), reached());
    thread::sleep(Duration::from_secs(2));
    assert_eq!(lines(&flow2), received, "UDP kept arriving after the package expired");
    assert_eq!(reached(), sent, "the client's UDP kept going out after expiry");
    assert!(udp_entry(&lab.client_ip(2)), "the conntrack entry of the expired device:\n{}", conntrack());
    assert_captive(&lab, 2, "after expiry");
}

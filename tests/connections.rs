//! Connection and memory exhaustion from the open Wi-Fi, with real sockets from many loopback
//! addresses against the real daemon (firewall `none`). Devices are loopback addresses
//! (tests/device: 127.N.0.x is device N, MAC 02:7f:NN:00:00:00; 127.0.0.x a device each):
//! one device can use as many addresses as it likes, as on the Wi-Fi.
//!
//! Under test (src/portal/admission.rs): at most 16 connections per device (MAC) however many
//! addresses it uses; when all `max_connections` are taken, a newcomer is served at once by
//! taking a connection from the device holding the most; idle kept-alive connections close
//! after `header_timeout`; memory stays flat.

mod device;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::time::{Duration, Instant};

use device::{addr, Daemon};

/// A connection that sends nothing (or half a request) and waits.
fn slow(d: &Daemon, from: Ipv4Addr, half_request: bool) -> TcpStream {
    let mut s = device::connect_from(from, d.addr).unwrap();
    if half_request {
        let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n");
    }
    s
}

/// Whether the server still holds the connection open (nothing to read for `wait`).
fn is_open(s: &TcpStream, wait: Duration) -> bool {
    s.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 256];
    // Data, the end, or a reset: the server is done with it. Nothing to read: still open.
    match s.peek(&mut buf) {
        Ok(_) => false,
        Err(e) => matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut),
    }
}

/// `GET /api/packages` from `from`: the status and how long it took.
fn served(d: &Daemon, from: Ipv4Addr) -> (u16, Duration) {
    let started = Instant::now();
    let mut s = device::connect_from(from, d.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s.write_all(format!("GET /api/packages HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", d.addr).as_bytes()).unwrap();
    let status = device::read_answer(&mut s).map_or(0, |a| a.status);
    (status, started.elapsed())
}

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).unwrap().trim().trim_end_matches("kB").trim().parse().unwrap()
}

#[test]
fn one_device_holds_sixteen_connections_however_many_addresses_it_uses() {
    let d = Daemon::start("conn-per-device", "\toption header_timeout '10'\n");
    // Device 2 opens 40 slow connections, each from another address.
    let held: Vec<TcpStream> = (0..40).map(|n| slow(&d, addr(2, 1 + n), n % 2 == 0)).collect();
    std::thread::sleep(Duration::from_millis(300));
    let open = held.iter().filter(|s| is_open(s, Duration::from_millis(100))).count();
    assert_eq!(open, 16, "connections the portal kept for one device");
    // Others are served at once.
    let (status, took) = served(&d, addr(3, 1));
    assert_eq!(status, 200);
    assert!(took < Duration::from_secs(1), "{took:?}");
}

#[test]
fn a_full_portal_serves_a_newcomer_at_once() {
    let d = Daemon::start("conn-full", "\toption max_connections '32'\n\toption header_timeout '10'\n");
    // Devices 2 and 3, from many addresses, take all 32 connections and keep them slowly.
    let held: Vec<TcpStream> = (0..32).map(|n| slow(&d, addr(2 + (n % 2), 1 + n), true)).collect();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(held.iter().filter(|s| is_open(s, Duration::from_millis(50))).count(), 32);
    // Meanwhile devices 4 and 5 hammer the portal with fast requests from many addresses.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flood: Vec<_> = (0..4u8)
        .map(|t| {
            let (stop, to) = (stop.clone(), d.addr);
            std::thread::spawn(move || {
                let mut n = 0u8;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    n = n.wrapping_add(1);
                    if let Ok(mut s) = device::connect_from(addr(4 + t % 2, n.max(1)), to) {
                        let _ = s.write_all(b"GET /api/packages HTTP/1.1\r\nHost: x\r\n\r\n");
                        s.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
                        let _ = s.read(&mut [0u8; 512]);
                    }
                }
            })
        })
        .collect();
    // Honest phones, one request each, are served at once (not after the slow ones' 10 s).
    for phone in 10..16 {
        let (status, took) = served(&d, addr(phone, 1));
        assert_eq!(status, 200, "phone {phone}");
        assert!(took < Duration::from_secs(2), "phone {phone} waited {took:?}");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in flood {
        t.join().unwrap();
    }
    // The phones' connections came from the slow devices' share.
    let still = held.iter().filter(|s| is_open(s, Duration::from_millis(50))).count();
    assert!(still < 32, "no slow connection was given up: {still}");
}

#[test]
fn a_portal_full_of_single_connection_devices_still_takes_a_newcomer() {
    let d = Daemon::start("conn-singles", "\toption max_connections '16'\n\toption header_timeout '10'\n");
    // Sixteen devices, one slow connection each (separate 127.0.0.x addresses are separate devices).
    let held: Vec<TcpStream> = (0..16).map(|n| slow(&d, Ipv4Addr::new(127, 0, 0, 10 + n), true)).collect();
    std::thread::sleep(Duration::from_millis(1200)); // older than a fresh newcomer's
    let (status, took) = served(&d, addr(20, 1));
    assert_eq!(status, 200);
    assert!(took < Duration::from_secs(2), "{took:?}");
    // The oldest one made room.
    assert!(!is_open(&held[0], Duration::from_millis(100)), "the oldest connection should have been given up\n{}", d.log());
}

#[test]
fn an_idle_kept_alive_connection_is_closed_after_the_header_timeout() {
    let d = Daemon::start("conn-idle", "\toption header_timeout '2'\n");
    let mut s = device::connect_from(addr(2, 1), d.addr).unwrap();
    s.write_all(format!("GET /api/packages HTTP/1.1\r\nHost: {}\r\n\r\n", d.addr).as_bytes()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(device::read_answer_keep_alive(&mut s).map(|a| a.status), Some(200));
    // Kept alive, then idle: closed by the server once the timeout for the next request's
    // headers passes.
    let idle = Instant::now();
    let mut buf = [0u8; 64];
    let closed = matches!(s.read(&mut buf), Ok(0)) || matches!(s.read(&mut buf), Ok(0));
    assert!(closed, "still open after {:?}", idle.elapsed());
    assert!(idle.elapsed() < Duration::from_secs(4), "closed after {:?}", idle.elapsed());
}

#[test]
fn memory_stays_flat_under_a_flood_of_slow_connections_from_many_devices() {
    let d = Daemon::start("conn-memory", "\toption header_timeout '10'\n");
    let pid = d.pid();
    std::thread::sleep(Duration::from_millis(300));
    let before = rss_kb(pid);
    // 24 devices × 16 addresses, each sending a big half-finished header.
    let big = format!("GET / HTTP/1.1\r\nHost: x\r\nX-Pad: {}", "a".repeat(12 * 1024));
    let mut held: Vec<TcpStream> = Vec::new();
    for dev in 0..24u8 {
        for n in 0..16u8 {
            if let Ok(mut s) = device::connect_from(addr(30 + dev, 1 + n), d.addr) {
                let _ = s.write_all(big.as_bytes());
                held.push(s);
            }
        }
    }
    std::thread::sleep(Duration::from_millis(1000));
    let open = held.iter().filter(|s| is_open(s, Duration::from_millis(20))).count();
    let during = rss_kb(pid);
    assert!(open <= 128, "{open} connections held (max_connections 128)");
    assert!(during < before + 8 * 1024, "RSS grew from {before} kB to {during} kB with {open} connections");
    let (status, took) = served(&d, addr(99, 1));
    assert_eq!(status, 200);
    assert!(took < Duration::from_secs(2), "{took:?}");
    eprintln!("RSS {before} kB idle, {during} kB with {open} slow connections held");
}

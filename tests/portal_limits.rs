//! The portal under bad input and hostile clients, over real HTTP on loopback with the real
//! binary (firewall `none`, so no root needed): oversized and malformed requests get a clear
//! 4xx, a client that sends its headers too slowly is cut off, and a flood of slow
//! connections from one address does not stop another client from being served; a voucher
//! link (`GET /v/CODE`, `GET /login?voucher=CODE`) fills the code in and changes nothing by itself.

mod device;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use device::Daemon;

fn start(name: &str, extra: &str) -> Daemon {
    Daemon::start(&format!("limits-{name}"), extra)
}

/// Sends raw bytes and returns the whole answer (the server closes or times out).
fn exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    // Read until the body announced by Content-Length is in (keep-alive leaves it open).
    loop {
        match stream.read(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
        let text = String::from_utf8_lossy(&answer);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap()));
            if length.is_some_and(|n| body.len() >= n) {
                break;
            }
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

fn post(addr: SocketAddr, path: &str, body: &str) -> String {
    exchange(
        addr,
        format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
}

fn status_of(answer: &str) -> u16 {
    answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[test]
fn bad_requests_get_clear_errors() {
    let d = start("bad", "");
    let cases = [
        ("not json", 400, "not valid JSON"),
        ("{\"voucher\": 5}", 400, "not valid JSON"),
        ("{}", 400, "Enter a voucher code, or a username and password"),
        ("{\"username\":\"amina\"}", 400, "Enter a voucher code"),
        ("{\"voucher\":\"ZZZZ9999\"}", 401, "voucher code is not valid"),
    ];
    for (body, status, needle) in cases {
        let answer = post(d.addr, "/api/hotspot/login", body);
        assert_eq!(status_of(&answer), status, "{body}: {answer}");
        assert!(answer.contains(needle), "{body}: {answer}");
        assert!(answer.contains("{\"error\":"), "{body}: {answer}");
    }
    // A body over the limit is refused before it is read.
    let huge = "x".repeat(64 * 1024);
    let answer = post(d.addr, "/api/hotspot/login", &huge);
    assert_eq!(status_of(&answer), 413, "{answer}");
    assert!(answer.contains("too large"), "{answer}");
    // Unknown API paths and wrong methods are JSON errors too.
    let answer = exchange(d.addr, format!("GET /api/nothing HTTP/1.1\r\nHost: {}\r\n\r\n", d.addr).as_bytes());
    assert_eq!(status_of(&answer), 404, "{answer}");
    let answer = exchange(d.addr, format!("GET /api/hotspot/login HTTP/1.1\r\nHost: {}\r\n\r\n", d.addr).as_bytes());
    assert_eq!(status_of(&answer), 405, "{answer}");
    // Garbage instead of HTTP (here the start of a TLS hello) gets hyper's 400, which closes
    // the connection, and the daemon carries on.
    let answer = exchange(d.addr, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 hello\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{answer:?}");
    assert!(answer.to_ascii_lowercase().contains("\r\nconnection: close\r\n"), "{answer:?}");
    let answer = exchange(d.addr, b"GET /\xff HTTP/9.9\r\n\r\n");
    assert_eq!(status_of(&answer), 400, "a malformed request line: {answer:?}");
    let answer = exchange(d.addr, format!("GET / HTTP/1.1\r\nHost: {}\r\n\r\n", d.addr).as_bytes());
    assert_eq!(status_of(&answer), 200, "still serving: {answer}");
}

#[test]
fn slow_headers_are_cut_off_and_do_not_starve_others() {
    let d = start("slow", "\toption header_timeout '2'\n\toption max_connections '64'\n");
    // 40 connections from 127.0.0.1 that never finish their headers (beyond 16 per
    // address they are closed at once).
    let slow: Vec<TcpStream> = (0..40)
        .map(|n| {
            let mut s = TcpStream::connect(d.addr).unwrap();
            // Half send part of a request, half send nothing at all.
            if n % 2 == 0 {
                let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n");
            }
            s
        })
        .collect();
    // Meanwhile another client (another source address) is answered at once.
    let started = Instant::now();
    let out = Command::new("curl")
        .args(["-s", "--max-time", "5", "--interface", "127.0.0.2", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(format!("http://{}/api/packages", d.addr))
        .output()
        .expect("curl");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200");
    assert!(started.elapsed() < Duration::from_secs(2), "served in {:?}", started.elapsed());
    // The slow ones are closed once the header timeout passes.
    std::thread::sleep(Duration::from_secs(4));
    for mut s in slow {
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut buf = [0u8; 512];
        let closed = match s.read(&mut buf) {
            Ok(0) => true,
            Ok(n) => String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 408"),
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        };
        assert!(closed, "a connection without complete headers stayed open");
    }
}

#[test]
fn a_voucher_link_fills_in_the_code_and_logs_in_only_when_the_user_presses_the_button() {
    // What a printed voucher's QR code opens: `/v/CODE`; `/login?voucher=CODE` is the same.
    let d = Daemon::start("voucher-link", "");
    let codes = d.vouchers(1);
    let typed = codes[0].to_lowercase();
    for link in [format!("/v/{}", codes[0]), format!("/login?voucher={typed}")] {
        let page = device::get(device::addr(1, 1), d.addr, &link);
        assert_eq!(page.status, 200, "{link}");
        assert!(page.body.contains(&format!("name=\"voucher\" value=\"{}\"", codes[0])), "{link}: the code is filled in: {}", page.body);
    }
    // Opening the link changed nothing: the device is not online, the code still unused.
    let check = device::post_json(device::addr(1, 1), d.addr, "/api/hotspot/check-session", "");
    assert_eq!(check.json()["active"], false);
    assert_eq!(d.try_code(1, 1, &codes[0]).status, 200, "pressing the button logs in");
    // Hostile input is escaped and bounded, never echoed raw.
    for link in ["/login?voucher=%22%3E%3Cscript%3E", "/v/%22%3E%3Cscript%3E", "/v/\"><script>"] {
        let hostile = device::get(device::addr(2, 1), d.addr, link);
        assert!(matches!(hostile.status, 200 | 400), "{link}: {}", hostile.status);
        assert!(!hostile.body.to_ascii_lowercase().contains("<script>"), "{link}: {}", hostile.body);
    }
}

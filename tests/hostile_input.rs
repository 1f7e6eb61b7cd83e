//! What a hostile client sends the portal to make it say or do something for it: reflected
//! input in HTML and JSON, Host headers that would turn the "back to your site" redirect into
//! an open redirect, header injection, and forms posted by other web sites. The real daemon on
//! loopback (firewall `none`, demo M-Pesa, a webhook SMS gateway nobody answers); devices are
//! loopback addresses (tests/device).

mod device;

use device::{addr, Answer, Daemon};

/// Markup and quotes that must never come back as they were sent.
const PAYLOAD: &str = "<script>alert(1)</script>\"'&";
/// The payload as a form field.
const PAYLOAD_FORM: &str = "%3Cscript%3Ealert(1)%3C%2Fscript%3E%22%27%26";

fn start(name: &str) -> Daemon {
    Daemon::start(
        &format!("hostile-{name}"),
        "\nconfig mpesa 'mpesa'\n\toption enabled '1'\n\toption mode 'demo'\n\n\
         config sms 'sms'\n\toption provider 'webhook'\n\toption base_url 'http://127.0.0.1:9/sms'\n",
    )
}

fn get_with_host(d: &Daemon, from: std::net::Ipv4Addr, host: &str, path: &str) -> Option<Answer> {
    device::raw(from, d.addr, format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes())
}

fn assert_no_raw_payload(answer: &Answer, what: &str) {
    assert!(!answer.body.contains("<script>alert(1)"), "{what}: markup reflected as is: {}", answer.body);
    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"), "{what}: {answer:?}");
}

#[test]
fn typed_values_come_back_escaped_in_html_and_as_json_strings() {
    let d = start("reflect");
    d.vouchers(1);
    let me = addr(1, 1);
    let package: i64 = 1;
    // Every form field the portal puts back on a page, or into a message.
    let forms = [
        ("/login", format!("voucher={PAYLOAD_FORM}"), 401),
        ("/login", format!("username={PAYLOAD_FORM}&password={PAYLOAD_FORM}"), 401),
        ("/pay", format!("package_id={package}&phone={PAYLOAD_FORM}"), 400),
        ("/forgot", format!("phone={PAYLOAD_FORM}"), 400),
    ];
    for (path, body, status) in &forms {
        let answer = device::post_form(me, d.addr, path, body);
        assert_eq!(answer.status, *status, "{path} {body}: {answer:?}");
        assert!(answer.header("content-type").unwrap().starts_with("text/html"), "{answer:?}");
        assert_no_raw_payload(&answer, path);
    }
    // The refused number is quoted back, escaped, in the message and in the field.
    let pay = device::post_form(me, d.addr, "/pay", &format!("package_id={package}&phone={PAYLOAD_FORM}"));
    assert!(pay.body.contains("&lt;script&gt;alert(1)"), "{}", pay.body);
    assert!(pay.body.contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;\""), "{}", pay.body);
    // JSON answers carry it as a JSON string, typed as JSON, never sniffed as HTML.
    let json_cases = [
        ("/api/payments/mpesa", format!(r#"{{"package_id":{package},"phone":{}}}"#, serde_json::json!(PAYLOAD))),
        ("/api/hotspot/forgot-password", format!(r#"{{"phone":{}}}"#, serde_json::json!(PAYLOAD))),
        ("/api/hotspot/login", format!(r#"{{"voucher":{}}}"#, serde_json::json!(PAYLOAD))),
    ];
    for (path, body) in &json_cases {
        let answer = device::post_json(me, d.addr, path, body);
        assert!((400..500).contains(&answer.status), "{path}: {answer:?}");
        assert_eq!(answer.header("content-type"), Some("application/json"), "{path}: {answer:?}");
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"), "{path}: {answer:?}");
        let error = answer.json()["error"].as_str().unwrap().to_owned();
        assert!(!error.is_empty(), "{path}");
    }
    // Paths are never echoed.
    let answer = device::get(me, d.addr, &format!("/{PAYLOAD_FORM}"));
    assert_eq!(answer.status, 404);
    assert_no_raw_payload(&answer, "404");
    assert!(!answer.body.contains("alert"), "{}", answer.body);
}

#[test]
fn the_host_header_cannot_make_an_open_redirect_or_inject_headers() {
    let d = start("host");
    let codes = d.vouchers(1);
    let portal = format!("http://{}/", d.addr);
    let me = addr(2, 1);
    // Before login every foreign Host is sent to the portal, whatever it holds: the portal's
    // URL is built from the address the connection reached (the router's own), never from
    // what the client says.
    for host in ["example.com", "evil.example/@x", "user@evil.example", "a b", "evil.example\\x", "[::1]:1"] {
        let answer = get_with_host(&d, me, host, "/generate_204").unwrap_or_else(|| panic!("{host}: no answer"));
        assert_eq!((answer.status, answer.header("location")), (302, Some(portal.as_str())), "{host}: {answer:?}");
    }
    // Online, a plain host gets its page back on a fresh connection…
    assert_eq!(d.try_code(2, 1, &codes[0]).status, 200);
    let answer = get_with_host(&d, me, "example.com:8080", "/a/b?c=1").unwrap();
    assert_eq!((answer.status, answer.header("location")), (302, Some("http://example.com:8080/a/b?c=1")), "{answer:?}");
    assert_eq!(answer.header("connection"), Some("close"));
    // …but a Host that would make the URL point elsewhere than it names is refused.
    for host in ["evil.example/@x", "user@evil.example", "a b", "evil.example\\x", "evil.example?x=", "evil.example#", "evil.example%2f"] {
        let answer = get_with_host(&d, me, host, "/").unwrap_or_else(|| panic!("{host}: no answer"));
        assert_eq!(answer.status, 400, "{host}: {answer:?}");
        assert_eq!(answer.header("location"), None, "{host}: {answer:?}");
    }
    // Control characters never reach a header: a bare CR or other control byte in Host is a
    // malformed request (400 before any handler), and nothing is injected.
    for host in ["evil.example\rSet-Cookie: x=1", "evil.example\u{1}"] {
        let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        if let Some(answer) = device::raw(me, d.addr, request.as_bytes()) {
            assert_eq!(answer.status, 400, "{host:?}: {answer:?}");
            assert!(answer.header("set-cookie").is_none() && answer.header("location").is_none(), "{answer:?}");
        }
    }
    // Retry-After is a number the portal computed.
    for n in 0..6 {
        d.try_code(3, 1, &format!("WRONG{n:03}"));
    }
    let limited = d.try_code(3, 1, "WRONG999");
    assert_eq!(limited.status, 429);
    assert!(limited.header("retry-after").unwrap().bytes().all(|b| b.is_ascii_digit()), "{limited:?}");
}

#[test]
fn forms_posted_by_other_sites_are_refused() {
    let d = start("origin");
    let codes = d.vouchers(2);
    let own = format!("http://{}", d.addr);
    let post = |path: &str, origin: Option<&str>, body: &str| {
        let origin_line = origin.map(|o| format!("Origin: {o}"));
        let extra: Vec<&str> = origin_line.iter().map(String::as_str).collect();
        device::request(addr(4, 1), d.addr, "POST", path, &extra, Some(("application/x-www-form-urlencoded", body)))
    };
    // Another site's page (or an opaque origin) cannot log the visitor in or out, pay or reset.
    for origin in ["http://evil.example", "https://evil.example", "null", "http://127.0.0.1:1"] {
        for (path, body) in [("/login", format!("voucher={}", codes[0])), ("/logout", String::new()), ("/pay", "package_id=1&phone=0712345678".into()), ("/forgot", "phone=0712345678".into())] {
            let answer = post(path, Some(origin), &body);
            assert_eq!(answer.status, 403, "{path} from {origin}: {answer:?}");
        }
        let api = device::request(addr(4, 1), d.addr, "POST", "/api/hotspot/logout", &[&format!("Origin: {origin}")], Some(("application/json", "")));
        assert_eq!(api.status, 403, "{api:?}");
        assert!(api.json()["error"].as_str().unwrap().contains("another website"), "{api:?}");
    }
    assert_eq!(d.cli(&["clients"]).lines().filter(|l| l.contains("02:7f:00:00:00:04")).count(), 0, "nobody logged in");
    // The portal's own pages post with its own origin; scripts send none: both work.
    assert_eq!(post("/login", Some(&own), &format!("voucher={}", codes[0])).status, 303);
    assert_eq!(post("/logout", None, "").status, 303);
    assert_eq!(post("/login", None, &format!("voucher={}", codes[1])).status, 303);
}

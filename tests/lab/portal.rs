//! What a user (and the operator) checks on a lab hotspot, as small helpers over [`Lab`]:
//! is the internet reachable, is this a redirect to the portal, log in by form or JSON API,
//! check the session, look at the daemon's nft sets. Addresses are the lab's own.
//!
//! Unlike the rest of the harness this file parses JSON with `serde_json`, which is already
//! one of hotspotd's [dependencies] (integration tests may use those): no dev-dependency.

use std::time::Duration;

use serde_json::Value;

use super::{wait_until, HttpResponse, Lab, INTERNET_IP, PORTAL_URL};

pub const API_LOGIN: &str = "http://10.77.0.1:2050/api/hotspot/login";
pub const API_LOGOUT: &str = "http://10.77.0.1:2050/api/hotspot/logout";
pub const API_CHECK: &str = "http://10.77.0.1:2050/api/hotspot/check-session";
pub const API_CAPTIVE: &str = "http://10.77.0.1:2050/api/captive";
pub const FORM_LOGIN: &str = "http://10.77.0.1:2050/login";
pub const FORM_LOGOUT: &str = "http://10.77.0.1:2050/logout";
pub const STATUS_PAGE: &str = "http://10.77.0.1:2050/status";

pub const ANDROID_UA: &str = "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 7 Build/UQ1A)";
pub const IOS_UA: &str = "CaptiveNetworkSupport-481.0.1 wispr";
pub const WINDOWS_UA: &str = "Microsoft NCSI";
pub const APPLE_SUCCESS: &str = "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>";

/// A plain page on the internet host, from client `n`: true only for the real answer.
pub fn internet_ok(lab: &Lab, n: usize) -> bool {
    let r = lab.client_http(n, &["--max-time", "2", &format!("http://{INTERNET_IP}/")]);
    r.status == 200 && r.body == "internet ok" && r.is_from_internet()
}

pub fn describe(r: &HttpResponse) -> String {
    format!(
        "status {} (curl exit {}), location {:?}, from internet host: {}, body {:?}",
        r.status,
        r.curl_exit,
        r.header("location"),
        r.is_from_internet(),
        r.body.chars().take(300).collect::<String>()
    )
}

/// A detection probe as the OS sends it: the probe host resolved to the internet host.
pub fn probe(lab: &Lab, n: usize, host: &str, path: &str, user_agent: &str) -> HttpResponse {
    let resolve = format!("{host}:80:{INTERNET_IP}");
    let url = format!("http://{host}{path}");
    lab.client_http(n, &["--max-time", "3", "--resolve", &resolve, "-A", user_agent, &url])
}

pub fn assert_redirected_to_portal(r: &HttpResponse, what: &str) {
    assert_eq!(r.status, 302, "{what}: expected 302 to the portal, got {}", describe(r));
    let location = r.header("location").unwrap_or("");
    assert!(
        location.starts_with(PORTAL_URL),
        "{what}: 302 Location should be the portal {PORTAL_URL}, got {location:?}"
    );
    assert!(!r.is_from_internet(), "{what}: answer came from the internet host, not the portal");
}

pub fn json(r: &HttpResponse, what: &str) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{what}: body is not JSON ({e}): {}", describe(r)))
}

pub fn api_post(lab: &Lab, n: usize, url: &str, body: &str) -> HttpResponse {
    lab.client_http(n, &["-X", "POST", "-H", "Content-Type: application/json", "--data-raw", body, url])
}

pub fn api_login_voucher(lab: &Lab, n: usize, code: &str) -> HttpResponse {
    api_post(lab, n, API_LOGIN, &format!(r#"{{"voucher":"{code}"}}"#))
}

pub fn api_login_user(lab: &Lab, n: usize, user: &str, password: &str) -> HttpResponse {
    api_post(lab, n, API_LOGIN, &format!(r#"{{"username":"{user}","password":"{password}"}}"#))
}

pub fn form_post(lab: &Lab, n: usize, url: &str, fields: &[(&str, &str)]) -> HttpResponse {
    // Like a browser submitting the form: urlencoded body, Content-Length even when empty.
    let mut args: Vec<String> = vec!["-X".into(), "POST".into()];
    if fields.is_empty() {
        args.extend(["--data-raw".into(), String::new()]);
    }
    for (k, v) in fields {
        args.push("--data-urlencode".into());
        args.push(format!("{k}={v}"));
    }
    args.push(url.into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    lab.client_http(n, &args)
}

pub fn check_session(lab: &Lab, n: usize) -> Value {
    let r = api_post(lab, n, API_CHECK, "{}");
    assert_eq!(r.status, 200, "check-session: {}", describe(&r));
    json(&r, "check-session")
}

pub fn error_message(v: &Value) -> String {
    v.get("error").and_then(Value::as_str).unwrap_or("").to_string()
}

/// Login via the JSON API and assert it succeeded; returns the reply.
pub fn login_ok(lab: &Lab, n: usize, code: &str) -> Value {
    let r = api_login_voucher(lab, n, code);
    assert_eq!(r.status, 200, "client {n} login with voucher {code}: {}", describe(&r));
    let v = json(&r, "login");
    assert_eq!(v["ok"], Value::Bool(true), "login reply: {v}");
    v
}

/// Assert client `n` reaches the internet, allowing a short settle time.
pub fn assert_online(lab: &Lab, n: usize, what: &str) {
    if wait_until(Duration::from_secs(1), Duration::from_millis(100), || internet_ok(lab, n)).is_none() {
        let r = lab.client_http(n, &["--max-time", "2", &format!("http://{INTERNET_IP}/")]);
        panic!("{what}: client {n} should reach the internet host, got {}\nnft:\n{}", describe(&r), lab.nft_text());
    }
}

/// Assert client `n` is captive again: plain HTTP is redirected to the portal.
pub fn assert_captive(lab: &Lab, n: usize, what: &str) {
    let r = lab.client_http(n, &["--max-time", "2", &format!("http://{INTERNET_IP}/")]);
    assert_redirected_to_portal(&r, what);
}

/// Elements of nft set `set` in the daemon's table: (value, timeout secs, expires secs).
pub fn nft_set_elements(lab: &Lab, set: &str) -> Vec<(Value, Option<u64>, Option<u64>)> {
    let doc: Value = serde_json::from_str(&lab.nft_json()).expect("nft -j output is JSON");
    let items = doc["nftables"].as_array().cloned().unwrap_or_default();
    let found = items.iter().find_map(|item| {
        let s = item.get("set")?;
        (s["name"] == set).then(|| s.clone())
    });
    let s = found.unwrap_or_else(|| panic!("table inet hotspotd has no set {set:?}:\n{}", lab.nft_text()));
    s["elem"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|e| match e.get("elem") {
            Some(inner) => (inner["val"].clone(), inner["timeout"].as_u64(), inner["expires"].as_u64()),
            None => (e, None, None),
        })
        .collect()
}

pub fn set_has_client(lab: &Lab, set: &str, n: usize) -> bool {
    let (ip, mac) = (lab.client_ip(n), lab.client_mac(n));
    nft_set_elements(lab, set).iter().any(|(val, _, _)| {
        let text = val.to_string();
        text.contains(&format!("\"{ip}\"")) && (set != "clients" || text.contains(&mac))
    })
}

pub fn seconds_remaining(v: &Value, key: &str) -> i64 {
    v.get(key).and_then(Value::as_i64).unwrap_or_else(|| panic!("no integer {key:?} in {v}"))
}

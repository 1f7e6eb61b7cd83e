//! The router and the central server together, as an operator runs them: the real `hotspotd`
//! daemon (loopback, firewall `none`, real SQLite) syncing with the real `hotspotd-central`
//! on a private PostgreSQL cluster (tests/central), M-Pesa played by scripts/fake-daraja.py.
//! What is checked is what the operator would look at: the central's tables and API, the
//! router's `hotspotd status` and `clients`, a device's own view of its session.
#![cfg(feature = "central")]

mod central;
mod device;
mod upstream;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use central::{Api, Central, Cluster};
use device::Daemon;
use serde_json::Value;

/// The `config sync` section for router `id` with `key`, talking to `url`.
fn sync_section(url: &str, id: i64, key: &str, extra: &str) -> String {
    format!("\nconfig sync 'sync'\n\toption url '{url}'\n\toption router_id '{id}'\n\toption key '{key}'\n\toption interval '5'\n{extra}")
}

fn wait_until(within: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn status(router: &Daemon) -> Value {
    serde_json::from_str(&router.cli(&["--json", "status"])).unwrap()
}

fn backlog(router: &Daemon) -> i64 {
    status(router)["sync_backlog"].as_i64().unwrap()
}

/// Every event the router sent is at the central once: sequence numbers 1 to the highest,
/// none missing, none twice.
fn assert_events_once(pg: &Cluster, id: i64, context: &str) {
    let (count, low, high) = (
        pg.count(&format!("SELECT count(*) FROM router_events WHERE router_id = {id}")),
        pg.count(&format!("SELECT min(seq) FROM router_events WHERE router_id = {id}")),
        pg.count(&format!("SELECT max(seq) FROM router_events WHERE router_id = {id}")),
    );
    assert_eq!((low, count), (1, high), "{context}: events 1..{high} each once");
}

/// Whether `device` is online, as its own check-session says.
fn online(router: &Daemon, device: u8) -> bool {
    let answer = device::post_json(device::addr(device, 1), router.addr, "/api/hotspot/check-session", "");
    answer.json()["active"] == true
}

/// A router configured for the central at `central_addr` (which may not be running yet).
fn router(name: &str, central_addr: SocketAddr, id: i64, key: &str, extra: &str) -> Daemon {
    Daemon::start(name, &sync_section(&format!("http://{central_addr}"), id, key, extra))
}

#[test]
fn what_happens_while_the_central_is_down_arrives_exactly_once_when_it_starts() {
    let pg = Cluster::start();
    let (id, key) = central::router_add(&pg.url, "shop-1");
    let central_addr: SocketAddr = format!("127.0.0.1:{}", central::free_port()).parse().unwrap();
    let r = router("offline", central_addr, id, &key, "");
    let codes = r.vouchers(6);
    for (n, code) in codes.iter().enumerate() {
        assert_eq!(r.try_code(n as u8 + 1, 1, code).status, 200);
    }
    r.cli(&["deauth", &device::mac(1)]);
    wait_until(Duration::from_secs(10), "the router to notice the central is down", || {
        status(&r)["sync"]["last_error"].as_str().is_some_and(|e| e.contains("cannot reach"))
    });
    let waiting = backlog(&r);
    assert!(waiting >= 6 * 3, "vouchers created, 6 redeemed, 6 accounts, 6 sessions, 1 end: {waiting}");

    let _central = Central::start_on(&pg.url, central_addr);
    wait_until(Duration::from_secs(30), "the backlog to drain", || backlog(&r) == 0);
    let s = status(&r);
    assert!(s["sync"]["last_error"].is_null(), "{s}");
    // Every sequence number once, none missing.
    assert_events_once(&pg, id, "events each once");
    assert_eq!(pg.count(&format!("SELECT count(*) FROM sessions WHERE router_id = {id}")), 6);
    assert_eq!(pg.count(&format!("SELECT count(*) FROM sessions WHERE router_id = {id} AND ended_at IS NOT NULL")), 1);
    assert_eq!(pg.count(&format!("SELECT count(*) FROM router_events WHERE router_id = {id} AND kind = 'voucher_redeemed'")), 6);
    // The router's clock judgement and time travel with every event.
    assert_eq!(pg.count(&format!("SELECT count(*) FROM router_events WHERE router_id = {id} AND router_time IS NULL")), 0);
}

#[test]
fn kill_9_of_router_and_central_at_random_points_loses_and_doubles_nothing() {
    let pg = Cluster::start();
    let (id, key) = central::router_add(&pg.url, "shop-crash");
    let mut c = Central::start(&pg.url);
    let mut r = router("crash", c.addr, id, &key, "");
    let codes = r.vouchers(60);
    let mut seed = 0x9e37_79b9_u32;
    let mut random = move |n: u32| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed % n
    };
    for (i, code) in codes.iter().enumerate().take(50) {
        let device = (i % 200) as u8 + 1;
        assert_eq!(r.try_code(device, 1, code).status, 200, "iteration {i}");
        if i % 3 == 0 {
            r.cli(&["deauth", &device::mac(device)]);
        }
        std::thread::sleep(Duration::from_millis(u64::from(random(400))));
        if random(2) == 0 {
            r.restart();
        } else {
            c.restart();
        }
    }
    wait_until(Duration::from_secs(60), "the backlog to drain", || backlog(&r) == 0);
    assert_events_once(&pg, id, "events each once after 50 kills");
    assert_eq!(pg.count(&format!("SELECT count(*) FROM sessions WHERE router_id = {id}")), 50, "every session once");
    assert_eq!(pg.count(&format!("SELECT count(*) FROM sessions WHERE router_id = {id} AND ended_at IS NOT NULL")), 17);
    assert_eq!(pg.count(&format!("SELECT count(*) FROM router_events WHERE router_id = {id} AND kind = 'voucher_redeemed'")), 50);
    assert_eq!(pg.count(&format!("SELECT count(DISTINCT stream) FROM router_events WHERE router_id = {id}")), 1, "one database, one stream");
}

/// Posts an order for router `id` and returns its id at the central.
fn order(api: &Api, id: i64, body: &str) -> i64 {
    let answer = api.post(&format!("/api/v1/routers/{id}/commands"), body);
    assert_eq!(answer.status, 201, "{}", answer.text());
    answer.json()["id"].as_i64().unwrap()
}

/// Waits until the order is done or failed and returns it.
fn finished(api: &Api, order: i64, within: Duration) -> Value {
    let mut last = Value::Null;
    wait_until(within, "the order's result", || {
        last = api.get(&format!("/api/v1/commands/{order}")).json();
        matches!(last["state"].as_str(), Some("done" | "failed"))
    });
    last
}

#[test]
fn a_kick_and_an_extend_queued_at_the_central_take_effect_within_seconds() {
    let pg = Cluster::start();
    let (id, key) = central::router_add(&pg.url, "shop-orders");
    let api = Api { addr: Central::start(&pg.url).addr, token: central::operator_add(&pg.url, "owner") };
    let c = Central::start(&pg.url);
    let api = Api { addr: c.addr, ..api };
    let r = router("orders", c.addr, id, &key, "");
    let codes = r.vouchers(2);
    assert_eq!(r.try_code(1, 1, &codes[0]).status, 200);
    assert_eq!(r.try_code(2, 1, &codes[1]).status, 200);
    // Idle: the router's exchange is waiting at the central.
    wait_until(Duration::from_secs(15), "the first sync", || backlog(&r) == 0);
    std::thread::sleep(Duration::from_millis(500));

    let sent = Instant::now();
    let kick = order(&api, id, &format!(r#"{{"kind":"kick","mac":"{}"}}"#, device::mac(1)));
    let kicked = finished(&api, kick, Duration::from_secs(10));
    assert_eq!(kicked["state"], "done", "{kicked}");
    assert!(sent.elapsed() < Duration::from_secs(5), "delivered by the long-poll, not the interval: {:?}", sent.elapsed());
    assert!(!online(&r, 1), "device 1 is cut off");
    assert!(online(&r, 2), "device 2 is not");

    let clients: Value = serde_json::from_str(&r.cli(&["--json", "clients"])).unwrap();
    let before = clients[0]["seconds_left"].as_i64().unwrap();
    let username = clients[0]["username"].as_str().unwrap().to_owned();
    let extend = order(&api, id, &format!(r#"{{"kind":"extend","username":"{username}","seconds":7200}}"#));
    let extended = finished(&api, extend, Duration::from_secs(10));
    assert_eq!(extended["state"], "done", "{extended}");
    let clients: Value = serde_json::from_str(&r.cli(&["--json", "clients"])).unwrap();
    let after = clients[0]["seconds_left"].as_i64().unwrap();
    assert!(after >= before + 7200 - 5, "{before} s left, then {after} s");

    let stranger = order(&api, id, r#"{"kind":"kick","mac":"02:00:00:00:00:99"}"#);
    let failed = finished(&api, stranger, Duration::from_secs(10));
    assert_eq!(failed["state"], "failed");
    assert!(failed["result"].as_str().unwrap().contains("no active session"), "{failed}");
    let nobody = order(&api, id, r#"{"kind":"extend","username":"nobody","seconds":60}"#);
    assert!(finished(&api, nobody, Duration::from_secs(10))["result"].as_str().unwrap().contains("no account `nobody`"));
    // The extension was applied once however often it was delivered.
    assert_eq!(pg.count(&format!("SELECT count(*) FROM router_events WHERE router_id = {id} AND kind = 'command_result'")), 4);
}

#[test]
fn vouchers_packages_disables_and_resends_from_the_central_apply_through_the_routers_rules() {
    let pg = Cluster::start();
    let (id, key) = central::router_add(&pg.url, "shop-catalogue");
    let c = Central::start(&pg.url);
    let api = Api { addr: c.addr, token: central::operator_add(&pg.url, "owner") };
    let r = router("catalogue", c.addr, id, &key, "");
    let wait = Duration::from_secs(15);

    // A centrally managed package, then vouchers the central issued for it.
    let package = order(&api, id, r#"{"kind":"package","name":"Day","price":50,"duration_secs":86400,"max_devices":2}"#);
    assert_eq!(finished(&api, package, wait)["state"], "done");
    let packages: Value = serde_json::from_str(&r.cli(&["--json", "package", "list"])).unwrap();
    assert!(packages.as_array().unwrap().iter().any(|p| p["name"] == "Day" && p["price"] == 50), "{packages}");
    let vouchers = order(&api, id, r#"{"kind":"vouchers","package":"Day","batch":"central-1","codes":["CENTRAL01A","CENTRAL02B"]}"#);
    let added = finished(&api, vouchers, wait);
    assert_eq!(added["state"], "done", "{added}");
    assert_eq!(r.try_code(1, 1, "CENTRAL01A").status, 200, "a centrally issued voucher logs a device in");
    let unknown = order(&api, id, r#"{"kind":"vouchers","package":"Week","codes":["X1Y2Z3W4V5"]}"#);
    assert!(finished(&api, unknown, wait)["result"].as_str().unwrap().contains("no package named `Week`"));

    // Revoke the unused voucher; disable the account the used one made, then enable it.
    let revoke = order(&api, id, r#"{"kind":"disable","voucher":"CENTRAL02B"}"#);
    assert_eq!(finished(&api, revoke, wait)["state"], "done");
    assert_ne!(r.try_code(2, 1, "CENTRAL02B").status, 200, "a revoked voucher is refused");
    let clients: Value = serde_json::from_str(&r.cli(&["--json", "clients"])).unwrap();
    let username = clients[0]["username"].as_str().unwrap().to_owned();
    let disable = order(&api, id, &format!(r#"{{"kind":"disable","username":"{username}"}}"#));
    assert_eq!(finished(&api, disable, wait)["state"], "done");
    assert!(!online(&r, 1), "a disabled account's device is cut off");
    assert_ne!(r.try_code(1, 1, "CENTRAL01A").status, 200, "and may not log in");
    let enable = order(&api, id, &format!(r#"{{"kind":"enable","username":"{username}"}}"#));
    assert_eq!(finished(&api, enable, wait)["state"], "done");
    assert_eq!(r.try_code(1, 1, "CENTRAL01A").status, 200, "enabled again");
    // A voucher account has no phone number: resending says so.
    let resend = order(&api, id, &format!(r#"{{"kind":"resend","username":"{username}"}}"#));
    let answered = finished(&api, resend, wait);
    assert_eq!(answered["state"], "failed");
    assert!(answered["result"].as_str().unwrap().contains("no phone number"), "{answered}");
}

/// Spreads connections over `to` in turn (two centrals behind one address).
fn round_robin(to: Vec<SocketAddr>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for (n, client) in listener.incoming().flatten().enumerate() {
            let target = to[n % to.len()];
            std::thread::spawn(move || {
                let mut client = client;
                let Some(request) = read_http(&mut client) else { return };
                let Ok(mut upstream) = TcpStream::connect(target) else { return };
                let request = String::from_utf8_lossy(&request).replacen("\r\n", "\r\nConnection: close\r\n", 1).into_bytes();
                let _ = upstream.write_all(&request);
                let mut answer = Vec::new();
                let _ = upstream.read_to_end(&mut answer);
                let _ = client.write_all(&answer);
            });
        }
    });
    addr
}

#[test]
fn two_centrals_on_one_database_serve_a_router_without_duplicates() {
    let pg = Cluster::start();
    let (id, key) = central::router_add(&pg.url, "shop-two");
    let (a, b) = (Central::start(&pg.url), Central::start(&pg.url));
    let token = central::operator_add(&pg.url, "owner");
    let r = router("two-centrals", round_robin(vec![a.addr, b.addr]), id, &key, "");
    let codes = r.vouchers(20);
    for (n, code) in codes.iter().enumerate() {
        assert_eq!(r.try_code(n as u8 + 1, 1, code).status, 200);
    }
    wait_until(Duration::from_secs(30), "the backlog to drain", || backlog(&r) == 0);
    // Orders posted to either process reach the router, whichever it is waiting at.
    for (n, at) in [a.addr, b.addr, a.addr, b.addr].into_iter().enumerate() {
        let api = Api { addr: at, token: token.clone() };
        let kick = order(&api, id, &format!(r#"{{"kind":"kick","mac":"{}"}}"#, device::mac(n as u8 + 1)));
        assert_eq!(finished(&api, kick, Duration::from_secs(15))["state"], "done");
    }
    wait_until(Duration::from_secs(30), "the results to drain", || backlog(&r) == 0);
    assert_events_once(&pg, id, "events each once across both processes");
    assert_eq!(pg.count(&format!("SELECT count(*) FROM sessions WHERE router_id = {id}")), 20);
    assert_eq!(pg.count(&format!("SELECT count(*) FROM sessions WHERE router_id = {id} AND ended_at IS NOT NULL")), 4);
}

/// A man in the middle between the router and the central: `Tamper::Alter` flips a byte of
/// every answer's body, `Tamper::Replay` answers every exchange with the first answer it saw.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tamper {
    Pass = 0,
    Alter = 1,
    Replay = 2,
}

fn proxy(to: SocketAddr, mode: Arc<AtomicU8>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut first: Option<Vec<u8>> = None;
        for client in listener.incoming().flatten() {
            let mut client = client;
            let Some(request) = read_http(&mut client) else { continue };
            let Ok(mut upstream) = TcpStream::connect(to) else { continue };
            // One exchange per connection.
            let request = String::from_utf8_lossy(&request).replacen("\r\n", "\r\nConnection: close\r\n", 1).into_bytes();
            let _ = upstream.write_all(&request);
            let mut answer = Vec::new();
            let _ = upstream.read_to_end(&mut answer);
            let answer = match mode.load(Ordering::SeqCst) {
                1 => {
                    let mut altered = answer.clone();
                    if let Some(i) = altered.iter().rposition(|b| b.is_ascii_digit()) {
                        altered[i] = if altered[i] == b'9' { b'8' } else { altered[i] + 1 };
                    }
                    altered
                }
                2 => first.get_or_insert(answer).clone(),
                _ => {
                    first.get_or_insert(answer.clone());
                    answer
                }
            };
            let _ = client.write_all(&answer);
        }
    });
    addr
}

/// One request (head and Content-Length body) off a connection.
fn read_http(stream: &mut TcpStream) -> Option<Vec<u8>> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
            let length: usize = head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
            if data.len() >= end + 4 + length {
                return Some(data);
            }
        }
        let n = match stream.read(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            read => read.ok()?,
        };
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
    }
}

#[test]
fn an_altered_or_replayed_answer_is_refused_and_changes_nothing() {
    let pg = Cluster::start();
    let (id, key) = central::router_add(&pg.url, "shop-mitm");
    let c = Central::start(&pg.url);
    let api = Api { addr: c.addr, token: central::operator_add(&pg.url, "owner") };
    let mode = Arc::new(AtomicU8::new(Tamper::Pass as u8));
    let via = proxy(c.addr, mode.clone());
    let r = router("mitm", via, id, &key, "");
    let codes = r.vouchers(1);
    assert_eq!(r.try_code(1, 1, &codes[0]).status, 200);
    wait_until(Duration::from_secs(15), "a first sync through the proxy", || backlog(&r) == 0);

    for tamper in [Tamper::Alter, Tamper::Replay] {
        mode.store(tamper as u8, Ordering::SeqCst);
        let kick = order(&api, id, &format!(r#"{{"kind":"kick","mac":"{}"}}"#, device::mac(1)));
        wait_until(Duration::from_secs(30), "the router to refuse the tampered answer", || {
            status(&r)["sync"]["last_error"].as_str().is_some_and(|e| e.contains("not signed"))
        });
        std::thread::sleep(Duration::from_secs(2));
        assert!(online(&r, 1), "a tampered answer's kick was not applied");
        assert_ne!(api.get(&format!("/api/v1/commands/{kick}")).json()["state"], "done");
        // Cancel it at the central's side: let it through, then carry on with the next mode.
        mode.store(Tamper::Pass as u8, Ordering::SeqCst);
        let done = finished(&api, kick, Duration::from_secs(30));
        assert_eq!(done["state"], "done", "once the answers are genuine, the kick goes through: {done}");
        assert_eq!(r.try_code(1, 1, &codes[0]).status, 200, "back online for the next round");
    }
}

/// The account number the payment page shows, from the page's HTML.
fn account_number(page: &str) -> String {
    let start = page.find("id=\"account\">").expect("an account number on the page") + "id=\"account\">".len();
    page[start..].split('<').next().unwrap().to_owned()
}

/// Registers the central's validation and confirmation URLs for paybill 600638 with the fake
/// Daraja, through its API (OAuth token, then C2B Register URL).
fn register_c2b(daraja: &upstream::Daraja, c: &Central, secret: &str) {
    use base64::Engine;
    let fake: SocketAddr = daraja.0.base.trim_start_matches("http://").parse().unwrap();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", upstream::KEY, upstream::SECRET));
    let token = central::request(fake, "GET", "/oauth/v1/generate?grant_type=client_credentials", &[("Authorization", &format!("Basic {basic}"))], b"");
    let token = token.json()["access_token"].as_str().unwrap().to_owned();
    let base = format!("http://{}/pay/c2b/{secret}", c.addr);
    let body = format!(r#"{{"ShortCode":"600638","ResponseType":"Completed","ConfirmationURL":"{base}/confirm","ValidationURL":"{base}/validate"}}"#);
    let registered = central::request(
        fake,
        "POST",
        "/mpesa/c2b/v1/registerurl",
        &[("Authorization", &format!("Bearer {token}")), ("Content-Type", "application/json")],
        body.as_bytes(),
    );
    assert_eq!(registered.status, 200, "{}", registered.text());
}

#[test]
fn a_paybill_payment_at_the_central_puts_the_device_online_once() {
    let pg = Cluster::start();
    let (id, key) = central::router_add(&pg.url, "shop-paybill");
    let c = Central::start(&pg.url);
    let secret = central::c2b_secret(&pg.url);
    let r = router("paybill", c.addr, id, &key, "\toption paybill '600638'\n");
    let package = r.cli(&["package", "add", "--name", "Hour", "--price", "20", "--duration", "3600"]).trim().to_owned();

    // The payer picks a package under "pay from the M-Pesa menu".
    let splash = device::get(device::addr(1, 1), r.addr, "/");
    assert!(splash.body.contains("action=\"/paybill\""));
    let chosen = device::post_form(device::addr(1, 1), r.addr, "/paybill", &format!("package_id={package}"));
    assert_eq!(chosen.status, 303);
    let page_path = chosen.header("location").unwrap().to_owned();
    let page = device::get(device::addr(1, 1), r.addr, &page_path).body;
    assert!(page.contains("600638"), "the paybill number is shown");
    let account = account_number(&page);
    assert!(account.len() <= 20 && account.starts_with(&id.to_string()), "{account}");

    // The operator registers the central's C2B URLs with (the fake) Daraja, as `paybill urls`
    // prints them.
    let daraja = upstream::Daraja::start(&r.dir.join("fake-daraja.log"));
    register_c2b(&daraja, &c, &secret);

    // A payer who mistypes the account number is refused by validation: no money moves.
    let mut typo = account.clone().into_bytes();
    let last = typo.len() - 1;
    typo[last] = if typo[last] == b'0' { b'1' } else { b'0' };
    let refused = daraja.0.post("/_fake/c2b/pay", serde_json::json!({ "shortcode": "600638", "account": std::str::from_utf8(&typo).unwrap(), "amount": 20 }));
    assert!(refused["validation"]["body"].as_str().unwrap().contains("C2B00012"), "{refused}");
    assert!(refused["confirmation"].is_null(), "{refused}");

    // The right number: validated, confirmed, and the paying device goes online.
    let paid = Instant::now();
    let payment = serde_json::json!({ "shortcode": "600638", "account": account, "amount": 20, "trans_id": "RKTQDM7W6S" });
    let answer = daraja.0.post("/_fake/c2b/pay", payment.clone());
    assert!(answer["validation"]["body"].as_str().unwrap().contains("\"0\""), "{answer}");
    assert_eq!(answer["confirmation"]["status"], 200, "{answer}");
    wait_until(Duration::from_secs(60), "the paying device online", || online(&r, 1));
    eprintln!("paybill payment → device online in {:?}", paid.elapsed());
    // The same TransID again (Safaricom retries a confirmation): credited once.
    assert_eq!(daraja.0.post("/_fake/c2b/pay", payment)["confirmation"]["status"], 200);
    std::thread::sleep(Duration::from_secs(3));
    let payments: Value = serde_json::from_str(&r.cli(&["--json", "payments"])).unwrap();
    let confirmed: Vec<&Value> = payments.as_array().unwrap().iter().filter(|p| p["status"] == "confirmed").collect();
    assert_eq!(confirmed.len(), 1, "{payments}");
    assert_eq!(confirmed[0]["receipt"], "RKTQDM7W6S");
    let page = device::get(device::addr(1, 1), r.addr, &page_path).body;
    assert!(page.contains("id=\"password\""), "the payer sees the new account's password: {page}");
}

#[test]
fn an_stk_callback_relayed_through_the_central_credits_the_payment_once() {
    let pg = Cluster::start();
    let (id, key) = central::router_add(&pg.url, "shop-stk");
    let c = Central::start(&pg.url);
    // Daraja is told the central's relay URL; the router polls a minute apart, so only the
    // relayed callback can make it confirm quickly.
    let extra = format!(
        "\toption callback_url 'http://{}/pay/stk/{id}'\n{}",
        c.addr,
        sync_section(&format!("http://{}", c.addr), id, &key, "")
    );
    let options = upstream::Options { poll_interval: 60, mpesa_extra: Box::leak(extra.into_boxed_str()), ..upstream::Options::default() };
    let h = upstream::Hotspot::start("stk-relay", options);
    let package = h.package("1 hour", 10, 3600);
    h.daraja.plan(0, None);
    let pay = h.pay_ok(package, upstream::PHONE);
    let push = &h.daraja.pushes()[0];
    assert!(push["callback_url"].as_str().unwrap().starts_with(&format!("http://{}/pay/stk/{id}/", c.addr)), "{push}");

    let sent = Instant::now();
    let delivery = h.daraja.callback(&h.checkout_of(pay.id), 0, serde_json::json!({ "receipt": "QRL4Y7Z1AB" }));
    assert_eq!(delivery["status"].as_u64(), Some(200), "the central took it: {delivery}");
    wait_until(Duration::from_secs(20), "the relayed callback to confirm the payment", || h.payment(&pay)["status"] == "confirmed");
    assert!(sent.elapsed() < Duration::from_secs(15), "confirmed {:?} after the callback, not at the next poll", sent.elapsed());
    // Safaricom retries: the same callback again (stored once at the central) credits
    // nothing more.
    let again = h.daraja.callback(&h.checkout_of(pay.id), 0, serde_json::json!({ "receipt": "QRL4Y7Z1AB", "resolve": false }));
    assert_eq!(again["status"].as_u64(), Some(200), "{again}");
    std::thread::sleep(Duration::from_secs(2));
    wait_until(Duration::from_secs(20), "every relayed callback answered by the router", || {
        pg.count(&format!("SELECT count(*) FROM router_items WHERE router_id = {id} AND state IN ('queued', 'delivered')")) == 0
    });
    assert_eq!(pg.count(&format!("SELECT count(*) FROM router_items WHERE router_id = {id} AND state = 'done'")), 1);
    assert_eq!(h.count("SELECT count(*) FROM payments WHERE status = 'confirmed'"), 1);
    assert_eq!(h.count("SELECT count(*) FROM hotspot_users"), 1);
    assert_eq!(h.payment(&pay)["receipt"], "QRL4Y7Z1AB");
}

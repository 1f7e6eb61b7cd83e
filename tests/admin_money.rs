//! The web admin's money pages over real HTTP on loopback with the real binary (firewall
//! `none`, the demo M-Pesa): a device pays through the portal and another redeems a voucher;
//! the dashboard shows today's revenue of both, the devices page lists the devices with
//! their kick forms, a customer's page extends the account (its deadline moves in the
//! database) and a kick takes the device offline, each POST with the session's CSRF token;
//! search, payments with filters and totals; with a month of sample data the dashboard
//! stays under 50 KB and says it is demo data.

mod device;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use device::{addr, csrf_of, mac, post_json, request, set_admin_password, start_with_admin, Daemon, Operator};

const PASSWORD: &str = "pesa-ya-leo-2026";
const LOCAL: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);

fn start() -> (Daemon, SocketAddr) {
    let (d, admin) = start_with_admin("admin-money", "\nconfig mpesa 'mpesa'\n\toption enabled '1'\n\toption mode 'demo'\n");
    let (ok, out) = set_admin_password(&d, &format!("{PASSWORD}\n"));
    assert!(ok, "{out}");
    (d, admin)
}

/// The text of the element with `id` (up to its first `<`).
fn text_of<'a>(page: &'a str, id: &str) -> &'a str {
    let at = page.find(&format!("id=\"{id}\">")).unwrap_or_else(|| panic!("no #{id} in {page}")) + id.len() + 6;
    page[at..].split('<').next().unwrap()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn revenue_devices_extend_kick_and_payments_over_http() {
    let (d, admin) = start();
    let db = rusqlite::Connection::open(d.dir.join("hotspotd.db")).unwrap();
    let count = |sql: &str| db.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    let package: i64 = d.cli(&["package", "add", "--name", "Saa moja", "--price", "50", "--duration", "3600", "--devices", "2"]).trim().parse().unwrap();
    let op = Operator::log_in(admin, PASSWORD);

    // Nothing sold yet.
    let page = op.page("/");
    assert!(page.body.contains("id=\"page-dashboard\""), "{}", page.body);
    assert_eq!(text_of(&page.body, "revenue-today"), "KES 0");
    assert!(page.body.contains("class=\"empty\""), "empty charts say so");

    // Device 1 pays KES 50 with the demo M-Pesa; device 2 redeems a KES 50 voucher.
    let paid = post_json(addr(1, 1), d.addr, "/api/payments/mpesa", &format!("{{\"package_id\":{package},\"phone\":\"0700000001\"}}"));
    assert_eq!(paid.status, 201, "{paid:?}");
    wait_for("the demo payment to be confirmed and device 1 online", || {
        count("SELECT count(*) FROM payments WHERE status = 'confirmed'") == 1
            && count(&format!("SELECT count(*) FROM sessions WHERE status = 'active' AND mac = '{}'", mac(1))) == 1
    });
    let code = d.cli(&["voucher", "create", "--package", &package.to_string(), "--count", "1"]).trim().to_owned();
    assert_eq!(d.try_code(2, 1, &code).status, 200);

    let page = op.page("/");
    assert_eq!(text_of(&page.body, "revenue-today"), "KES 100", "M-Pesa 50 + a voucher sold at 50");
    assert_eq!(text_of(&page.body, "devices-online"), "2");
    for id in ["chart-revenue", "chart-devices", "chart-data"] {
        assert!(page.body.contains(&format!("<svg class=\"chart\" id=\"{id}\"")), "{id}");
    }
    assert!(!page.body.contains("id=\"demo-banner\""));

    // The devices page: both devices, each with a kick form carrying the token.
    let devices = op.page("/devices");
    assert!(devices.body.contains("id=\"page-devices\""));
    for n in [1, 2] {
        assert!(devices.body.contains(&format!("<tr data-mac=\"{}\">", mac(n))), "{}", devices.body);
    }
    assert_eq!(devices.body.matches("<form class=\"kick\" method=\"post\" action=\"/devices/kick\">").count(), 2);
    assert!(devices.body.contains("Saa moja"), "the package is named");
    let csrf = csrf_of(&devices.body);

    // The paying customer: found by the number as typed, extended by an hour.
    let username: String = db.query_row("SELECT u.username FROM payments p JOIN hotspot_users u ON u.id = p.user_id", [], |r| r.get(0)).unwrap();
    assert_eq!(username, "254700000001");
    let search = op.page("/customers?q=0700000001");
    assert!(search.body.contains(&format!(">{username}</a>")), "{}", search.body);
    let customer = op.page(&format!("/customers/{username}"));
    assert!(customer.body.contains("id=\"page-customer\"") && customer.body.contains("<form class=\"card\" id=\"extend\""));
    assert!(customer.body.contains("KES 50"), "its payment is in its history");
    let expiry = || count(&format!("SELECT subscription_expires_at FROM hotspot_users WHERE username = '{username}'"));
    let before = expiry();
    let refused = op.post(&format!("/customers/{username}/extend"), "minutes=60&mb=");
    assert_eq!(refused.status, 403, "no token, no change: {refused:?}");
    assert_eq!(expiry(), before);
    let done = op.post(&format!("/customers/{username}/extend"), &format!("csrf={csrf}&minutes=60&mb="));
    assert_eq!((done.status, done.header("location")), (303, Some(&*format!("/customers/{username}?done=extended"))), "{done:?}");
    assert_eq!(expiry(), before + 3600, "the account's time grew by an hour");
    let online_deadline = count(&format!("SELECT expires_at FROM sessions WHERE status = 'active' AND mac = '{}'", mac(1)));
    assert_eq!(online_deadline, before + 3600, "the device online got the new deadline");
    let bad = op.post(&format!("/customers/{username}/extend"), &format!("csrf={csrf}&minutes=-5"));
    assert_eq!(bad.status, 400, "{bad:?}");

    // Kick device 1: offline, gone from the page, device 2 still there.
    let kicked = op.post("/devices/kick", &format!("csrf={csrf}&mac={}", mac(1).replace(':', "%3A")));
    assert_eq!((kicked.status, kicked.header("location")), (303, Some("/devices?done=kicked")), "{kicked:?}");
    assert_eq!(count(&format!("SELECT count(*) FROM sessions WHERE status = 'active' AND mac = '{}'", mac(1))), 0);
    let devices = op.page("/devices?done=kicked");
    assert!(!devices.body.contains(&format!("data-mac=\"{}\"", mac(1))) && devices.body.contains(&format!("data-mac=\"{}\"", mac(2))));
    let again = op.post("/devices/kick", &format!("csrf={csrf}&mac={}", mac(1)));
    assert_eq!(again.status, 400, "not online any more: {again:?}");
    let audit = count("SELECT count(*) FROM admin_audit WHERE action IN ('/devices/kick', '/customers/254700000001/extend')");
    assert_eq!(audit, 2, "both changes are in the audit");
    assert!(
        db.query_row("SELECT detail FROM admin_audit WHERE action LIKE '%/extend'", [], |r| r.get::<_, String>(0)).unwrap().contains("minutes"),
        "the audit keeps the extension's fields"
    );

    // Disable, enable, resend: each a POST with the token, back to the customer's page.
    let status = || db.query_row(&format!("SELECT status FROM hotspot_users WHERE username = '{username}'"), [], |r| r.get::<_, String>(0)).unwrap();
    for (action, expected) in [("disable", "suspended"), ("enable", "active")] {
        let done = op.post(&format!("/customers/{username}/{action}"), &format!("csrf={csrf}"));
        assert_eq!(done.status, 303, "{action}: {done:?}");
        assert_eq!(status(), expected, "after {action}");
    }
    let credentials_before = count("SELECT count(*) FROM hotspot_credentials");
    let resent = op.post(&format!("/customers/{username}/resend"), &format!("csrf={csrf}"));
    assert_eq!((resent.status, resent.header("location")), (303, Some(&*format!("/customers/{username}?done=resent"))), "{resent:?}");
    assert_eq!(count("SELECT count(*) FROM hotspot_credentials"), credentials_before + 1, "new login details queued for SMS");
    let page = op.page(&format!("/customers/{username}?done=resent"));
    assert!(page.body.contains("New login details are on their way by SMS."));
    let unknown = op.post("/customers/nobody-here/extend", &format!("csrf={csrf}&minutes=5"));
    assert_eq!(unknown.status, 404);

    // Payments: filtered by status and date, with totals; a nonsense date is refused.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let failed = db.execute(
        &format!("INSERT INTO payments (provider, phone, package_id, amount, status, failure, created_at, updated_at)
                  VALUES ('mpesa', '254700000002', {package}, 50, 'failed', 'insufficient_funds', {now}, {now})"),
        [],
    );
    assert_eq!(failed.unwrap(), 1);
    let payments = op.page("/payments");
    assert_eq!(text_of(&payments.body, "paid-total"), "KES 50");
    assert_eq!(text_of(&payments.body, "count-failed"), "1");
    assert!(payments.body.contains("Not enough money in M-Pesa"), "{}", payments.body);
    let confirmed = op.page("/payments?status=confirmed&phone=0700000001");
    assert!(!confirmed.body.contains("count-failed") && confirmed.body.contains("id=\"count-confirmed\">1<"));
    let long_ago = op.page("/payments?from=2020-01-01&to=2020-01-31");
    assert_eq!(text_of(&long_ago.body, "paid-total"), "KES 0");
    let nonsense = op.get("/payments?from=2026-13-45");
    assert_eq!(nonsense.status, 400);

    // Swahili.
    let sw = request(LOCAL, admin, "GET", "/", &[&format!("Cookie: lang=sw; hotspotd_admin={}", op.session)], None);
    assert!(sw.body.contains("Mapato ya leo") && sw.body.contains("Vifaa vilivyounganishwa"), "{}", sw.body);

    // A month of sample data: the dashboard stays small and says it is the demo's.
    let mut conn = hotspotd::store::open(&d.dir.join("hotspotd.db")).unwrap();
    assert!(hotspotd::store::demo_data::seed(&mut conn, hotspotd::clock::Clock::now(&hotspotd::clock::SystemClock)).unwrap());
    let page = op.page("/");
    assert!(page.body.contains("id=\"demo-banner\""));
    assert!(page.body.len() <= 50_000, "the dashboard is {} bytes", page.body.len());
    assert!(!page.body.contains("class=\"empty\""), "every chart has bars");
    let payments = op.page("/payments");
    assert!(payments.body.len() <= 50_000, "the payments page is {} bytes", payments.body.len());
}

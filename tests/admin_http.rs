//! The web admin over real HTTP on loopback with the real binary (firewall `none`): no
//! password → logins refused with the hint; `hotspotd admin password` (stdin) sets one; a
//! wrong password is 401, the right one 303 with a safe session cookie; the sixth wrong one
//! in a row from an address is 429 with Retry-After; a POST without the CSRF token (or from
//! another origin) is 403 and changes nothing; with it, a failed job is retried and the
//! change is in `admin_audit`; the System page shows the version; every answer carries the
//! security headers.

mod device;

use std::net::{Ipv4Addr, SocketAddr};

use device::{csrf_of, post_form, request, set_admin_password as set_password, start_with_admin, Answer, Daemon};

const PASSWORD: &str = "nenosiri-ya-siri";
const LOCAL: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);

fn get(from: Ipv4Addr, admin: SocketAddr, path: &str, cookie: Option<&str>) -> Answer {
    let header = cookie.map(|c| format!("Cookie: hotspotd_admin={c}"));
    request(from, admin, "GET", path, &header.iter().map(String::as_str).collect::<Vec<_>>(), None)
}

fn post(from: Ipv4Addr, admin: SocketAddr, path: &str, cookie: &str, extra: &[&str], body: &str) -> Answer {
    let mut headers = vec![format!("Cookie: hotspotd_admin={cookie}")];
    headers.extend(extra.iter().map(|h| h.to_string()));
    request(from, admin, "POST", path, &headers.iter().map(String::as_str).collect::<Vec<_>>(), Some(("application/x-www-form-urlencoded", body)))
}

fn login(from: Ipv4Addr, admin: SocketAddr, password: &str) -> Answer {
    post_form(from, admin, "/login", &format!("password={password}"))
}

fn assert_secure(answer: &Answer) {
    assert_eq!(answer.header("cache-control"), Some("no-store"), "{answer:?}");
    assert_eq!(answer.header("x-frame-options"), Some("DENY"), "{answer:?}");
    assert_eq!(
        answer.header("content-security-policy"),
        Some("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'")
    );
    assert_eq!(answer.header("referrer-policy"), Some("same-origin"), "{answer:?}");
}

fn audit_rows(d: &Daemon) -> Vec<(String, String, String)> {
    let db = rusqlite::Connection::open(d.dir.join("hotspotd.db")).unwrap();
    let mut stmt = db.prepare("SELECT who, action, detail FROM admin_audit ORDER BY id").unwrap();
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

#[test]
fn login_csrf_audit_and_the_system_page() {
    let (d, admin) = start_with_admin("admin-http", "");

    // No password yet: the login page says how to set one, and logins are refused.
    let page = get(LOCAL, admin, "/login", None);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"no-password\"") && page.body.contains("hotspotd admin password"), "{}", page.body);
    assert_secure(&page);
    let refused = login(LOCAL, admin, "anything-at-all");
    assert_eq!(refused.status, 403, "{refused:?}");
    assert!(refused.body.contains("hotspotd admin password"));
    // Not logged in: every other page sends to /login.
    let away = get(LOCAL, admin, "/system", None);
    assert_eq!((away.status, away.header("location")), (303, Some("/login")));
    assert_secure(&away);

    // The password is set from stdin; a short one is refused with a clear message.
    let (ok, out) = set_password(&d, "short\n");
    assert!(!ok && out.contains("at least 8 characters"), "{out}");
    let (ok, out) = set_password(&d, &format!("{PASSWORD}\n"));
    assert!(ok && out.contains(&format!("log in at http://{admin}/")), "{out}");

    // Wrong: 401 with an error; right: 303 with the session cookie and its attributes.
    let wrong = login(LOCAL, admin, "not-the-password");
    assert_eq!(wrong.status, 401, "{wrong:?}");
    assert!(wrong.body.contains("class=\"error\""), "{}", wrong.body);
    let right = login(LOCAL, admin, PASSWORD);
    assert_eq!((right.status, right.header("location")), (303, Some("/")), "{right:?}");
    let cookie = right.header("set-cookie").expect("a session cookie").to_owned();
    assert!(cookie.starts_with("hotspotd_admin="), "{cookie}");
    for attribute in ["; HttpOnly", "; SameSite=Strict", "; Path=/", "; Max-Age=43200"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    let session = cookie["hotspotd_admin=".len()..].split(';').next().unwrap().to_owned();
    assert_eq!(session.len(), 64);

    // Guessing: five wrong in a row from an address, then 429 with Retry-After.
    let guesser = Ipv4Addr::new(127, 0, 0, 9);
    for n in 1..=5 {
        assert_eq!(login(guesser, admin, &format!("guess-{n}-xxxx")).status, 401, "guess {n}");
    }
    let limited = login(guesser, admin, PASSWORD);
    assert_eq!(limited.status, 429, "{limited:?}");
    let retry_after: u64 = limited.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=300).contains(&retry_after), "{retry_after}");
    // Another address is not held up by it.
    assert_eq!(login(Ipv4Addr::new(127, 0, 0, 10), admin, "also-wrong-x").status, 401);

    // The System page: the version, and a failed job with its retry form.
    let db = rusqlite::Connection::open(d.dir.join("hotspotd.db")).unwrap();
    db.execute(
        "INSERT INTO failed_jobs (job_id, queue, kind, payload, attempts, error, failed_at)
         VALUES (1, 'high', 'SendCredentialsSms', '{\"kind\":\"SendCredentialsSms\",\"credential_id\":1}', 5, 'gateway down', 1)",
        [],
    )
    .unwrap();
    let failed_id = db.last_insert_rowid();
    let system = get(LOCAL, admin, "/system", Some(&session));
    assert_eq!(system.status, 200, "{system:?}");
    assert_secure(&system);
    assert!(system.body.contains("id=\"page-system\""));
    assert!(system.body.contains(&format!("hotspotd {}", env!("CARGO_PKG_VERSION"))), "{}", system.body);
    assert!(system.body.contains(&format!("action=\"/system/jobs/{failed_id}/retry\"")), "{}", system.body);
    assert!(system.body.contains("gateway down"));
    assert!(system.body.len() < 50 * 1024, "the System page is {} bytes", system.body.len());
    let csrf = csrf_of(&system.body);
    let retry = format!("/system/jobs/{failed_id}/retry");

    // Without the token, with a wrong one, or from another origin: 403, nothing changes.
    let audited_before = audit_rows(&d).len();
    for (extra, body) in [
        (vec![], String::new()),
        (vec![], "csrf=0000".to_string()),
        (vec!["Origin: http://evil.example"], format!("csrf={csrf}")),
    ] {
        let refused = post(LOCAL, admin, &retry, &session, &extra, &body);
        assert_eq!(refused.status, 403, "{extra:?} {body}: {refused:?}");
        assert!(refused.body.contains("This form has expired or came from elsewhere"), "{}", refused.body);
    }
    let failed: i64 = db.query_row("SELECT count(*) FROM failed_jobs WHERE id = ?1", [failed_id], |r| r.get(0)).unwrap();
    assert_eq!(failed, 1, "the job is still failed");
    assert_eq!(audit_rows(&d).len(), audited_before, "nothing audited");

    // A body over 64 KB is refused before any section sees it.
    let huge = format!("csrf={csrf}&x={}", "a".repeat(70 * 1024));
    assert_eq!(post(LOCAL, admin, &retry, &session, &[], &huge).status, 413);

    // With it (and this site's origin): done, 303 back, and in the audit.
    let origin = format!("Origin: http://{admin}");
    let done = post(LOCAL, admin, &retry, &session, &[&origin], &format!("csrf={csrf}"));
    assert_eq!((done.status, done.header("location")), (303, Some("/system")), "{done:?}");
    let failed: i64 = db.query_row("SELECT count(*) FROM failed_jobs WHERE id = ?1", [failed_id], |r| r.get(0)).unwrap();
    assert_eq!(failed, 0, "the job went back to the queue");
    let rows = audit_rows(&d);
    assert!(rows.iter().any(|(who, action, detail)| who == "admin@127.0.0.1" && *action == retry && detail.is_empty()), "{rows:?}");
    assert!(rows.iter().any(|(who, action, _)| who == "cli" && action == "password changed"), "{rows:?}");
    assert!(rows.iter().any(|(who, action, _)| who == "admin@127.0.0.1" && action == "login"), "{rows:?}");
    assert!(rows.iter().any(|(who, action, _)| who == "admin@127.0.0.9" && action == "login failed"), "{rows:?}");
    assert!(!rows.iter().any(|(_, _, detail)| detail.contains(PASSWORD) || detail.contains(&csrf)), "{rows:?}");
    // The System page lists the changes.
    let system = get(LOCAL, admin, "/system", Some(&session));
    assert!(system.body.contains("id=\"audit\"") && system.body.contains(&retry), "{}", system.body);

    // A command through the control socket is audited as the CLI's.
    d.cli(&["package", "add", "--name", "Saa moja", "--price", "20", "--duration", "3600"]);
    assert!(audit_rows(&d).iter().any(|(who, action, detail)| who == "cli" && action == "package_add" && detail.contains("Saa moja")));

    // The language switch: a cookie for a year, back to a local page only.
    let switch = get(LOCAL, admin, "/lang?set=sw&back=%2Fsystem", None);
    assert_eq!((switch.status, switch.header("location")), (303, Some("/system")));
    assert_eq!(switch.header("set-cookie"), Some("lang=sw; SameSite=Lax; Path=/; Max-Age=31536000"));
    let offsite = get(LOCAL, admin, "/lang?set=sw&back=//evil.example/", None);
    assert_eq!(offsite.header("location"), Some("/"));
    let sw = request(LOCAL, admin, "GET", "/system", &[&format!("Cookie: lang=sw; hotspotd_admin={session}")], None);
    assert!(sw.body.contains("<html lang=\"sw\"") && sw.body.contains("Mfumo"), "{}", sw.body);

    // Log out: the session ends, the cookie is cleared.
    let out = post(LOCAL, admin, "/logout", &session, &[], &format!("csrf={csrf}"));
    assert_eq!((out.status, out.header("location")), (303, Some("/login")), "{out:?}");
    assert!(out.header("set-cookie").is_some_and(|c| c.contains("Max-Age=0")));
    assert_eq!(get(LOCAL, admin, "/system", Some(&session)).status, 303, "logged out");
    assert!(audit_rows(&d).iter().any(|(_, action, _)| action == "logout"));
}

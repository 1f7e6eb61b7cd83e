//! The web admin's shop pages over real HTTP on loopback with the real binary (firewall
//! `none`): log in, add a package, create a batch of 12 with the CSRF token, print it (12
//! vouchers, 12 one-path QR codes, ≤ 50 KB; 24 per page and the roll measured too), export
//! the CSV (12 rows), revoke a code (the portal then refuses it) and the rest of the batch,
//! edit a package (bad input explained) and hide it (the splash page no longer lists it),
//! save the branding (the printout and the portal's splash page show the venue at once) and
//! upload a logo (`GET /logo` serves it on both listeners; an SVG is refused).

mod device;

use std::net::{Ipv4Addr, SocketAddr};
use std::process::Command;

use device::{csrf_of, raw, set_admin_password, start_with_admin, Answer, Daemon, Operator};

const PASSWORD: &str = "duka-la-juma-2026";
const LOCAL: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);
/// A 1×1 GIF without a colour table (every byte below 0x80, so it survives a text body).
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

fn start() -> (Daemon, SocketAddr) {
    let (d, admin) = start_with_admin("admin-shop", "");
    let (ok, out) = set_admin_password(&d, &format!("{PASSWORD}\n"));
    assert!(ok, "{out}");
    (d, admin)
}

/// A multipart upload of `file` as field `logo`, with the token.
fn upload(admin: SocketAddr, session: &str, csrf: &str, file: &[u8]) -> Answer {
    let mut body = format!("--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--XyZ\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"logo.gif\"\r\nContent-Type: image/gif\r\n\r\n").into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(b"\r\n--XyZ--\r\n");
    let mut req = format!(
        "POST /settings/logo HTTP/1.1\r\nHost: {admin}\r\nConnection: close\r\nCookie: hotspotd_admin={session}\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(&body);
    raw(LOCAL, admin, &req).expect("an answer to the upload")
}

#[test]
fn vouchers_print_csv_revoke_packages_and_branding() {
    let (d, admin) = start();
    let op = Operator::log_in(admin, PASSWORD);

    // A package, added through the form; a bad one is explained.
    let page = op.get("/packages");
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.body.contains("id=\"page-packages\""));
    let csrf = csrf_of(&page.body);
    let bad = op.post("/packages", &format!("csrf={csrf}&name=Hour&price=-5&minutes=60&max_devices=1"));
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("The price is a whole number"), "{}", bad.body);
    let added = op.post("/packages", &format!("csrf={csrf}&name=Saa+Moja&price=20&minutes=60&data_mb=500&down_kbps=2048&up_kbps=&max_devices=1"));
    assert_eq!(added.status, 303, "{added:?}");
    let id: i64 = added.header("location").unwrap().rsplit('-').next().unwrap().parse().unwrap();
    assert!(op.get("/packages").body.contains("Saa Moja"));

    // A batch of 12: the form, then the batch's page.
    let page = op.get("/vouchers");
    assert!(page.body.contains("<form id=\"voucher-create\"") && page.body.contains("<select id=\"package_id\" name=\"package_id\">"));
    assert!(page.body.contains("name=\"count\"") && page.body.contains("name=\"batch\""));
    let created = op.post("/vouchers", &format!("csrf={csrf}&package_id={id}&count=12&batch=Desemba+7"));
    assert_eq!((created.status, created.header("location")), (303, Some("/vouchers/batch?name=Desemba%207")), "{created:?}");
    assert_eq!(op.post("/vouchers", &format!("csrf={csrf}&package_id={id}&count=501&batch=x")).status, 400);
    let batch = op.get("/vouchers/batch?name=Desemba%207");
    assert!(batch.body.contains("id=\"page-batch\""));
    let codes: Vec<String> = batch.body.split("<tr data-code=\"").skip(1).map(|r| r.split('"').next().unwrap().to_owned()).collect();
    assert_eq!(codes.len(), 12, "{}", batch.body);
    assert_eq!(batch.body.matches("<input type=\"checkbox\" name=\"code\"").count(), 12);
    let stock = op.get("/vouchers");
    assert!(stock.body.contains("Desemba 7</a></td><td>Saa Moja</td><td>12</td><td>0</td><td>0</td><td>0</td>"), "{}", stock.body);

    // The printouts: 12 vouchers with a one-path QR each, within 50 KB.
    let print = op.get("/vouchers/print?batch=Desemba%207&layout=a4&per_page=12");
    assert_eq!(print.status, 200);
    let sheet = &print.body;
    assert!(sheet.contains("<main id=\"page-print\">") && sheet.contains("size:A4"));
    assert_eq!(sheet.matches("<div class=\"voucher\">").count(), 12);
    assert_eq!(sheet.matches("<svg class=\"qr\"").count(), 12);
    assert_eq!(sheet.matches("<path").count(), 12);
    for code in &codes {
        assert!(sheet.contains(&format!("<span class=\"code\">{code}</span>")), "{code}");
    }
    assert!(sheet.contains("Wi-Fi hotspot") && sheet.contains("KES\u{a0}20") && sheet.contains("1 hour") && sheet.contains("500 MB"));
    assert!(sheet.len() <= 50 * 1024, "{} bytes", sheet.len());
    // A phone's reading of the first QR code (`zbarimg`, Debian zbar-tools, when installed):
    // the portal's voucher link with the first code.
    let first = &sheet[sheet.find("<svg class=\"qr\"").unwrap()..];
    let svg = &first[..first.find("</svg>").unwrap() + "</svg>".len()];
    if let Some(text) = zbar_read(&d, svg) {
        eprintln!("zbarimg read the first voucher's QR code: {text}");
        assert_eq!(text, format!("http://{}/v/{}", d.addr, codes[0]));
    }
    // What the phone then opens: the splash page with the code filled in.
    let opened = device::get(LOCAL, d.addr, &format!("/v/{}", codes[0]));
    assert!(opened.status == 200 && opened.body.contains(&format!("value=\"{}\"", codes[0])), "{opened:?}");
    let roll = op.get("/vouchers/print?batch=Desemba%207&layout=roll").body;
    assert!(roll.contains("size:80mm auto") && roll.matches("<div class=\"voucher\">").count() == 12);
    assert_eq!(op.post("/vouchers", &format!("csrf={csrf}&package_id={id}&count=24&batch=full")).status, 303);
    let a4_24 = op.get("/vouchers/print?batch=full&layout=a4&per_page=24").body;
    assert!(a4_24.contains("repeat(3,1fr)") && a4_24.matches("<svg class=\"qr\"").count() == 24);
    assert!(a4_24.len() <= 50 * 1024, "a sheet of 24: {} bytes", a4_24.len());
    eprintln!("print sizes: A4 12 per page (12) {} B, A4 24 per page (24) {} B, roll (12) {} B", sheet.len(), a4_24.len(), roll.len());

    // The CSV: a header and 12 rows, as an attachment.
    let csv = op.get("/vouchers.csv?batch=Desemba%207");
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert_eq!(csv.header("content-disposition"), Some("attachment; filename=\"vouchers-Desemba_7.csv\""));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], "code,package,price,currency,status,created,redeemed");
    assert_eq!(lines.len(), 13);
    assert!(lines[1].starts_with(&format!("{},Saa Moja,20,KES,unused,", codes[0])), "{}", lines[1]);

    // Revoke one: the portal refuses it; the batch page says revoked; a second time is explained.
    let revoked = op.post("/vouchers/revoke", &format!("csrf={csrf}&code={}", codes[0]));
    assert_eq!((revoked.status, revoked.header("location")), (303, Some("/vouchers/batch?name=Desemba%207")));
    assert_ne!(d.try_code(1, 10, &codes[0]).status, 200);
    assert_eq!(op.post("/vouchers/revoke", &format!("csrf={csrf}&code={}", codes[0])).status, 400);
    let csv = op.get("/vouchers.csv?batch=Desemba%207").body;
    assert_eq!(csv.matches(",revoked,").count(), 1);
    // Two ticked at once.
    let two = op.post("/vouchers/revoke", &format!("csrf={csrf}&code={}&code={}", codes[1], codes[2]));
    assert_eq!(two.status, 303, "{two:?}");
    let batch = op.get("/vouchers/batch?name=Desemba%207").body;
    assert_eq!(batch.matches("<td class=\"status\">revoked</td>").count(), 3);
    // Only unused vouchers are printed.
    let print = op.get("/vouchers/print?batch=Desemba%207&layout=a4&per_page=12&status=unused").body;
    assert_eq!(print.matches("<div class=\"voucher\">").count(), 9);

    // The portal sells the package; an edit changes it, bad input is explained.
    assert!(device::get(LOCAL, d.addr, "/").body.contains("Saa Moja"));
    let edit_page = op.get(&format!("/packages/{id}"));
    assert!(edit_page.body.contains("id=\"page-package\"") && edit_page.body.contains("value=\"Saa Moja\""));
    let bad = op.post(&format!("/packages/{id}"), &format!("csrf={csrf}&name=Saa+Mbili&price=30&minutes=120&max_devices=0"));
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("Devices at once is a whole number"), "{}", bad.body);
    let edited = op.post(&format!("/packages/{id}"), &format!("csrf={csrf}&name=Saa+Mbili&price=30&minutes=120&data_mb=&down_kbps=&up_kbps=&max_devices=2"));
    assert_eq!(edited.status, 303, "{edited:?}");
    let splash = device::get(LOCAL, d.addr, "/").body;
    assert!(splash.contains("Saa Mbili") && !splash.contains("Saa Moja"), "{splash}");
    // Hidden: off the splash page, still listed in the admin as hidden.
    assert_eq!(op.post(&format!("/packages/{id}/hide"), &format!("csrf={csrf}")).status, 303);
    assert!(!device::get(LOCAL, d.addr, "/").body.contains("Saa Mbili"));
    // Its vouchers cannot be made while it is hidden.
    assert!(!op.get("/vouchers").body.contains(&format!("<option value=\"{id}\">")));
    assert_eq!(op.post("/vouchers", &format!("csrf={csrf}&package_id={id}&count=1&batch=hidden")).status, 400);
    assert!(op.get("/packages").body.contains("data-active=\"false\""));
    assert_eq!(op.post(&format!("/packages/{id}/show"), &format!("csrf={csrf}")).status, 303);
    assert!(device::get(LOCAL, d.addr, "/").body.contains("Saa Mbili"));
    // No token: refused, nothing changed.
    assert_eq!(op.post(&format!("/packages/{id}/hide"), "").status, 403);
    assert!(device::get(LOCAL, d.addr, "/").body.contains("Saa Mbili"));

    // Revoke the rest of the batch.
    assert_eq!(op.post("/vouchers/revoke", &format!("csrf={csrf}&batch=Desemba+7")).status, 303);
    let csv = op.get("/vouchers.csv?batch=Desemba%207").body;
    assert_eq!(csv.matches(",revoked,").count(), 12);

    // Branding: bad colour explained; a good save shows on the printout at once.
    let settings = op.get("/settings");
    assert!(settings.body.contains("id=\"page-settings\"") && settings.body.contains("value=\"Wi-Fi hotspot\""));
    let form = "venue_name=Kibanda+cha+Juma&primary_colour=%23AA3300&accent_colour=%23112233&support_phone=0712+345678&terms=Be+kind&default_language=sw";
    let bad = op.post("/settings", &format!("csrf={csrf}&{}", form.replace("%23AA3300", "red")));
    assert_eq!(bad.status, 400);
    let saved = op.post("/settings", &format!("csrf={csrf}&{form}"));
    assert_eq!((saved.status, saved.header("location")), (303, Some("/settings")), "{saved:?}");
    let created = op.post("/vouchers", &format!("csrf={csrf}&package_id={id}&count=1&batch=B2"));
    assert_eq!(created.status, 303);
    let print = op.get("/vouchers/print?batch=B2").body;
    assert!(print.contains("Kibanda cha Juma") && print.contains("--p:#aa3300"), "{print}");
    assert!(op.get("/settings").body.contains("value=\"#aa3300\""));
    // The portal's splash page is branded at once (same `branding::Shared`).
    let splash = device::get(LOCAL, d.addr, "/").body;
    assert!(splash.contains("Kibanda cha Juma") && splash.contains("#aa3300"), "{splash}");

    // The logo: none yet; an SVG is refused; a GIF is served with its type and nosniff.
    assert_eq!(device::get(LOCAL, admin, "/logo").status, 404);
    let svg = upload(admin, &op.session, &csrf, b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>");
    assert_eq!(svg.status, 400, "{svg:?}");
    // The operator chose Swahili: a browser that names no language gets the admin in it.
    assert!(svg.body.contains("PNG, JPEG, GIF au WebP") && svg.body.contains("<html lang=\"sw\""), "{}", svg.body);
    let uploaded = upload(admin, &op.session, &csrf, GIF);
    assert_eq!((uploaded.status, uploaded.header("location")), (303, Some("/settings")), "{uploaded:?}");
    let logo = device::get(LOCAL, admin, "/logo");
    assert_eq!((logo.status, logo.header("content-type"), logo.header("x-content-type-options")), (200, Some("image/gif"), Some("nosniff")));
    assert_eq!(logo.body.as_bytes(), GIF);
    let on_portal = device::get(LOCAL, d.addr, "/logo");
    assert_eq!((on_portal.status, on_portal.header("content-type"), on_portal.body.as_bytes()), (200, Some("image/gif"), GIF));
    assert!(op.get("/settings").body.contains("<img id=\"logo\" src=\"/logo\""));
    assert_eq!(op.post("/settings/logo/remove", &format!("csrf={csrf}")).status, 303);
    assert_eq!(device::get(LOCAL, admin, "/logo").status, 404);
    assert_eq!(device::get(LOCAL, d.addr, "/logo").status, 404);

    // A batch of 500: its page lists 200 within 50 KB, and so do the other pages.
    assert_eq!(op.post("/vouchers", &format!("csrf={csrf}&package_id={id}&count=500&batch=big")).status, 303);
    let big = op.get("/vouchers/batch?name=big").body;
    assert_eq!(big.matches("<tr data-code=").count(), 200);
    for (path, page) in [("/vouchers/batch?name=big", big), ("/vouchers", op.get("/vouchers").body), ("/packages", op.get("/packages").body), ("/settings", op.get("/settings").body)] {
        eprintln!("{path}: {} B", page.len());
        assert!(page.len() <= 50 * 1024, "{path}: {} B", page.len());
    }

    // What was changed is in the audit.
    let db = rusqlite::Connection::open(d.dir.join("hotspotd.db")).unwrap();
    let actions: i64 = db.query_row("SELECT count(*) FROM admin_audit WHERE action LIKE '%vouchers%' OR detail LIKE '%Desemba%'", [], |r| r.get(0)).unwrap();
    assert!(actions >= 2, "{actions}");
}

/// What `zbarimg` (Debian zbar-tools) reads in one of our QR SVGs, drawn here module by
/// module from its path (`M x y`, `m dx 0`, `h len`) into a PGM; `None` when zbarimg is
/// not installed.
fn zbar_read(d: &Daemon, svg: &str) -> Option<String> {
    if Command::new("zbarimg").arg("--version").output().is_err() {
        eprintln!("zbarimg not installed (apt-get install zbar-tools): the QR code is not read back");
        return None;
    }
    let view_box = svg.split("viewBox=\"").nth(1).and_then(|v| v.split('"').next()).expect("the QR's viewBox");
    let side: usize = view_box.split(' ').nth(2).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("viewBox {view_box:?}"));
    let path = svg.split(" d=\"").nth(1).and_then(|p| p.split('"').next()).expect("the QR's path");
    let scale = 6;
    let px = side * scale;
    let mut img = vec![255u8; px * px];
    let (mut x, mut y) = (0i64, 0i64);
    let mut rest = path;
    while !rest.is_empty() {
        let end = rest[1..].find(['M', 'm', 'h']).map_or(rest.len(), |i| i + 1);
        let args: Vec<&str> = rest[1..end].split(' ').collect();
        match rest.as_bytes()[0] {
            b'M' => (x, y) = (args[0].parse().unwrap(), args[1].trim_end_matches(".5").parse().unwrap()),
            b'm' => x += args[0].parse::<i64>().unwrap(),
            b'h' => {
                let len: i64 = args[0].parse().unwrap();
                for mx in x..x + len {
                    for dy in 0..scale {
                        let row = (y as usize * scale + dy) * px;
                        img[row + mx as usize * scale..row + (mx as usize + 1) * scale].fill(0);
                    }
                }
                x += len;
            }
            op => panic!("unexpected path command {op}"),
        }
        rest = &rest[end..];
    }
    let mut pgm = format!("P5 {px} {px} 255\n").into_bytes();
    pgm.extend_from_slice(&img);
    let file = d.dir.join("qr.pgm");
    std::fs::write(&file, pgm).unwrap();
    let out = Command::new("zbarimg").args(["--quiet", "--raw"]).arg(&file).output().expect("run zbarimg");
    Some(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

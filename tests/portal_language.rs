//! The portal's language and branding, over real HTTP with the real binary (firewall
//! `none`): the splash page in Swahili when the browser asks for it and in English when it
//! asks for English, the switch (`GET /lang`, a cookie) beating the browser, the operator's
//! default when the browser names neither, JSON errors in the request's language, and the
//! splash page branded from what the operator saved (venue name, colours, logo served at
//! `/logo`, support phone, terms).

mod device;

use std::net::Ipv4Addr;

use device::{request, Answer, Daemon};
use hotspotd::branding::{Branding, Logo};
use hotspotd::i18n::Lang;

const ME: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);

fn splash(d: &Daemon, headers: &[&str]) -> Answer {
    let answer = request(ME, d.addr, "GET", "/", headers, None);
    assert_eq!(answer.status, 200, "{answer:?}");
    answer
}

fn is_swahili(page: &str) -> bool {
    page.contains("<html lang=\"sw\">") && page.contains("Una vocha?") && page.contains(">Ingia</button>")
}

fn is_english(page: &str) -> bool {
    page.contains("<html lang=\"en\">") && page.contains("Have a voucher?") && page.contains(">Log in</button>")
}

#[test]
fn the_browser_the_switch_and_the_operator_choose_the_language() {
    let mut d = Daemon::start("lang-choice", "");
    d.vouchers(1);

    let sw = splash(&d, &["Accept-Language: sw-KE,sw;q=0.9"]).body;
    assert!(is_swahili(&sw), "{sw}");
    assert!(sw.contains("Vifurushi") && sw.contains("saa 1"), "packages in Swahili: {sw}");
    let en = splash(&d, &["Accept-Language: en-GB"]).body;
    assert!(is_english(&en), "{en}");
    assert!(!en.contains("Una vocha?"));
    // Every page shows the switch, back to itself.
    for page in [&sw, &en] {
        assert!(page.contains("<a class=\"lang-en\" href=\"/lang?set=en&amp;back=/\""), "{page}");
        assert!(page.contains("<a class=\"lang-sw\" href=\"/lang?set=sw&amp;back=/\""), "{page}");
    }

    // The switch: a cookie for a year, and back to the page it was pressed on.
    let switched = request(ME, d.addr, "GET", "/lang?set=sw&back=%2Flogin%3Fvoucher%3DAB12", &["Accept-Language: en"], None);
    assert_eq!(switched.status, 303, "{switched:?}");
    assert_eq!(switched.header("location"), Some("/login?voucher=AB12"));
    assert_eq!(switched.header("set-cookie"), Some("lang=sw; Max-Age=31536000; Path=/; SameSite=Lax"));
    for evil in ["//evil.example/x", "http://evil.example/", "/%5Cevil.example", ""] {
        let answer = request(ME, d.addr, "GET", &format!("/lang?set=en&back={evil}"), &[], None);
        assert_eq!((answer.status, answer.header("location")), (303, Some("/")), "{evil}: {answer:?}");
    }
    // The cookie beats the browser, both ways.
    let page = splash(&d, &["Accept-Language: en-GB,en;q=0.9", "Cookie: theme=dark; lang=sw"]).body;
    assert!(is_swahili(&page), "{page}");
    let page = splash(&d, &["Accept-Language: sw-KE,sw;q=0.9", "Cookie: lang=en"]).body;
    assert!(is_english(&page), "{page}");
    // A voucher link keeps its code in Swahili too, and its switch comes back to it.
    let link = request(ME, d.addr, "GET", "/login?voucher=ab12", &["Cookie: lang=sw"], None);
    assert!(link.body.contains("value=\"AB12\"") && is_swahili(&link.body), "{link:?}");
    assert!(link.body.contains("href=\"/lang?set=en&amp;back=/login%3Fvoucher%3DAB12\""), "{}", link.body);

    // A JSON error in the request's language.
    let body = r#"{"voucher":"ZZZZ9999"}"#;
    let refused = request(ME, d.addr, "POST", "/api/hotspot/login", &["Accept-Language: sw"], Some(("application/json", body)));
    assert_eq!(refused.status, 401, "{refused:?}");
    assert_eq!(refused.json()["error"], "Namba ya vocha si sahihi. Iangalie ujaribu tena.");
    let refused = request(ME, d.addr, "POST", "/api/hotspot/login", &["Accept-Language: en-US"], Some(("application/json", body)));
    assert!(refused.json()["error"].as_str().unwrap().contains("voucher code is not valid"), "{refused:?}");
    let missing = request(ME, d.addr, "GET", "/api/nothing", &["Cookie: lang=sw"], None);
    assert_eq!((missing.status, missing.json()["error"].as_str()), (404, Some("Ukurasa huu haupo.")));

    // The operator's default: Swahili for a browser that names neither (or nothing).
    d.terminate();
    save_branding(&d, Branding { default_language: Lang::Sw, ..Branding::default() });
    d.restart();
    assert!(is_swahili(&splash(&d, &["Accept-Language: fr-FR,fr;q=0.9"]).body));
    assert!(is_swahili(&splash(&d, &[]).body));
    assert!(is_english(&splash(&d, &["Accept-Language: fr, en;q=0.5"]).body), "a language the browser names still wins");
}

fn save_branding(d: &Daemon, branding: Branding) {
    let conn = hotspotd::store::open(&d.dir.join("hotspotd.db")).unwrap();
    hotspotd::store::branding::save(&conn, &branding).unwrap();
}

#[test]
fn the_splash_page_wears_the_venues_branding() {
    let mut d = Daemon::start("lang-brand", "");
    let none = request(ME, d.addr, "GET", "/logo", &[], None);
    assert_eq!(none.status, 404, "no logo yet: {none:?}");
    let plain = splash(&d, &[]).body;
    assert!(plain.contains("<h1>Wi-Fi hotspot</h1>") && !plain.contains("<img") && !plain.contains("tel:"), "{plain}");

    d.terminate();
    let png = [b"\x89PNG\r\n\x1a\n".as_slice(), b"logo-bytes"].concat();
    save_branding(
        &d,
        Branding {
            venue_name: "Mama Njeri's Café".into(),
            primary_colour: "#aa1100".into(),
            accent_colour: "#123abc".into(),
            support_phone: "0712 345 678".into(),
            terms: "No streaming of films.\nBe kind.".into(),
            default_language: Lang::En,
            logo: Some(Logo::sniff(png.clone()).unwrap()),
        },
    );
    d.restart();

    let page = splash(&d, &[]).body;
    assert!(page.contains("<title>Mama Njeri&#39;s Café</title>"), "{page}");
    assert!(page.contains("<h1>Mama Njeri&#39;s Café</h1>"), "{page}");
    assert!(page.contains("button{background:#aa1100}") && page.contains("h1,h2{color:#123abc}"), "{page}");
    assert!(page.contains("<img class=\"logo\" src=\"/logo\""), "{page}");
    assert!(page.contains("Need help? Call <a href=\"tel:0712345678\">0712 345 678</a>"), "{page}");
    assert!(page.contains("<details id=\"terms\"><summary>Terms of use</summary>No streaming of films.\nBe kind.</details>"), "{page}");
    let sw = splash(&d, &["Accept-Language: sw"]).body;
    assert!(sw.contains("<h1>Mama Njeri&#39;s Café</h1>") && sw.contains("Unahitaji msaada? Piga") && sw.contains("Masharti ya matumizi"), "{sw}");

    let logo = request(ME, d.addr, "GET", "/logo", &[], None);
    assert_eq!(logo.status, 200, "{logo:?}");
    assert_eq!(logo.header("content-type"), Some("image/png"));
    assert_eq!(logo.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(logo.header("content-length"), Some(png.len().to_string().as_str()));
    assert!(logo.body.ends_with("PNG\r\n\u{1a}\nlogo-bytes"), "{logo:?}");
}

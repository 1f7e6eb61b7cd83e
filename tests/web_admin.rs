//! The operator's web admin and the portal in a real browser (headless Chromium over
//! WebDriver, tests/browser), against the real daemon in the network-namespace lab (real
//! nft, the fake Daraja): issue 13 §4.

mod browser;
mod lab;

use browser::{Browser, BrowserOptions};
use lab::{Lab, PORTAL_URL};

/// The harness itself against the portal's splash page, from a lab client.
#[test]
fn harness_opens_the_splash_from_a_client() {
    let Some(lab) = Lab::up(1) else { return };
    let b = Browser::start(
        "harness",
        BrowserOptions { netns: Some(lab.client_ns(1).into()), width: 412, height: 915, ..BrowserOptions::default() },
    );
    b.goto(PORTAL_URL);
    assert_eq!(b.status(), 200, "{}", b.page_excerpt());
    let html = b.find("html");
    assert_eq!(html.attr("lang").as_deref(), Some("en"));
    assert!(b.find("input#voucher").attr("name").as_deref() == Some("voucher"));
    assert!(!b.find_all("form").is_empty());
    b.screenshot("splash-en");
}

//! The Host check (`portal::names_this_portal`): which requests are for the portal and
//! which are a client's intercepted traffic (answered with a redirect to the portal). It
//! ignores case, surrounding spaces and a written default port, always knows the address
//! the client reached, and accepts nothing else than that address or the configured URL's.

use std::net::SocketAddr;

use hotspotd::portal::names_this_portal;

/// The names a request may give for the portal: what the check must accept, and only that.
fn portal_names(local: SocketAddr, portal_url: Option<&str>) -> Vec<String> {
    let mut names = vec![local.to_string()];
    if local.port() == 80 {
        names.push(local.ip().to_string());
    }
    let authority = portal_url
        .and_then(|u| u.strip_prefix("http://").or_else(|| u.strip_prefix("https://")))
        .map(|rest| rest.split('/').next().unwrap_or_default());
    if let Some(authority) = authority {
        names.push(authority.to_ascii_lowercase());
    }
    names.into_iter().map(|n| n.strip_suffix(":80").map(str::to_owned).unwrap_or(n)).collect()
}

/// Any Host header against any local address and portal URL.
pub fn check_host(host: &str, local: SocketAddr, portal_url: Option<&str>) {
    let named = |h: &str| names_this_portal(h, local, portal_url);
    let answer = named(host);
    let shown = format!("Host {host:?} at {local}, portal_url {portal_url:?}");
    let normal = host.trim().to_ascii_lowercase();
    let normal = normal.strip_suffix(":80").unwrap_or(&normal);
    assert_eq!(answer, portal_names(local, portal_url).iter().any(|n| n == normal), "{shown}");
    assert_eq!(named(&host.to_ascii_uppercase()), answer, "case matters: {shown}");
    assert_eq!(named(&format!(" \t{host} ")), answer, "spaces matter: {shown}");
    let trimmed = host.trim();
    if !trimmed.ends_with(":80") {
        assert_eq!(named(&format!("{trimmed}:80")), answer, "a written :80 matters: {shown}");
    }
    assert!(named(&local.to_string()), "the address the client reached is not the portal: {shown}");
}

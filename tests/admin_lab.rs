//! The web admin is for the LAN, never for hotspot clients, with real nft in the
//! network-namespace lab (tests/lab): the nft table drops the admin port from the hotspot
//! interface (a client's connection gets nowhere), the router itself and the other side of
//! the router (the lab's "internet" host stands in for a LAN) are served, and if the drop
//! rule is gone the daemon still refuses hotspot clients itself (403).
//!
//! Needs root, nft, iproute2, curl and python3; HOTSPOTD_SKIP_NETNS=1 skips it.

mod lab;

use lab::{Lab, LabOptions, TcpProbe, INTERNET_IP, PORTAL_IP, ROUTER_WAN_IP};

const ADMIN_PORT: u16 = 2051;

#[test]
fn hotspot_clients_cannot_reach_the_admin_port_and_the_router_can() {
    let options = LabOptions { clients: 1, extra_config: vec![format!("option admin_listen '0.0.0.0:{ADMIN_PORT}'")], ..LabOptions::default() };
    let Some(lab) = Lab::with(options) else { return };

    // The table's input chain drops the admin port from the hotspot interface.
    let table = lab.nft_text();
    assert!(table.contains(&format!("iifname \"br-lan\" tcp dport {ADMIN_PORT} counter")), "{table}");

    // A hotspot client gets nowhere: the SYN is dropped.
    let probe = lab.client_tcp(1, PORTAL_IP, ADMIN_PORT, 2.0);
    assert!(matches!(probe, TcpProbe::Timeout), "a hotspot client reached the admin port: {probe:?}");
    let r = lab.client_http(1, &["--max-time", "3", &format!("http://{PORTAL_IP}:{ADMIN_PORT}/login")]);
    assert_eq!(r.status, 0, "a hotspot client got an HTTP answer from the admin: {} {}", r.status, r.body);

    // The router itself is served.
    let r = lab.router_http(&[&format!("http://127.0.0.1:{ADMIN_PORT}/login")]);
    assert_eq!(r.status, 200, "the router could not reach its own admin: {} {}", r.curl_exit, r.body);
    assert!(r.body.contains("id=\"page-login\""), "{}", r.body);
    // So is a host on another side of the router (the lab's uplink stands in for the LAN).
    let out = lab.internet_exec(&[
        "curl", "-s", "--noproxy", "*", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}",
        &format!("http://{ROUTER_WAN_IP}:{ADMIN_PORT}/login"),
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200", "from {INTERNET_IP}: {}", String::from_utf8_lossy(&out.stderr));

    // Without the drop rule (someone flushed the chain) the daemon still refuses the hotspot
    // side: its peer is in br-lan's subnet.
    let out = lab.router_exec(&["nft", "flush", "chain", "inet", "hotspotd", "input"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = lab.client_http(1, &[&format!("http://{PORTAL_IP}:{ADMIN_PORT}/login")]);
    assert_eq!(r.status, 403, "the daemon served a hotspot client: {}", r.body);
    assert!(!r.body.contains("page-login"), "{}", r.body);
    assert!(lab.daemon_log().contains("is on the hotspot side"), "{}", lab.daemon_log());
}

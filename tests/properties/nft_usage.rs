//! nft's JSON listings of our counters (`firewall::nft_usage::parse`), which decide when a
//! data cap is used up: any text gives a reading or an error without panic, reading the
//! same listing twice changes nothing, and a listing written the way nft 1.0.6 writes it
//! (other sets and quotas beside ours) reads back as the counters in it.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use hotspotd::firewall::nft_usage::parse;
use hotspotd::firewall::{QuotaState, Traffic, UsageReading};
use serde_json::json;

/// Any text.
pub fn check_listing_text(text: &str) {
    if let Ok(reading) = parse(text) {
        let twice = format!("{text}\n{text}");
        assert_eq!(parse(&twice).ok().as_ref(), Some(&reading), "reading {text:?} twice changed it");
    }
}

/// A poll's two listings, as nft writes them, for these counters and quotas.
pub fn listing_of(devices: &HashMap<Ipv4Addr, Traffic>, quotas: &HashMap<i64, QuotaState>) -> String {
    let metainfo = json!({ "metainfo": { "version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1 } });
    let set = |name: &str, bytes: &dyn Fn(&Traffic) -> u64| {
        let elem: Vec<_> = devices
            .iter()
            .map(|(ip, t)| json!({ "elem": { "val": ip.to_string(), "counter": { "packets": 1, "bytes": bytes(t) } } }))
            .collect();
        json!({ "set": { "family": "inet", "name": name, "table": "hotspotd", "type": "ipv4_addr", "handle": 2, "elem": elem, "stmt": [{ "counter": null }] } })
    };
    let mut first = vec![metainfo.clone(), set("up_bytes", &|t| t.up)];
    for (id, q) in quotas {
        first.push(json!({ "quota": { "family": "inet", "name": format!("cap_{id}"), "table": "hotspotd", "handle": 4, "bytes": q.limit_bytes, "used": q.used_bytes, "inv": true } }));
    }
    // Not ours: skipped.
    first.push(json!({ "quota": { "family": "inet", "name": "guest_cap", "table": "hotspotd", "handle": 9, "bytes": 5, "used": 1 } }));
    first.push(json!({ "set": { "family": "inet", "name": "clients_ip", "table": "hotspotd", "type": "ipv4_addr", "handle": 7, "elem": ["10.0.0.1"] } }));
    let second = vec![metainfo, set("dn_bytes", &|t| t.down)];
    format!("{}\n{}\n", json!({ "nftables": first }), json!({ "nftables": second }))
}

/// The counters and quotas read back from their listing.
pub fn check_listing_round_trip(devices: &HashMap<Ipv4Addr, Traffic>, quotas: &HashMap<i64, QuotaState>) {
    let text = listing_of(devices, quotas);
    let expected = UsageReading { devices: devices.clone(), quotas: quotas.clone() };
    assert_eq!(parse(&text).ok(), Some(expected), "{text}");
}

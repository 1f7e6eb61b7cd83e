//! Reading `nft -j` listings of our counter sets and quotas into a `UsageReading`. Pure: text
//! in, numbers out. Sets and objects that are not ours are skipped, not errors.
//!
//! nft prints one JSON document per run:
//! `{"nftables": [{"metainfo": {…}}, {"set": {"name": "up_bytes", "elem": [{"elem": {"val":
//! "10.77.0.11", "counter": {"packets": 3, "bytes": 5120}}}, …]}}, {"quota": {"name": "cap_3",
//! "bytes": 1000000, "used": 420, …}}]}`.

use std::net::Ipv4Addr;

use serde::Deserialize;

use super::{QuotaState, UsageReading};

#[derive(Deserialize)]
struct Listing {
    nftables: Vec<Item>,
}

/// One entry of the listing: `{"set": {…}}`, `{"quota": {…}}`, or others we skip.
#[derive(Deserialize)]
struct Item {
    set: Option<Set>,
    quota: Option<Quota>,
}

#[derive(Deserialize)]
struct Set {
    name: String,
    #[serde(default)]
    elem: Vec<Element>,
}

/// An element of a set: ours hold an address and its counter; other sets' elements (plain
/// addresses, `address . MAC` pairs, prefixes) have other shapes and are not read.
#[derive(Deserialize)]
#[serde(untagged)]
enum Element {
    Counted { elem: CountedKey },
    Other(serde::de::IgnoredAny),
}

#[derive(Deserialize)]
struct CountedKey {
    val: Ipv4Addr,
    counter: Counter,
}

#[derive(Deserialize)]
struct Counter {
    bytes: u64,
}

#[derive(Deserialize)]
struct Quota {
    name: String,
    /// The limit.
    bytes: u64,
    #[serde(default)]
    used: u64,
}

/// Parses one or more concatenated listing documents.
/// Why a listing could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ListingError {
    #[error("not nft's JSON")]
    Json(#[source] serde_json::Error),
    #[error("set {set} has an element without an address and a counter")]
    Element { set: String },
}

pub fn parse(text: &str) -> Result<UsageReading, ListingError> {
    let mut reading = UsageReading::default();
    for listing in serde_json::Deserializer::from_str(text).into_iter::<Listing>() {
        let listing = listing.map_err(ListingError::Json)?;
        for item in listing.nftables {
            if let Some(set) = item.set {
                let upload = match set.name.as_str() {
                    "up_bytes" => true,
                    "dn_bytes" => false,
                    _ => continue,
                };
                for e in set.elem {
                    let Element::Counted { elem } = e else {
                        return Err(ListingError::Element { set: set.name });
                    };
                    let traffic = reading.devices.entry(elem.val).or_default();
                    if upload {
                        traffic.up = elem.counter.bytes;
                    } else {
                        traffic.down = elem.counter.bytes;
                    }
                }
            }
            if let Some(q) = item.quota {
                if let Some(id) = q.name.strip_prefix("cap_").and_then(|id| id.parse().ok()) {
                    reading.quotas.insert(id, QuotaState { limit_bytes: q.bytes, used_bytes: q.used });
                }
            }
        }
    }
    Ok(reading)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::Traffic;

    /// What nft 1.0.6 printed for the two usage queries in the lab.
    const LISTING: &str = r#"{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"set": {"family": "inet", "name": "up_bytes", "table": "hotspotd", "type": "ipv4_addr", "handle": 2, "elem": [{"elem": {"val": "10.77.0.11", "counter": {"packets": 2, "bytes": 1000}}}, {"elem": {"val": "10.77.0.12", "counter": {"packets": 0, "bytes": 0}}}], "stmt": [{"counter": null}]}}, {"quota": {"family": "inet", "name": "cap_3", "table": "hotspotd", "handle": 4, "bytes": 1000000, "used": 1000840, "inv": true}}, {"quota": {"family": "inet", "name": "cap_4", "table": "hotspotd", "handle": 5, "bytes": 2000000, "used": 77, "inv": true}}]}
{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"set": {"family": "inet", "name": "dn_bytes", "table": "hotspotd", "type": "ipv4_addr", "handle": 3, "elem": [{"elem": {"val": "10.77.0.11", "counter": {"packets": 9, "bytes": 50000}}}], "stmt": [{"counter": null}]}}]}
"#;

    #[test]
    fn reads_device_counters_and_account_quotas() {
        let r = parse(LISTING).unwrap();
        assert_eq!(r.devices.len(), 2);
        assert_eq!(r.devices[&Ipv4Addr::new(10, 77, 0, 11)], Traffic { up: 1000, down: 50000 });
        assert_eq!(r.devices[&Ipv4Addr::new(10, 77, 0, 12)], Traffic { up: 0, down: 0 });
        assert_eq!(r.quotas[&3], QuotaState { limit_bytes: 1_000_000, used_bytes: 1_000_840 });
        assert!(r.quotas[&3].is_exhausted());
        assert_eq!(r.quotas[&4], QuotaState { limit_bytes: 2_000_000, used_bytes: 77 });
        assert!(!r.quotas[&4].is_exhausted());
    }

    #[test]
    fn an_empty_table_reads_as_nothing_counted() {
        let r = parse(r#"{"nftables": [{"metainfo": {"version": "1.0.6"}}, {"set": {"name": "up_bytes"}}]}"#).unwrap();
        assert_eq!(r, UsageReading::default());
        assert_eq!(parse("").unwrap(), UsageReading::default());
    }

    #[test]
    fn other_sets_are_skipped_whatever_their_elements() {
        // A set of plain addresses beside ours used to make the whole listing an error.
        let listing = r#"{"nftables": [{"set": {"name": "clients_ip", "elem": ["10.77.0.11", {"elem": {"val": "10.77.0.12", "timeout": 60}}]}},
            {"set": {"name": "clients", "elem": [{"concat": ["10.77.0.11", "02:00:00:00:00:01"]}]}},
            {"set": {"name": "up_bytes", "elem": [{"elem": {"val": "10.77.0.11", "counter": {"packets": 1, "bytes": 7}}}]}}]}"#;
        let r = parse(listing).unwrap();
        assert_eq!(r.devices[&Ipv4Addr::new(10, 77, 0, 11)], Traffic { up: 7, down: 0 });
        assert_eq!(r.devices.len(), 1);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in ["{", "[1,2]", r#"{"nftables": [{"set": {"name": "up_bytes", "elem": [{"elem": {"val": "x"}}]}}]}"#, r#"{"nftables": [{"set": {"name": "dn_bytes", "elem": ["10.0.0.1"]}}]}"#, "\u{0}"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}

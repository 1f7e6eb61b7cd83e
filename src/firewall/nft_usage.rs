//! Reading `nft -j` listings of our counter sets and quotas into a `UsageReading`. Pure: text
//! in, numbers out. Sets and objects that are not ours are skipped, not errors.
//!
//! nft prints one JSON document per run:
//! `{"nftables": [{"metainfo": {…}}, {"set": {"name": "up_bytes", "elem": [{"elem": {"val":
//! "10.77.0.11", "counter": {"packets": 3, "bytes": 5120}}}, …]}}, {"quota": {"name": "cap_3",
//! "bytes": 1000000, "used": 420, …}}]}`.

use std::net::Ipv4Addr;

use serde_json::{Map, Value};

use super::{QuotaState, UsageReading};

// Each document is read into a `serde_json::Value` and walked by hand: serde's derived
// decoders for these shapes (an untagged enum buffers every element) cost the mips binary
// ~12 KB. The accepted shapes are the ones the derived decoders took:
// - a listing `{"nftables": [item, …]}`, each item an object whose `set` and `quota` (when
//   present and not null) are read;
// - a set: `name` (a string) and `elem` (an array, may be missing); in our counter sets
//   (`up_bytes`, `dn_bytes`) every element is `{"elem": {"val": "<IPv4>", "counter":
//   {"bytes": n}}}`, in others elements are not read;
// - a quota: `name`, `bytes`, `used` (0 if missing).

/// Why a listing could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ListingError {
    #[error("not nft's JSON")]
    Json(#[source] serde_json::Error),
    #[error("set {set} has an element without an address and a counter")]
    Element { set: String },
}

/// A listing whose JSON is well formed but not shaped as nft's.
fn misshapen(what: &'static str) -> ListingError {
    ListingError::Json(serde::de::Error::custom(what))
}

fn object(value: Value, what: &'static str) -> Result<Map<String, Value>, ListingError> {
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(misshapen(what)),
    }
}

/// The member `name` of `map`, unless it is missing or null.
fn present(map: &mut Map<String, Value>, name: &str) -> Option<Value> {
    map.remove(name).filter(|v| !v.is_null())
}

fn string(map: &mut Map<String, Value>, name: &str, what: &'static str) -> Result<String, ListingError> {
    match map.remove(name) {
        Some(Value::String(s)) => Ok(s),
        _ => Err(misshapen(what)),
    }
}

fn counted(element: &Value) -> Option<(Ipv4Addr, u64)> {
    let elem = element.get("elem")?;
    let addr = elem.get("val")?.as_str()?.parse().ok()?;
    Some((addr, elem.get("counter")?.get("bytes")?.as_u64()?))
}

/// Parses one or more concatenated listing documents.
pub fn parse(text: &str) -> Result<UsageReading, ListingError> {
    let mut reading = UsageReading::default();
    for listing in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
        let mut listing = object(listing.map_err(ListingError::Json)?, "a listing is an object")?;
        let Some(Value::Array(items)) = listing.remove("nftables") else { return Err(misshapen("a listing has an `nftables` array")) };
        for item in items {
            let mut item = object(item, "an item is an object")?;
            if let Some(set) = present(&mut item, "set") {
                let mut set = object(set, "a set is an object")?;
                let name = string(&mut set, "name", "a set has a name")?;
                let elements = match set.remove("elem") {
                    Some(Value::Array(elements)) => elements,
                    None => Vec::new(),
                    Some(_) => return Err(misshapen("a set's `elem` is an array")),
                };
                let upload = match name.as_str() {
                    "up_bytes" => true,
                    "dn_bytes" => false,
                    _ => continue,
                };
                for e in &elements {
                    let Some((addr, bytes)) = counted(e) else { return Err(ListingError::Element { set: name }) };
                    let traffic = reading.devices.entry(addr).or_default();
                    if upload {
                        traffic.up = bytes;
                    } else {
                        traffic.down = bytes;
                    }
                }
            }
            if let Some(quota) = present(&mut item, "quota") {
                let mut q = object(quota, "a quota is an object")?;
                let name = string(&mut q, "name", "a quota has a name")?;
                let limit = q.get("bytes").and_then(Value::as_u64).ok_or_else(|| misshapen("a quota has `bytes`"))?;
                let used = match q.get("used") {
                    None => 0,
                    Some(used) => used.as_u64().ok_or_else(|| misshapen("a quota's `used` is a count"))?,
                };
                if let Some(id) = name.strip_prefix("cap_").and_then(|id| id.parse().ok()) {
                    reading.quotas.insert(id, QuotaState { limit_bytes: limit, used_bytes: used });
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

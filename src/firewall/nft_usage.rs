//! Reading `nft -j` listings of our counters and quotas into a `UsageReading`. Pure: text in,
//! numbers out. Objects that are not ours (other names) are skipped, not errors.
//!
//! nft prints one JSON document per listed command:
//! `{"nftables": [{"metainfo": {…}}, {"counter": {"name": "up_12", "bytes": 5120, …}}, …]}`
//! and `{"nftables": [{"metainfo": {…}}, {"quota": {"name": "cap_3", "bytes": 1000000, "used": 420, …}}]}`.

use serde::Deserialize;

use super::nft::NO_CAP_BYTES;
use super::{QuotaState, UsageReading};

#[derive(Deserialize)]
struct Listing {
    nftables: Vec<Item>,
}

/// One entry of the listing: `{"counter": {…}}`, `{"quota": {…}}`, or others we skip.
#[derive(Deserialize)]
struct Item {
    counter: Option<Counter>,
    quota: Option<Quota>,
}

#[derive(Deserialize)]
struct Counter {
    name: String,
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
pub fn parse(text: &str) -> Result<UsageReading, String> {
    let mut reading = UsageReading::default();
    for listing in serde_json::Deserializer::from_str(text).into_iter::<Listing>() {
        let listing = listing.map_err(|e| e.to_string())?;
        for item in listing.nftables {
            if let Some(c) = item.counter {
                if let Some(id) = id_after(&c.name, "up_") {
                    reading.sessions.entry(id).or_default().up = c.bytes;
                } else if let Some(id) = id_after(&c.name, "dn_") {
                    reading.sessions.entry(id).or_default().down = c.bytes;
                }
            }
            if let Some(q) = item.quota {
                if let Some(id) = id_after(&q.name, "cap_") {
                    let limit_bytes = (q.bytes < NO_CAP_BYTES).then_some(q.bytes);
                    reading.quotas.insert(id, QuotaState { limit_bytes, used_bytes: q.used });
                }
            }
        }
    }
    Ok(reading)
}

fn id_after(name: &str, prefix: &str) -> Option<i64> {
    name.strip_prefix(prefix)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::Traffic;

    /// What nft 1.0.6 printed for `USAGE_QUERY` in the lab (two documents, one per line).
    const LISTING: &str = r#"{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"counter": {"family": "inet", "name": "up_12", "table": "hotspotd", "handle": 2, "packets": 3, "bytes": 1000}}, {"counter": {"family": "inet", "name": "dn_12", "table": "hotspotd", "handle": 3, "packets": 9, "bytes": 50000}}, {"counter": {"family": "inet", "name": "someone_else", "table": "hotspotd", "handle": 9, "packets": 1, "bytes": 1}}]}
{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"quota": {"family": "inet", "name": "cap_3", "table": "hotspotd", "handle": 4, "bytes": 1000000, "used": 1000840, "inv": true}}, {"quota": {"family": "inet", "name": "cap_4", "table": "hotspotd", "handle": 5, "bytes": 4611686018427387904, "used": 77, "inv": true}}]}
"#;

    #[test]
    fn reads_session_counters_and_account_quotas() {
        let r = parse(LISTING).unwrap();
        assert_eq!(r.sessions.len(), 1);
        assert_eq!(r.sessions[&12], Traffic { up: 1000, down: 50000 });
        assert_eq!(r.quotas[&3], QuotaState { limit_bytes: Some(1_000_000), used_bytes: 1_000_840 });
        assert!(r.quotas[&3].is_exhausted());
        assert_eq!(r.quotas[&4], QuotaState { limit_bytes: None, used_bytes: 77 });
        assert!(!r.quotas[&4].is_exhausted());
    }

    #[test]
    fn an_empty_table_reads_as_nothing_counted() {
        let r = parse(r#"{"nftables": [{"metainfo": {"version": "1.0.6"}}]}"#).unwrap();
        assert_eq!(r, UsageReading::default());
        assert_eq!(parse("").unwrap(), UsageReading::default());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in ["{", "[1,2]", r#"{"nftables": [{"counter": {"name": "up_1"}}]}"#, "\u{0}"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}

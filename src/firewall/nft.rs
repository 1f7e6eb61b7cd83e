//! The nftables backend: our own table `inet hotspotd`, driven through `nft -f -` with one
//! atomic batch per change, counters read with one `nft -j` listing. firewall4 reloads
//! rebuild only `inet fw4`, so ours survives them.
//!
//! The table (see README "How enforcement works"):
//! - set `clients` (`ipv4_addr . ether_addr`, timeout): authorised devices, matched on the
//!   packets they send; set `clients_ip` (same timeout): their addresses, matched on packets
//!   sent to them. Element timeouts are the remaining session time, so the kernel cuts a
//!   device on time even if the daemon is dead. Every forwarded packet is checked, so removal
//!   also cuts established connections.
//! - sets `up_bytes` and `dn_bytes` (`ipv4_addr`, with a counter per element): one element
//!   per authorised device, whose counter holds the bytes its session sent / received (it
//!   starts from the session's recorded totals); per account, quota `cap_<account>` reached
//!   through map `cap`, shared by all its devices, which drops their traffic once the
//!   account's data is used up (at the byte, between polls). Counting comes after the quota
//!   check, so the counters hold exactly what was delivered. (Element counters, not named
//!   counter objects: nft loads every object of the table on each change, which with
//!   thousands of devices made a login's batch twice as slow.)
//! - Unauthenticated devices: tcp/80 is redirected to the portal, tcp/443 gets a reset (the
//!   browser falls back to its plain-HTTP probe at once), anything else forwarded is dropped
//!   (DNS to outside resolvers included). IPv6 is never forwarded for clients: the access
//!   checks are IPv4 (`ip saddr . ether saddr`), so IPv6 falls through to the drop, before
//!   and after login.
//! - The web admin's port (`Policy::admin_port`) is dropped on input from the client-facing
//!   interface: it is for the LAN only.
//! - DNS, DHCP and the portal are local services, and the only other input we touch is DNS to the
//!   router from devices that are not authorised (and all DNS over IPv6): at most
//!   `DNS_PER_SECOND` packets a second per MAC after a burst of `DNS_BURST` (set
//!   `dns_limit`, at most `DNS_LIMIT_DEVICES` MACs, each forgotten a minute after its last
//!   query). Before login the router's resolver answers anything, which would carry a
//!   DNS tunnel to the internet; the limit keeps such a tunnel to a few KB/s while leaving
//!   far more than a phone's detection lookups (a dozen or two when it joins).
//! - set `walled_garden`: reachable before login, and never counted or capped.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::time::Duration;

use crate::netaddr::MacAddr;

use super::command::{self, Failure};
use super::tc::Shaper;
use super::{nft_usage, Authorised, Firewall, FirewallError, Policy, Quota, Revoked, UsageReading};

pub const TABLE: &str = "hotspotd";

/// DNS packets per second to the router from a device that is not authorised (per MAC)…
pub const DNS_PER_SECOND: u32 = 5;
/// …after this many at once.
pub const DNS_BURST: u32 = 50;
/// Devices the DNS limit tracks at once (a dynamic set's size: bounded memory).
pub const DNS_LIMIT_DEVICES: u32 = 4096;

/// A poll's listings: the upload counters with every quota, then the download counters. (Two
/// runs of nft: 1.0.6 cannot list two sets in one, and listing all sets of the table costs
/// more than a second run.)
const USAGE_QUERIES: [&str; 2] = [
    r#"{"nftables":[{"list":{"set":{"family":"inet","table":"hotspotd","name":"up_bytes"}}},{"list":{"quotas":{"family":"inet","table":"hotspotd"}}}]}"#,
    r#"{"nftables":[{"list":{"set":{"family":"inet","table":"hotspotd","name":"dn_bytes"}}}]}"#,
];

pub struct NftFirewall {
    program: String,
    policy: Policy,
    /// Speed limits (tc), changed after access: a failure there is logged, and the device
    /// stays online unshaped rather than being refused.
    shaper: Shaper,
}

impl NftFirewall {
    pub fn new(policy: Policy) -> NftFirewall {
        let shaper = Shaper::new(&policy.interface);
        NftFirewall { program: "nft".into(), policy, shaper }
    }

    fn shaping_failed(e: FirewallError) {
        log::error!("speed limits are NOT enforced: {}", crate::error_chain(&e));
    }

    /// Runs nft, killed after `limit` (see `command` for each kind's deadline).
    fn run(&self, args: &[&str], script: Option<&str>, limit: Duration) -> Result<String, FirewallError> {
        command::run(&self.program, args, script, limit).map_err(|failure| match failure {
            Failure::Run(e) => e,
            Failure::Refused(stderr) => FirewallError::Rejected { stderr },
        })
    }
}

impl Firewall for NftFirewall {
    /// Loads the whole table, then checks that it is there (as talpid-core does after its
    /// batch): nft exiting 0 is not proof, another tool may flush the rule set in between.
    fn install(&self, clients: &[Authorised]) -> Result<(), FirewallError> {
        let script = table_script(&self.policy, clients)?;
        self.run(&["-f", "-"], Some(&script), command::TABLE)?;
        if !self.is_installed()? {
            return Err(FirewallError::NotInstalled { table: TABLE });
        }
        self.shaper.install(clients).unwrap_or_else(Self::shaping_failed);
        Ok(())
    }

    fn update(&self, authorise: &[Authorised], revoke: &[Revoked]) -> Result<(), FirewallError> {
        if authorise.is_empty() && revoke.is_empty() {
            return Ok(());
        }
        self.run(&["-f", "-"], Some(&update_script(authorise, revoke)), command::CHANGE)?;
        let revoked: Vec<_> = revoke.iter().map(|r| r.device.ip).collect();
        self.shaper.update(authorise, &revoked).unwrap_or_else(Self::shaping_failed);
        Ok(())
    }

    /// From the listing of the inet tables (exit status 0 and our table's line), never from
    /// the words of an error message.
    fn is_installed(&self) -> Result<bool, FirewallError> {
        let tables = self.run(&["list", "tables", "inet"], None, command::LISTING)?;
        Ok(tables.lines().any(|l| l.trim() == format!("table inet {TABLE}")))
    }

    fn read_usage(&self) -> Result<UsageReading, FirewallError> {
        let mut listing = String::new();
        for query in USAGE_QUERIES {
            match self.run(&["-j", "-f", "-"], Some(query), command::LISTING) {
                Ok(text) => listing.push_str(&text),
                // Refused: if our table is gone (not yet installed, or flushed by someone),
                // nothing is counted and the table check restores it; otherwise it is an error.
                Err(FirewallError::Rejected { stderr }) => {
                    return match self.is_installed()? {
                        false => Ok(UsageReading::default()),
                        true => Err(FirewallError::Rejected { stderr }),
                    };
                }
                Err(e) => return Err(e),
            }
        }
        nft_usage::parse(&listing).map_err(FirewallError::Listing)
    }
}

/// Interface names go into the rules verbatim: allow only what Linux allows, no quotes.
pub fn check_interface(name: &str) -> Result<(), FirewallError> {
    let ok = !name.is_empty()
        && name.len() <= 15
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(FirewallError::BadInterface(name.to_owned()))
    }
}

fn quota_name(account_id: i64) -> String {
    format!("cap_{account_id}")
}

fn elements_line(out: &mut String, elements: &[String]) {
    if !elements.is_empty() {
        let _ = writeln!(out, "\t\telements = {{ {} }}", elements.join(", "));
    }
}

/// The whole table in one batch. `add` + `delete` first makes the batch work whether or not
/// the table exists; nft applies the batch atomically, so no packet sees an empty table.
pub fn table_script(policy: &Policy, clients: &[Authorised]) -> Result<String, FirewallError> {
    check_interface(&policy.interface)?;
    let iif = &policy.interface;
    let port = policy.portal_port;
    // The web admin is for the LAN: hotspot clients never reach it (the daemon refuses them
    // too, `webadmin::hotspot_side`).
    let admin_drop = match policy.admin_port {
        Some(admin) => format!("\n\t\tiifname \"{iif}\" tcp dport {admin} counter drop"),
        None => String::new(),
    };
    let mut s = String::new();
    let _ = writeln!(s, "add table inet {TABLE}\ndelete table inet {TABLE}\ntable inet {TABLE} {{");

    let mut quotas_done = std::collections::HashSet::new();
    for q in clients.iter().filter_map(|a| a.quota) {
        if quotas_done.insert(q.account_id) {
            let _ = writeln!(s, "\t{}", quota_declaration(&q));
        }
    }

    s.push_str("\tset clients {\n\t\ttype ipv4_addr . ether_addr\n\t\tflags timeout\n");
    elements_line(&mut s, &clients.iter().map(client_element).collect::<Vec<_>>());
    s.push_str("\t}\n\tset clients_ip {\n\t\ttype ipv4_addr\n\t\tflags timeout\n");
    let ips: Vec<String> = clients.iter().map(|a| format!("{} timeout {}s", a.device.ip, a.timeout_secs.max(1))).collect();
    elements_line(&mut s, &ips);
    s.push_str("\t}\n\tset walled_garden {\n\t\ttype ipv4_addr\n\t\tflags interval\n");
    let garden: Vec<String> = policy.walled_garden.iter().map(|c| c.to_string()).collect();
    elements_line(&mut s, &garden);
    s.push_str("\t}\n\tset up_bytes {\n\t\ttype ipv4_addr\n\t\tcounter\n");
    let ups: Vec<String> = clients.iter().map(|a| counter_element(a.device.ip, a.counted.up)).collect();
    elements_line(&mut s, &ups);
    s.push_str("\t}\n\tset dn_bytes {\n\t\ttype ipv4_addr\n\t\tcounter\n");
    let downs: Vec<String> = clients.iter().map(|a| counter_element(a.device.ip, a.counted.down)).collect();
    elements_line(&mut s, &downs);
    let _ = write!(s, "\t}}\n\tset dns_limit {{\n\t\ttype ether_addr\n\t\tsize {DNS_LIMIT_DEVICES}\n\t\tflags dynamic,timeout\n\t\ttimeout 1m\n");
    s.push_str("\t}\n\tmap cap {\n\t\ttype ipv4_addr : quota\n");
    let caps: Vec<String> =
        clients.iter().filter_map(|a| Some(format!("{} : \"{}\"", a.device.ip, quota_name(a.quota?.account_id)))).collect();
    elements_line(&mut s, &caps);
    s.push_str("\t}\n");

    let _ = write!(
        s,
        "\tchain prerouting {{
\t\ttype nat hook prerouting priority dstnat - 5; policy accept;
\t\tiifname \"{iif}\" ip saddr . ether saddr @clients return
\t\tiifname \"{iif}\" ip daddr @walled_garden return
\t\tiifname \"{iif}\" tcp dport 80 redirect to :{port}
\t}}
\tchain input {{
\t\ttype filter hook input priority filter - 5; policy accept;
\t\tiifname \"{iif}\" meta l4proto {{ tcp, udp }} th dport 53 jump dns_from_clients{admin_drop}
\t}}
\tchain dns_from_clients {{
\t\tip saddr . ether saddr @clients return
\t\tupdate @dns_limit {{ ether saddr limit rate over {DNS_PER_SECOND}/second burst {DNS_BURST} packets }} counter drop
\t}}
\tchain forward {{
\t\ttype filter hook forward priority filter - 5; policy accept;
\t\tiifname \"{iif}\" jump from_clients
\t\toifname \"{iif}\" jump to_clients
\t}}
\tchain from_clients {{
\t\tip saddr . ether saddr @clients goto client_sends
\t\tip daddr @walled_garden accept
\t\ttcp dport 443 reject with tcp reset
\t\tudp dport 443 reject
\t\tcounter drop
\t}}
\tchain client_sends {{
\t\tip daddr @walled_garden accept
\t\tquota name ip saddr map @cap drop
\t\tip saddr @up_bytes accept
\t\taccept
\t}}
\tchain to_clients {{
\t\tip daddr @clients_ip goto client_receives
\t\tip saddr @walled_garden accept
\t\tcounter drop
\t}}
\tchain client_receives {{
\t\tip saddr @walled_garden accept
\t\tquota name ip daddr map @cap drop
\t\tip daddr @dn_bytes accept
\t\taccept
\t}}
}}
"
    );
    Ok(s)
}

fn client_element(a: &Authorised) -> String {
    format!("{} . {} timeout {}s", a.device.ip, a.device.mac, a.timeout_secs.max(1))
}

fn quota_declaration(q: &Quota) -> String {
    format!("quota {} {{ over {} bytes used {} bytes }}", quota_name(q.account_id), q.limit_bytes, q.used_bytes)
}

fn counter_element(ip: Ipv4Addr, bytes: u64) -> String {
    format!("{ip} counter packets 0 bytes {bytes}")
}

/// Removes `revoke` then adds `authorise`, in one batch.
///
/// Elements may be missing (a set element timed out in the kernel, a counter never made):
/// `add` before `delete` makes every removal harmless either way, and delete before the
/// final add resets what is re-added (a set element's timeout; counters only when asked).
/// The `add` + `delete` pair on map `cap` needs the quota it names to exist: the quota of an
/// account whose other devices stay online does; the last device's revoke first makes sure.
/// `add quota` creates a capped account's quota or, if its devices already share one,
/// changes its limit and keeps what it has counted. (An account that loses its cap while
/// online is rebuilt with the whole table, see `jobs::kinds::create_user`.)
pub fn update_script(authorise: &[Authorised], revoke: &[Revoked]) -> String {
    let mut s = String::new();
    for r in revoke {
        let (ip, mac) = (r.device.ip, r.device.mac);
        remove_device(&mut s, ip, mac);
        for set in ["up_bytes", "dn_bytes"] {
            remove_element(&mut s, set, &ip.to_string());
        }
        if r.capped {
            let cap = quota_name(r.account_id);
            if r.last_of_account {
                // Made sure it exists, to be deleted below whatever limit it had.
                let _ = writeln!(s, "add quota inet {TABLE} {cap} {{ over 1 bytes }}");
            }
            let _ = writeln!(s, "add element inet {TABLE} cap {{ {ip} : \"{cap}\" }}");
            let _ = writeln!(s, "delete element inet {TABLE} cap {{ {ip} }}");
            if r.last_of_account {
                let _ = writeln!(s, "delete quota inet {TABLE} {cap}");
            }
        }
    }
    for a in authorise {
        let (ip, mac) = (a.device.ip, a.device.mac);
        if let Some(q) = &a.quota {
            let _ = writeln!(s, "add {}", quota_declaration(q).replacen("quota ", &format!("quota inet {TABLE} "), 1));
        }
        remove_device(&mut s, ip, mac);
        if a.reset_counters {
            for set in ["up_bytes", "dn_bytes"] {
                remove_element(&mut s, set, &ip.to_string());
            }
        }
    }
    for a in authorise {
        let timeout = a.timeout_secs.max(1);
        let ip = a.device.ip;
        let _ = writeln!(s, "add element inet {TABLE} clients {{ {} }}", client_element(a));
        let _ = writeln!(s, "add element inet {TABLE} clients_ip {{ {ip} timeout {timeout}s }}");
        let _ = writeln!(s, "add element inet {TABLE} up_bytes {{ {} }}", counter_element(ip, a.counted.up));
        let _ = writeln!(s, "add element inet {TABLE} dn_bytes {{ {} }}", counter_element(ip, a.counted.down));
        if let Some(q) = &a.quota {
            let _ = writeln!(s, "add element inet {TABLE} cap {{ {ip} : \"{}\" }}", quota_name(q.account_id));
        }
    }
    s
}

/// Takes a device out of the access sets.
fn remove_device(s: &mut String, ip: Ipv4Addr, mac: MacAddr) {
    remove_element(s, "clients", &format!("{ip} . {mac}"));
    remove_element(s, "clients_ip", &ip.to_string());
}

fn remove_element(s: &mut String, set: &str, key: &str) {
    let _ = writeln!(s, "add element inet {TABLE} {set} {{ {key} }}");
    let _ = writeln!(s, "delete element inet {TABLE} {set} {{ {key} }}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::{Device, Quota, Rate, Traffic};

    fn device(n: u8) -> Device {
        Device { ip: [10, 0, 0, n].into(), mac: MacAddr([2, 0, 0, 0, 0, n]) }
    }

    fn authorised(n: u8, timeout_secs: u64) -> Authorised {
        Authorised {
            device: device(n),
            timeout_secs,
            session_id: 100 + n as i64,
            counted: Traffic { up: 5, down: 7 },
            reset_counters: true,
            quota: Some(Quota { account_id: 9, limit_bytes: 1_000_000, used_bytes: 12 }),
            rate: Rate::default(),
        }
    }

    fn policy() -> Policy {
        Policy { interface: "br-lan".into(), portal_port: 2050, walled_garden: vec!["198.51.100.7/32".parse().unwrap()], admin_port: None }
    }

    #[test]
    fn table_holds_clients_with_their_remaining_time_counters_and_quota() {
        let s = table_script(&policy(), &[authorised(2, 3600), authorised(3, 3600)]).unwrap();
        assert!(s.starts_with("add table inet hotspotd\ndelete table inet hotspotd\n"));
        assert!(s.contains("elements = { 10.0.0.2 . 02:00:00:00:00:02 timeout 3600s, 10.0.0.3"), "{s}");
        assert!(s.contains("elements = { 10.0.0.2 timeout 3600s, 10.0.0.3 timeout 3600s }"), "{s}");
        assert!(s.contains("elements = { 198.51.100.7/32 }"), "{s}");
        assert!(s.contains("iifname \"br-lan\" tcp dport 80 redirect to :2050"), "{s}");
        assert!(s.contains("tcp dport 443 reject with tcp reset"), "{s}");
        // DNS to the router: limited per MAC for devices that are not authorised.
        let dns = &s[s.find("chain dns_from_clients").unwrap()..];
        let (exempt, limit) = (dns.find("ip saddr . ether saddr @clients return").unwrap(), dns.find("update @dns_limit").unwrap());
        assert!(exempt < limit, "{dns}");
        assert!(dns.contains("{ ether saddr limit rate over 5/second burst 50 packets } counter drop"), "{dns}");
        assert!(s.contains("iifname \"br-lan\" meta l4proto { tcp, udp } th dport 53 jump dns_from_clients"), "{s}");
        assert!(s.contains("set dns_limit {\n\t\ttype ether_addr\n\t\tsize 4096\n\t\tflags dynamic,timeout\n\t\ttimeout 1m\n\t}"), "{s}");
        // Counters resume from the session's totals; one quota for the two devices of account 9.
        assert!(s.contains("elements = { 10.0.0.2 counter packets 0 bytes 5, 10.0.0.3 counter packets 0 bytes 5 }"), "{s}");
        assert!(s.contains("elements = { 10.0.0.2 counter packets 0 bytes 7, 10.0.0.3 counter packets 0 bytes 7 }"), "{s}");
        assert_eq!(s.matches("quota cap_9 { over 1000000 bytes used 12 bytes }").count(), 1, "{s}");
        assert!(s.contains("elements = { 10.0.0.2 : \"cap_9\", 10.0.0.3 : \"cap_9\" }"), "{s}");
        // The cap is checked before counting, and the walled garden is neither.
        let sends = &s[s.find("chain client_sends").unwrap()..];
        let (garden, quota, count) = (sends.find("@walled_garden").unwrap(), sends.find("@cap").unwrap(), sends.find("@up_bytes").unwrap());
        assert!(garden < quota && quota < count, "{sends}");
    }

    #[test]
    fn an_account_without_a_cap_has_no_quota() {
        let a = Authorised { quota: None, ..authorised(2, 60) };
        let s = table_script(&policy(), &[a]).unwrap();
        assert!(!s.contains("quota cap_") && !s.contains(": \"cap_"), "{s}");
        let s = update_script(&[a], &[Revoked { device: device(4), session_id: 7, account_id: 4, capped: false, last_of_account: true }]);
        assert!(!s.contains("quota") && !s.contains("cap {"), "{s}");
    }

    #[test]
    fn the_web_admin_port_is_dropped_from_the_hotspot_side_only() {
        let s = table_script(&Policy { admin_port: Some(2051), ..policy() }, &[]).unwrap();
        let input = &s[s.find("chain input {").unwrap()..s.find("chain dns_from_clients").unwrap()];
        assert!(input.contains("\t\tiifname \"br-lan\" tcp dport 2051 counter drop\n"), "{input}");
        let without = table_script(&policy(), &[]).unwrap();
        assert!(!without.contains("tcp dport 2051"), "{without}");
    }

    #[test]
    fn empty_sets_have_no_elements_line() {
        let s = table_script(&Policy { walled_garden: vec![], ..policy() }, &[]).unwrap();
        assert!(!s.contains("elements"), "{s}");
    }

    #[test]
    fn interface_names_cannot_inject_rules() {
        for bad in ["br-lan\" accept", "", "a b", "averyveryverylongname"] {
            let err = table_script(&Policy { interface: bad.into(), ..policy() }, &[]).unwrap_err();
            assert!(matches!(err, FirewallError::BadInterface(_)), "{bad}");
        }
    }

    #[test]
    fn update_revokes_before_it_authorises() {
        let revoke = Revoked { device: device(2), session_id: 7, account_id: 4, capped: true, last_of_account: true };
        let s = update_script(&[authorised(3, 0)], &[revoke]);
        let out = s.find("delete element inet hotspotd clients { 10.0.0.2 . 02:00:00:00:00:02 }").unwrap();
        let counted = s.find("delete element inet hotspotd dn_bytes { 10.0.0.2 }").unwrap();
        let unmapped = s.find("delete element inet hotspotd cap { 10.0.0.2 }").unwrap();
        let dropped = s.find("delete quota inet hotspotd cap_4").unwrap();
        let grant = s.find("add element inet hotspotd clients { 10.0.0.3 . 02:00:00:00:00:03 timeout 1s }").unwrap();
        assert!(out < grant && counted < grant && unmapped < dropped && dropped < grant, "{s}");
        // A new session's counters are set to what it has counted, even if some were left.
        let reset = s.find("delete element inet hotspotd up_bytes { 10.0.0.3 }").unwrap();
        assert!(reset < s.find("add element inet hotspotd up_bytes { 10.0.0.3 counter packets 0 bytes 5 }").unwrap(), "{s}");
        assert!(s.contains("add quota inet hotspotd cap_9 { over 1000000 bytes used 12 bytes }"), "{s}");
        assert!(s.ends_with("add element inet hotspotd cap { 10.0.0.3 : \"cap_9\" }\n"), "{s}");
    }

    #[test]
    fn a_refresh_keeps_the_counters_running() {
        let s = update_script(&[Authorised { reset_counters: false, ..authorised(3, 60) }], &[]);
        assert!(!s.contains("delete element inet hotspotd up_bytes"), "{s}");
        assert!(s.contains("add element inet hotspotd up_bytes { 10.0.0.3 counter packets 0 bytes 5 }"), "{s}");
    }

    #[test]
    fn a_device_that_is_not_the_last_leaves_its_accounts_quota() {
        let revoke = Revoked { device: device(2), session_id: 7, account_id: 4, capped: true, last_of_account: false };
        let s = update_script(&[], &[revoke]);
        assert!(!s.contains("quota inet hotspotd cap_4"), "{s}");
        assert!(s.contains("delete element inet hotspotd cap { 10.0.0.2 }"), "{s}");
    }
}

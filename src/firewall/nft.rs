//! The nftables backend: our own table `inet hotspotd`, driven through `nft -f -` with one
//! atomic batch per change. firewall4 reloads rebuild only `inet fw4`, so ours survives them.
//!
//! The table (see README "How enforcement works"):
//! - set `clients` (`ipv4_addr . ether_addr`, timeout): authorised devices, matched on the
//!   packets they send; set `clients_ip` (same timeout): their addresses, matched on packets
//!   sent to them. Element timeouts are the remaining session time, so the kernel cuts a
//!   device on time even if the daemon is dead. Every forwarded packet is checked, so removal
//!   also cuts established connections.
//! - Unauthenticated devices: tcp/80 is redirected to the portal, tcp/443 gets a reset (the
//!   browser falls back to its plain-HTTP probe at once), anything else forwarded is dropped.
//!   DNS, DHCP and the portal are local services: we never drop input.
//! - set `walled_garden`: reachable before login.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

use super::{Authorised, Device, Firewall, FirewallError, Policy};

pub const TABLE: &str = "hotspotd";

pub struct NftFirewall {
    program: String,
}

impl NftFirewall {
    pub fn new() -> NftFirewall {
        NftFirewall { program: "nft".into() }
    }

    fn run(&self, args: &[&str], script: Option<&str>) -> Result<String, FirewallError> {
        let spawn_err = |source| FirewallError::Spawn { program: self.program.clone(), source };
        let mut child = Command::new(&self.program)
            .args(args)
            .stdin(if script.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(spawn_err)?;
        if let (Some(script), Some(mut stdin)) = (script, child.stdin.take()) {
            // nft reads the whole batch before applying it; a write error shows in its exit code.
            let _ = stdin.write_all(script.as_bytes());
        }
        let output = child.wait_with_output().map_err(spawn_err)?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(FirewallError::Rejected { stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned() })
        }
    }
}

impl Default for NftFirewall {
    fn default() -> Self {
        NftFirewall::new()
    }
}

impl Firewall for NftFirewall {
    fn install(&self, policy: &Policy, clients: &[Authorised]) -> Result<(), FirewallError> {
        let script = table_script(policy, clients)?;
        self.run(&["-f", "-"], Some(&script)).map(drop)
    }

    fn update(&self, authorise: &[Authorised], revoke: &[Device]) -> Result<(), FirewallError> {
        if authorise.is_empty() && revoke.is_empty() {
            return Ok(());
        }
        self.run(&["-f", "-"], Some(&update_script(authorise, revoke))).map(drop)
    }

    fn is_installed(&self) -> Result<bool, FirewallError> {
        let tables = self.run(&["list", "tables", "inet"], None)?;
        Ok(tables.lines().any(|l| l.trim() == format!("table inet {TABLE}")))
    }
}

/// Interface names go into the rules verbatim: allow only what Linux allows, no quotes.
fn check_interface(name: &str) -> Result<(), FirewallError> {
    let ok = !name.is_empty()
        && name.len() <= 15
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(FirewallError::BadInterface(name.to_owned()))
    }
}

fn client_element(a: &Authorised) -> String {
    format!("{} . {} timeout {}s", a.device.ip, a.device.mac, a.timeout_secs.max(1))
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
    let mut s = String::new();
    let _ = writeln!(s, "add table inet {TABLE}\ndelete table inet {TABLE}\ntable inet {TABLE} {{");

    s.push_str("\tset clients {\n\t\ttype ipv4_addr . ether_addr\n\t\tflags timeout\n");
    elements_line(&mut s, &clients.iter().map(client_element).collect::<Vec<_>>());
    s.push_str("\t}\n\tset clients_ip {\n\t\ttype ipv4_addr\n\t\tflags timeout\n");
    let ips: Vec<String> =
        clients.iter().map(|a| format!("{} timeout {}s", a.device.ip, a.timeout_secs.max(1))).collect();
    elements_line(&mut s, &ips);
    s.push_str("\t}\n\tset walled_garden {\n\t\ttype ipv4_addr\n\t\tflags interval\n");
    let garden: Vec<String> = policy.walled_garden.iter().map(|c| c.to_string()).collect();
    elements_line(&mut s, &garden);
    s.push_str("\t}\n");

    let _ = write!(
        s,
        "\tchain prerouting {{
\t\ttype nat hook prerouting priority dstnat - 5; policy accept;
\t\tiifname \"{iif}\" ip saddr . ether saddr @clients return
\t\tiifname \"{iif}\" ip daddr @walled_garden return
\t\tiifname \"{iif}\" tcp dport 80 redirect to :{port}
\t}}
\tchain forward {{
\t\ttype filter hook forward priority filter - 5; policy accept;
\t\tiifname \"{iif}\" jump from_clients
\t\toifname \"{iif}\" jump to_clients
\t}}
\tchain from_clients {{
\t\tip saddr . ether saddr @clients accept
\t\tip daddr @walled_garden accept
\t\ttcp dport 443 reject with tcp reset
\t\tudp dport 443 reject
\t\tcounter drop
\t}}
\tchain to_clients {{
\t\tip daddr @clients_ip accept
\t\tip saddr @walled_garden accept
\t\tcounter drop
\t}}
}}
"
    );
    Ok(s)
}

/// Removes `revoke` then adds `authorise`, in one batch. `add` before `delete` makes a
/// delete of a missing element (already timed out) harmless; delete before the final add
/// resets the timeout of an element that is already there.
pub fn update_script(authorise: &[Authorised], revoke: &[Device]) -> String {
    let mut s = String::new();
    let mut remove = |ip: &dyn std::fmt::Display, mac: &dyn std::fmt::Display| {
        let _ = writeln!(s, "add element inet {TABLE} clients {{ {ip} . {mac} }}");
        let _ = writeln!(s, "delete element inet {TABLE} clients {{ {ip} . {mac} }}");
        let _ = writeln!(s, "add element inet {TABLE} clients_ip {{ {ip} }}");
        let _ = writeln!(s, "delete element inet {TABLE} clients_ip {{ {ip} }}");
    };
    for d in revoke {
        remove(&d.ip, &d.mac);
    }
    for a in authorise {
        remove(&a.device.ip, &a.device.mac);
    }
    for a in authorise {
        let timeout = a.timeout_secs.max(1);
        let _ = writeln!(s, "add element inet {TABLE} clients {{ {} }}", client_element(a));
        let _ = writeln!(s, "add element inet {TABLE} clients_ip {{ {} timeout {timeout}s }}", a.device.ip);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netaddr::MacAddr;

    fn device(n: u8) -> Device {
        Device { ip: [10, 0, 0, n].into(), mac: MacAddr([2, 0, 0, 0, 0, n]) }
    }

    fn policy() -> Policy {
        Policy { interface: "br-lan".into(), portal_port: 2050, walled_garden: vec!["198.51.100.7/32".parse().unwrap()] }
    }

    #[test]
    fn table_holds_clients_with_their_remaining_time() {
        let s = table_script(&policy(), &[Authorised { device: device(2), timeout_secs: 3600 }]).unwrap();
        assert!(s.starts_with("add table inet hotspotd\ndelete table inet hotspotd\n"));
        assert!(s.contains("elements = { 10.0.0.2 . 02:00:00:00:00:02 timeout 3600s }"), "{s}");
        assert!(s.contains("elements = { 10.0.0.2 timeout 3600s }"), "{s}");
        assert!(s.contains("elements = { 198.51.100.7/32 }"), "{s}");
        assert!(s.contains("iifname \"br-lan\" tcp dport 80 redirect to :2050"), "{s}");
        assert!(s.contains("tcp dport 443 reject with tcp reset"), "{s}");
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
        let s = update_script(&[Authorised { device: device(3), timeout_secs: 0 }], &[device(2)]);
        let revoke = s.find("delete element inet hotspotd clients { 10.0.0.2 . 02:00:00:00:00:02 }").unwrap();
        let grant = s.find("add element inet hotspotd clients { 10.0.0.3 . 02:00:00:00:00:03 timeout 1s }").unwrap();
        assert!(revoke < grant, "{s}");
        assert!(s.ends_with("add element inet hotspotd clients_ip { 10.0.0.3 timeout 1s }\n"), "{s}");
    }
}

//! Speed limits: per-device ceilings with tc HTB shaping, the only code that writes tc syntax.
//! Chosen by measurement (scripts/bench-speed.sh): nft policing held the rate too, but only by
//! making TCP retransmit 15-95 % of what it sent; HTB holds it within a few percent with TCP
//! healthy.
//!
//! - Download: an HTB root on the client interface's egress. Upload: everything IPv4 arriving
//!   on the interface is redirected (ingress, mirred) to the ifb device `ifb-hotspotd`, which
//!   has its own HTB root. A device gets one class per limited direction: rate = ceil = the
//!   package rate, with a fq_codel leaf where the kernel has it (OpenWrt does) or else a short
//!   byte FIFO (100 ms of the rate, at least one GSO-sized packet).
//! - Classes are picked by u32 filters in a 256-bucket hash table keyed on the last octet of
//!   the device's address (destination for download, source for upload), so finding a
//!   device's class costs the same with ten devices or five thousand.
//! - Handles are a pure function of the address (u32 `filter replace` keeps a filter's old
//!   match, so a handle must always mean the same address): class `1:<a>`, leaf `<8000|a>:`,
//!   filter `100:<last octet>:<third octet mod 128 + 1>`, where `a` is the address's low 15
//!   bits. Client networks up to a /17 never collide.
//! - Small TCP packets (IP length < 128: ACKs) of every device share a prio-0 class of 5
//!   Mbit/s, so a device uploading at its ceiling does not hold back the ACKs of its own
//!   download (without it, measured: 0.6 of the download rate).
//! - Anything unclassified (devices without a limit, traffic to the router) is not shaped.
//!
//! Nothing here is set up until a device with a limit is authorised: a hotspot without speed
//! limits needs no tc at all.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::sync::Mutex;

use super::command::{self, Failure};
use super::{Authorised, FirewallError};

/// The upload side: ingress of the client interface, shaped on its way out of this device.
pub const IFB: &str = "ifb-hotspotd";
/// The class shared by small TCP packets (ACKs).
const ACK_CLASS: u16 = 0x8000;
const ACK_KBIT: u32 = 5000;
/// Queue of a FIFO leaf: this much of the rate, and at least one forwarded GSO packet.
const FIFO_MS: u64 = 100;
const FIFO_MIN_BYTES: u64 = 24_224;

/// The leaf queue each device class gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaf {
    FqCodel,
    Fifo,
}

/// One direction of shaping: where, and which address field names the device.
#[derive(Debug, Clone, Copy)]
struct Side<'a> {
    device: &'a str,
    /// `dst` (download) or `src` (upload).
    field: &'static str,
    /// Offset of that field in the IPv4 header.
    offset: u8,
}

fn sides(interface: &str) -> [Side<'_>; 2] {
    [Side { device: interface, field: "dst", offset: 16 }, Side { device: IFB, field: "src", offset: 12 }]
}

/// The per-device handles (see the module comment).
fn class_minor(ip: Ipv4Addr) -> u16 {
    (u32::from(ip) & 0x7fff) as u16
}

fn filter_handle(ip: Ipv4Addr) -> String {
    let o = ip.octets();
    format!("100:{:x}:{:x}", o[3], (o[2] & 0x7f) as u16 + 1)
}

fn leaf_spec(kbit: u32, leaf: Leaf) -> String {
    match leaf {
        Leaf::FqCodel => {
            // codel's 5 ms target is less than one full frame below ~2.4 Mbit/s: allow 1.5.
            let target_us = (18_168_000 / kbit.max(1) as u64).max(5_000);
            format!("fq_codel limit 1000 flows 64 memory_limit 1048576 target {target_us}us interval {}us", 95_000 + target_us)
        }
        Leaf::Fifo => format!("bfifo limit {}", (kbit as u64 * FIFO_MS / 8).max(FIFO_MIN_BYTES)),
    }
}

fn class_line(s: &mut String, device: &str, minor: u16, prio: u8, kbit: u32) {
    let burst = (kbit as u64 * 10 / 8).max(3028); // 10 ms of the rate, at least two frames
    let _ = writeln!(
        s,
        "class replace dev {device} parent 1: classid 1:{minor:x} htb prio {prio} rate {kbit}kbit ceil {kbit}kbit burst {burst} cburst {burst} quantum 1514"
    );
}

/// The HTB roots, the ACK class and the hash table on both sides, from scratch (`tc -batch`).
/// The caller has created `IFB` and redirected the interface's ingress to it.
pub fn base_script(interface: &str, leaf: Leaf) -> String {
    let mut s = String::new();
    for side in sides(interface) {
        let dev = side.device;
        let _ = writeln!(s, "qdisc replace dev {dev} root handle 1: htb direct_qlen 1000");
        class_line(&mut s, dev, ACK_CLASS, 0, ACK_KBIT);
        let _ = writeln!(s, "qdisc replace dev {dev} parent 1:{ACK_CLASS:x} handle {ACK_CLASS:x}: {}", leaf_spec(ACK_KBIT, leaf));
        let _ = writeln!(
            s,
            "filter add dev {dev} parent 1: prio 1 protocol ip handle 800::10 u32 ht 800:: match ip protocol 6 0xff match u16 0 0xff80 at 2 flowid 1:{ACK_CLASS:x}"
        );
        let _ = writeln!(s, "filter add dev {dev} parent 1: prio 1 protocol ip handle 100: u32 divisor 256");
        let _ = writeln!(
            s,
            "filter add dev {dev} parent 1: prio 1 protocol ip handle 800::800 u32 ht 800:: match ip {} 0.0.0.0/0 hashkey mask 0x000000ff at {} link 100:",
            side.field, side.offset
        );
    }
    s
}

/// Adds or updates the classes of a device (idempotent). Nothing for a direction without a
/// limit.
pub fn client_script(interface: &str, a: &Authorised, leaf: Leaf) -> String {
    let mut s = String::new();
    let ip = a.device.ip;
    let minor = class_minor(ip);
    for (side, kbit) in sides(interface).into_iter().zip([a.rate.down_kbps, a.rate.up_kbps]) {
        let Some(kbit) = kbit else { continue };
        let dev = side.device;
        class_line(&mut s, dev, minor, 1, kbit);
        let _ = writeln!(s, "qdisc replace dev {dev} parent 1:{minor:x} handle {:x}: {}", 0x8000 | minor, leaf_spec(kbit, leaf));
        let handle = filter_handle(ip);
        let bucket = &handle[..handle.rfind(':').unwrap_or(handle.len())];
        let _ = writeln!(
            s,
            "filter replace dev {dev} parent 1: prio 1 protocol ip handle {handle} u32 ht {bucket}: match ip {} {ip}/32 flowid 1:{minor:x}",
            side.field
        );
    }
    s
}

/// Removes a device's filter and class on one side (run with `-force`: one it never had is
/// not an error).
fn remove_side(s: &mut String, side: Side<'_>, ip: Ipv4Addr) {
    let dev = side.device;
    let _ = writeln!(s, "filter del dev {dev} parent 1: prio 1 protocol ip handle {} u32", filter_handle(ip));
    let _ = writeln!(s, "class del dev {dev} classid 1:{:x}", class_minor(ip));
}

/// Removes what shaped `revoke` and the directions `authorise` no longer limits.
pub fn removal_script(interface: &str, authorise: &[Authorised], revoke: &[Ipv4Addr]) -> String {
    let mut s = String::new();
    for &ip in revoke {
        for side in sides(interface) {
            remove_side(&mut s, side, ip);
        }
    }
    for a in authorise {
        for (side, kbit) in sides(interface).into_iter().zip([a.rate.down_kbps, a.rate.up_kbps]) {
            if kbit.is_none() {
                remove_side(&mut s, side, a.device.ip);
            }
        }
    }
    s
}

/// Runs tc and ip for the nft backend. Remembers whether the base is in place (this process
/// set it up) and which leaf the kernel offers.
pub struct Shaper {
    interface: String,
    /// `Some` once the roots and the hash tables are installed.
    ready: Mutex<Option<Leaf>>,
}

impl Shaper {
    pub fn new(interface: &str) -> Shaper {
        Shaper { interface: interface.to_owned(), ready: Mutex::new(None) }
    }

    /// Shapes exactly `clients` (those with a limit), from a clean slate.
    pub fn install(&self, clients: &[Authorised]) -> Result<(), FirewallError> {
        let mut ready = self.ready.lock().unwrap_or_else(|e| e.into_inner());
        *ready = None;
        if !clients.iter().any(|a| a.rate.down_kbps.is_some() || a.rate.up_kbps.is_some()) {
            self.teardown();
            return Ok(());
        }
        let leaf = self.set_up_base()?;
        *ready = Some(leaf);
        let script: String = clients.iter().map(|a| client_script(&self.interface, a, leaf)).collect();
        run_tc(&script, false)
    }

    /// Removes `revoke`'s classes, then adds or updates `authorise`'s. Only a process that set
    /// the shaping up changes it (an operator command leaves it to the daemon).
    pub fn update(&self, authorise: &[Authorised], revoke: &[Ipv4Addr]) -> Result<(), FirewallError> {
        let mut ready = self.ready.lock().unwrap_or_else(|e| e.into_inner());
        if ready.is_some() {
            // Best effort: a class left behind is harmless, and replaced or removed when its
            // address is authorised again.
            let _ = run_tc(&removal_script(&self.interface, authorise, revoke), true);
        }
        let limited: Vec<&Authorised> =
            authorise.iter().filter(|a| a.rate.down_kbps.is_some() || a.rate.up_kbps.is_some()).collect();
        if limited.is_empty() {
            return Ok(());
        }
        let leaf = match *ready {
            Some(leaf) => leaf,
            None => {
                let leaf = self.set_up_base()?;
                *ready = Some(leaf);
                leaf
            }
        };
        let script: String = limited.iter().map(|a| client_script(&self.interface, a, leaf)).collect();
        run_tc(&script, false)
    }

    /// Creates the ifb, redirects the interface's ingress to it, installs both HTB roots,
    /// and finds out which leaf the kernel has.
    fn set_up_base(&self) -> Result<Leaf, FirewallError> {
        self.teardown();
        // Whether it exists is read from sysfs, not from the words of ip's refusal.
        if !std::path::Path::new("/sys/class/net").join(IFB).exists() {
            run_ip(&["link", "add", IFB, "type", "ifb"])?;
        }
        // mirred drops what it sends to an ifb that is down: up before the redirect.
        run_ip(&["link", "set", IFB, "up"])?;
        let dev = &self.interface;
        let ingress = format!(
            "qdisc add dev {dev} handle ffff: ingress\n\
             filter add dev {dev} parent ffff: prio 1 protocol ip u32 match u32 0 0 action mirred egress redirect dev {IFB}\n"
        );
        run_tc(&(base_script(dev, Leaf::Fifo) + &ingress), false)?;
        let probe = format!("qdisc replace dev {IFB} parent 1:{ACK_CLASS:x} handle {ACK_CLASS:x}: {}\n", leaf_spec(ACK_KBIT, Leaf::FqCodel));
        if run_tc(&probe, false).is_err() {
            log::info!("speed limits: this kernel has no fq_codel; device queues are short FIFOs");
            return Ok(Leaf::Fifo);
        }
        let other = format!("qdisc replace dev {dev} parent 1:{ACK_CLASS:x} handle {ACK_CLASS:x}: {}\n", leaf_spec(ACK_KBIT, Leaf::FqCodel));
        run_tc(&other, false)?;
        Ok(Leaf::FqCodel)
    }

    /// Removes every trace of shaping (roots, ingress redirect); errors ignored.
    fn teardown(&self) {
        let dev = &self.interface;
        let _ = run_tc(&format!("qdisc del dev {dev} root\nqdisc del dev {dev} ingress\nqdisc del dev {IFB} root\n"), true);
    }
}

/// How speed limits stand on `interface`, in words for `hotspotd status`.
pub fn describe(interface: &str) -> String {
    let text = match command::run("tc", &["class", "show", "dev", interface], None, command::LISTING) {
        Err(Failure::Run(FirewallError::Spawn { .. })) => {
            return "cannot be enforced: tc is not installed (opkg install tc-tiny kmod-sched-core kmod-ifb)".into()
        }
        Err(Failure::Run(e)) => return format!("cannot be checked: {}", crate::error_chain(&e)),
        Err(Failure::Refused(_)) => String::new(),
        Ok(text) => text,
    };
    let ack = format!("class htb 1:{ACK_CLASS:x} ");
    let classes = text.lines().filter(|l| l.starts_with("class htb 1:") && !l.starts_with(&ack)).count();
    if text.contains(&ack) {
        format!("HTB on {interface} and {IFB}: {classes} device classes for download")
    } else {
        "not in use (no device with a speed limit online since the daemon started)".into()
    }
}

/// Runs a shaping tool, killed after `limit`; a refusal is a `ShaperRejected`.
fn run(program: &str, args: &[&str], script: Option<&str>, limit: std::time::Duration) -> Result<(), FirewallError> {
    command::run(program, args, script, limit).map(drop).map_err(|failure| match failure {
        Failure::Run(e) => e,
        Failure::Refused(stderr) => FirewallError::ShaperRejected { stderr },
    })
}

/// `tc -batch -` (with `-force`: carry on past errors).
fn run_tc(script: &str, force: bool) -> Result<(), FirewallError> {
    if script.is_empty() {
        return Ok(());
    }
    let args: &[&str] = if force { &["-force", "-batch", "-"] } else { &["-batch", "-"] };
    run("tc", args, Some(script), command::SHAPING)
}

fn run_ip(args: &[&str]) -> Result<(), FirewallError> {
    run("ip", args, None, command::LINK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::{Device, Rate, Traffic};
    use crate::netaddr::MacAddr;

    fn limited(ip: [u8; 4], down: Option<u32>, up: Option<u32>) -> Authorised {
        Authorised {
            device: Device { ip: ip.into(), mac: MacAddr([2, 0, 0, 0, 0, 1]) },
            timeout_secs: 60,
            session_id: 1,
            counted: Traffic::default(),
            reset_counters: true,
            quota: None,
            rate: Rate { down_kbps: down, up_kbps: up },
        }
    }

    #[test]
    fn a_device_gets_a_class_leaf_and_filter_per_limited_direction() {
        let s = client_script("br-lan", &limited([10, 77, 0, 11], Some(1000), Some(512)), Leaf::Fifo);
        assert!(s.contains("class replace dev br-lan parent 1: classid 1:b htb prio 1 rate 1000kbit ceil 1000kbit burst 3028"), "{s}");
        assert!(s.contains("qdisc replace dev br-lan parent 1:b handle 800b: bfifo limit 24224"), "{s}");
        assert!(s.contains("filter replace dev br-lan parent 1: prio 1 protocol ip handle 100:b:1 u32 ht 100:b: match ip dst 10.77.0.11/32 flowid 1:b"), "{s}");
        assert!(s.contains("class replace dev ifb-hotspotd parent 1: classid 1:b htb prio 1 rate 512kbit"), "{s}");
        assert!(s.contains("match ip src 10.77.0.11/32 flowid 1:b"), "{s}");
        // Only the limited direction.
        let down_only = client_script("br-lan", &limited([10, 77, 0, 11], Some(1000), None), Leaf::Fifo);
        assert!(!down_only.contains("ifb-hotspotd"), "{down_only}");
        assert_eq!(client_script("br-lan", &limited([10, 77, 0, 11], None, None), Leaf::Fifo), "");
    }

    #[test]
    fn removal_takes_revoked_devices_and_directions_no_longer_limited() {
        let s = removal_script("br-lan", &[limited([10, 77, 0, 12], Some(1000), None)], &[Ipv4Addr::new(10, 77, 0, 11)]);
        assert!(s.contains("filter del dev br-lan parent 1: prio 1 protocol ip handle 100:b:1 u32"), "{s}");
        assert!(s.contains("class del dev ifb-hotspotd classid 1:b"), "{s}");
        assert!(s.contains("class del dev ifb-hotspotd classid 1:c") && !s.contains("class del dev br-lan classid 1:c"), "{s}");
    }

    #[test]
    fn handles_are_a_function_of_the_address_and_never_collide_in_a_slash_17() {
        let mut seen = std::collections::HashSet::new();
        for third in 0..128u8 {
            for last in 1..=254u8 {
                let ip = Ipv4Addr::new(10, 77, 128 + third, last);
                assert!(seen.insert((class_minor(ip), filter_handle(ip))), "{ip}");
                assert!(class_minor(ip) != 0 && class_minor(ip) < ACK_CLASS);
            }
        }
        assert_eq!(filter_handle(Ipv4Addr::new(192, 168, 3, 200)), "100:c8:4");
    }

    #[test]
    fn leaf_queues_follow_the_rate() {
        assert_eq!(leaf_spec(512, Leaf::Fifo), "bfifo limit 24224");
        assert_eq!(leaf_spec(10_000, Leaf::Fifo), "bfifo limit 125000");
        assert!(leaf_spec(512, Leaf::FqCodel).contains("target 35484us interval 130484us"));
        assert!(leaf_spec(50_000, Leaf::FqCodel).contains("target 5000us interval 100000us"));
    }

    #[test]
    fn the_base_shares_an_ack_class_and_hashes_on_the_last_octet() {
        let s = base_script("br-lan", Leaf::Fifo);
        assert!(s.contains("qdisc replace dev br-lan root handle 1: htb direct_qlen 1000"), "{s}");
        assert!(s.contains("handle 800::10 u32 ht 800:: match ip protocol 6 0xff match u16 0 0xff80 at 2 flowid 1:8000"), "{s}");
        assert!(s.contains("match ip dst 0.0.0.0/0 hashkey mask 0x000000ff at 16 link 100:"), "{s}");
        assert!(s.contains("match ip src 0.0.0.0/0 hashkey mask 0x000000ff at 12 link 100:"), "{s}");
    }
}

//! The contract of `table inet hotspotd` (README "How enforcement works") as
//! `nft -j list table inet hotspotd` shows it in the namespace lab, with a device online on
//! a capped, speed-limited package: exactly these sets, map, quota and chains, their types,
//! flags and hooks, the rules that redirect, jump, cap and count, and the device's elements.
//! (Split from tests/captive_loop.rs, which checks what the rules do to traffic.)
//!
//! Needs root, nft, iproute2, curl and python3; HOTSPOTD_SKIP_NETNS=1 skips it.

mod lab;

use lab::portal::*;
use lab::{Lab, LabOptions, GARDEN_IP};
use serde_json::{json, Value};

#[test]
fn nft_table_has_the_contract_sets() {
    // The whole contract of `table inet hotspotd` (README "How enforcement works") as
    // `nft -j list table inet hotspotd` shows it, with a device online on a capped,
    // speed-limited package, so that every set, map and quota holds something.
    let Some(lab) = Lab::with(LabOptions { clients: 1, ..LabOptions::default() }) else { return };
    let package = lab.package_add("5 MB", 3600, &["--data-mb", "5", "--down-kbps", "1000", "--up-kbps", "512"]);
    let code = lab.vouchers(&package, 1).remove(0);
    login_ok(&lab, 1, &code);
    let account: i64 = lab.db().query_row("SELECT id FROM hotspot_users WHERE username = ?1", [&code], |r| r.get(0)).unwrap();
    let (ip, mac) = (lab.client_ip(1), lab.client_mac(1));

    let doc: Value = serde_json::from_str(&lab.nft_json()).expect("nft -j output is JSON");
    let items = doc["nftables"].as_array().cloned().unwrap_or_default();
    let table = lab.nft_text();
    let object = |kind: &str, name: &str| {
        items
            .iter()
            .find_map(|item| item.get(kind).filter(|o| o["name"] == name).cloned())
            .unwrap_or_else(|| panic!("no {kind} {name} in table inet hotspotd:\n{table}"))
    };
    let named = |kind: &str| -> Vec<String> {
        let mut names: Vec<String> = items.iter().filter_map(|i| i.get(kind)?["name"].as_str().map(String::from)).collect();
        names.sort();
        names
    };
    // Exactly these sets, maps, quotas and chains: nothing missing, nothing left over.
    assert_eq!(named("set"), ["clients", "clients_ip", "dn_bytes", "dns_limit", "up_bytes", "walled_garden"], "{table}");
    assert_eq!(named("map"), ["cap"], "{table}");
    assert_eq!(named("quota"), [format!("cap_{account}")], "{table}");
    assert_eq!(
        named("chain"),
        ["client_receives", "client_sends", "dns_from_clients", "forward", "from_clients", "input", "prerouting", "to_clients"],
        "{table}"
    );

    // Sets and the map: type, flags, per-element counters.
    let clients = object("set", "clients");
    assert_eq!((&clients["type"], &clients["flags"]), (&json!(["ipv4_addr", "ether_addr"]), &json!(["timeout"])), "{clients}");
    let clients_ip = object("set", "clients_ip");
    assert_eq!((&clients_ip["type"], &clients_ip["flags"]), (&json!("ipv4_addr"), &json!(["timeout"])), "{clients_ip}");
    let garden = object("set", "walled_garden");
    assert_eq!((&garden["type"], &garden["flags"]), (&json!("ipv4_addr"), &json!(["interval"])), "{garden}");
    assert!(garden["elem"].to_string().contains(GARDEN_IP), "walled_garden should hold {GARDEN_IP}: {garden}");
    let counted = |name: &str| {
        let set = object("set", name);
        assert_eq!((&set["type"], &set["stmt"]), (&json!("ipv4_addr"), &json!([{ "counter": null }])), "{set}");
        set
    };
    let (up, down) = (counted("up_bytes"), counted("dn_bytes"));
    let dns = object("set", "dns_limit");
    // (nft 1.0.6 lists the `dynamic` flag only as the set's update rule, below.)
    assert_eq!((&dns["type"], &dns["timeout"], &dns["size"]), (&json!("ether_addr"), &json!(60), &json!(4096)), "{dns}");
    let cap = object("map", "cap");
    assert_eq!((&cap["type"], &cap["map"]), (&json!("ipv4_addr"), &json!("quota")), "{cap}");
    let quota = object("quota", &format!("cap_{account}"));
    assert_eq!((quota["bytes"].as_u64(), &quota["inv"]), (Some(5_000_000), &json!(true)), "the account's 5 MB cap, dropping over it: {quota}");

    // The logged-in device is in every one of them, with its remaining time and counters.
    let elements = |set: &Value| set["elem"].as_array().cloned().unwrap_or_default();
    let element = |set: &Value, val: &Value| elements(set).into_iter().find(|e| &e["elem"]["val"] == val);
    let pair = json!({ "concat": [ip, mac] });
    for (name, set, val) in [("clients", &clients, &pair), ("clients_ip", &clients_ip, &json!(ip))] {
        let e = element(set, val).unwrap_or_else(|| panic!("{name} lacks {val}: {set}"));
        let timeout = e["elem"]["timeout"].as_u64().unwrap_or(0);
        assert!((3500..=3600).contains(&timeout), "{name}: the element's timeout is the time left (~3600 s): {e}");
    }
    for (name, set) in [("up_bytes", &up), ("dn_bytes", &down)] {
        let e = element(set, &json!(ip)).unwrap_or_else(|| panic!("{name} lacks {ip}: {set}"));
        assert!(e["elem"]["counter"]["bytes"].is_u64(), "{name}: {ip} has no counter: {e}");
    }
    assert!(elements(&cap).contains(&json!([ip, format!("cap_{account}")])), "map cap lacks {ip} → cap_{account}: {cap}");

    // Chains: the two hooks, and the rules that make the contract.
    let chain = object("chain", "prerouting");
    assert_eq!((&chain["type"], &chain["hook"], &chain["prio"], &chain["policy"]), (&json!("nat"), &json!("prerouting"), &json!(-105), &json!("accept")), "{chain}");
    let chain = object("chain", "forward");
    assert_eq!((&chain["type"], &chain["hook"], &chain["prio"], &chain["policy"]), (&json!("filter"), &json!("forward"), &json!(-5), &json!("accept")), "{chain}");
    let chain = object("chain", "input");
    assert_eq!((&chain["type"], &chain["hook"], &chain["prio"], &chain["policy"]), (&json!("filter"), &json!("input"), &json!(-5), &json!("accept")), "{chain}");
    let rules = |chain: &str| -> Vec<String> {
        items.iter().filter_map(|i| i.get("rule")).filter(|r| r["chain"] == chain).map(|r| r["expr"].to_string()).collect()
    };
    let has_rule = |chain: &str, needles: &[&str]| {
        let rules = rules(chain);
        assert!(rules.iter().any(|r| needles.iter().all(|n| r.contains(n))), "no rule in {chain} with {needles:?}: {rules:#?}");
    };
    // (serde_json prints keys sorted: match on small pieces.)
    let from_lan = r#"{"meta":{"key":"iifname"}},"op":"==","right":"br-lan"}"#;
    let to_lan = r#"{"meta":{"key":"oifname"}},"op":"==","right":"br-lan"}"#;
    has_rule("prerouting", &[from_lan, r#""right":"@clients"}"#, r#"{"return":null}"#]);
    has_rule("prerouting", &[from_lan, r#""right":"@walled_garden"}"#, r#"{"return":null}"#]);
    has_rule("prerouting", &[from_lan, r#"{"field":"dport","protocol":"tcp"}},"op":"==","right":80}"#, r#"{"redirect":{"port":2050}}"#]);
    has_rule("forward", &[from_lan, r#"{"jump":{"target":"from_clients"}}"#]);
    has_rule("forward", &[to_lan, r#"{"jump":{"target":"to_clients"}}"#]);
    has_rule("from_clients", &[r#""right":"@clients"}"#, r#"{"goto":{"target":"client_sends"}}"#]);
    has_rule("from_clients", &[r#"{"field":"dport","protocol":"tcp"}},"op":"==","right":443}"#, r#"{"reject":{"type":"tcp reset"}}"#]);
    has_rule("from_clients", &[r#"[{"counter":"#, r#"{"drop":null}"#]);
    has_rule("client_sends", &[r#""data":"@cap""#, r#""field":"saddr""#, r#"{"drop":null}"#]);
    has_rule("client_sends", &[r#""right":"@up_bytes"}"#, r#"{"accept":null}"#]);
    has_rule("to_clients", &[r#""right":"@clients_ip"}"#, r#"{"goto":{"target":"client_receives"}}"#]);
    has_rule("to_clients", &[r#"[{"counter":"#, r#"{"drop":null}"#]);
    has_rule("client_receives", &[r#""data":"@cap""#, r#""field":"daddr""#, r#"{"drop":null}"#]);
    has_rule("client_receives", &[r#""right":"@dn_bytes"}"#, r#"{"accept":null}"#]);
    // DNS to the router from devices not logged in is limited per MAC; theirs is not.
    has_rule("input", &[from_lan, r#""right":53}"#, r#"{"jump":{"target":"dns_from_clients"}}"#]);
    has_rule("dns_from_clients", &[r#""right":"@clients"}"#, r#"{"return":null}"#]);
    has_rule("dns_from_clients", &[r#""set":"@dns_limit""#, r#"{"drop":null}"#]);
}

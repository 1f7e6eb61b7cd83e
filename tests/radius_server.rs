//! The RADIUS server as a NAS sees it: the real daemon binary on loopback, the real
//! `radclient` as the NAS (freeradius-utils), each NAS entry on its own 127.0.0.x address.
//! PAP and CHAP for an account, a voucher and MAC authentication; each vendor's reply
//! attributes; forged, unknown and malformed packets get no answer and are counted;
//! Start / Interim-Update / Stop show up in `hotspotd clients` and the account's data used,
//! a retransmission counts once; the device limit counts portal and NAS devices together;
//! Accounting-On closes the NAS's sessions; RFC 5080 duplicates get the same bytes.

mod device;
mod radius;

use hotspotd::radius::crypto;
use hotspotd::radius::dictionary as dict;
use hotspotd::radius::packet::{Code, Packet};
use radius::{answer, exchange, raw_socket, NasEntry, Radius};

const GENERIC: NasEntry = NasEntry::new("till-1", "127.0.0.21", "generic-secret-1", "generic");

fn accept_attrs_hold_the_limits(reply: &radius::Reply) {
    let timeout: u64 = reply.get("Session-Timeout").expect("Session-Timeout").parse().unwrap();
    assert!((3500..=3600).contains(&timeout), "{timeout}");
    assert_eq!(reply.get("Acct-Interim-Interval"), Some("120"), "{}", reply.output);
    assert!(reply.get("Class").is_some_and(|c| c.starts_with("0x")), "a Class binds accounting to the login: {}", reply.output);
    assert!(reply.get("Message-Authenticator").is_some(), "{}", reply.output);
}

#[test]
fn pap_and_chap_for_an_account_a_voucher_and_mac_authentication() {
    let r = Radius::start("radius-logins", &[GENERIC], "");
    r.account("amina", "sunny-day", &["--devices", "5"]);
    let pap = |user: &str, password: &str, mac: &str| {
        r.auth(&GENERIC, GENERIC.secret, &[&format!("User-Name = \"{user}\""), &format!("User-Password = \"{password}\""), &format!("Calling-Station-Id = \"{mac}\"")], true)
    };
    let chap = |user: &str, password: &str, mac: &str| {
        r.auth(&GENERIC, GENERIC.secret, &[&format!("User-Name = \"{user}\""), &format!("CHAP-Password = \"{password}\""), &format!("Calling-Station-Id = \"{mac}\"")], true)
    };

    // An account, by PAP then CHAP (the CHAP challenge is the Request Authenticator).
    let ok = pap("amina", "sunny-day", "AA:BB:CC:00:00:01");
    assert!(ok.is("Access-Accept"), "{}", ok.output);
    accept_attrs_hold_the_limits(&ok);
    let wrong = pap("amina", "rainy-day", "AA:BB:CC:00:00:01");
    assert!(wrong.is("Access-Reject"), "{}", wrong.output);
    assert_eq!(wrong.get("Reply-Message"), Some("Wrong username or password."), "the portal's words");
    let ok = chap("amina", "sunny-day", "AA-BB-CC-00-00-02");
    assert!(ok.is("Access-Accept"), "{}", ok.output);
    let wrong = chap("amina", "sunny-night", "AA-BB-CC-00-00-02");
    assert!(wrong.is("Access-Reject"), "{}", wrong.output);
    // CHAP with its own CHAP-Challenge attribute.
    let challenged = r.auth(
        &GENERIC,
        GENERIC.secret,
        &["User-Name = \"amina\"", "CHAP-Password = \"sunny-day\"", "CHAP-Challenge = 0x0102030405060708090a0b0c0d0e0f10", "Calling-Station-Id = \"aabbcc000002\""],
        true,
    );
    assert!(challenged.is("Access-Accept"), "{}", challenged.output);

    // A voucher: User-Name is the code, the password the code itself or nothing.
    let codes = r.vouchers(2, &["--devices", "3"]);
    let ok = pap(&codes[0], &codes[0], "AA:BB:CC:00:00:03");
    assert!(ok.is("Access-Accept"), "{}", ok.output);
    let no_password = r.auth(&GENERIC, GENERIC.secret, &[&format!("User-Name = \"{}\"", codes[1]), "Calling-Station-Id = \"AA:BB:CC:00:00:04\""], true);
    assert!(no_password.is("Access-Accept"), "{}", no_password.output);
    let chap_code = chap(&codes[1], &codes[1], "AA:BB:CC:00:00:05");
    assert!(chap_code.is("Access-Accept"), "{}", chap_code.output);
    let unknown = pap("ZZZZ9999", "ZZZZ9999", "AA:BB:CC:00:00:06");
    assert!(unknown.is("Access-Reject"), "{}", unknown.output);

    // MAC authentication: User-Name is the Calling-Station-Id of a device already entitled,
    // in another spelling than the one it logged in with.
    let by_mac = r.auth(
        &GENERIC,
        GENERIC.secret,
        &["User-Name = \"aa-bb-cc-00-00-03\"", "User-Password = \"\"", "Calling-Station-Id = \"aabb.cc00.0003\""],
        true,
    );
    assert!(by_mac.is("Access-Accept"), "{}", by_mac.output);
    let stranger = r.auth(&GENERIC, GENERIC.secret, &["User-Name = \"AA:BB:CC:00:00:99\"", "User-Password = \"\"", "Calling-Station-Id = \"AA:BB:CC:00:00:99\""], true);
    assert!(stranger.is("Access-Reject"), "{}", stranger.output);

    let clients = r.json(&["clients"]);
    let macs: Vec<&str> = clients.as_array().unwrap().iter().filter(|c| c["enforcer"] == "till-1").map(|c| c["mac"].as_str().unwrap()).collect();
    for mac in ["aa:bb:cc:00:00:01", "aa:bb:cc:00:00:02", "aa:bb:cc:00:00:03", "aa:bb:cc:00:00:04", "aa:bb:cc:00:00:05"] {
        assert!(macs.contains(&mac), "{mac} is online behind the NAS: {clients}");
    }
    let counters = r.counters();
    assert_eq!(counters["accepted"], 7, "{counters}");
    assert_eq!(counters["rejected"], 4, "{counters}");
}

#[test]
fn each_vendor_gets_the_limits_in_its_own_dialect() {
    let nases = [
        NasEntry::new("mikrotik-1", "127.0.0.31", "mikrotik-secret", "mikrotik"),
        NasEntry::new("chilli-1", "127.0.0.32", "chilli-secret", "chilli"),
        NasEntry::new("uspot-1", "127.0.0.33", "wispr-secret", "wispr"),
        NasEntry::new("other-1", "127.0.0.34", "generic-secret", "generic"),
    ];
    let r = Radius::start("radius-vendors", &nases, "");
    // 1000 MB, 2048 kbit/s down, 512 kbit/s up.
    let codes = r.vouchers(4, &["--data-mb", "1000", "--down-kbps", "2048", "--up-kbps", "512", "--devices", "4"]);
    let login = |i: usize| {
        let nas = &nases[i];
        let reply = r.auth(nas, nas.secret, &[&format!("User-Name = \"{}\"", codes[i]), &format!("User-Password = \"{}\"", codes[i]), &format!("Calling-Station-Id = \"02:00:00:00:01:0{i}\"")], true);
        assert!(reply.is("Access-Accept"), "{}: {}", nas.vendor, reply.output);
        accept_attrs_hold_the_limits(&reply);
        reply
    };
    let mikrotik = login(0);
    // rx/tx from the router's view: rx is the client's upload.
    assert_eq!(mikrotik.get("Mikrotik-Rate-Limit"), Some("512k/2048k"), "{}", mikrotik.output);
    assert_eq!(mikrotik.get("Mikrotik-Total-Limit"), Some("1000000000"), "{}", mikrotik.output);
    assert!(mikrotik.get("Mikrotik-Total-Limit-Gigawords").is_none_or(|g| g == "0"), "{}", mikrotik.output);
    let chilli = login(1);
    assert_eq!(chilli.get("ChilliSpot-Max-Total-Octets"), Some("1000000000"), "{}", chilli.output);
    assert_eq!(chilli.get("ChilliSpot-Bandwidth-Max-Up"), Some("512"), "kbit/s: {}", chilli.output);
    assert_eq!(chilli.get("ChilliSpot-Bandwidth-Max-Down"), Some("2048"), "{}", chilli.output);
    let wispr = login(2);
    assert_eq!(wispr.get("WISPr-Bandwidth-Max-Up"), Some("512000"), "bit/s: {}", wispr.output);
    assert_eq!(wispr.get("WISPr-Bandwidth-Max-Down"), Some("2048000"), "{}", wispr.output);
    let generic = login(3);
    assert!(generic.get("Mikrotik-Rate-Limit").is_none() && generic.get("WISPr-Bandwidth-Max-Up").is_none(), "{}", generic.output);
    // Proxy-State comes back, every one of them, in order.
    let proxied = r.auth(
        &nases[0],
        nases[0].secret,
        &[&format!("User-Name = \"{}\"", codes[0]), "User-Password = \"\"", "Calling-Station-Id = \"02:00:00:00:01:00\"", "Proxy-State = 0x6f6e65", "Proxy-State = 0x74776f"],
        true,
    );
    assert!(proxied.is("Access-Accept"), "{}", proxied.output);
    assert_eq!(proxied.all("Proxy-State"), ["0x6f6e65", "0x74776f"], "{}", proxied.output);
}

#[test]
fn forged_unknown_and_broken_packets_get_no_answer_and_are_counted() {
    let lenient = NasEntry { require_message_authenticator: false, ..NasEntry::new("old-nas", "127.0.0.42", "lenient-secret", "generic") };
    let r = Radius::start("radius-forged", &[GENERIC, lenient], "");
    let codes = r.vouchers(1, &["--devices", "5"]);
    let user = format!("User-Name = \"{}\"", codes[0]);
    let password = format!("User-Password = \"{}\"", codes[0]);
    let attrs = [user.as_str(), password.as_str(), "Calling-Station-Id = \"02:00:00:00:02:01\""];

    // BlastRADIUS: no Message-Authenticator from a NAS that must send one.
    assert!(r.auth_once(&GENERIC, GENERIC.secret, &attrs, false).code.is_none());
    // The wrong secret (its Message-Authenticator does not check).
    assert!(r.auth_once(&GENERIC, "not-the-secret", &attrs, true).code.is_none());
    // An address that is no NAS.
    let stranger = NasEntry::new("nobody", "127.0.0.99", "generic-secret-1", "generic");
    assert!(r.auth_once(&stranger, GENERIC.secret, &attrs, true).code.is_none());
    assert!(r.acct_once(&stranger, &["Acct-Status-Type = Start", "Acct-Session-Id = \"x\"", "User-Name = \"x\""]).code.is_none());
    // Accounting with the wrong secret.
    let wrong_secret = NasEntry { secret: "not-the-secret", ..NasEntry::new("till-1", GENERIC.address, "", "generic") };
    assert!(r.acct_once(&wrong_secret, &["Acct-Status-Type = Start", "Acct-Session-Id = \"x\"", "User-Name = \"x\""]).code.is_none());
    // A NAS allowed to send none is answered without one (but a wrong one still drops).
    assert!(r.auth(&lenient, lenient.secret, &attrs, false).is("Access-Accept"));

    // A Message-Authenticator with one bit flipped, with the right secret.
    let socket = raw_socket(&GENERIC, r.auth_addr());
    let mut request = Packet::new(Code::AccessRequest, 7, crypto::random_authenticator());
    request.push(dict::USER_NAME, codes[0].as_bytes().to_vec());
    request.push(dict::USER_PASSWORD, crypto::hide_password(codes[0].as_bytes(), GENERIC.secret.as_bytes(), &request.authenticator));
    let good = crypto::encode_request(&request, GENERIC.secret.as_bytes());
    let mut bad = good.clone();
    let at = good.len() - 16; // encode_request appends the Message-Authenticator last
    assert_eq!(&good[at - 2..at], &[dict::MESSAGE_AUTHENTICATOR, 18]);
    bad[at] ^= 1;
    assert!(exchange(&socket, &bad).is_none(), "a bad Message-Authenticator is dropped");
    // Garbage: too short, a Length past the datagram, an attribute running off the end, a
    // code the port does not serve.
    let mut overlong = good.clone();
    overlong[3] = overlong[3].wrapping_add(40);
    let mut broken_attr = good.clone();
    broken_attr[21] = 250;
    let mut wrong_code = good.clone();
    wrong_code[0] = 4;
    for junk in [&b"\x01\x02\x00"[..], &overlong, &broken_attr, &wrong_code, &[0u8; 4096][..]] {
        assert!(exchange(&socket, junk).is_none());
    }
    // The real one still works, and the daemon is fine.
    let reply = answer(&socket, &good);
    assert_eq!(reply[0], Code::AccessAccept as u8);
    assert!(crypto::reply_valid(&reply, &request.authenticator, GENERIC.secret.as_bytes()));

    let c = r.counters();
    assert_eq!(c["dropped_message_authenticator"], 3, "{c}");
    assert_eq!(c["dropped_unknown_nas"], 2, "{c}");
    assert_eq!(c["dropped_bad_authenticator"], 1, "{c}");
    assert_eq!(c["dropped_malformed"], 5, "{c}");
    assert_eq!(c["accepted"], 2, "{c}");
    let status = r.daemon.cli(&["status"]);
    assert!(status.contains("radius:") && status.contains("2 unknown NAS address"), "{status}");
}

/// The Class of an Access-Accept, as radclient prints it (`0x…`).
fn class_of(reply: &radius::Reply) -> String {
    reply.get("Class").unwrap_or_else(|| panic!("no Class: {}", reply.output)).to_owned()
}

#[test]
fn accounting_start_interim_stop_is_the_session_and_its_usage() {
    let r = Radius::start("radius-accounting", &[GENERIC], "");
    // 5 GB so the counters can pass 4 GiB (gigawords).
    r.account("juma", "pass-word-1", &["--data-mb", "6000", "--devices", "2"]);
    let accept = r.auth(&GENERIC, GENERIC.secret, &["User-Name = \"juma\"", "User-Password = \"pass-word-1\"", "Calling-Station-Id = \"02-00-00-00-03-01\"", "Framed-IP-Address = 10.5.50.7"], true);
    assert!(accept.is("Access-Accept"), "{}", accept.output);
    let class = class_of(&accept);
    let common = |status: &str| {
        vec![
            format!("Acct-Status-Type = {status}"),
            "Acct-Session-Id = \"81a00001\"".to_string(),
            "User-Name = \"juma\"".to_string(),
            format!("Class = {class}"),
            "Calling-Station-Id = \"02-00-00-00-03-01\"".to_string(),
            "Framed-IP-Address = 10.5.50.7".to_string(),
        ]
    };
    let send = |lines: Vec<String>| {
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let reply = r.acct(&GENERIC, &refs);
        assert!(reply.is("Accounting-Response"), "{}", reply.output);
    };
    send(common("Start"));
    let online = r.json(&["clients"]);
    let row = online.as_array().unwrap().iter().find(|c| c["mac"] == "02:00:00:00:03:01").unwrap_or_else(|| panic!("{online}")).clone();
    assert_eq!(row["enforcer"], "till-1");
    assert_eq!(row["ip"], "10.5.50.7");

    // 1 GiB + 1000 up (gigawords), 2000 down.
    let mut interim = common("Interim-Update");
    interim.extend(["Acct-Input-Octets = 1000".into(), "Acct-Input-Gigawords = 1".into(), "Acct-Output-Octets = 2000".into(), "Acct-Session-Time = 60".into()]);
    send(interim);
    let up = 4_294_967_296i64 + 1000;
    let online = r.json(&["clients"]);
    let row = online.as_array().unwrap().iter().find(|c| c["mac"] == "02:00:00:00:03:01").unwrap().clone();
    assert_eq!((row["bytes_up"].as_i64(), row["bytes_down"].as_i64()), (Some(up), Some(2000)), "{row}");
    assert_eq!(row["data_left_bytes"].as_i64(), Some(6_000_000_000 - up - 2000), "{row}");

    // The same Interim-Update sent again byte for byte (a retransmission) changes nothing,
    // nor does an older one arriving late (counters only ever rise).
    let socket = raw_socket(&GENERIC, r.acct_addr());
    let mut packet = Packet::new(Code::AccountingRequest, 99, [0; 16]);
    packet.push_u32(dict::ACCT_STATUS_TYPE, dict::ACCT_STATUS_INTERIM_UPDATE);
    packet.push(dict::ACCT_SESSION_ID, b"81a00001".to_vec());
    packet.push(dict::USER_NAME, b"juma".to_vec());
    packet.push(dict::CALLING_STATION_ID, b"02-00-00-00-03-01".to_vec());
    packet.push_u32(dict::ACCT_INPUT_OCTETS, 5000);
    packet.push_u32(dict::ACCT_INPUT_GIGAWORDS, 1);
    packet.push_u32(dict::ACCT_OUTPUT_OCTETS, 7000);
    let bytes = crypto::encode_request(&packet, GENERIC.secret.as_bytes());
    let first = answer(&socket, &bytes);
    let again = answer(&socket, &bytes);
    assert_eq!(first, again, "RFC 5080: the cached answer");
    let online = r.json(&["clients"]);
    let row = online.as_array().unwrap().iter().find(|c| c["mac"] == "02:00:00:00:03:01").unwrap().clone();
    assert_eq!((row["bytes_up"].as_i64(), row["bytes_down"].as_i64()), (Some(4_294_967_296 + 5000), Some(7000)), "replaced, not added: {row}");
    assert_eq!(r.counters()["duplicates"], 1);

    let mut stop = common("Stop");
    stop.extend([
        "Acct-Input-Octets = 6000".into(),
        "Acct-Input-Gigawords = 1".into(),
        "Acct-Output-Octets = 9000".into(),
        "Acct-Session-Time = 120".into(),
        "Acct-Terminate-Cause = User-Request".into(),
    ]);
    send(stop.clone());
    send(stop); // a second Stop (new identifier) ends nothing twice
    let online = r.json(&["clients"]);
    assert!(online.as_array().unwrap().iter().all(|c| c["mac"] != "02:00:00:00:03:01"), "{online}");
    let used = r.count("SELECT data_used_bytes FROM hotspot_users WHERE username = 'juma'");
    assert_eq!(used, 4_294_967_296 + 6000 + 9000, "the account's data used counts the session once");
    assert_eq!(r.count("SELECT count(*) FROM session_disconnections"), 1, "one audit row for the one end");
    assert_eq!(r.counters()["accounting_recorded"], 5);
}

#[test]
fn the_device_limit_counts_portal_devices_and_nas_sessions_together() {
    let r = Radius::start("radius-devices", &[GENERIC], "");
    let codes = r.vouchers(1, &["--devices", "1"]);
    // A phone logs in at the portal (device 5 of the harness).
    let portal = r.daemon.try_code(5, 1, &codes[0]);
    assert_eq!(portal.status, 200, "{portal:?}");
    // Another device behind the NAS with the same voucher: the one slot is taken.
    let refused = r.auth(&GENERIC, GENERIC.secret, &[&format!("User-Name = \"{}\"", codes[0]), "User-Password = \"\"", "Calling-Station-Id = \"02:00:00:00:04:01\""], true);
    assert!(refused.is("Access-Reject"), "{}", refused.output);
    let message = refused.get("Reply-Message").unwrap_or_default();
    assert!(message.starts_with("Device limit reached: this package allows 1 device"), "{message}");
    // The portal device itself, behind the NAS (one device whatever its NAS writes), fits.
    let same = device::mac(5).to_uppercase().replace(':', "-");
    let moved = r.auth(&GENERIC, GENERIC.secret, &[&format!("User-Name = \"{}\"", codes[0]), "User-Password = \"\"", &format!("Calling-Station-Id = \"{same}\"")], true);
    assert!(moved.is("Access-Accept"), "{}", moved.output);
    // And now a portal login of another device is refused in turn.
    let second = r.daemon.try_code(6, 1, &codes[0]);
    assert_ne!(second.status, 200, "{second:?}");
}

#[test]
fn accounting_on_closes_that_nas_s_sessions_only() {
    let other = NasEntry::new("till-2", "127.0.0.22", "generic-secret-2", "generic");
    let r = Radius::start("radius-acct-on", &[GENERIC, other], "");
    let codes = r.vouchers(3, &["--devices", "2"]);
    for (i, (nas, mac)) in [(&GENERIC, "02:00:00:00:05:01"), (&GENERIC, "02:00:00:00:05:02"), (&other, "02:00:00:00:05:03")].into_iter().enumerate() {
        let accept = r.auth(nas, nas.secret, &[&format!("User-Name = \"{}\"", codes[i]), "User-Password = \"\"", &format!("Calling-Station-Id = \"{mac}\"")], true);
        assert!(accept.is("Access-Accept"), "{}", accept.output);
        let start = r.acct(nas, &["Acct-Status-Type = Start", &format!("Acct-Session-Id = \"s{i}\""), &format!("User-Name = \"{}\"", codes[i]), &format!("Class = {}", class_of(&accept)), &format!("Calling-Station-Id = \"{mac}\"")]);
        assert!(start.is("Accounting-Response"), "{}", start.output);
    }
    let online = |nas: &str| r.json(&["clients"]).as_array().unwrap().iter().filter(|c| c["enforcer"] == nas).count();
    assert_eq!((online("till-1"), online("till-2")), (2, 1));
    // till-1 rebooted.
    let on = r.acct(&GENERIC, &["Acct-Status-Type = Accounting-On", "NAS-Identifier = \"till-1\""]);
    assert!(on.is("Accounting-Response"), "{}", on.output);
    assert_eq!((online("till-1"), online("till-2")), (0, 1));
}

#[test]
fn the_same_request_twice_gets_the_same_reply_not_a_new_decision() {
    let r = Radius::start("radius-dedupe", &[GENERIC], "");
    let codes = r.vouchers(1, &["--devices", "2", "--duration", "2"]);
    let socket = raw_socket(&GENERIC, r.auth_addr());
    let mut request = Packet::new(Code::AccessRequest, 42, crypto::random_authenticator());
    request.push(dict::USER_NAME, codes[0].as_bytes().to_vec());
    request.push(dict::USER_PASSWORD, crypto::hide_password(codes[0].as_bytes(), GENERIC.secret.as_bytes(), &request.authenticator));
    request.push(dict::CALLING_STATION_ID, b"02:00:00:00:06:01".to_vec());
    let bytes = crypto::encode_request(&request, GENERIC.secret.as_bytes());
    let first = answer(&socket, &bytes);
    assert_eq!(first[0], Code::AccessAccept as u8);
    // The 2-second package runs out: a new decision would be a reject, the retransmission
    // is not.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let again = answer(&socket, &bytes);
    assert_eq!(first, again);
    // A new request (new authenticator) is decided anew.
    let mut fresh = Packet::new(Code::AccessRequest, 42, crypto::random_authenticator());
    fresh.push(dict::USER_NAME, codes[0].as_bytes().to_vec());
    fresh.push(dict::USER_PASSWORD, crypto::hide_password(codes[0].as_bytes(), GENERIC.secret.as_bytes(), &fresh.authenticator));
    fresh.push(dict::CALLING_STATION_ID, b"02:00:00:00:06:02".to_vec());
    let decided = answer(&socket, &crypto::encode_request(&fresh, GENERIC.secret.as_bytes()));
    assert_eq!(decided[0], Code::AccessReject as u8);
    let c = r.counters();
    assert_eq!((c["accepted"].as_u64(), c["rejected"].as_u64(), c["duplicates"].as_u64()), (Some(1), Some(1), Some(1)), "{c}");
}

#[test]
fn a_flooding_nas_does_not_starve_the_others() {
    let flood = NasEntry::new("flood", "127.0.0.61", "flood-secret-1", "generic");
    let mut r = Radius::start("radius-flood", &[GENERIC, flood], "");
    let codes = r.vouchers(5, &["--devices", "5"]);
    let (auth, acct) = (r.auth_addr(), r.acct_addr());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // The flood: Access-Requests for codes that do not exist (each one a decision and an
    // auth_log row) and Interim-Updates, all valid, no answer ever read — some 15,000
    // packets a second, several times what the daemon can decide and record (a debug build
    // on 2 cores), so the flooder's queue overflows. Unpaced, one loopback socket sends ten
    // times more than any reader drains and the kernel drops half of every NAS's packets
    // at the shared socket before the daemon sees them: no server design can be fair there,
    // and the test measured the machine instead of the daemon.
    let flooder = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let auth_socket = raw_socket(&flood, auth);
            let acct_socket = raw_socket(&flood, acct);
            let mut sent = 0u64;
            let mut n = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n = n.wrapping_add(1);
                let mut request = Packet::new(Code::AccessRequest, n as u8, crypto::random_authenticator());
                request.push(dict::USER_NAME, format!("NOPE{n:04}").into_bytes());
                request.push(dict::USER_PASSWORD, crypto::hide_password(b"x", flood.secret.as_bytes(), &request.authenticator));
                let _ = auth_socket.send(&crypto::encode_request(&request, flood.secret.as_bytes()));
                let mut interim = Packet::new(Code::AccountingRequest, n as u8, [0; 16]);
                interim.push_u32(dict::ACCT_STATUS_TYPE, dict::ACCT_STATUS_INTERIM_UPDATE);
                interim.push(dict::ACCT_SESSION_ID, format!("flood-{n}").into_bytes());
                interim.push_u32(dict::ACCT_INPUT_OCTETS, n);
                let _ = acct_socket.send(&crypto::encode_request(&interim, flood.secret.as_bytes()));
                sent += 2;
                if n % 50 == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(3));
                }
            }
            sent
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // Meanwhile the other NAS's devices log in and start, each answered (a NAS retransmits).
    let started = std::time::Instant::now();
    for (i, code) in codes.iter().enumerate() {
        let mac = format!("02:00:00:00:08:0{i}");
        let accept = r.auth(&GENERIC, GENERIC.secret, &[&format!("User-Name = \"{code}\""), "User-Password = \"\"", &format!("Calling-Station-Id = \"{mac}\"")], true);
        assert!(accept.is("Access-Accept"), "{}", accept.output);
        let start = r.acct(&GENERIC, &["Acct-Status-Type = Start", &format!("Acct-Session-Id = \"calm-{i}\""), &format!("User-Name = \"{code}\""), &format!("Class = {}", class_of(&accept)), &format!("Calling-Station-Id = \"{mac}\"")]);
        assert!(start.is("Accounting-Response"), "{}", start.output);
    }
    let calm_took = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let sent = flooder.join().unwrap();
    let c = r.counters();
    eprintln!("flood: {sent} packets sent; the calm NAS's 10 exchanges took {calm_took:?}; counters {c}");
    assert!(r.daemon.is_running(), "the daemon survived the flood");
    assert!(c["dropped_queue_full"].as_u64().unwrap() > 0, "the flood overflowed its NAS's queue: {c}");
    let online = r.json(&["clients"]);
    assert_eq!(online.as_array().unwrap().iter().filter(|c| c["enforcer"] == "till-1").count(), 5, "{online}");
}

#[test]
fn a_radius_port_in_use_stops_the_start_with_a_message_that_names_it() {
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("hotspotd-radius-taken-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let portal = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = dir.join("hotspotd.config");
    std::fs::write(
        &config,
        format!(
            "config hotspotd 'main'\n\toption interface 'lo'\n\toption listen '127.0.0.1:{portal}'\n\toption database '{}'\n\toption firewall 'none'\n\
             config radius 'radius'\n\toption listen '127.0.0.1'\n\toption auth_port '{port}'\n\toption acct_port '{}'\n\
             config nas\n\toption name 'till-1'\n\toption address '127.0.0.21'\n\toption secret 'x-secret'\n",
            dir.join("hotspotd.db").display(),
            radius::free_udp_port()
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hotspotd")).args(["--config", config.to_str().unwrap(), "run"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("cannot listen for RADIUS authentication on udp 127.0.0.1:{port}")) && stderr.contains("in use"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

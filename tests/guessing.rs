//! Guessing voucher codes and passwords from the open Wi-Fi, against the real daemon on
//! loopback (firewall `none`). Devices are loopback addresses (tests/device: 127.N.0.x is
//! device N with MAC 02:7f:00:00:00:NN, whatever its last byte). Limits under test
//! (src/portal/ratelimit.rs): per device by MAC and by address, a success forgets nothing,
//! and a ceiling for all devices together that devices with a clean record still pass.

mod device;

use device::Daemon;

fn start(name: &str, extra: &str) -> Daemon {
    Daemon::start(&format!("guessing-{name}"), extra)
}

fn wrong(n: usize) -> String {
    format!("ZZZZ{n:04}")
}

fn assert_wait(answer: &device::Answer, words: &str) -> u64 {
    assert_eq!(answer.status, 429, "{answer:?}");
    let wait: u64 = answer.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&wait), "{answer:?}");
    assert!(answer.json()["error"].as_str().unwrap().contains(words), "{answer:?}");
    wait
}

#[test]
fn wrong_codes_are_limited_per_device_whatever_address_it_picks() {
    let d = start("per-device", "");
    let codes = d.vouchers(1);
    // Device 1 spreads five wrong codes over five addresses.
    for n in 0..5 {
        assert_eq!(d.try_code(1, 1 + n as u8, &wrong(n)).status, 401);
    }
    // A sixth address of the same device (same MAC) waits; even a valid code waits.
    assert_wait(&d.try_code(1, 6, &wrong(5)), "Too many wrong attempts");
    assert_wait(&d.try_code(1, 7, &codes[0]), "Too many wrong attempts");
    // Another device is not affected.
    assert_eq!(d.try_code(2, 1, &wrong(6)).status, 401);
    assert_eq!(d.try_code(2, 1, &codes[0]).status, 200);
}

#[test]
fn a_valid_login_does_not_buy_more_guesses() {
    let d = start("success", "");
    let codes = d.vouchers(1);
    for n in 0..4 {
        assert_eq!(d.try_code(1, 1, &wrong(n)).status, 401);
    }
    // The attacker owns one valid code and logs in with it between guesses…
    assert_eq!(d.try_code(1, 1, &codes[0]).status, 200);
    // …which forgets nothing: one more guess, then it waits.
    assert_eq!(d.try_code(1, 1, &wrong(4)).status, 401);
    assert_wait(&d.try_code(1, 1, &wrong(5)), "Too many wrong attempts");
    assert_wait(&d.try_code(1, 1, &codes[0]), "Too many wrong attempts");
}

#[test]
fn many_devices_together_hit_a_ceiling_that_clean_devices_still_pass() {
    let d = start("ceiling", "\toption login_attempts_total '10'\n");
    let codes = d.vouchers(3);
    // Five devices, two wrong codes each: ten failures, the ceiling for the minute.
    for device in 1..=5u8 {
        for n in 0..2 {
            assert_eq!(d.try_code(device, 1, &wrong(device as usize * 10 + n)).status, 401);
        }
    }
    // Those devices are under their own limit (5), but failed recently: they wait.
    assert_wait(&d.try_code(1, 1, &wrong(100)), "refusing many wrong codes");
    assert_wait(&d.try_code(5, 2, &codes[0]), "refusing many wrong codes");
    // A customer with a clean record is not locked out: their code works.
    assert_eq!(d.try_code(20, 1, &codes[0]).status, 200);
    assert_eq!(d.try_code(21, 1, &codes[1]).status, 200);
    // Clean devices' wrong codes count too: ten more, then everyone waits for the minute.
    for device in 30..40u8 {
        assert_eq!(d.try_code(device, 1, &wrong(device as usize)).status, 401, "device {device}");
    }
    assert_wait(&d.try_code(40, 1, &codes[2]), "refusing many wrong codes");
    // Successes never counted: the customers above stay online.
    let session = device::post_json(device::addr(20, 1), d.addr, "/api/hotspot/check-session", "");
    assert_eq!(session.json()["active"], true, "{session:?}");
}

//! Table-driven cases for the entitlement rules.

use super::*;

const NOW: i64 = 1_800_000_000;
const HOUR: i64 = 3600;

fn mac(n: u8) -> MacAddr {
    MacAddr([2, 0, 0, 0, 0, n])
}

fn fresh(max_devices: u32) -> Account {
    Account {
        user_id: 1,
        status: AccountStatus::Active,
        duration_secs: HOUR,
        starts_at: None,
        expires_at: None,
        data_limit_bytes: None,
        data_used_bytes: 0,
        max_devices,
    }
}

fn started(max_devices: u32, expires_at: i64) -> Account {
    Account { starts_at: Some(expires_at - HOUR), expires_at: Some(expires_at), ..fresh(max_devices) }
}

fn online(macs: &[u8]) -> Vec<DeviceSession> {
    macs.iter().map(|&n| DeviceSession { session_id: n as i64 * 10, mac: mac(n) }).collect()
}

#[test]
fn login_decisions() {
    struct Case {
        name: &'static str,
        account: Account,
        online: Vec<DeviceSession>,
        mac: u8,
        want: Result<Grant, Refusal>,
    }
    let capped = Account { data_limit_bytes: Some(1000), data_used_bytes: 999, ..fresh(1) };
    let cases = [
        Case {
            name: "first login starts the clock",
            account: fresh(1),
            online: vec![],
            mac: 1,
            want: Ok(Grant { starts_now: true, expires_at: NOW + HOUR, existing_session: None }),
        },
        Case {
            name: "second login keeps the original expiry",
            account: started(2, NOW + 100),
            online: vec![],
            mac: 1,
            want: Ok(Grant { starts_now: false, expires_at: NOW + 100, existing_session: None }),
        },
        Case {
            name: "second device within the limit",
            account: started(2, NOW + 100),
            online: online(&[1]),
            mac: 2,
            want: Ok(Grant { starts_now: false, expires_at: NOW + 100, existing_session: None }),
        },
        Case {
            name: "device beyond the limit",
            account: started(2, NOW + 100),
            online: online(&[1, 2]),
            mac: 3,
            want: Err(Refusal::DeviceLimit { max_devices: 2 }),
        },
        Case {
            name: "same device again refreshes its own session even at the limit",
            account: started(1, NOW + 100),
            online: online(&[1]),
            mac: 1,
            want: Ok(Grant { starts_now: false, expires_at: NOW + 100, existing_session: Some(10) }),
        },
        Case {
            name: "expired at exactly now",
            account: started(1, NOW),
            online: vec![],
            mac: 1,
            want: Err(Refusal::Expired { at: NOW }),
        },
        Case {
            name: "expiry one second ahead still logs in",
            account: started(1, NOW + 1),
            online: vec![],
            mac: 1,
            want: Ok(Grant { starts_now: false, expires_at: NOW + 1, existing_session: None }),
        },
        Case {
            name: "status expired wins over a future time",
            account: Account { status: AccountStatus::Expired, ..started(1, NOW + 50) },
            online: vec![],
            mac: 1,
            want: Err(Refusal::Expired { at: NOW + 50 }),
        },
        Case {
            name: "data left logs in",
            account: capped.clone(),
            online: vec![],
            mac: 1,
            want: Ok(Grant { starts_now: true, expires_at: NOW + HOUR, existing_session: None }),
        },
        Case {
            name: "data used up",
            account: Account { data_used_bytes: 1000, ..capped.clone() },
            online: vec![],
            mac: 1,
            want: Err(Refusal::DataExhausted),
        },
        Case {
            name: "exhausted status",
            account: Account { status: AccountStatus::Exhausted, ..fresh(1) },
            online: vec![],
            mac: 1,
            want: Err(Refusal::DataExhausted),
        },
        Case {
            name: "suspended",
            account: Account { status: AccountStatus::Suspended, ..fresh(3) },
            online: vec![],
            mac: 1,
            want: Err(Refusal::Suspended),
        },
    ];
    for case in cases {
        let got = decide_login(&case.account, &case.online, mac(case.mac), NOW);
        assert_eq!(got, case.want, "{}", case.name);
    }
}

/// A table-driven case: name, what the code found, what the rules decide.
type VoucherCase = (&'static str, Option<VoucherState>, Result<Option<Account>, Refusal>);

#[test]
fn voucher_decisions() {
    let account = started(1, NOW + 10);
    let unused = |package_active, valid_until| VoucherState::Unused { package_active, valid_until };
    let cases: [VoucherCase; 7] = [
        ("unknown code", None, Err(Refusal::UnknownVoucher)),
        ("revoked", Some(VoucherState::Revoked), Err(Refusal::VoucherRevoked)),
        ("unused", Some(unused(true, None)), Ok(None)),
        ("unused, valid until later", Some(unused(true, Some(NOW + 1))), Ok(None)),
        ("unused, lapsed", Some(unused(true, Some(NOW))), Err(Refusal::VoucherLapsed)),
        ("package withdrawn", Some(unused(false, None)), Err(Refusal::PackageWithdrawn)),
        ("redeemed names its account", Some(VoucherState::Redeemed(account.clone())), Ok(Some(account))),
    ];
    for (name, state, want) in cases {
        assert_eq!(decide_voucher(state, NOW), want, "{name}");
    }
}

#[test]
fn remaining_time_and_data() {
    assert_eq!(remaining(&fresh(1), NOW), Remaining { secs: HOUR, bytes: None });
    assert_eq!(remaining(&started(1, NOW + 42), NOW), Remaining { secs: 42, bytes: None });
    assert_eq!(remaining(&started(1, NOW - 5), NOW).secs, 0);
    let capped = Account { data_limit_bytes: Some(100), data_used_bytes: 30, ..fresh(1) };
    assert_eq!(remaining(&capped, NOW).bytes, Some(70));
    let over = Account { data_used_bytes: 130, ..capped };
    assert_eq!(remaining(&over, NOW).bytes, Some(0));
}

#[test]
fn status_follows_time_and_data() {
    assert_eq!(status_at(&fresh(1), NOW), AccountStatus::Active);
    assert_eq!(status_at(&started(1, NOW), NOW), AccountStatus::Expired);
    assert_eq!(status_at(&started(1, NOW + 1), NOW), AccountStatus::Active);
    let over = Account { data_limit_bytes: Some(10), data_used_bytes: 10, ..fresh(1) };
    assert_eq!(status_at(&over, NOW), AccountStatus::Exhausted);
    let suspended = Account { status: AccountStatus::Suspended, ..started(1, NOW - 1) };
    assert_eq!(status_at(&suspended, NOW), AccountStatus::Suspended);
    for status in [AccountStatus::Active, AccountStatus::Expired, AccountStatus::Exhausted, AccountStatus::Suspended] {
        assert_eq!(AccountStatus::parse(status.as_str()), Some(status));
    }
}

#[test]
fn purchases_stack_on_an_active_account() {
    let hour = Purchase { duration_secs: HOUR, data_limit_bytes: Some(1000), max_devices: 1 };
    // Running: 10 minutes left + 1 hour bought = 70 minutes left.
    let running = Account { data_limit_bytes: Some(500), data_used_bytes: 400, ..started(1, NOW + 600) };
    let extended = extend(&running, hour, NOW);
    assert_eq!(extended.expires_at, Some(NOW + 600 + HOUR));
    assert_eq!(remaining(&extended, NOW), Remaining { secs: 600 + HOUR, bytes: Some(1100) });
    assert_eq!(extended.starts_at, running.starts_at, "the clock keeps running");
    // Not started yet: the hours add up and start together at the first login.
    let unused = extend(&fresh(1), hour, NOW);
    assert_eq!((unused.duration_secs, unused.expires_at), (2 * HOUR, None));
    // Unlimited data wins; the larger device limit wins.
    let unlimited = extend(&running, Purchase { data_limit_bytes: None, max_devices: 3, ..hour }, NOW);
    assert_eq!((unlimited.data_limit_bytes, unlimited.max_devices), (None, 3));
}

#[test]
fn a_spent_account_starts_afresh() {
    let hour = Purchase { duration_secs: HOUR, data_limit_bytes: Some(1000), max_devices: 2 };
    for spent in [
        started(1, NOW - 1),
        Account { status: AccountStatus::Expired, ..started(1, NOW + 5) },
        Account { data_limit_bytes: Some(10), data_used_bytes: 10, ..started(1, NOW + 500) },
    ] {
        let renewed = extend(&spent, hour, NOW);
        assert_eq!(renewed.status, AccountStatus::Active);
        assert_eq!((renewed.starts_at, renewed.expires_at, renewed.duration_secs), (None, None, HOUR));
        assert_eq!((renewed.data_limit_bytes, renewed.data_used_bytes), (Some(1000), 0));
        assert!(decide_login(&renewed, &[], mac(1), NOW).is_ok());
    }
}

#[test]
fn an_operators_extension_adds_to_what_is_left_and_revives_a_spent_account() {
    // Running, capped: an hour more and 1000 bytes more.
    let running = Account { data_limit_bytes: Some(500), data_used_bytes: 400, ..started(1, NOW + 600) };
    let more = grant_more(&running, HOUR, 1000, NOW);
    assert_eq!((more.expires_at, more.data_limit_bytes, more.status), (Some(NOW + 600 + HOUR), Some(1500), AccountStatus::Active));
    // Time only: the cap is unchanged.
    assert_eq!(grant_more(&running, 60, 0, NOW).data_limit_bytes, Some(500));
    // Expired an hour ago: the extension counts from now, and the account is active again.
    let expired = Account { status: AccountStatus::Expired, ..started(1, NOW - HOUR) };
    let revived = grant_more(&expired, 600, 0, NOW);
    assert_eq!((revived.expires_at, revived.status), (Some(NOW + 600), AccountStatus::Active));
    // Used up (600 of 500): more data counts past what was used.
    let used_up = Account { status: AccountStatus::Exhausted, data_limit_bytes: Some(500), data_used_bytes: 600, ..started(1, NOW + HOUR) };
    let topped = grant_more(&used_up, 0, 100, NOW);
    assert_eq!((topped.data_limit_bytes, topped.status), (Some(700), AccountStatus::Active));
    // Used up and only given time: still used up. Suspended: stays suspended.
    assert_eq!(grant_more(&used_up, 60, 0, NOW).status, AccountStatus::Exhausted);
    let suspended = Account { status: AccountStatus::Suspended, ..started(1, NOW + 60) };
    assert_eq!(grant_more(&suspended, 60, 0, NOW).status, AccountStatus::Suspended);
}

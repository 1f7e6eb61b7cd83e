//! Tests of the portal's words built from values, in both languages (`portal.rs`).

use super::*;
use crate::i18n::Lang;
use crate::payments::limits::Who;

fn en() -> &'static PortalWords {
    &Lang::En.words().portal
}

fn sw() -> &'static PortalWords {
    &Lang::Sw.words().portal
}

#[test]
fn waits_read_naturally() {
    assert_eq!((en().wait)(0), "1 second");
    assert_eq!((en().wait)(1), "1 second");
    assert_eq!((en().wait)(45), "45 seconds");
    assert_eq!((en().wait)(120), "2 minutes");
    assert_eq!((en().wait)(3599), "60 minutes");
    assert_eq!((sw().wait)(1), "sekunde 1");
    assert_eq!((sw().wait)(45), "sekunde 45");
    assert_eq!((sw().wait)(121), "dakika 3");
}

#[test]
fn durations_read_naturally() {
    let cases: [(i64, &str, &str); 8] = [
        (-5, "0 s", "sekunde 0"),
        (30, "30 s", "sekunde 30"),
        (45 * 60, "45 min", "dakika 45"),
        (3600, "1 h", "saa 1"),
        (3 * 3600 + 20 * 60 + 5, "3 h 20 min", "saa 3 dakika 20"),
        (86_400, "1 day", "siku 1"),
        (2 * 86_400 + 59, "2 days", "siku 2"),
        (7 * 86_400 + 3600, "7 days 1 h", "siku 7 saa 1"),
    ];
    for (secs, english, swahili) in cases {
        assert_eq!((en().duration)(secs), english, "{secs}");
        assert_eq!((sw().duration)(secs), swahili, "{secs}");
    }
}

#[test]
fn sizes_prices_and_speeds() {
    for w in [en(), sw()] {
        assert_eq!((w.bytes)(500_000_000), "500 MB");
        assert_eq!((w.bytes)(1_000_000_000), "1 GB");
        assert_eq!((w.bytes)(1_500_000_000), "1.5 GB");
        assert_eq!((w.bytes)(64_000), "64 KB");
        assert_eq!((w.price)(50, "KES"), "KES 50");
        assert_eq!((w.speed_of)(None, None), None);
    }
    assert_eq!((en().speed_of)(Some(1000), Some(512)).as_deref(), Some("1 Mbit/s down, 512 kbit/s up"));
    assert_eq!((en().speed_of)(Some(2500), None).as_deref(), Some("2.5 Mbit/s down, unlimited up"));
    assert_eq!((sw().speed_of)(Some(2000), Some(512)).as_deref(), Some("kupakua 2 Mbit/s, kupakia 512 kbit/s"));
    assert_eq!((sw().speed_of)(None, Some(1500)).as_deref(), Some("kupakua bila kikomo, kupakia 1.5 Mbit/s"));
    assert_eq!(rate(1250), "1250 kbit/s");
}

#[test]
fn devices_have_their_plural() {
    assert_eq!((en().devices_allowed)(1), "1 device");
    assert_eq!((en().devices_allowed)(3), "up to 3 devices");
    assert_eq!((sw().devices_allowed)(1), "kifaa 1");
    assert_eq!((sw().devices_allowed)(3), "hadi vifaa 3");
    let limit = |w: &PortalWords, n| (w.refusal)(&Refusal::DeviceLimit { max_devices: n });
    assert!(limit(en(), 2).contains("allows 2 devices at"));
    assert!(limit(en(), 1).contains("allows 1 device at"));
    assert!(limit(sw(), 2).contains("kinaruhusu vifaa 2 kwa"));
    assert!(limit(sw(), 1).contains("kinaruhusu kifaa 1 tu kwa"));
}

#[test]
fn refusals_say_when_to_come_back() {
    let open = PromptRefusal::Open { who: Who::Device, retry_after_secs: 45 };
    let hourly = PromptRefusal::Hourly { who: Who::Number, retry_after_secs: 600 };
    assert!((en().prompt_limited)(&open).contains("try again in 45 seconds"));
    assert!((sw().prompt_limited)(&open).contains("baada ya sekunde 45"));
    assert!((en().prompt_limited)(&hourly).contains("Try again in 10 minutes"));
    assert!((sw().prompt_limited)(&hourly).contains("baada ya dakika 10"));
    let busy = GuessRefusal::Busy { retry_after_secs: 30 };
    let device = GuessRefusal::Device { retry_after_secs: 20 };
    assert!((en().guess_refused)(&busy).contains("Wait 30 seconds"));
    assert!((sw().guess_refused)(&device).contains("Subiri sekunde 20"));
    assert!((en().resets_refused)(300).contains("Wait 5 minutes"));
    assert!((sw().resets_refused)(300).contains("Subiri dakika 5"));
    assert!((en().pay_prompt)(50, "KES", "1 hour").contains("pay KES 50 for 1 hour"));
    assert!((sw().pay_prompt)(50, "KES", "Saa 1").contains("kulipa KES 50 kwa Saa 1"));
    assert!((en().bad_phone)("12").contains("`12` is not a mobile number"));
    assert!((sw().bad_phone)("12").contains("`12` si namba ya simu"));
}

#[test]
fn every_refusal_failure_and_ending_has_words_in_both_languages() {
    let refusals = [
        Refusal::UnknownVoucher,
        Refusal::VoucherRevoked,
        Refusal::VoucherLapsed,
        Refusal::PackageWithdrawn,
        Refusal::WrongCredentials,
        Refusal::Expired { at: 0 },
        Refusal::DataExhausted,
        Refusal::Suspended,
        Refusal::DeviceLimit { max_devices: 2 },
        Refusal::AddressInUse,
    ];
    for r in &refusals {
        let (e, s) = ((en().refusal)(r), (sw().refusal)(r));
        assert!(!e.is_empty() && !s.is_empty() && e != s, "{r:?}");
    }
    for f in PaymentFailure::ALL {
        let (e, s) = ((en().payment_failure)(*f), (sw().payment_failure)(*f));
        assert!(!e.is_empty() && !s.is_empty() && e != s, "{f:?}");
    }
    assert_eq!((sw().payment_failure)(PaymentFailure::Refused), sw().pay_refused);
    for ended in [Ended::DataUsedUp, Ended::TimeUp] {
        assert_ne!((en().ended)(ended), (sw().ended)(ended));
    }
    assert!((sw().ended)(Ended::DataUsedUp).starts_with("Data imeisha"));
    assert!((sw().ended)(Ended::TimeUp).starts_with("Muda umekwisha"));
}

#[test]
fn sms_words_are_plain_gsm7() {
    for lang in Lang::ALL {
        let w = &lang.words().portal;
        for word in [w.sms_heading, w.sms_username, w.sms_password, w.sms_valid, w.sms_login_at, w.sms_user_short, w.sms_pass_short] {
            assert!(crate::sms::is_gsm7(word) && word.is_ascii(), "{lang:?}: {word:?}");
        }
        for secs in [59, 3600, 5400, 86_400, 30 * 86_400 + 7200] {
            assert!((w.duration)(secs).is_ascii(), "{lang:?}: {secs}");
        }
    }
}

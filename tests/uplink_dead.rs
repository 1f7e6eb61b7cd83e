//! A dead or slow uplink must not touch logins and cut-offs. In the namespace lab, Daraja and
//! the SMS gateway live on the internet host at ports whose packets are dropped, so every
//! call to them waits for its timeout. A burst of payments waits for its results, SMS jobs
//! wait to be sent, payers keep pressing "pay" — and still a voucher puts a device online
//! at once, a short package ends on time, and a payer is told promptly that M-Pesa is busy.
//! Figures are printed (scripts/bench-uplink.sh repeats them); the bounds are generous.

mod lab;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hotspotd::phone::Phone;
use lab::portal::*;
use lab::{wait_until, Lab, LabOptions, INTERNET_IP, PORTAL_URL};
use rusqlite::{params, Connection};

/// Where Daraja and the SMS gateway "are": nothing answers, packets vanish.
const DARAJA_PORT: u16 = 8009;
const SMS_PORT: u16 = 8010;
/// Payments waiting for a result when the test starts.
const PENDING_PAYMENTS: usize = 12;
/// Accounts whose new passwords wait to go out by SMS.
const PENDING_SMS: usize = 4;
/// Payers pressing "pay" again and again, at once.
const PAYERS: usize = 4;
/// The short package.
const SHORT_SECS: u64 = 15;

fn config() -> Vec<String> {
    let base = |port: u16| format!("http://{INTERNET_IP}:{port}");
    vec![
        "config mpesa 'mpesa'".into(),
        "option enabled '1'".into(),
        format!("option base_url '{}'", base(DARAJA_PORT)),
        "option consumer_key 'lab-key'".into(),
        "option consumer_secret 'lab-secret'".into(),
        "option shortcode '174379'".into(),
        "option passkey 'lab-passkey'".into(),
        "option poll_interval '1'".into(),
        // The payers below are one device paying again and again: let M-Pesa's share, not the
        // per-device prompt limits (tests/payment_abuse.rs), be what turns them away.
        "option prompts_at_once '100'".into(),
        "option prompts_per_hour '1000'".into(),
        "config sms 'sms'".into(),
        "option provider 'africastalking'".into(),
        "option username 'myshop'".into(),
        "option api_key 'lab-sms-key'".into(),
        format!("option base_url '{}'", base(SMS_PORT)),
    ]
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Payments whose prompts were sent and whose results are awaited, and accounts with a new
/// password queued for SMS, written while the daemon is stopped (as a daemon that lost its
/// uplink would have them).
fn seed_waiting_work(lab: &Lab, package: &str) {
    let mut conn = Connection::open(lab.dir().join("hotspotd.db")).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let now = unix_now();
    for n in 0..PENDING_PAYMENTS {
        conn.execute(
            "INSERT INTO payments (provider, phone, package_id, amount, status, checkout_request_id, merchant_request_id,
                 callback_token, created_at, updated_at)
             VALUES ('mpesa', ?1, ?2, 10, 'pending', ?3, ?4, ?5, ?6, ?6)",
            params![format!("2547100000{n:02}"), package, format!("ws_CO_dead_{n}"), format!("m-{n}"), format!("tok{n}"), now],
        )
        .unwrap();
    }
    for n in 0..PENDING_SMS {
        let phone = format!("2547200000{n:02}");
        lab.cli(&["user", "add", "--package", package, "--username", &phone, "--phone", &phone]);
        let phone = Phone::parse(&phone, "254").unwrap();
        let outcome = hotspotd::accounts::reset_password(&mut conn, &phone, None, now).unwrap();
        assert_eq!(outcome, hotspotd::accounts::ResetOutcome::Queued);
    }
}

#[test]
fn a_dead_uplink_does_not_delay_logins_or_cut_offs() {
    let Some(lab) = Lab::with(LabOptions { clients: 3, extra_config: config(), ..LabOptions::default() }) else { return };
    lab.blackhole(&[DARAJA_PORT, SMS_PORT]);
    let hour = lab.package_add("Hour", 3600, &[]);
    let short = lab.package_add("Short", SHORT_SECS, &[]);
    let codes = lab.vouchers(&hour, 1);
    let short_codes = lab.vouchers(&short, 1);

    lab.kill_daemon("TERM");
    seed_waiting_work(&lab, &hour);
    lab.restart_daemon();

    // Payers on client 3 press "pay" again and again; each answer's code and time is logged.
    let answers = lab.dir().join("pay-answers.txt");
    let pay = format!(
        "while true; do curl -s -o /dev/null -m 60 -w '%{{http_code}} %{{time_total}}\\n' -H 'Content-Type: application/json' \
         --data-raw '{{\"package_id\":{hour},\"phone\":\"0712345678\"}}' {PORTAL_URL}api/payments/mpesa >> {}; done",
        answers.display()
    );
    let _payers: Vec<_> = (0..PAYERS).map(|_| lab.client_spawn(3, &["sh", "-c", &pay])).collect();
    std::thread::sleep(Duration::from_secs(3)); // queries, SMS and prompts are all waiting on timeouts now

    // A voucher login: from the click until the device reaches the internet.
    let clicked = Instant::now();
    let r = lab.client_http(1, &["--max-time", "60", "-X", "POST", "-H", "Content-Type: application/json", "--data-raw", &format!(r#"{{"voucher":"{}"}}"#, codes[0]), API_LOGIN]);
    assert_eq!(r.status, 200, "login: {}", describe(&r));
    let online = wait_until(Duration::from_secs(30), Duration::from_millis(10), || internet_ok(&lab, 1)).map(|_| clicked.elapsed());
    let online = online.unwrap_or_else(|| panic!("client 1 never got online\n{}", lab.nft_text()));
    println!("dead uplink: login answered in {:.0} ms, device online {:.0} ms after the click", r.elapsed.as_secs_f64() * 1e3, online.as_secs_f64() * 1e3);

    // A short package: online at once, cut when its time is up.
    let clicked = Instant::now();
    let r = lab.client_http(2, &["--max-time", "60", "-X", "POST", "-H", "Content-Type: application/json", "--data-raw", &format!(r#"{{"voucher":"{}"}}"#, short_codes[0]), API_LOGIN]);
    assert_eq!(r.status, 200, "short login: {}", describe(&r));
    let due = clicked + Duration::from_secs(SHORT_SECS);
    let session = lab.session_id(2);
    std::thread::sleep(Duration::from_secs(SHORT_SECS - 3));
    assert!(internet_ok(&lab, 2), "the short package must still be online before its time is up");
    let cut = wait_until(Duration::from_secs(40), Duration::from_millis(50), || !internet_ok(&lab, 2)).map(|_| Instant::now());
    let cut = cut.unwrap_or_else(|| panic!("client 2 was never cut off\n{}", lab.nft_text()));
    let recorded = wait_until(Duration::from_secs(40), Duration::from_millis(50), || lab::usage::session_row(&lab.db(), session).0 != "active")
        .map(|_| Instant::now())
        .unwrap_or_else(|| panic!("the short session was never recorded as ended"));
    // Signed: the database records the end at the second it falls due, which may come a
    // moment before the kernel's timeout (counted from the batch).
    let late = |at: Instant| if at >= due { at.duration_since(due).as_secs_f64() } else { -due.duration_since(at).as_secs_f64() };
    println!("dead uplink: short package cut {:+.2} s from its time, recorded ended {:+.2} s", late(cut), late(recorded));

    let text = std::fs::read_to_string(&answers).unwrap_or_default();
    let answered: Vec<(u16, f64)> = text.lines().filter_map(|l| l.split_once(' ')).filter_map(|(c, t)| Some((c.parse().ok()?, t.parse().ok()?))).collect();
    let quick_busy = answered.iter().filter(|(code, secs)| *code == 503 && *secs < 3.0).count();
    let slowest = answered.iter().map(|(_, secs)| *secs).fold(0.0, f64::max);
    println!("dead uplink: {} answers to payers ({quick_busy} prompt 503s under 3 s), slowest {slowest:.1} s", answered.len());
    let log = lab.daemon_log();
    let sms_tried = log.matches("SendCredentialsSms failed").count();
    println!("dead uplink: {sms_tried} SMS attempts failed on the timeout meanwhile");

    assert!(online < Duration::from_secs(2), "a dead uplink delayed a login: online after {online:?}");
    assert!(late(cut) < 4.0, "a dead uplink delayed a cut-off: {:.2} s late", late(cut));
    assert!(late(recorded) < 5.0, "the end of the short session was recorded {:.2} s late", late(recorded));
    assert!(answered.iter().all(|(code, _)| *code != 0), "a payer got no answer at all: {text}");
    assert!(quick_busy > 0, "payers beyond M-Pesa's share must be answered at once, not after a timeout: {text}");
    assert!(slowest < 20.0, "a payer waited {slowest} s");
}

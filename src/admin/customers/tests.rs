//! The money operations on a real `Admin` (in-memory database, firewall `none`, a clock
//! held still at a known venue time): days begin at the venue's midnight, an extension
//! moves the deadline of the account and of its device online, a resend queues an SMS,
//! searches find a number however it is typed.

use std::sync::Arc;

use crate::admin::periods::{Date, HOUR};
use crate::admin::{Admin, AdminError, PaymentQuery, SystemInfo};
use crate::clock::Clock;
use crate::config::{Config, FirewallKind};
use crate::firewall::FirewallWorker;
use crate::jobs::worker::Jobs;
use crate::sessions::Sessions;
use crate::store::payments::PaymentStatus;
use crate::store::{migrations, Store};

const EAT: i32 = 3 * 3600;

struct Still(i64);

impl Clock for Still {
    fn now(&self) -> i64 {
        self.0
    }
}

/// 2026-12-07 10:00 in Nairobi.
fn now() -> i64 {
    Date { year: 2026, month: 12, day: 7 }.start(EAT) + 10 * HOUR
}

fn admin(sql: &str) -> Admin {
    let conn = migrations::memory();
    conn.execute_batch(sql).unwrap();
    let (store, _thread) = Store::start(conn).unwrap();
    let config = Config { firewall: FirewallKind::None, utc_offset_secs: EAT, ..Config::defaults() };
    let firewall = FirewallWorker::start(crate::daemon::firewall_of(&config)).unwrap();
    let sessions = Sessions::new(store, firewall, Arc::new(Still(now())));
    Admin::new(sessions, Jobs::new(), SystemInfo { config: Arc::new(config), daemon_started: None, radius: None, sync: None })
}

fn base() -> String {
    let n = now();
    format!(
        "INSERT INTO packages (id, name, price, duration_secs, created_at, updated_at) VALUES (1, 'Hour', 50, 3600, 0, 0);
         INSERT INTO hotspot_users (id, username, phone, package_id, source, duration_secs, subscription_starts_at,
                                    subscription_expires_at, created_at, updated_at)
             VALUES (7, '254712345678', '254712345678', 1, 'payment', 3600, {s}, {e}, {s}, {s});
         INSERT INTO hotspot_users (id, username, package_id, source, duration_secs, created_at, updated_at)
             VALUES (8, 'CODE1234', 1, 'voucher', 3600, 0, 0);
         INSERT INTO sessions (user_id, mac, ip, started_at, expires_at) VALUES (7, '02:00:00:00:00:07', '10.0.0.7', {s}, {e});",
        s = n - 600,
        e = n + 3000
    )
}

#[tokio::test]
async fn the_venues_day_decides_which_day_a_sale_counts_for() {
    let today = Date { year: 2026, month: 12, day: 7 }.start(EAT);
    let sql = format!(
        "{}
         INSERT INTO payments (provider, phone, package_id, amount, status, created_at, updated_at, confirmed_at)
             VALUES ('mpesa', '254712345678', 1, 50, 'confirmed', {a}, {a}, {a});
         INSERT INTO payments (provider, phone, package_id, amount, status, created_at, updated_at, confirmed_at)
             VALUES ('demo', '254712345678', 1, 20, 'confirmed', {b}, {b}, {b});
         INSERT INTO vouchers (code, package_id, status, user_id, redeemed_at, redeemed_price, created_at)
             VALUES ('CODE1234', 1, 'redeemed', 8, {c}, 50, 0);
         INSERT INTO data_usage_logs (session_id, at, bytes_in_delta, bytes_out_delta) VALUES (1, {a}, 1000, 2000);",
        base(),
        a = today + 1800,       // 00:30 today at the venue (21:30 yesterday in UTC)
        b = today - 1800,       // 23:30 yesterday at the venue
        c = today + 9 * HOUR,
    );
    let d = admin(&sql).dashboard().await.unwrap();
    assert_eq!((d.today.mpesa, d.today.vouchers), (50, 50));
    assert_eq!((d.week.mpesa, d.month.mpesa), (70, 70));
    assert_eq!(d.days.len(), 30);
    assert_eq!(d.days[29].date, Date { year: 2026, month: 12, day: 7 });
    assert_eq!(d.days[28].sales.mpesa, 20);
    assert_eq!(d.data_today_bytes, 3000);
    assert_eq!(d.devices_online, 1);
    assert!(!d.demo);
    // The device online since 09:50 counts in the 09:00 and 10:00 hours, the last two.
    assert_eq!(d.hours.len(), 48);
    let counts: Vec<u32> = d.hours.iter().map(|h| h.1).collect();
    assert_eq!(&counts[46..], [1, 1]);
    assert_eq!(counts[..46].iter().sum::<u32>(), 0);
    assert_eq!(d.hours[47].0, today + 10 * HOUR);
}

#[tokio::test]
async fn an_extension_moves_the_account_and_its_device_and_bad_ones_are_refused() {
    let a = admin(&base());
    let detail = a.extend_customer("254712345678", 30, 0).await.unwrap();
    assert!(detail.contains("254712345678"), "{detail}");
    let c = a.customer("254712345678").await.unwrap().unwrap();
    assert_eq!(c.secs_left, 3000 + 1800);
    assert!(c.clock_started);
    assert_eq!(c.sessions.len(), 1);
    let device_deadline = a
        .sessions
        .store()
        .call(|conn| Ok(conn.query_row("SELECT expires_at FROM sessions WHERE user_id = 7", [], |r| r.get::<_, i64>(0))?))
        .await
        .unwrap();
    assert_eq!(device_deadline, now() + 4800);
    // Data on an unlimited account stays unlimited; a voucher account not started yet gets
    // its time added to what it will have.
    a.extend_customer("CODE1234", 60, 0).await.unwrap();
    let v = a.customer("CODE1234").await.unwrap().unwrap();
    assert_eq!((v.secs_left, v.clock_started, v.data_left_bytes), (7200, false, None));
    for (minutes, mb) in [(0, 0), (-5, 0), (0, -1), (crate::admin::customers::MAX_EXTEND_MINUTES + 1, 0)] {
        assert!(matches!(a.extend_customer("CODE1234", minutes, mb).await, Err(AdminError::Invalid(_))), "{minutes} {mb}");
    }
    assert!(matches!(a.extend_customer("nobody", 5, 0).await, Err(AdminError::NoSuchUser(_))));
    assert!(a.customer("nobody").await.unwrap().is_none());
}

#[tokio::test]
async fn resend_queues_an_sms_to_the_accounts_number_only() {
    let a = admin(&base());
    assert_eq!(a.resend_customer("254712345678").await.unwrap(), "254712345678");
    let jobs = a.sessions.store().call(|conn| Ok(conn.query_row("SELECT count(*) FROM jobs", [], |r| r.get::<_, i64>(0))?)).await.unwrap();
    assert_eq!(jobs, 1);
    assert!(matches!(a.resend_customer("CODE1234").await, Err(AdminError::Invalid(_))), "no phone");
    assert!(matches!(a.resend_customer("nobody").await, Err(AdminError::NoSuchUser(_))));
}

#[tokio::test]
async fn searches_and_payment_filters_take_numbers_as_people_type_them() {
    let sql = format!(
        "{}
         INSERT INTO payments (provider, phone, package_id, amount, status, failure, created_at, updated_at)
             VALUES ('mpesa', '254712345678', 1, 50, 'failed', 'wrong_pin', {t}, {t});",
        base(),
        t = now() - 100
    );
    let a = admin(&sql);
    for typed in ["0712345678", "+254 712 345 678", "0712", "2345"] {
        let found = a.search_customers(typed).await.unwrap();
        assert_eq!(found.iter().map(|r| r.username.as_str()).collect::<Vec<_>>(), ["254712345678"], "{typed}");
    }
    assert_eq!(a.search_customers("code").await.unwrap()[0].username, "CODE1234");
    let today = Date { year: 2026, month: 12, day: 7 };
    let q = PaymentQuery { from: Some(today), to: Some(today), phone: Some("0712 345 678".into()), ..Default::default() };
    let r = a.payments_report(q.clone()).await.unwrap();
    assert_eq!((r.rows.len(), r.totals.counts.clone()), (1, vec![(PaymentStatus::Failed, 1)]));
    let yesterday = Date { year: 2026, month: 12, day: 6 };
    assert!(a.payments_report(PaymentQuery { from: Some(yesterday), to: Some(yesterday), ..q.clone() }).await.unwrap().rows.is_empty());
    let backwards = PaymentQuery { from: Some(today), to: Some(yesterday), ..q };
    assert!(matches!(a.payments_report(backwards).await, Err(AdminError::Invalid(_))));
}

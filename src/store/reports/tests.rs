//! The report queries on an in-memory migrated database with hand-written rows.

use super::*;
use crate::store::migrations;
use crate::store::payments::PaymentFailure;

const FROM: i64 = 1_800_000_000 - 1_800_000_000 % 86_400;

fn db() -> Connection {
    let conn = migrations::memory();
    conn.execute_batch(
        "INSERT INTO packages (id, name, price, duration_secs, created_at, updated_at) VALUES (1, 'Hour', 10, 3600, 0, 0);
         INSERT INTO packages (id, name, price, duration_secs, created_at, updated_at) VALUES (2, 'Day', 50, 86400, 0, 0);
         INSERT INTO packages (id, name, price, duration_secs, active, created_at, updated_at) VALUES (3, 'Old', 5, 60, 0, 0, 0);
         INSERT INTO hotspot_users (id, username, phone, package_id, source, duration_secs, created_at, updated_at)
             VALUES (7, '254700000007', '254700000007', 1, 'payment', 3600, 0, 0);
         INSERT INTO hotspot_users (id, username, phone, package_id, source, duration_secs, created_at, updated_at)
             VALUES (8, 'AB_CD%1', NULL, 2, 'voucher', 86400, 5, 5);",
    )
    .unwrap();
    conn
}

fn pay(conn: &Connection, provider: &str, amount: i64, status: &str, created: i64, confirmed: Option<i64>, receipt: Option<&str>) {
    conn.execute(
        "INSERT INTO payments (provider, phone, package_id, amount, status, receipt_number, user_id, failure, created_at, updated_at, confirmed_at)
         VALUES (?1, '254700000007', 1, ?2, ?3, ?4, 7, CASE WHEN ?3 = 'failed' THEN 'wrong_pin' END, ?5, ?5, ?6)",
        params![provider, amount, status, receipt, created, confirmed],
    )
    .unwrap();
}

#[test]
fn sales_per_day_split_mpesa_and_vouchers_by_the_day_they_were_made() {
    let conn = db();
    pay(&conn, "mpesa", 10, "confirmed", FROM + 100, Some(FROM + 130), Some("R1"));
    pay(&conn, "central", 50, "confirmed", FROM + 86_400 - 10, Some(FROM + 86_400 + 5), Some("R2")); // confirmed the next day
    pay(&conn, "demo", 10, "confirmed", FROM + 2 * 86_400, Some(FROM + 2 * 86_400), Some("R3"));
    pay(&conn, "mpesa", 99, "failed", FROM + 200, None, None);
    pay(&conn, "mpesa", 99, "pending", FROM + 200, None, None);
    pay(&conn, "cash", 77, "confirmed", FROM + 200, Some(FROM + 200), None);
    pay(&conn, "mpesa", 10, "confirmed", FROM - 1, Some(FROM - 1), Some("R0")); // before the window
    conn.execute_batch(&format!(
        "INSERT INTO vouchers (code, package_id, status, user_id, redeemed_at, redeemed_price, created_at) VALUES ('A', 2, 'redeemed', 8, {}, 50, 0);
         INSERT INTO vouchers (code, package_id, status, created_at) VALUES ('B', 2, 'unused', 0);
         INSERT INTO vouchers (code, package_id, status, created_at) VALUES ('C', 1, 'revoked', 0);
         INSERT INTO vouchers (code, package_id, status, created_at) VALUES ('D', 3, 'unused', 0);",
        FROM + 86_400 + 1
    ))
    .unwrap();
    let days = sales_per_day(&conn, FROM, 3).unwrap();
    assert_eq!(
        days,
        [DaySales { mpesa: 10, vouchers: 0 }, DaySales { mpesa: 50, vouchers: 50 }, DaySales { mpesa: 10, vouchers: 0 }]
    );
    assert_eq!(sales_per_day(&conn, FROM, 0).unwrap(), []);
    // Stock: packages on sale, and a hidden one that still has vouchers; cheapest first.
    let stock = vouchers_left(&conn).unwrap();
    let stock: Vec<(&str, i64)> = stock.iter().map(|s| (s.package.as_str(), s.unused)).collect();
    assert_eq!(stock, [("Old", 1), ("Hour", 0), ("Day", 1)]);
}

#[test]
fn online_intervals_take_running_sessions_up_to_now_and_skip_older_ones() {
    let conn = db();
    let now = FROM + 10 * 3600;
    conn.execute_batch(&format!(
        "INSERT INTO sessions (user_id, mac, ip, started_at, expires_at, ended_at, status) VALUES (7, 'm1', 'i', {a}, {b}, {c}, 'ended');
         INSERT INTO sessions (user_id, mac, ip, started_at, expires_at, status) VALUES (7, 'm2', 'i', {d}, {e}, 'active');
         INSERT INTO sessions (user_id, mac, ip, started_at, expires_at, ended_at, status) VALUES (7, 'm3', 'i', 0, 10, 10, 'ended');",
        a = FROM - 100,
        b = FROM + 9999,
        c = FROM + 50,
        d = FROM + 3600,
        e = now + 3600,
    ))
    .unwrap();
    let mut got = online_intervals(&conn, FROM, now).unwrap();
    got.sort_by(|a, b| a.mac.cmp(&b.mac));
    assert_eq!(
        got,
        [Online { mac: "m1".into(), start: FROM - 100, end: FROM + 50 }, Online { mac: "m2".into(), start: FROM + 3600, end: now + 1 }]
    );
}

#[test]
fn the_first_session_of_a_window_is_found_by_binary_search() {
    let conn = db();
    assert_eq!(first_started_since(&conn, 0).unwrap(), 0, "no sessions");
    // Ids with gaps (rows deleted), started every 100 s.
    for (id, started) in [(3, 100), (4, 200), (9, 300), (10, 400), (20, 500), (21, 600), (22, 700)] {
        conn.execute("INSERT INTO sessions (id, user_id, mac, ip, started_at, expires_at) VALUES (?1, 7, 'm', 'i', ?2, ?2)", params![id, started]).unwrap();
    }
    let rows_from = |t: i64| {
        let first = first_started_since(&conn, t).unwrap();
        conn.query_row("SELECT count(*) FROM sessions WHERE id >= ?1", [first], |r| r.get::<_, i64>(0)).unwrap()
    };
    for (t, expected) in [(0, 7), (100, 7), (101, 6), (300, 5), (350, 4), (500, 3), (700, 1), (701, 0), (9999, 0)] {
        assert_eq!(rows_from(t), expected, "since {t}");
    }
}

#[test]
fn data_per_day_adds_minute_and_hourly_rows() {
    let conn = db();
    conn.execute_batch(&format!(
        "INSERT INTO sessions (id, user_id, mac, ip, started_at, expires_at) VALUES (1, 7, 'm', 'i', 0, 1);
         INSERT INTO data_usage_logs (session_id, at, bytes_in_delta, bytes_out_delta) VALUES (1, {}, 1, 2);
         INSERT INTO data_usage_logs (session_id, at, bytes_in_delta, bytes_out_delta) VALUES (1, {}, 10, 20);
         INSERT INTO data_usage_hourly (session_id, hour, bytes_in_delta, bytes_out_delta) VALUES (1, {}, 100, 200);
         INSERT INTO data_usage_hourly (session_id, hour, bytes_in_delta, bytes_out_delta) VALUES (1, {}, 1000, 2000);",
        FROM + 86_400 + 5,
        FROM + 86_400 + 65,
        FROM + 3600,
        FROM - 3600,
    ))
    .unwrap();
    assert_eq!(data_per_day(&conn, FROM, 2).unwrap(), [300, 33]);
}

#[test]
fn search_matches_username_or_phone_literally() {
    let conn = db();
    let names = |q: &str| search_accounts(&conn, q, 50).unwrap().into_iter().map(|a| a.username).collect::<Vec<_>>();
    assert_eq!(names("0000007"), ["254700000007"]);
    assert_eq!(names("b_c"), ["AB_CD%1"], "LIKE is case-insensitive for ASCII");
    // `_` and `%` are not wildcards here.
    assert_eq!(names("_"), ["AB_CD%1"]);
    assert_eq!(names("%"), ["AB_CD%1"]);
    assert_eq!(names("7_0"), Vec::<String>::new());
    assert_eq!(names(""), ["AB_CD%1", "254700000007"], "newest first");
    assert_eq!(search_accounts(&conn, "", 1).unwrap().len(), 1);
    assert_eq!(contains_pattern(r"a\%_"), r"%a\\\%\_%");
}

#[test]
fn history_lists_payments_and_sessions_newest_first() {
    let conn = db();
    pay(&conn, "mpesa", 10, "confirmed", FROM, Some(FROM), Some("R1"));
    pay(&conn, "mpesa", 10, "failed", FROM + 5, None, None);
    conn.execute_batch(
        "INSERT INTO sessions (id, user_id, mac, ip, started_at, expires_at, ended_at, bytes_in, bytes_out, status, end_reason)
             VALUES (1, 7, 'm', 'i', 10, 100, 50, 3, 4, 'ended', 'logout');
         INSERT INTO sessions (id, user_id, mac, ip, started_at, expires_at, status) VALUES (2, 7, 'm', 'i', 60, 100, 'active');
         INSERT INTO session_usage (session_id, user_id, bytes_in, bytes_out) VALUES (2, 7, 5, 6);",
    )
    .unwrap();
    // An attempt from its number that never made an account.
    conn.execute("INSERT INTO payments (provider, phone, package_id, amount, status, created_at, updated_at) VALUES ('mpesa', '254700000007', 1, 10, 'cancelled', 1, 1)", []).unwrap();
    conn.execute("INSERT INTO payments (provider, phone, package_id, amount, status, created_at, updated_at) VALUES ('mpesa', '254799999999', 1, 10, 'cancelled', 1, 1)", []).unwrap();
    assert_eq!(account_payments(&conn, 7, None, 10).unwrap().len(), 2);
    let payments = account_payments(&conn, 7, Some("254700000007"), 10).unwrap();
    assert_eq!(payments.len(), 3);
    assert_eq!(payments[2].status, PaymentStatus::Cancelled, "oldest last");
    assert_eq!(payments[0].failure, Some(PaymentFailure::WrongPin));
    let sessions = account_sessions(&conn, 7, 10).unwrap();
    assert_eq!((sessions[0].ended_at, sessions[0].bytes), (None, 11));
    assert_eq!((sessions[1].ended_at, sessions[1].bytes, sessions[1].end_reason.as_deref()), (Some(50), 7, Some("logout")));
    assert_eq!(account_sessions(&conn, 8, 10).unwrap(), []);
    assert_eq!(account_payments(&conn, 8, None, 10).unwrap(), []);
}

#[test]
fn payment_filters_narrow_the_list_and_its_totals() {
    let conn = db();
    pay(&conn, "mpesa", 10, "confirmed", FROM + 10, Some(FROM + 10), Some("QAB1"));
    pay(&conn, "mpesa", 50, "confirmed", FROM + 86_400, Some(FROM + 86_400), Some("QAB2"));
    pay(&conn, "mpesa", 10, "failed", FROM + 20, None, None);
    pay(&conn, "demo", 10, "cancelled", FROM + 30, None, None);
    let all = PaymentFilter::default();
    let list = payments(&conn, &all, 200).unwrap();
    assert_eq!(list.len(), 4);
    assert!(list.windows(2).all(|w| (w[0].created_at, w[0].id) > (w[1].created_at, w[1].id)), "newest first");
    let totals = payment_totals(&conn, &all).unwrap();
    assert_eq!(totals.confirmed_amount, 60);
    assert_eq!(totals.counts, [(PaymentStatus::Cancelled, 1), (PaymentStatus::Confirmed, 2), (PaymentStatus::Failed, 1)]);
    let first_day = PaymentFilter { from: Some(FROM), to: Some(FROM + 86_400), ..Default::default() };
    assert_eq!(payment_totals(&conn, &first_day).unwrap().confirmed_amount, 10);
    assert_eq!(payments(&conn, &first_day, 200).unwrap().len(), 3);
    let failed = PaymentFilter { status: Some(PaymentStatus::Failed), ..Default::default() };
    assert_eq!(payments(&conn, &failed, 200).unwrap()[0].failure, Some(PaymentFailure::WrongPin));
    let receipt = PaymentFilter { receipt: Some("QAB2".into()), ..Default::default() };
    assert_eq!(payments(&conn, &receipt, 200).unwrap()[0].amount, 50);
    let phone = PaymentFilter { phone: Some("4700000".into()), ..Default::default() };
    assert_eq!(payments(&conn, &phone, 2).unwrap().len(), 2, "bounded by the limit");
    let nobody = PaymentFilter { phone: Some("2547999".into()), ..Default::default() };
    assert_eq!(payment_totals(&conn, &nobody).unwrap(), PaymentTotals::default());
}

#[test]
fn demo_data_is_written_once_and_fills_a_month() {
    let mut conn = db();
    let now = FROM + 15 * 3600;
    assert!(!crate::store::demo_data::is_demo(&conn).unwrap());
    assert!(crate::store::demo_data::seed(&mut conn, now).unwrap());
    assert!(crate::store::demo_data::is_demo(&conn).unwrap());
    let payments_before: i64 = conn.query_row("SELECT count(*) FROM payments", [], |r| r.get(0)).unwrap();
    assert!(!crate::store::demo_data::seed(&mut conn, now + 60).unwrap(), "once only");
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(count("SELECT count(*) FROM payments"), payments_before);
    let from = now - now % 86_400 - 29 * 86_400;
    let days = sales_per_day(&conn, from, 30).unwrap();
    assert!(days.iter().filter(|d| d.mpesa > 0).count() >= 25, "{days:?}");
    assert!(days.iter().filter(|d| d.vouchers > 0).count() >= 10, "{days:?}");
    assert!(data_per_day(&conn, from, 30).unwrap().iter().filter(|&&b| b > 0).count() >= 25);
    assert_eq!(count("SELECT count(*) FROM payments WHERE provider <> 'demo' OR phone NOT LIKE '2547000000__'"), 0);
    assert!(count("SELECT count(*) FROM vouchers WHERE batch = 'demo' AND status = 'redeemed'") > 10);
    assert!(count("SELECT count(*) FROM payments WHERE status = 'failed'") > 0);
    assert!(count("SELECT count(*) FROM sessions WHERE status = 'active'") > 0, "some devices online now");
    assert_eq!(count(&format!("SELECT count(*) FROM sessions WHERE status = 'active' AND expires_at <= {now}")), 0);
    assert_eq!(count("SELECT count(*) FROM sync_outbox"), 0, "demo data is never synced");
}

#[test]
fn a_voucher_counts_at_the_price_it_was_redeemed_at_even_after_a_price_change() {
    let mut conn = db();
    let code = crate::store::catalog::create_vouchers(&mut conn, 2, 1, None, FROM).unwrap().remove(0);
    let voucher = crate::store::catalog::find_voucher(&conn, &code).unwrap().unwrap();
    crate::store::catalog::mark_voucher_redeemed(&conn, voucher.id, 8, "02:00:00:00:00:01", FROM + 60).unwrap();
    conn.execute("UPDATE packages SET price = 80 WHERE id = 2", []).unwrap();
    assert_eq!(sales_per_day(&conn, FROM, 1).unwrap(), [DaySales { mpesa: 0, vouchers: 50 }]);
    // The central server is told the same figure.
    let event: String = conn.query_row("SELECT payload FROM sync_outbox ORDER BY id DESC LIMIT 1", [], |r| r.get(0)).unwrap();
    assert!(event.contains("\"price\":50"), "{event}");
}

#[test]
fn the_migration_gives_vouchers_redeemed_before_it_their_packages_price() {
    let mut conn = Connection::open_in_memory().unwrap();
    let before = migrations::MIGRATIONS.iter().position(|(name, _)| *name == "0010_voucher_price.sql").unwrap();
    for (_, sql) in &migrations::MIGRATIONS[..before] {
        conn.execute_batch(sql).unwrap();
    }
    conn.execute_batch(
        "INSERT INTO packages (id, name, price, duration_secs, created_at, updated_at) VALUES (2, 'Day', 50, 86400, 0, 0);
         INSERT INTO vouchers (code, package_id, status, redeemed_at, created_at) VALUES ('A', 2, 'redeemed', 100, 0);
         INSERT INTO vouchers (code, package_id, status, created_at) VALUES ('B', 2, 'unused', 0);",
    )
    .unwrap();
    conn.pragma_update(None, "user_version", before as u32).unwrap();
    migrations::migrate(&mut conn).unwrap();
    let prices: Vec<Option<i64>> =
        conn.prepare("SELECT redeemed_price FROM vouchers ORDER BY code").unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    assert_eq!(prices, [Some(50), None]);
}

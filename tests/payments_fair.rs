//! The payment poller is fair: however many stale prompts are pending, each pending payment
//! is asked about in turn (least recently asked first), so a real payer is confirmed while
//! forty prompts nobody will answer wait beside it. (It used to ask the 32 oldest each
//! round, so the real one, newer than them all, was never asked.)

mod upstream;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection};
use upstream::{Hotspot, Options, PHONE};

const JUNK: usize = 40;

#[test]
fn stale_pending_prompts_do_not_starve_a_real_payer() {
    let hotspot = Hotspot::start("fair", Options { poll_interval: 1, timeout: 600, ..Options::default() });
    let package = hotspot.package("Hour", 10, 3600);
    // Older prompts Daraja does not know (each query is refused), pending for ten minutes.
    let conn = Connection::open(&hotspot.db_path).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    for n in 0..JUNK {
        conn.execute(
            "INSERT INTO payments (provider, phone, package_id, amount, status, checkout_request_id, callback_token, created_at, updated_at)
             VALUES ('mpesa', ?1, ?2, 10, 'pending', ?3, ?4, ?5, ?5)",
            params![format!("2547300000{n:02}"), package, format!("ws_CO_junk_{n}"), format!("junk{n}"), now],
        )
        .unwrap();
    }
    drop(conn);

    // Paid on the third query: it must be asked again after its first turn, not only first.
    hotspot.daraja.plan(0, Some(2));
    let started = Instant::now();
    let id = hotspot.pay_ok(package, PHONE);
    hotspot.wait_status(&id, "confirmed", Duration::from_secs(60));
    println!("confirmed {:.1} s after paying, with {JUNK} stale prompts pending", started.elapsed().as_secs_f64());
    let pending = hotspot.count("SELECT count(*) FROM payments WHERE status = 'pending'");
    assert_eq!(pending, JUNK as i64, "the stale prompts stay pending (not timed out yet)");
}

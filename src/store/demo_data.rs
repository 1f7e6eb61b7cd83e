//! Sample sales and sessions for the demo (`hotspotd run --demo`), so a newcomer's dashboard
//! has something to show: 30 days of M-Pesa payments (provider `demo`, numbers
//! `2547000000xx`), vouchers of the batch `demo` redeemed at the till, the sessions they
//! paid for with their data use, and a few devices online now. Written once, into a new
//! demo database, by plain inserts that bypass the sync outbox (demo data is never synced);
//! the settings key `demo_data` marks the database as the demo's (the dashboard says so).
//! Must not be called on a real router's database.

use rusqlite::{params, Connection};

use super::{settings, StoreError};

/// Set (to the time of seeding) once the sample data is in.
pub const DEMO_DATA: &str = "demo_data";

/// Days of history written.
const DAYS: i64 = 30;

/// Whether this database holds the demo's sample data.
pub fn is_demo(conn: &Connection) -> Result<bool, StoreError> {
    Ok(settings::get(conn, DEMO_DATA)?.is_some())
}

/// A small deterministic generator (xorshift): the same sample every time.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: i64) -> i64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as i64
    }
}

/// A package to sell: id, price, duration.
struct Offer {
    id: i64,
    price: i64,
    duration_secs: i64,
}

/// Writes the sample unless it is there already; returns whether it wrote it. Needs the
/// packages on sale (priced ones are sold); writes nothing without one.
pub fn seed(conn: &mut Connection, now: i64) -> Result<bool, StoreError> {
    if is_demo(conn)? {
        return Ok(false);
    }
    let offers: Vec<Offer> = conn
        .prepare("SELECT id, price, duration_secs FROM packages WHERE active AND price > 0 ORDER BY price")?
        .query_map([], |r| Ok(Offer { id: r.get(0)?, price: r.get(1)?, duration_secs: r.get(2)? }))?
        .collect::<Result<_, _>>()?;
    if offers.is_empty() {
        return Ok(false);
    }
    let tx = conn.transaction()?;
    let mut dice = Dice(0x2545_f491_4f6c_dd1d);
    let mut sale = 0i64;
    for day in (0..DAYS).rev() {
        // Busier at weekends (every 7th day) and growing a little over the month.
        let busy = 3 + (DAYS - day) / 8 + if day % 7 == 2 { 4 } else { 0 };
        for _ in 0..busy + dice.roll(4) {
            sale += 1;
            // Between 07:00 and 22:00 (venue time is close enough: the offset only shifts it).
            let at = now - day * 86_400 - 12 * 3600 + dice.roll(15 * 3600) - 3 * 3600;
            if at >= now - 600 {
                continue;
            }
            // Mostly the cheap packages.
            let offer = &offers[(dice.roll(10) as usize * dice.roll(10) as usize / 30).min(offers.len() - 1)];
            let by_voucher = dice.roll(3) == 0;
            let phone = format!("2547000000{:02}", dice.roll(100));
            let mac = format!("02:de:00:00:{:02x}:{:02x}", sale / 256 % 256, sale % 256);
            let minutes = 10 + dice.roll(150);
            let end = (at + minutes * 60).min(at + offer.duration_secs);
            let online_now = day == 0 && at + offer.duration_secs > now + 1800;
            let username = if by_voucher { format!("DEMO{sale:04}") } else { phone.clone() };
            let user_id = account(&tx, &username, (!by_voucher).then_some(phone.as_str()), offer, at, online_now)?;
            if by_voucher {
                tx.execute(
                    "INSERT INTO vouchers (code, package_id, batch, status, user_id, redeemed_mac, redeemed_at, redeemed_price, created_at)
                     VALUES (?1, ?2, 'demo', 'redeemed', ?3, ?4, ?5, ?6, ?7)",
                    params![username, offer.id, user_id, mac, at, offer.price, at - 7 * 86_400],
                )?;
            } else if dice.roll(6) == 0 {
                // A prompt that did not go through, then the paid one.
                let (failure, code) = [("cancelled", "1032"), ("insufficient_funds", "1"), ("wrong_pin", "2001"), ("timeout", "1037")]
                    [dice.roll(4) as usize];
                tx.execute(
                    "INSERT INTO payments (provider, phone, mac, ip, package_id, amount, status, result_code, failure, created_at, updated_at)
                     VALUES ('demo', ?1, ?2, '10.0.0.9', ?3, ?4, 'failed', ?5, ?6, ?7, ?7)",
                    params![phone, mac, offer.id, offer.price, code, failure, at - 120],
                )?;
            }
            if !by_voucher {
                tx.execute(
                    "INSERT INTO payments (provider, phone, mac, ip, package_id, amount, status, result_code, result_desc,
                                           receipt_number, user_id, created_at, updated_at, confirmed_at)
                     VALUES ('demo', ?1, ?2, '10.0.0.9', ?3, ?4, 'confirmed', '0', 'demo payment', ?5, ?6, ?7, ?8, ?8)",
                    params![phone, mac, offer.id, offer.price, format!("DEMO{sale:06}"), user_id, at - 30, at],
                )?;
            }
            let bytes = (minutes * (200_000 + dice.roll(3_000_000))).min(900_000_000);
            if online_now {
                tx.execute(
                    "INSERT INTO sessions (user_id, mac, ip, acct_session_id, started_at, expires_at, status)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'active')",
                    params![user_id, mac, format!("10.0.0.{}", 10 + sale % 200), format!("demo-{sale}"), at, at + offer.duration_secs],
                )?;
            } else {
                tx.execute(
                    "INSERT INTO sessions (user_id, mac, ip, acct_session_id, started_at, expires_at, ended_at, bytes_in, bytes_out,
                                           status, end_reason)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'ended', 'logout')",
                    params![user_id, mac, format!("10.0.0.{}", 10 + sale % 200), format!("demo-{sale}"), at, at + offer.duration_secs, end, bytes / 8, bytes - bytes / 8],
                )?;
                tx.execute("UPDATE hotspot_users SET data_used_bytes = data_used_bytes + ?2 WHERE id = ?1", params![user_id, bytes])?;
            }
            let session_id = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO data_usage_hourly (session_id, hour, bytes_in_delta, bytes_out_delta) VALUES (?1, ?2, ?3, ?4)",
                params![session_id, at - at.rem_euclid(3600), bytes / 8, bytes - bytes / 8],
            )?;
        }
    }
    settings::set(&tx, DEMO_DATA, &now.to_string())?;
    tx.commit()?;
    Ok(true)
}

/// The account `username` (created at its first sale); each sale starts its clock afresh at
/// `at`. Running now: active until its time is up; otherwise expired.
fn account(conn: &Connection, username: &str, phone: Option<&str>, offer: &Offer, at: i64, running: bool) -> Result<i64, StoreError> {
    let status = if running { "active" } else { "expired" };
    let source = if phone.is_some() { "payment" } else { "voucher" };
    Ok(conn.query_row(
        "INSERT INTO hotspot_users (username, phone, package_id, source, status, duration_secs, subscription_starts_at,
                                    subscription_expires_at, max_devices, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7 + ?6, 1, ?7, ?7)
         ON CONFLICT (username) DO UPDATE SET package_id = excluded.package_id, status = excluded.status,
             duration_secs = excluded.duration_secs, subscription_starts_at = excluded.subscription_starts_at,
             subscription_expires_at = excluded.subscription_expires_at, data_used_bytes = 0, updated_at = excluded.updated_at
         RETURNING id",
        params![username, phone, offer.id, source, status, offer.duration_secs, at],
        |r| r.get(0),
    )?)
}

//! What the web admin's dashboard and payments page report: takings by method today, over
//! 7 and 30 days and per day; devices online now and per hour over 48 hours; data used per
//! day; voucher stock; the payments list with filters and totals. Days and hours begin at
//! the venue's local time (`Config.utc_offset_secs`). Reads only; the queries are in
//! `store::reports`, the rules for days in `periods`.

use super::periods::{self, Date, DAY, HOUR};
use super::{Admin, AdminError};
use crate::phone::Phone;
use crate::store::demo_data;
use crate::store::payments::{PaymentListing, PaymentStatus};
use crate::store::reports::{self, DaySales, PaymentFilter, PaymentTotals, Stock};

/// Days of the revenue and data charts; hours of the devices chart.
pub const CHART_DAYS: usize = 30;
pub const CHART_HOURS: usize = 48;
/// Rows of the payments list.
pub const PAYMENTS_SHOWN: u32 = 200;

/// Everything the dashboard shows.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub now: i64,
    /// The database holds the demo's sample data (`hotspotd run --demo`).
    pub demo: bool,
    pub today: DaySales,
    pub week: DaySales,
    pub month: DaySales,
    pub devices_online: i64,
    pub data_today_bytes: i64,
    pub stock: Vec<Stock>,
    /// The last 30 days, oldest first, today last: (the venue's date, takings, bytes used).
    pub days: Vec<DayReport>,
    /// The last 48 hours, oldest first: (the hour's start, Unix time; devices online in it).
    pub hours: Vec<(i64, u32)>,
    pub utc_offset_secs: i32,
}

#[derive(Debug, Clone, Copy)]
pub struct DayReport {
    pub date: Date,
    pub sales: DaySales,
    pub bytes: i64,
}

fn sum(days: &[DayReport]) -> DaySales {
    days.iter().fold(DaySales::default(), |a, d| DaySales { mpesa: a.mpesa + d.sales.mpesa, vouchers: a.vouchers + d.sales.vouchers })
}

/// Which payments to list: the venue's dates (both included), a status, part of the payer's
/// number, a receipt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentQuery {
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub status: Option<PaymentStatus>,
    pub phone: Option<String>,
    pub receipt: Option<String>,
}

/// The payments page: the rows (newest first, at most `PAYMENTS_SHOWN`) and the totals of
/// every payment the query selects (not only the rows shown).
#[derive(Debug, Clone)]
pub struct PaymentsReport {
    pub rows: Vec<PaymentListing>,
    pub totals: PaymentTotals,
    /// More payments match than are shown.
    pub truncated: bool,
}

/// What part of a phone number the operator typed, as stored (`2547…`): a whole number in
/// any form becomes its M-Pesa form; a fragment loses a leading `0` or `+` (a number
/// typed `0712…` is stored `254712…`). `None`: nothing to match.
pub fn phone_fragment(typed: &str, country_code: &str) -> Option<String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return None;
    }
    if let Ok(phone) = Phone::parse(typed, country_code) {
        return Some(phone.msisdn());
    }
    let digits = typed.trim_start_matches('+');
    let digits = if digits.len() > 1 && digits.bytes().all(|b| b.is_ascii_digit()) { digits.strip_prefix('0').unwrap_or(digits) } else { digits };
    Some(digits.chars().take(32).collect())
}

impl Admin {
    /// The venue's offset from UTC (where its days begin).
    pub fn utc_offset_secs(&self) -> i32 {
        self.system.config.utc_offset_secs
    }

    /// The time now, on the daemon's timeline.
    pub fn now(&self) -> i64 {
        self.sessions.now()
    }

    /// The dashboard's figures and chart data.
    pub async fn dashboard(&self) -> Result<Dashboard, AdminError> {
        let now = self.sessions.now();
        let offset = self.utc_offset_secs();
        let today = periods::day_start(now, offset);
        let from = today - (CHART_DAYS as i64 - 1) * DAY;
        let hours_from = periods::hour_start(now, offset) - (CHART_HOURS as i64 - 1) * HOUR;
        let (demo, sales, bytes, intervals, devices_online, stock) = self
            .sessions
            .store()
            .call(move |conn| {
                Ok((
                    demo_data::is_demo(conn)?,
                    reports::sales_per_day(conn, from, CHART_DAYS)?,
                    reports::data_per_day(conn, from, CHART_DAYS)?,
                    reports::online_intervals(conn, hours_from, now)?,
                    reports::online_now(conn, now)?,
                    reports::vouchers_left(conn)?,
                ))
            })
            .await?;
        let days: Vec<DayReport> = (0..CHART_DAYS)
            .map(|i| DayReport { date: Date::at(from + i as i64 * DAY, offset), sales: sales[i], bytes: bytes[i] })
            .collect();
        let per_hour = periods::devices_per_bucket(intervals, hours_from, HOUR, CHART_HOURS);
        let hours = per_hour.into_iter().enumerate().map(|(i, n)| (hours_from + i as i64 * HOUR, n)).collect();
        Ok(Dashboard {
            now,
            demo,
            today: sum(&days[CHART_DAYS - 1..]),
            week: sum(&days[CHART_DAYS - 7..]),
            month: sum(&days),
            devices_online,
            data_today_bytes: days[CHART_DAYS - 1].bytes,
            stock,
            days,
            hours,
            utc_offset_secs: offset,
        })
    }

    /// The payments `query` selects, with their totals.
    pub async fn payments_report(&self, query: PaymentQuery) -> Result<PaymentsReport, AdminError> {
        let offset = self.utc_offset_secs();
        if let (Some(from), Some(to)) = (query.from, query.to) {
            if from.start(offset) > to.start(offset) {
                return Err(AdminError::Invalid("the first date is after the last".into()));
            }
        }
        let filter = PaymentFilter {
            from: query.from.map(|d| d.start(offset)),
            to: query.to.map(|d| d.start(offset) + DAY),
            status: query.status,
            phone: query.phone.as_deref().and_then(|p| phone_fragment(p, &self.system.config.country_code)),
            receipt: query.receipt.map(|r| r.trim().to_uppercase()).filter(|r| !r.is_empty()),
        };
        let (mut rows, totals) = self
            .sessions
            .store()
            .call(move |conn| Ok((reports::payments(conn, &filter, PAYMENTS_SHOWN + 1)?, reports::payment_totals(conn, &filter)?)))
            .await?;
        let truncated = rows.len() > PAYMENTS_SHOWN as usize;
        rows.truncate(PAYMENTS_SHOWN as usize);
        Ok(PaymentsReport { rows, totals, truncated })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_fragments_match_the_stored_form() {
        assert_eq!(phone_fragment("0712 345 678", "254").as_deref(), Some("254712345678"));
        assert_eq!(phone_fragment("+254712345678", "254").as_deref(), Some("254712345678"));
        assert_eq!(phone_fragment("0712", "254").as_deref(), Some("712"));
        assert_eq!(phone_fragment("+2547", "254").as_deref(), Some("2547"));
        assert_eq!(phone_fragment("  ", "254"), None);
        assert_eq!(phone_fragment("amina", "254").as_deref(), Some("amina"));
        assert_eq!(phone_fragment("0", "254").as_deref(), Some("0"));
    }
}

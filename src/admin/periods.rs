//! Pure rules for the reports: where the venue's days and hours begin (`utc_offset_secs`),
//! calendar dates both ways (`YYYY-MM-DD`, no time-zone database: the offset is fixed), and
//! how many distinct devices were online in each hour of a window. No I/O; `now` is always
//! an argument.

pub use crate::store::reports::Online;
use crate::calendar;

/// Seconds in a day and an hour.
pub const DAY: i64 = 86_400;
pub const HOUR: i64 = 3_600;

/// The Unix time at which the venue's day holding `t` began.
pub fn day_start(t: i64, offset: i32) -> i64 {
    t - (t + offset as i64).rem_euclid(DAY)
}

/// The Unix time at which the venue's hour holding `t` began (offsets such as +05:30 keep
/// their half hour).
pub fn hour_start(t: i64, offset: i32) -> i64 {
    t - (t + offset as i64).rem_euclid(HOUR)
}

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// The venue's date at `t`.
    pub fn at(t: i64, offset: i32) -> Date {
        civil_from_days((t + offset as i64).div_euclid(DAY))
    }

    /// `2026-12-07`: the date of the venue's day; `None` unless it is a real date.
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.trim().splitn(3, '-');
        let year: i32 = parts.next()?.parse().ok()?;
        let month: u32 = parts.next()?.parse().ok()?;
        let day: u32 = parts.next()?.parse().ok()?;
        let date = Date { year, month, day };
        let ok = (1970..=9999).contains(&year) && civil_from_days(days_from_civil(date)) == date;
        ok.then_some(date)
    }

    /// The Unix time at which this date began at the venue.
    pub fn start(self, offset: i32) -> i64 {
        days_from_civil(self) * DAY - offset as i64
    }

    /// `2026-12-07`.
    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `7/12`: short, for a chart's axis (day first, as in Kenya).
    pub fn short(self) -> String {
        format!("{}/{}", self.day, self.month)
    }
}

fn days_from_civil(d: Date) -> i64 {
    calendar::days_from_civil(i64::from(d.year), d.month, d.day)
}

fn civil_from_days(days: i64) -> Date {
    let (year, month, day) = calendar::civil_from_days(days);
    Date { year: year as i32, month, day }
}

/// For `n` (≤ 64) buckets of `width` seconds from `from`: how many distinct devices (by MAC)
/// were online at some moment of each. A device online twice in one hour counts once.
pub fn devices_per_bucket(mut intervals: Vec<Online>, from: i64, width: i64, n: usize) -> Vec<u32> {
    let n = n.min(64);
    let mut counts = vec![0u32; n];
    if width <= 0 {
        return counts;
    }
    intervals.sort_by(|a, b| a.mac.cmp(&b.mac));
    let mut i = 0;
    while i < intervals.len() {
        // One bit per bucket this device touched.
        let mut seen: u64 = 0;
        let mac = &intervals[i].mac;
        let mut j = i;
        while j < intervals.len() && intervals[j].mac == *mac {
            let o = &intervals[j];
            if o.end > o.start && o.end > from {
                let first = ((o.start - from).max(0) / width) as usize;
                let last = ((o.end - 1 - from) / width) as usize;
                for b in first..=last.min(n.saturating_sub(1)) {
                    if b < n {
                        seen |= 1 << b;
                    }
                }
            }
            j += 1;
        }
        for (b, count) in counts.iter_mut().enumerate() {
            *count += (seen >> b & 1) as u32;
        }
        i = j;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    const EAT: i32 = 3 * 3600;

    #[test]
    fn days_begin_at_the_venues_midnight() {
        // 2026-12-07 00:30 in Nairobi is 2026-12-06 21:30 UTC.
        let t = Date { year: 2026, month: 12, day: 6 }.start(0) + 21 * HOUR + 30 * 60;
        assert_eq!(Date::at(t, EAT), Date { year: 2026, month: 12, day: 7 });
        assert_eq!(Date::at(t, 0), Date { year: 2026, month: 12, day: 6 });
        assert_eq!(day_start(t, EAT), t - 30 * 60);
        assert_eq!(day_start(t, EAT), Date { year: 2026, month: 12, day: 7 }.start(EAT));
        assert_eq!(hour_start(t, 5 * HOUR as i32 + 1800), t);
        assert_eq!(hour_start(t + 59, EAT), t - 30 * 60);
    }

    #[test]
    fn dates_parse_and_print_both_ways() {
        let d = Date::parse("2024-02-29").unwrap();
        assert_eq!(d.iso(), "2024-02-29");
        assert_eq!(Date::at(d.start(EAT), EAT), d);
        assert_eq!(Date::at(d.start(EAT) + DAY - 1, EAT), d);
        assert_eq!(d.short(), "29/2");
        assert_eq!(Date::at(0, 0).iso(), "1970-01-01");
        for bad in ["2023-02-29", "2024-13-01", "2024-00-10", "24-1", "", "x-y-z", "2024-01-32", "99999-01-01"] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_device_counts_once_per_hour_it_was_online() {
        let o = |mac: &str, start, end| Online { mac: mac.into(), start, end };
        let from = 1000 * HOUR;
        let counts = devices_per_bucket(
            vec![
                // Two sessions of one device within hour 0: one device.
                o("a", from + 10, from + 20),
                o("a", from + 100, from + 200),
                // From before the window into hour 1 (ends exactly at the start of hour 2).
                o("b", from - 5 * HOUR, from + 2 * HOUR),
                // Still online past the window's end.
                o("c", from + 3 * HOUR + 5, from + 99 * HOUR),
                // Before the window, and empty: nothing.
                o("d", from - 9 * HOUR, from - 8 * HOUR),
                o("e", from + 50, from + 50),
            ],
            from,
            HOUR,
            5,
        );
        assert_eq!(counts, [2, 1, 0, 1, 1]);
        assert_eq!(devices_per_bucket(Vec::new(), from, HOUR, 48), vec![0; 48]);
    }
}

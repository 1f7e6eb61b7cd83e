//! How many M-Pesa prompts a device and a phone number may be sent. Pure: the caller reads
//! the recent prompts from the database (the `payments` rows of that MAC and of that number,
//! newest first) and passes `now`; counting from the database means a restart forgets
//! nothing, and the check and the new row are written in the same database call, so a burst
//! of requests cannot slip past it.
//!
//! Each prompt pops up on someone's phone and writes a row to flash, and anyone on the open
//! Wi-Fi may ask for one, for any number. So, for the device (by MAC: a client can pick
//! another address, not another MAC without reconnecting) and for the number, separately:
//! - at most `at_once` prompts open at a time (default 1): a prompt is open while its
//!   payment is pending, for at most `prompt_lifetime_secs` (the payment timeout; after that
//!   it no longer blocks a new one even if its result is still unknown, e.g. Daraja down);
//! - at most `per_hour` prompts started in the last hour (default 5): a payer who cancels,
//!   mistypes the PIN or lacks funds tries again two or three times, not five.
//!
//! Both answers carry how long to wait (Retry-After). A device that cycles MAC addresses
//! escapes its own limit but not the number's: the owner of a phone number gets at most
//! `per_hour` prompts an hour, whoever asks.

/// The limits (from `config mpesa`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptLimits {
    pub at_once: u32,
    pub per_hour: u32,
    /// How long a pending prompt counts as open.
    pub prompt_lifetime_secs: i64,
}

/// Window of the hourly limit.
pub const HOUR_SECS: i64 = 3600;
/// Rows stamped later than this past `now` were written before the wall clock was set back:
/// they are not counted (they would otherwise block for as long as the clock was off).
pub const FUTURE_SLACK_SECS: i64 = 60;

/// One earlier prompt of the device or the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentPrompt {
    pub created_at: i64,
    /// Its payment is still pending (no result yet).
    pub pending: bool,
}

/// Whose limit was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Device,
    Number,
}

/// Why a prompt is not sent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PromptRefusal {
    #[error("a prompt is already open for this {who:?} (retry in {retry_after_secs} s)")]
    Open { who: Who, retry_after_secs: u64 },
    #[error("this {who:?} had its prompts for the hour (retry in {retry_after_secs} s)")]
    Hourly { who: Who, retry_after_secs: u64 },
}

impl PromptRefusal {
    pub fn retry_after_secs(&self) -> u64 {
        match *self {
            PromptRefusal::Open { retry_after_secs, .. } | PromptRefusal::Hourly { retry_after_secs, .. } => retry_after_secs,
        }
    }
}

impl PromptLimits {
    /// How many recent prompts `decide` needs to see, newest first.
    pub fn rows_needed(&self) -> u32 {
        self.per_hour.max(self.at_once)
    }

    /// The oldest `created_at` that still counts at `now`.
    pub fn window_start(now: i64) -> i64 {
        now - HOUR_SECS
    }

    /// `Ok` if a prompt may be sent now for this device and this number. Each slice holds
    /// that party's recent prompts, newest first (more than `rows_needed` change nothing).
    pub fn decide(&self, device: &[RecentPrompt], number: &[RecentPrompt], now: i64) -> Result<(), PromptRefusal> {
        for (who, rows) in [(Who::Device, device), (Who::Number, number)] {
            self.open(who, rows, now)?;
        }
        for (who, rows) in [(Who::Device, device), (Who::Number, number)] {
            self.hourly(who, rows, now)?;
        }
        Ok(())
    }

    fn counted(rows: &[RecentPrompt], since: i64, now: i64) -> impl Iterator<Item = &RecentPrompt> {
        rows.iter().filter(move |p| p.created_at > since && p.created_at <= now + FUTURE_SLACK_SECS)
    }

    fn open(&self, who: Who, rows: &[RecentPrompt], now: i64) -> Result<(), PromptRefusal> {
        let lifetime = self.prompt_lifetime_secs;
        let open: Vec<i64> = Self::counted(rows, now - lifetime, now).filter(|p| p.pending).map(|p| p.created_at).collect();
        match open.get(self.at_once.max(1) as usize - 1) {
            // The open count drops below the limit when the at_once-th newest stops counting.
            Some(&at) => Err(PromptRefusal::Open { who, retry_after_secs: wait(at + lifetime - now, lifetime) }),
            None => Ok(()),
        }
    }

    fn hourly(&self, who: Who, rows: &[RecentPrompt], now: i64) -> Result<(), PromptRefusal> {
        let started: Vec<i64> = Self::counted(rows, Self::window_start(now), now).map(|p| p.created_at).collect();
        match started.get(self.per_hour.max(1) as usize - 1) {
            Some(&at) => Err(PromptRefusal::Hourly { who, retry_after_secs: wait(at + HOUR_SECS - now, HOUR_SECS) }),
            None => Ok(()),
        }
    }
}

/// Seconds to wait, at least 1 and at most the window.
fn wait(secs: i64, window: i64) -> u64 {
    secs.clamp(1, window.max(1)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: PromptLimits = PromptLimits { at_once: 1, per_hour: 5, prompt_lifetime_secs: 180 };
    const NOW: i64 = 1_000_000;

    fn pending(ago: i64) -> RecentPrompt {
        RecentPrompt { created_at: NOW - ago, pending: true }
    }

    fn done(ago: i64) -> RecentPrompt {
        RecentPrompt { created_at: NOW - ago, pending: false }
    }

    /// What, the device's prompts, the number's, the decision.
    type Case = (&'static str, Vec<RecentPrompt>, Vec<RecentPrompt>, Result<(), PromptRefusal>);

    #[test]
    fn decides_by_the_table() {
        use PromptRefusal::*;
        use Who::*;
        let cases: Vec<Case> = vec![
            ("nothing before", vec![], vec![], Ok(())),
            ("an open prompt on the device", vec![pending(30)], vec![], Err(Open { who: Device, retry_after_secs: 150 })),
            ("an open prompt for the number", vec![], vec![pending(170)], Err(Open { who: Number, retry_after_secs: 10 })),
            ("pending past its lifetime no longer blocks", vec![pending(181)], vec![pending(600)], Ok(())),
            ("finished prompts do not block", vec![done(5), done(10)], vec![done(5)], Ok(())),
            (
                "five in the hour on the device",
                vec![done(10), done(20), done(30), done(40), done(3000)],
                vec![],
                Err(Hourly { who: Device, retry_after_secs: 600 }),
            ),
            (
                "five in the hour for the number",
                vec![done(10)],
                vec![done(10), done(20), done(30), done(40), done(3599)],
                Err(Hourly { who: Number, retry_after_secs: 1 }),
            ),
            ("four in the hour and one older", vec![done(10), done(20), done(30), done(40), done(3600)], vec![], Ok(())),
            (
                "open is said before hourly",
                vec![done(10), done(20), done(30), done(40), done(50)],
                vec![pending(60)],
                Err(Open { who: Number, retry_after_secs: 120 }),
            ),
            (
                "rows from before the clock was set back do not count",
                vec![pending(-7200), pending(-3000), done(-4000), done(-5000), done(-6000)],
                vec![],
                Ok(()),
            ),
            ("a row a little in the future counts", vec![pending(-30)], vec![], Err(Open { who: Device, retry_after_secs: 180 })),
        ];
        for (what, device, number, expected) in cases {
            assert_eq!(LIMITS.decide(&device, &number, NOW), expected, "{what}");
        }
    }

    #[test]
    fn larger_limits_count_the_nth_newest() {
        let limits = PromptLimits { at_once: 2, per_hour: 3, prompt_lifetime_secs: 100 };
        assert_eq!(limits.decide(&[pending(10)], &[], NOW), Ok(()));
        assert_eq!(
            limits.decide(&[pending(10), pending(40)], &[], NOW),
            Err(PromptRefusal::Open { who: Who::Device, retry_after_secs: 60 })
        );
        assert_eq!(
            limits.decide(&[done(10), done(40), done(100)], &[], NOW),
            Err(PromptRefusal::Hourly { who: Who::Device, retry_after_secs: 3500 })
        );
        assert_eq!(limits.rows_needed(), 3);
    }
}

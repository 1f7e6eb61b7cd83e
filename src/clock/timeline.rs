//! The rules that keep remaining time honest when the wall clock is wrong or jumps. Pure:
//! every function takes the clock readings as arguments.
//!
//! A router without a real-time clock boots at 1970, or at the time OpenWrt's `sysfixtime`
//! guesses (the newest file in /etc), and jumps when NTP answers. Stored deadlines (an
//! account's `subscription_expires_at`, a session's `expires_at`) are wall-clock seconds, so
//! the daemon keeps its own *timeline*: wall-clock seconds that advance with the monotonic
//! clock only. When the wall clock moves away from the timeline (a jump), every active
//! deadline is shifted by the same amount and the timeline is re-anchored, so remaining time
//! (deadline - now) never changes: a jump neither expires nor extends anyone.
//!
//! Across restarts the timeline is carried by a checkpoint (boot id, monotonic reading,
//! timeline seconds) written with every usage checkpoint. In the same boot the monotonic
//! clock says exactly how much time passed; after a reboot nobody can know how long the
//! router was off, so that time is not charged (a power cut pauses everyone's time; at
//! most one checkpoint interval is given back).

/// The wall clock and the monotonic (boot) clock read at the same instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    /// Wall-clock milliseconds since the Unix epoch.
    pub wall_ms: i64,
    /// Milliseconds since boot (CLOCK_BOOTTIME): never jumps, restarts at 0 on reboot.
    pub boot_ms: i64,
}

/// Ties the timeline to the monotonic clock: at `boot_ms` the timeline read `timeline_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    pub timeline_ms: i64,
    pub boot_ms: i64,
}

impl Anchor {
    /// An anchor where the timeline agrees with the wall clock.
    pub fn at(reading: Reading) -> Anchor {
        Anchor { timeline_ms: reading.wall_ms, boot_ms: reading.boot_ms }
    }

    /// The timeline at the monotonic instant `boot_ms`, in milliseconds.
    pub fn timeline_ms(&self, boot_ms: i64) -> i64 {
        self.timeline_ms + (boot_ms - self.boot_ms)
    }
}

/// Wall-clock moves smaller than this are rounding and NTP slewing, not jumps.
pub const JUMP_THRESHOLD_MS: i64 = 2_000;

/// How many seconds the wall clock has jumped away from the timeline, if it has.
pub fn jump_secs(anchor: Anchor, now: Reading) -> Option<i64> {
    let drift_ms = now.wall_ms - anchor.timeline_ms(now.boot_ms);
    (drift_ms.abs() >= JUMP_THRESHOLD_MS).then(|| round_div(drift_ms, 1000))
}

/// The timeline as persisted: which boot, the monotonic reading, and the timeline then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub boot_id: String,
    pub boot_ms: i64,
    /// Timeline seconds (the clock stored deadlines are measured against).
    pub at: i64,
}

impl Checkpoint {
    /// The checkpoint of a timeline anchored at `reading` (agreeing with its wall clock).
    pub fn of(boot_id: &str, reading: Reading) -> Checkpoint {
        Checkpoint { boot_id: boot_id.to_owned(), boot_ms: reading.boot_ms, at: reading.wall_ms.div_euclid(1000) }
    }

    /// `boot_id boot_ms at`, the form kept in the `settings` table.
    pub fn encode(&self) -> String {
        format!("{} {} {}", self.boot_id, self.boot_ms, self.at)
    }

    pub fn decode(text: &str) -> Option<Checkpoint> {
        let mut parts = text.split_whitespace();
        let checkpoint = Checkpoint {
            boot_id: parts.next()?.to_owned(),
            boot_ms: parts.next()?.parse().ok()?,
            at: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(checkpoint)
    }
}

/// At daemon start: by how many seconds to shift stored deadlines so that everyone keeps
/// the time they had at the last checkpoint, minus the time that provably passed since.
pub fn shift_at_start(last: Option<&Checkpoint>, boot_id: &str, now: Reading) -> i64 {
    let Some(last) = last else { return 0 };
    // Same boot: the monotonic clock measured the gap exactly. Another boot: unknown, so
    // nothing is charged for it.
    let elapsed_ms = if last.boot_id == boot_id { (now.boot_ms - last.boot_ms).max(0) } else { 0 };
    let timeline_now_ms = last.at * 1000 + elapsed_ms;
    let drift_ms = now.wall_ms - timeline_now_ms;
    if drift_ms.abs() < JUMP_THRESHOLD_MS {
        0
    } else {
        round_div(drift_ms, 1000)
    }
}

/// Whether the wall clock can be believed, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// NTP set it during this boot, at this time.
    Synced { at: i64 },
    /// Not synchronised this boot, but later than the last time known to be good.
    PastLastGood { last_good: i64 },
    /// Behind the last good time (e.g. booted at 1970), or never confirmed at all.
    Untrusted { last_good: Option<i64> },
}

impl Trust {
    pub fn is_trusted(self) -> bool {
        !matches!(self, Trust::Untrusted { .. })
    }
}

/// `synced_this_boot`: when NTP confirmed the clock, if it did during the current boot.
/// `last_good`: the latest time the router has seen while its clock was trusted.
pub fn trust(synced_this_boot: Option<i64>, last_good: Option<i64>, now: i64) -> Trust {
    match (synced_this_boot, last_good) {
        (Some(at), _) => Trust::Synced { at },
        (None, Some(last_good)) if now >= last_good => Trust::PastLastGood { last_good },
        (None, last_good) => Trust::Untrusted { last_good },
    }
}

/// `n / d` rounded to the nearest whole number (halves away from zero).
fn round_div(n: i64, d: i64) -> i64 {
    if n >= 0 {
        (n + d / 2) / d
    } else {
        -((-n + d / 2) / d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_MS: i64 = 86_400_000;

    fn reading(wall_ms: i64, boot_ms: i64) -> Reading {
        Reading { wall_ms, boot_ms }
    }

    #[test]
    fn the_timeline_follows_the_monotonic_clock_not_the_wall() {
        let anchor = Anchor::at(reading(1_000_000_000_000, 5_000));
        assert_eq!(anchor.timeline_ms(65_000), 1_000_000_060_000);
        // Wall clock in step: no jump.
        assert_eq!(jump_secs(anchor, reading(1_000_000_060_400, 65_000)), None);
        // NTP steps the clock a day forward, or a day back.
        assert_eq!(jump_secs(anchor, reading(1_000_000_060_000 + DAY_MS, 65_000)), Some(86_400));
        assert_eq!(jump_secs(anchor, reading(1_000_000_060_000 - DAY_MS, 65_000)), Some(-86_400));
        // From 1970 to today.
        let boot = Anchor::at(reading(30_000, 30_000));
        assert_eq!(jump_secs(boot, reading(1_764_000_040_000, 40_000)), Some(1_764_000_000));
    }

    #[test]
    fn small_corrections_are_not_jumps() {
        let anchor = Anchor::at(reading(1_000_000, 0));
        assert_eq!(jump_secs(anchor, reading(1_001_900, 0)), None);
        assert_eq!(jump_secs(anchor, reading(998_100, 0)), None);
        assert_eq!(jump_secs(anchor, reading(1_002_600, 0)), Some(3));
    }

    #[test]
    fn a_restart_in_the_same_boot_charges_exactly_the_time_that_passed() {
        let last = Checkpoint { boot_id: "b1".into(), boot_ms: 100_000, at: 1_700_000_000 };
        // 30 s later by both clocks: nothing to shift.
        assert_eq!(shift_at_start(Some(&last), "b1", reading(1_700_000_030_000, 130_000)), 0);
        // The wall clock was stepped a day forward while the daemon was down.
        assert_eq!(shift_at_start(Some(&last), "b1", reading(1_700_086_430_000, 130_000)), 86_400);
    }

    #[test]
    fn time_the_router_was_off_is_not_charged() {
        let last = Checkpoint { boot_id: "b1".into(), boot_ms: 100_000, at: 1_700_000_000 };
        // Rebooted without a clock: the kernel says 1970.
        let shift = shift_at_start(Some(&last), "b2", reading(20_000, 20_000));
        assert_eq!(shift, 20 - 1_700_000_000);
        // Rebooted two hours later with a real-time clock: the deadlines move two hours on.
        assert_eq!(shift_at_start(Some(&last), "b2", reading(1_700_007_200_000, 20_000)), 7_200);
        // A first start has nothing to shift.
        assert_eq!(shift_at_start(None, "b2", reading(20_000, 20_000)), 0);
    }

    #[test]
    fn checkpoints_round_trip_and_reject_garbage() {
        let c = Checkpoint { boot_id: "0f3a-b".into(), boot_ms: 42, at: -5 };
        assert_eq!(Checkpoint::decode(&c.encode()), Some(c));
        for bad in ["", "a 1", "a x 3", "a 1 2 3"] {
            assert_eq!(Checkpoint::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn trust_needs_ntp_or_a_time_past_the_last_good_one() {
        assert_eq!(trust(Some(50), Some(100), 60), Trust::Synced { at: 50 });
        assert_eq!(trust(None, Some(100), 100), Trust::PastLastGood { last_good: 100 });
        assert_eq!(trust(None, Some(100), 99), Trust::Untrusted { last_good: Some(100) });
        assert_eq!(trust(None, None, 1_800_000_000), Trust::Untrusted { last_good: None });
        assert!(!trust(None, None, 0).is_trusted());
    }
}

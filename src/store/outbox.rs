//! The sync outbox (`sync_outbox`): what the central server has not seen yet, in the order
//! it happened. `record` is the one writer: every change worth reporting calls it inside the
//! transaction that makes the change, so the change and its event are committed together or
//! not at all (a crash can neither lose an event nor report a change that did not happen).
//!
//! Events carry what the central needs to know, never a password or a token. Usage is
//! coalesced: at most one unsent usage row exists, holding every active session's totals as
//! of the last checkpoint; a newer checkpoint rewrites it in place (totals only grow, so the
//! newest supersede), so usage never piles up on flash however long the router is offline.
//! Money, accounts, sessions and vouchers are never coalesced or dropped.
//!
//! Sending (and deleting what the central acknowledged) is the sync module's job.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::access::AccountStatus;
use crate::store::accounts::AccountSource;
use crate::store::payments::{PaymentFailure, PaymentStatus};
use crate::store::sessions::{EndMethod, EndReason};

/// A change worth reporting. Stored as JSON in `sync_outbox.payload` (`{"event":"…",…}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A payment prompt was asked for.
    PaymentStarted { payment_id: i64, provider: String, phone: String, package_id: i64, amount: i64, currency: String },
    /// M-Pesa confirmed a payment.
    PaymentConfirmed { payment_id: i64, receipt: Option<String>, amount: i64, phone: String },
    /// A payment did not go through (`status` failed or cancelled), and why.
    PaymentFailed { payment_id: i64, status: PaymentStatus, failure: PaymentFailure },
    /// An account came into being (a voucher's first use, a payment, the operator).
    AccountCreated { account_id: i64, username: String, source: AccountSource, package_id: i64, phone: Option<String> },
    /// A purchase added time and data to an account.
    AccountExtended {
        account_id: i64,
        package_id: i64,
        payment_id: Option<i64>,
        duration_secs: i64,
        expires_at: Option<i64>,
        data_limit_bytes: Option<i64>,
    },
    /// An account's status changed (expired, data used up, suspended, active again).
    AccountStatus { account_id: i64, status: AccountStatus },
    /// An account was given a new password (the password itself is never reported).
    PasswordReset { account_id: i64 },
    /// A device went online.
    SessionStarted {
        session_id: i64,
        account_id: i64,
        username: String,
        mac: String,
        ip: String,
        /// `local` or the NAS's name.
        enforcer: String,
        expires_at: i64,
    },
    /// A device's session ended: who or what ended it, why, and its totals.
    SessionEnded {
        session_id: i64,
        account_id: i64,
        method: EndMethod,
        reason: EndReason,
        bytes_up: i64,
        bytes_down: i64,
        duration_secs: i64,
    },
    /// Higher final totals for a session that already ended (bytes read after its end).
    SessionTotals { session_id: i64, bytes_up: i64, bytes_down: i64 },
    /// Every active session's totals as `[session_id, bytes_up, bytes_down]` (coalesced).
    Usage { at: i64, sessions: Vec<[i64; 3]> },
    /// The operator created vouchers.
    VouchersCreated { package_id: i64, batch: Option<String>, codes: Vec<String> },
    /// A voucher was used for the first time: what it was sold for (its package's price
    /// then; absent in events older than the sync).
    VoucherRedeemed {
        voucher_id: i64,
        code: String,
        account_id: i64,
        mac: String,
        #[serde(default)]
        price: i64,
        #[serde(default)]
        currency: String,
    },
    /// An unused voucher was withdrawn.
    VoucherRevoked { voucher_id: i64, code: String },
    /// Login refusals since the last report, counted by reason (`[["unknown_voucher", 3]]`).
    AuthRefusals { from_id: i64, to_id: i64, counts: Vec<(String, i64)> },
    /// What became of an item the central sent (`sync::wire::Item`, by its id).
    CommandResult { command_id: i64, ok: bool, detail: String },
}

impl Event {
    /// What the row is about (`entity`, `entity_id`) and what happened to it (`op`).
    fn subject(&self) -> (&'static str, i64, &'static str) {
        match self {
            Event::PaymentStarted { payment_id, .. } => ("payment", *payment_id, "started"),
            Event::PaymentConfirmed { payment_id, .. } => ("payment", *payment_id, "confirmed"),
            Event::PaymentFailed { payment_id, .. } => ("payment", *payment_id, "failed"),
            Event::AccountCreated { account_id, .. } => ("account", *account_id, "created"),
            Event::AccountExtended { account_id, .. } => ("account", *account_id, "extended"),
            Event::AccountStatus { account_id, .. } => ("account", *account_id, "status"),
            Event::PasswordReset { account_id } => ("account", *account_id, "password_reset"),
            Event::SessionStarted { session_id, .. } => ("session", *session_id, "started"),
            Event::SessionEnded { session_id, .. } => ("session", *session_id, "ended"),
            Event::SessionTotals { session_id, .. } => ("session", *session_id, "totals"),
            Event::Usage { .. } => ("usage", 0, "checkpoint"),
            Event::VouchersCreated { package_id, .. } => ("voucher", *package_id, "created"),
            Event::VoucherRedeemed { voucher_id, .. } => ("voucher", *voucher_id, "redeemed"),
            Event::VoucherRevoked { voucher_id, .. } => ("voucher", *voucher_id, "revoked"),
            Event::AuthRefusals { to_id, .. } => ("auth", *to_id, "refusals"),
            Event::CommandResult { command_id, .. } => ("command", *command_id, "result"),
        }
    }
}

/// Records `event` in the outbox, inside the caller's transaction, with the clock's latest
/// judgement. A usage checkpoint or a refusal count replaces (merges into) the one not yet
/// sent, if any (see the module comment); every other event is appended.
pub fn record(conn: &Connection, event: &Event, now: i64) -> Result<(), StoreError> {
    crate::radius::upstream::queue::on_event(conn, event, now)?;
    let (entity, entity_id, op) = event.subject();
    let mut event = std::borrow::Cow::Borrowed(event);
    if matches!(*event, Event::Usage { .. } | Event::AuthRefusals { .. }) {
        let unsent: Option<(i64, String)> = conn
            .prepare_cached("SELECT id, payload FROM sync_outbox WHERE entity = ?1 AND sent_at IS NULL ORDER BY id DESC LIMIT 1")?
            .query_row([entity], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((id, payload)) = unsent {
            // Only the counts are read back (not the whole `Event`: its decoder would cost the
            // router's binary tens of KB for this one use).
            #[derive(Deserialize)]
            struct Earlier {
                from_id: i64,
                counts: Vec<(String, i64)>,
            }
            if let (Event::AuthRefusals { from_id, to_id, counts }, Ok(Earlier { from_id: first, counts: earlier })) =
                (&*event, serde_json::from_str::<Earlier>(&payload))
            {
                event = std::borrow::Cow::Owned(Event::AuthRefusals { from_id: first.min(*from_id), to_id: *to_id, counts: merge_counts(earlier, counts) });
            }
            let payload = serde_json::to_string(&*event).map_err(StoreError::Encode)?;
            conn.execute(
                "UPDATE sync_outbox SET payload = ?2, entity_id = ?3, created_at = ?4, clock_trusted = ?5 WHERE id = ?1",
                params![id, payload, entity_id, now, crate::clock::last_trusted()],
            )?;
            return Ok(());
        }
    }
    let payload = serde_json::to_string(&*event).map_err(StoreError::Encode)?;
    conn.prepare_cached("INSERT INTO sync_outbox (entity, entity_id, op, payload, created_at, clock_trusted) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
        .execute(params![entity, entity_id, op, payload, now, crate::clock::last_trusted()])?;
    Ok(())
}

/// Two refusal counts added up by reason.
fn merge_counts(mut into: Vec<(String, i64)>, more: &[(String, i64)]) -> Vec<(String, i64)> {
    for (reason, n) in more {
        match into.iter_mut().find(|(r, _)| r == reason) {
            Some((_, total)) => *total += n,
            None => into.push((reason.clone(), *n)),
        }
    }
    into
}

/// An outbox row as stored: the event is sent as it was written (`payload`, JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Its sequence number at the central.
    pub id: i64,
    pub entity: String,
    pub entity_id: i64,
    pub op: String,
    pub payload: String,
    pub created_at: i64,
    pub clock_trusted: bool,
}

/// Events the central has not acknowledged, from `after_id` on, oldest first (sent or not).
pub fn unsent(conn: &Connection, after_id: i64, limit: u32) -> Result<Vec<Recorded>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, entity, entity_id, op, payload, created_at, clock_trusted FROM sync_outbox
         WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after_id, limit], |r| {
        Ok(Recorded {
            id: r.get(0)?,
            entity: r.get(1)?,
            entity_id: r.get(2)?,
            op: r.get(3)?,
            payload: r.get(4)?,
            created_at: r.get(5)?,
            clock_trusted: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Marks the events up to `last_id` as sent: from now on they are never rewritten, so a
/// resend carries the same event under the same number. One write per batch.
pub fn mark_sent(conn: &Connection, last_id: i64, now: i64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE sync_outbox SET sent_at = ?2, attempts = attempts + 1 WHERE id <= ?1 AND sent_at IS NULL")?
        .execute(params![last_id, now])?;
    Ok(())
}

/// The central stored every event up to `seq`: they are deleted. Returns how many.
pub fn acknowledge(conn: &Connection, seq: i64) -> Result<usize, StoreError> {
    Ok(conn.prepare_cached("DELETE FROM sync_outbox WHERE id <= ?1")?.execute([seq])?)
}

/// How many events wait for the central's acknowledgement (for `hotspotd status`).
pub fn backlog(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("SELECT count(*) FROM sync_outbox", [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::migrations::memory as db;

    #[test]
    fn events_are_kept_in_order_and_read_back() {
        let conn = db();
        let started = Event::PaymentStarted {
            payment_id: 4,
            provider: "mpesa".into(),
            phone: "254712345678".into(),
            package_id: 1,
            amount: 10,
            currency: "KES".into(),
        };
        record(&conn, &started, 100).unwrap();
        record(&conn, &Event::PasswordReset { account_id: 9 }, 101).unwrap();
        let rows = unsent(&conn, 0, 10).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].entity.as_str(), rows[0].entity_id, rows[0].op.as_str()), ("payment", 4, "started"));
        assert_eq!(rows[0].payload, serde_json::to_string(&started).unwrap());
        assert!(rows[0].payload.starts_with(r#"{"event":"payment_started","payment_id":4"#), "{}", rows[0].payload);
        assert_eq!(rows[1].payload, r#"{"event":"password_reset","account_id":9}"#);
        assert_eq!(unsent(&conn, rows[0].id, 10).unwrap().len(), 1);
    }

    #[test]
    fn usage_is_coalesced_into_one_unsent_row() {
        let conn = db();
        record(&conn, &Event::Usage { at: 1, sessions: vec![[1, 10, 20]] }, 1).unwrap();
        record(&conn, &Event::PasswordReset { account_id: 9 }, 2).unwrap();
        record(&conn, &Event::Usage { at: 3, sessions: vec![[1, 15, 40], [2, 1, 1]] }, 3).unwrap();
        let rows = unsent(&conn, 0, 10).unwrap();
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].payload, r#"{"event":"usage","at":3,"sessions":[[1,15,40],[2,1,1]]}"#);
        // Once the usage row is on its way (sent_at set), a new checkpoint starts another.
        mark_sent(&conn, rows[1].id, 4).unwrap();
        record(&conn, &Event::Usage { at: 5, sessions: vec![[1, 16, 41]] }, 5).unwrap();
        assert_eq!(backlog(&conn).unwrap(), 3);
        assert_eq!(unsent(&conn, rows[1].id, 10).unwrap()[0].payload, r#"{"event":"usage","at":5,"sessions":[[1,16,41]]}"#);
        assert_eq!(acknowledge(&conn, rows[1].id).unwrap(), 2);
        assert_eq!(backlog(&conn).unwrap(), 1);
    }

    #[test]
    fn refusal_counts_add_up_until_sent() {
        let conn = db();
        record(&conn, &Event::AuthRefusals { from_id: 1, to_id: 5, counts: vec![("unknown_voucher".into(), 3)] }, 1).unwrap();
        record(&conn, &Event::AuthRefusals { from_id: 6, to_id: 9, counts: vec![("unknown_voucher".into(), 1), ("expired".into(), 2)] }, 2).unwrap();
        let rows = unsent(&conn, 0, 10).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].payload, r#"{"event":"auth_refusals","from_id":1,"to_id":9,"counts":[["unknown_voucher",4],["expired",2]]}"#);
    }

    #[test]
    fn sequence_numbers_are_never_reused_after_an_acknowledgement() {
        let conn = db();
        record(&conn, &Event::PasswordReset { account_id: 1 }, 1).unwrap();
        record(&conn, &Event::PasswordReset { account_id: 2 }, 1).unwrap();
        acknowledge(&conn, 2).unwrap();
        record(&conn, &Event::PasswordReset { account_id: 3 }, 1).unwrap();
        assert_eq!(unsent(&conn, 0, 10).unwrap()[0].id, 3);
    }
}

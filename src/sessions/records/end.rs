//! Ending sessions in the database: the session row, its audit row, its final byte totals
//! (through `store::usage::close`, their one writer), the account's status when its time or
//! data ran out, and the outbox event — one transaction per change.

use rusqlite::Connection;

use super::{cuts, target_of, Cut, Live, Target};
use crate::jobs::{queue, DisconnectNasSession};
use crate::netaddr::MacAddr;
use crate::store::outbox::{self, Event};
use crate::store::sessions::{self as rows, EndMethod, EndReason, NasResult, SessionRecord};
use crate::store::{accounts, usage, StoreError};

/// Which sessions a change ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Every active session of this device (logout, the operator's kick).
    Device(MacAddr),
    /// One session by id (a disconnect job).
    Session(i64),
    /// Every session whose time is up; their accounts are marked expired.
    Due,
    /// Every session of an account whose data cap the kernel reached; it is marked used up.
    Exhausted { account_id: i64 },
    /// Every session of an account the operator disables; it is marked suspended.
    Disabled { account_id: i64 },
    /// Every session of an account (the operator's kick of a customer, not of one device).
    Account { account_id: i64 },
}

impl Selection {
    fn sessions(self, conn: &Connection, now: i64) -> Result<Vec<SessionRecord>, StoreError> {
        match self {
            Selection::Device(mac) => rows::active_for_mac(conn, &mac.to_string()),
            Selection::Session(id) => rows::active_by_id(conn, id),
            Selection::Due => rows::due_to_expire(conn, now),
            Selection::Exhausted { account_id } | Selection::Disabled { account_id } | Selection::Account { account_id } => {
                rows::active_for_user(conn, account_id)
            }
        }
    }
}

/// Ends the selected sessions in one transaction and returns what their enforcers must be
/// told. `live` gives each session's live byte totals (the kernel's last count, read just
/// before); the larger of those and the last checkpoint is recorded. Ending an account for
/// its cap when it has none returns `None`: the kernel's quota is out of step with the
/// database (the caller rebuilds the table).
pub fn end_sessions(
    conn: &mut Connection,
    selection: Selection,
    method: EndMethod,
    reason: EndReason,
    now: i64,
    live: &dyn Live,
) -> Result<Option<Vec<Cut>>, StoreError> {
    let tx = conn.transaction()?;
    if let Selection::Exhausted { account_id } = selection {
        let capped = accounts::get_account(&tx, account_id)?.is_some_and(|r| r.account.data_limit_bytes.is_some());
        if !capped {
            return Ok(None);
        }
    }
    let mut gone = Vec::new();
    for session in selection.sessions(&tx, now)? {
        if end_one(&tx, &session, method, reason, now, live)? {
            gone.push(session);
        }
    }
    match selection {
        Selection::Due => {
            accounts::expire_accounts(&tx, now)?;
        }
        Selection::Exhausted { account_id } => accounts::mark_exhausted(&tx, account_id, now)?,
        Selection::Disabled { account_id } => {
            accounts::set_suspended(&tx, account_id, true, now)?;
        }
        Selection::Device(_) | Selection::Session(_) | Selection::Account { .. } => {}
    }
    let cut = cuts(&tx, &gone)?;
    tx.commit()?;
    Ok(Some(cut))
}

/// Ends one active session inside the caller's transaction, with its final totals, its
/// audit row and its outbox event. `false` if it had ended already. A NAS session that we
/// end (anything but its NAS reporting the end) is recorded as a RADIUS disconnect, and the
/// Disconnect-Request to its NAS is queued in the same transaction.
pub(super) fn end_one(
    conn: &Connection,
    session: &SessionRecord,
    method: EndMethod,
    reason: EndReason,
    now: i64,
    live: &dyn Live,
) -> Result<bool, StoreError> {
    let nas = match target_of(session) {
        Some(Target::Nas(nas)) if method != EndMethod::Nas => Some(nas),
        _ => None,
    };
    let method = if nas.is_some() { EndMethod::RadiusDisconnect } else { method };
    if !rows::end_session(conn, session, method, reason, now)? {
        return Ok(false);
    }
    if let Some(nas) = nas {
        rows::set_nas_result(conn, session.id, NasResult::Pending, None)?;
        queue::enqueue(conn, DisconnectNasSession::of(&nas, session.id), now)?;
    }
    let counted = live.totals(session.id).unwrap_or_default();
    let total = usage::close(conn, session.id, session.user_id, counted, now)?;
    let event = Event::SessionEnded {
        session_id: session.id,
        account_id: session.user_id,
        method,
        reason,
        bytes_up: total.up.min(i64::MAX as u64) as i64,
        bytes_down: total.down.min(i64::MAX as u64) as i64,
        duration_secs: (now - session.started_at).max(0),
    };
    outbox::record(conn, &event, now)?;
    Ok(true)
}

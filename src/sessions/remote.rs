//! What the central server's orders do to accounts and devices (`sync::apply`): end every
//! session of an account, and give an account more time or data. An extension is not
//! idempotent, so its item is recorded as applied in the transaction that makes it
//! (`store::sync::record_applied`): delivered twice, it extends once.

use super::{records, Selection, SessionError, Sessions};
use crate::access;
use crate::store::sessions::{self as session_rows, EndMethod, EndReason};
use crate::store::sync::{self as sync_rows, Outcome};
use crate::store::{accounts, StoreError};

impl Sessions {
    /// Ends every session of the account `username` (the operator's kick of a customer).
    /// `None`: no such account.
    pub async fn kick_account(&self, username: String, method: EndMethod) -> Result<Option<usize>, SessionError> {
        let Some(account_id) = self.account_id(username).await? else { return Ok(None) };
        Ok(Some(self.end(Selection::Account { account_id }, method, EndReason::Admin).await?.len()))
    }

    /// Gives the account `username` `seconds` more time and `bytes` more data. For the
    /// central's item `item_id` (`Some`), once: returns the outcome recorded for the item
    /// (the earlier one if it was applied already). `None`: the operator's own extension on
    /// this router (the web admin), applied each time it is asked for, recorded nowhere but
    /// in the account. Devices online on the account get the new deadline and cap at once.
    pub async fn extend_account(&self, item_id: Option<i64>, username: String, seconds: i64, bytes: i64) -> Result<Outcome, SessionError> {
        let now = self.now();
        let (outcome, grants) = self
            .store
            .call(move |conn| {
                let tx = conn.transaction()?;
                if let Some(earlier) = item_id.map(|id| sync_rows::applied(&tx, id)).transpose()?.flatten() {
                    return Ok((earlier, Vec::new()));
                }
                let Some(record) = accounts::find_account(&tx, username.trim())? else {
                    let outcome = Outcome::failed(format!("there is no account `{username}` on this router"));
                    if let Some(id) = item_id {
                        sync_rows::record_applied(&tx, id, &outcome, now)?;
                    }
                    tx.commit()?;
                    return Ok((outcome, Vec::new()));
                };
                let more = access::grant_more(&record.account, seconds, bytes, now);
                accounts::save_grant(&tx, &more, now)?;
                if let Some(at) = more.expires_at {
                    session_rows::set_user_expiry(&tx, more.user_id, at)?;
                }
                let outcome = Outcome::done(describe(&record.username, &more, now));
                if let Some(id) = item_id {
                    sync_rows::record_applied(&tx, id, &outcome, now)?;
                }
                let grants = records::authorised_now(&tx, Some(more.user_id), now)?;
                tx.commit()?;
                Ok::<_, StoreError>((outcome, grants))
            })
            .await?;
        if !grants.is_empty() {
            self.top_up(grants).await?;
        }
        Ok(outcome)
    }
}

/// "u123 now has 3600 s and 5000 bytes left" (what the operator sees as the result).
fn describe(username: &str, account: &access::Account, now: i64) -> String {
    let time = match account.expires_at {
        Some(at) => format!("{} s left", (at - now).max(0)),
        None => format!("{} s to use from its next login", account.duration_secs),
    };
    let data = match account.data_limit_bytes {
        Some(limit) => format!("{} bytes of data left", (limit - account.data_used_bytes).max(0)),
        None => "unlimited data".to_owned(),
    };
    format!("{username} now has {time} and {data} ({})", account.status)
}

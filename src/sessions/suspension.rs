//! The operator's suspension of an account (`hotspotd user disable|enable`): it may not log
//! in, on the portal or behind a NAS, and every device online on it is cut off at once
//! through the usual path (`Sessions::end`: the kernel for portal devices, a
//! Disconnect-Request for NAS ones).

use super::{Selection, SessionError, Sessions};
use crate::store;
use crate::store::sessions::{EndMethod, EndReason};

impl Sessions {
    /// Disables an account for the operator: it may not log in (portal or NAS) until enabled
    /// again, and every device online on it ends now (NAS devices by a Disconnect-Request).
    /// Returns how many sessions ended; `None`: no such account.
    pub async fn disable_account(&self, username: String) -> Result<Option<usize>, SessionError> {
        let Some(account_id) = self.account_id(username).await? else { return Ok(None) };
        let cut = self.end(Selection::Disabled { account_id }, EndMethod::Cli, EndReason::Disabled).await?;
        log::info!("account {account_id} disabled by the operator; {} devices cut off", cut.len());
        Ok(Some(cut.len()))
    }

    /// Lifts an operator's suspension. `None`: no such account; `Some(false)`: it was not disabled.
    pub async fn enable_account(&self, username: String) -> Result<Option<bool>, SessionError> {
        let Some(account_id) = self.account_id(username).await? else { return Ok(None) };
        let now = self.now();
        let changed = self.store.call(move |conn| store::accounts::set_suspended(conn, account_id, false, now)).await?;
        Ok(Some(changed))
    }

    pub(super) async fn account_id(&self, username: String) -> Result<Option<i64>, SessionError> {
        Ok(self.store.call(move |conn| Ok(store::accounts::find_account(conn, username.trim())?.map(|r| r.account.user_id))).await?)
    }
}

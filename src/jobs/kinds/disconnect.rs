//! `DisconnectHotspotUser`: ends one device session — the session row with its final totals,
//! its audit row in `session_disconnections`, and its enforcer (the firewall, or its NAS).
//! An already ended session is left as it is.

use serde::{Deserialize, Serialize};

use crate::jobs::{JobContext, JobError, JobKind, Priority};
use crate::sessions::Selection;
use crate::store::sessions::{EndMethod, EndReason};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisconnectHotspotUser {
    pub session_id: i64,
    pub reason: EndReason,
}

impl JobKind for DisconnectHotspotUser {
    const NAME: &'static str = "DisconnectHotspotUser";
    const PRIORITY: Priority = Priority::High;
    const MAX_ATTEMPTS: u32 = 5;

    fn unique_key(&self) -> String {
        format!("disconnect:{}", self.session_id)
    }
}

impl DisconnectHotspotUser {
    pub async fn apply(&self, ctx: &JobContext) -> Result<(), JobError> {
        let cut = ctx.sessions.end(Selection::Session(self.session_id), EndMethod::Job, self.reason).await?;
        if !cut.is_empty() {
            log::info!("disconnected session {} ({})", self.session_id, self.reason);
        }
        Ok(())
    }
}

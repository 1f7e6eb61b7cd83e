//! `DisconnectHotspotUser`: ends one device session — the session row, its audit row in
//! `session_disconnections`, and its firewall entry. An already ended session is only
//! removed from the firewall again (harmless).

use super::{retry, JobContext};
use crate::jobs::JobError;
use crate::sessions::records;
use crate::store::sessions::EndMethod;

pub async fn run(ctx: &JobContext, session_id: i64, reason: &str) -> Result<(), JobError> {
    let now = ctx.sessions.now();
    let reason_owned = reason.to_owned();
    let revoked = ctx
        .sessions
        .store()
        .call(move |conn| records::end_session_by_id(conn, session_id, EndMethod::Job, &reason_owned, now))
        .await
        .map_err(retry)?;
    if let Some(revoked) = revoked {
        ctx.sessions.revoke(vec![revoked]).await.map_err(|e| JobError::Retry(crate::error_chain(&e)))?;
        log::info!("disconnected {} ({}): {reason}", revoked.device.ip, revoked.device.mac);
    }
    Ok(())
}

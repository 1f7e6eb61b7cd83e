//! `DisconnectNasSession`: tells a NAS to end a session we ended (its time or data ran out,
//! the operator kicked it, its device logged in elsewhere) with a RADIUS Disconnect-Request
//! (RFC 5176, `radius::das`). Queued in the transaction that ended the session; the NAS's
//! answer goes into the session's audit row (`session_disconnections.nas_result`): acked,
//! refused with its Error-Cause, or no answer — retried with backoff, and left as no answer
//! if the NAS never replies (it still ends the session by itself at its Session-Timeout).

use serde::{Deserialize, Serialize};

use crate::jobs::{JobContext, JobError, JobKind, Priority};
use crate::sessions::{NasError, NasSession};
use crate::store::sessions::{self as rows, NasResult};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisconnectNasSession {
    pub session_id: i64,
    pub nas: String,
    pub acct_session_id: String,
    pub username: String,
    #[serde(default)]
    pub mac: Option<String>,
    #[serde(default)]
    pub ip: Option<String>,
}

impl JobKind for DisconnectNasSession {
    const NAME: &'static str = "DisconnectNasSession";
    const PRIORITY: Priority = Priority::High;
    const MAX_ATTEMPTS: u32 = 4;

    fn unique_key(&self) -> String {
        format!("nas-disconnect:{}", self.session_id)
    }
}

impl DisconnectNasSession {
    /// The job for a NAS session that has just ended.
    pub fn of(session: &NasSession, session_id: i64) -> DisconnectNasSession {
        DisconnectNasSession {
            session_id,
            nas: session.nas.clone(),
            acct_session_id: session.acct_session_id.clone(),
            username: session.username.clone(),
            mac: session.mac.map(|m| m.to_string()),
            ip: session.ip.map(|ip| ip.to_string()),
        }
    }

    fn session(&self) -> NasSession {
        NasSession {
            nas: self.nas.clone(),
            acct_session_id: self.acct_session_id.clone(),
            username: self.username.clone(),
            mac: self.mac.as_deref().and_then(|m| m.parse().ok()),
            ip: self.ip.as_deref().and_then(|ip| ip.parse().ok()),
        }
    }

    pub async fn apply(&self, ctx: &JobContext) -> Result<(), JobError> {
        let session = self.session();
        let answer = match ctx.sessions.nas_call(move |control| control.disconnect(&session)).await {
            Some(Ok(answer)) => answer,
            Some(Err(stopped)) => return Err(JobError::Upstream(stopped)),
            None => Err(NasError::UnknownNas(self.nas.clone())),
        };
        let (result, cause) = match &answer {
            Ok(()) => (NasResult::Acked, None),
            Err(NasError::Refused { cause, .. }) => (NasResult::Refused, Some(*cause)),
            Err(NasError::NoAnswer { .. }) => (NasResult::NoAnswer, None),
            Err(_) => (NasResult::NotSent, None),
        };
        let id = self.session_id;
        ctx.sessions.store().call(move |conn| rows::set_nas_result(conn, id, result, cause)).await?;
        match answer {
            Ok(()) => {
                log::info!("NAS {} disconnected session {} ({})", self.nas, self.acct_session_id, self.username);
                Ok(())
            }
            Err(NasError::Refused { cause, .. }) => {
                // Recorded; asking again gets the same answer (503: it had already gone).
                log::warn!("NAS {} refused to disconnect session {} (Error-Cause {cause})", self.nas, self.acct_session_id);
                Ok(())
            }
            Err(e) => Err(JobError::Nas(e)),
        }
    }
}

//! `SendCredentialsSms`: sends an account's username and password to its phone, then wipes
//! the plaintext password. The text is in the customer's language (their page's when they
//! paid or asked for a new password), else the operator's default (Settings, read when the
//! message goes out). Permanent provider errors (invalid number, blacklisted) fail
//! the job at once; transient ones (provider down, no uplink) retry with backoff, so
//! messages wait while the router is offline. Already sent or wiped: nothing to do. A job
//! retried by the operator after a permanent refusal sends again while the password is kept
//! (a day).

use serde::{Deserialize, Serialize};

use crate::access;
use crate::jobs::{JobContext, JobError, JobKind, Priority};
use crate::phone::Phone;
use crate::i18n::Lang;
use crate::sms;
use crate::store::accounts::{self, CredentialStatus};
use crate::store::{branding, settings};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendCredentialsSms {
    pub credential_id: i64,
}

impl JobKind for SendCredentialsSms {
    const NAME: &'static str = "SendCredentialsSms";
    const PRIORITY: Priority = Priority::High;
    /// SMS waits long for a lost uplink (backoff up to 10 minutes: several hours in all).
    const MAX_ATTEMPTS: u32 = 40;

    fn unique_key(&self) -> String {
        format!("sms:{}", self.credential_id)
    }
}

impl SendCredentialsSms {
    pub async fn apply(&self, ctx: &JobContext) -> Result<(), JobError> {
        let credential_id = self.credential_id;
        let now = ctx.sessions.now();
        let store = ctx.sessions.store();
        let (credential, account, lang) = store
            .call(move |conn| {
                let Some(credential) = accounts::get_credential(conn, credential_id)? else { return Ok(None) };
                let account = accounts::get_account(conn, credential.user_id)?;
                // The customer's language, else the operator's (Settings) as it is now.
                let lang = match credential.lang {
                    Some(lang) => Some(lang),
                    None => settings::get(conn, branding::DEFAULT_LANGUAGE)?.and_then(|code| Lang::from_code(&code)),
                };
                Ok(Some((credential, account, lang.unwrap_or_default())))
            })
            .await?
            .ok_or(JobError::Gone { what: "credentials", id: credential_id })?;
        // A refused message keeps its password until it expires, so `hotspotd jobs retry` can
        // send it once the cause is fixed.
        let Some(password) = credential.password_plain.clone().filter(|_| credential.status != CredentialStatus::Sent) else {
            return Ok(()); // sent or expired already
        };
        let finish = |status: CredentialStatus| async move {
            store.call(move |conn| accounts::finish_credential(conn, credential_id, status, now)).await.map_err(JobError::from)
        };
        let Some(gateway) = ctx.sms.clone() else {
            log::info!("credentials for {} not sent: no SMS provider configured (sms.provider)", credential.username);
            return finish(CredentialStatus::Failed).await;
        };
        let phone_text = credential.phone.clone().unwrap_or_default();
        let phone = match Phone::parse(&phone_text, &ctx.country_code) {
            Ok(phone) => phone,
            Err(source) => {
                finish(CredentialStatus::Failed).await?;
                return Err(JobError::BadPhone { phone: phone_text, source });
            }
        };
        let words = &lang.words().portal;
        let valid_for = account.map(|a| (words.duration)(access::remaining(&a.account, now).secs)).unwrap_or_default();
        let message = sms::credentials_message(lang, &credential.username, &password, &valid_for, &ctx.portal_url);
        // Within SMS's share of the upstream threads: a dead gateway never holds more.
        let sent = ctx.sms_calls.call(None, move || gateway.send(&phone, &message)).await?;
        match sent {
            Ok(receipt) => {
                finish(CredentialStatus::Sent).await?;
                log::info!(
                    "credentials for {} sent by SMS ({})",
                    credential.username,
                    receipt.provider_id.as_deref().unwrap_or("no message id")
                );
                Ok(())
            }
            Err(e) => {
                if e.is_permanent() {
                    finish(CredentialStatus::Failed).await?;
                }
                Err(e.into())
            }
        }
    }
}

//! `SendCredentialsSms`: sends an account's username and password to its phone, then wipes
//! the plaintext password. Permanent provider errors (invalid number, blacklisted) fail the
//! job at once; transient ones (provider down, no uplink) retry with backoff, so messages
//! wait while the router is offline. Already sent or wiped: nothing to do. A job retried by
//! the operator after a permanent refusal sends again while the password is kept (a day).

use super::{retry, JobContext};
use crate::access;
use crate::jobs::JobError;
use crate::phone::Phone;
use crate::portal::text;
use crate::sms::{self, SmsError};
use crate::store::accounts;

pub async fn run(ctx: &JobContext, credential_id: i64) -> Result<(), JobError> {
    let now = ctx.sessions.now();
    let store = ctx.sessions.store();
    let loaded = store
        .call(move |conn| {
            let Some(credential) = accounts::get_credential(conn, credential_id)? else { return Ok(None) };
            let account = accounts::get_account(conn, credential.user_id)?;
            Ok(Some((credential, account)))
        })
        .await
        .map_err(retry)?;
    let Some((credential, account)) = loaded else {
        return Err(JobError::Permanent(format!("there are no credentials {credential_id}")));
    };
    // A refused message keeps its password until it expires, so `hotspotd jobs retry` can
    // send it once the cause is fixed.
    let Some(password) = credential.password_plain.clone().filter(|_| credential.status != "sent") else {
        return Ok(()); // sent or expired already
    };
    let finish = |status: &'static str| async move {
        store.call(move |conn| accounts::finish_credential(conn, credential_id, status, now)).await.map_err(retry)
    };
    let Some(gateway) = ctx.sms.clone() else {
        log::info!("credentials for {} not sent: no SMS provider configured (sms.provider)", credential.username);
        return finish("failed").await;
    };
    let phone_text = credential.phone.clone().unwrap_or_default();
    let Ok(phone) = Phone::parse(&phone_text, &ctx.country_code) else {
        finish("failed").await?;
        return Err(JobError::Permanent(format!("`{phone_text}` is not a phone number SMS can reach")));
    };
    let valid_for = account
        .map(|a| text::duration(access::remaining(&a.account, now).secs))
        .unwrap_or_default();
    let message = sms::credentials_message(&credential.username, &password, &valid_for, &ctx.portal_url);
    let sent = ctx.sms_calls.call(None, move || gateway.send(&phone, &message)).await.map_err(|e| JobError::Retry(e.to_string()))?;
    match sent {
        Ok(receipt) => {
            finish("sent").await?;
            log::info!(
                "credentials for {} sent by SMS ({})",
                credential.username,
                receipt.provider_id.as_deref().unwrap_or("no message id")
            );
            Ok(())
        }
        Err(SmsError::Permanent(why)) => {
            finish("failed").await?;
            Err(JobError::Permanent(why))
        }
        Err(SmsError::Transient(why)) => Err(JobError::Retry(why)),
    }
}

//! The SMS gateways' answers (`sms::interpret_answer`: Africa's Talking, Twilio, webhook).
//! Any status and body: no panic, a send counts as done only on a 2xx answer, and the error
//! an operator reads in `hotspotd jobs` never holds the API key or the URL's query (even
//! when the gateway echoes them), and stays short whatever the body's size.

use hotspotd::config::SmsProvider;
use hotspotd::http_client::HttpResponse;
use hotspotd::sms::interpret_answer;

/// The configured secret. Upper case and digits, starting with K: no fixed text of the
/// error messages can make it up by chance.
pub const API_KEY: &str = "K3YS3CR3T9";
/// The configured URL, with a token in its query (some webhooks carry one).
pub const URL: &str = "http://127.0.0.1:9/sms/send?token=Q7TOKEN";
const NUMBER: &str = "+254712345678";
/// Two quoted 200-character pieces of the answer and the fixed words around them.
const MAX_ERROR_CHARS: usize = 800;

const PROVIDERS: [SmsProvider; 3] = [SmsProvider::AfricasTalking, SmsProvider::Twilio, SmsProvider::Webhook];

/// Any status and body, to every provider.
pub fn check_sms_answer(status: u16, body: &str) {
    let answer = HttpResponse { status, body: body.to_owned() };
    for provider in PROVIDERS {
        let result = interpret_answer(provider, &answer, NUMBER, API_KEY, URL).expect("a provider");
        let text = match &result {
            Ok(sent) => {
                assert!((200..300).contains(&status), "{provider:?}: HTTP {status} {body:?} counted as sent: {sent:?}");
                continue;
            }
            Err(e) => hotspotd::error_chain(e),
        };
        let shown = format!("{provider:?}: HTTP {status} {body:?} gave {text:?}");
        assert!(!text.contains(API_KEY), "the API key leaked: {shown}");
        assert!(!text.contains(URL), "the URL with its query leaked: {shown}");
        assert!(text.chars().count() <= MAX_ERROR_CHARS, "a long error: {shown}");
    }
}

/// Africa's Talking: a recipient with status 100-102 is sent, with its message id; any
/// other code is a failure that names it.
pub fn check_africastalking_recipient(status_code: i64, message_id: &str) {
    let body = serde_json::json!({ "SMSMessageData": { "Message": "Sent to 1/1", "Recipients": [
        { "statusCode": status_code, "number": NUMBER, "status": "Whatever", "cost": "KES 0.8000", "messageId": message_id }
    ]}})
    .to_string();
    let answer = HttpResponse { status: 201, body: body.clone() };
    let result = interpret_answer(SmsProvider::AfricasTalking, &answer, NUMBER, API_KEY, URL).expect("a provider");
    match result {
        Ok(sent) => {
            assert!((100..=102).contains(&status_code), "{body} counted as sent");
            let expected = Some(message_id).filter(|id| !id.is_empty() && *id != "None");
            assert_eq!(sent.provider_id.as_deref(), expected, "{body}");
        }
        Err(e) => {
            let text = hotspotd::error_chain(&e);
            assert!(!(100..=102).contains(&status_code), "{body} failed: {text}");
            assert!(text.contains(&format!("({status_code})")), "the error does not name code {status_code}: {text}");
        }
    }
}

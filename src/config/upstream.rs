//! The upstream services' sections: `config mpesa 'mpesa'` (Daraja STK push) and
//! `config sms 'sms'` (credential delivery). Secrets are `Secret`, which never prints.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use super::{uci, ConfigError, SectionReader};

/// A credential from the config file: usable, but never shown in logs or `Debug` output.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(pub String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "(empty)" } else { "(secret)" })
    }
}

const NO_TLS: &str = "needs https, but this hotspotd was built without TLS (cargo feature `https`): \
                      use a build with it, or a plain http:// URL";

/// An https URL in a build without TLS: refuse it at start rather than fail every call.
fn needs_missing_tls(url: &str) -> bool {
    url.starts_with("https://") && !cfg!(feature = "https")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MpesaMode {
    /// Safaricom's Daraja API (or a fake of it at `base_url`).
    Daraja,
    /// A clearly labelled demo provider that approves every payment after a few seconds.
    Demo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionType {
    /// Paybill: PartyB is the shortcode.
    PayBill,
    /// Till number (Buy Goods): PartyB is the till.
    BuyGoods,
}

impl TransactionType {
    pub fn as_daraja(self) -> &'static str {
        match self {
            TransactionType::PayBill => "CustomerPayBillOnline",
            TransactionType::BuyGoods => "CustomerBuyGoodsOnline",
        }
    }
}

#[derive(Debug, Clone)]
pub struct MpesaConfig {
    pub enabled: bool,
    pub mode: MpesaMode,
    pub base_url: String,
    pub consumer_key: Secret,
    pub consumer_secret: Secret,
    pub shortcode: String,
    pub passkey: Secret,
    pub transaction_type: TransactionType,
    /// Till number when it differs from the shortcode; `None`: the shortcode.
    pub party_b: Option<String>,
    /// Public URL Daraja posts results to (a per-payment token is appended); `None`: poll only.
    pub callback_url: Option<String>,
    /// Shown to the payer on the prompt (at most 12 letters and digits).
    pub account_reference: String,
    /// How often a pending payment is queried.
    pub poll_interval: Duration,
    /// A prompt not answered by then is given up (the payer can try again).
    pub payment_timeout: Duration,
    /// Prompts started in the last hour, per device and per phone number.
    pub prompts_per_hour: u32,
    /// Prompts open (pending) at once, per device and per phone number.
    pub prompts_at_once: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsProvider {
    None,
    AfricasTalking,
    Twilio,
    Webhook,
}

#[derive(Debug, Clone)]
pub struct SmsConfig {
    pub provider: SmsProvider,
    /// Provider API base; empty: the provider's public API.
    pub base_url: Option<String>,
    /// Africa's Talking username / Twilio account SID.
    pub username: String,
    /// Africa's Talking API key / Twilio auth token / webhook bearer token.
    pub api_key: Secret,
    /// Sender ID or number (`from`); empty: the provider's default.
    pub sender: Option<String>,
}

impl MpesaConfig {
    pub fn disabled() -> MpesaConfig {
        MpesaConfig {
            enabled: false,
            mode: MpesaMode::Daraja,
            base_url: "https://sandbox.safaricom.co.ke".into(),
            consumer_key: Secret::default(),
            consumer_secret: Secret::default(),
            shortcode: "174379".into(),
            passkey: Secret::default(),
            transaction_type: TransactionType::PayBill,
            party_b: None,
            callback_url: None,
            account_reference: "Hotspot".into(),
            poll_interval: Duration::from_secs(5),
            payment_timeout: Duration::from_secs(180),
            prompts_per_hour: 5,
            prompts_at_once: 1,
        }
    }

    pub fn demo() -> MpesaConfig {
        MpesaConfig { enabled: true, mode: MpesaMode::Demo, ..MpesaConfig::disabled() }
    }

    pub(super) fn from_section(path: &Path, section: Option<&uci::Section>) -> Result<MpesaConfig, ConfigError> {
        let defaults = MpesaConfig::disabled();
        let Some(section) = section else { return Ok(defaults) };
        let r = SectionReader { path, section };
        r.check_known(&[
            "enabled", "mode", "base_url", "consumer_key", "consumer_secret", "shortcode", "passkey",
            "transaction_type", "party_b", "callback_url", "account_reference", "poll_interval", "timeout",
            "prompts_per_hour", "prompts_at_once",
        ])?;
        let config = MpesaConfig {
            enabled: r.boolean("enabled")?.unwrap_or(false),
            mode: r.choice("mode", &[("daraja", MpesaMode::Daraja), ("demo", MpesaMode::Demo)])?.unwrap_or(defaults.mode),
            base_url: r.url("base_url")?.unwrap_or(defaults.base_url),
            consumer_key: r.secret("consumer_key")?,
            consumer_secret: r.secret("consumer_secret")?,
            shortcode: r.string("shortcode")?.unwrap_or(defaults.shortcode),
            passkey: r.secret("passkey")?,
            transaction_type: r
                .choice(
                    "transaction_type",
                    &[("CustomerPayBillOnline", TransactionType::PayBill), ("CustomerBuyGoodsOnline", TransactionType::BuyGoods)],
                )?
                .unwrap_or(defaults.transaction_type),
            party_b: r.string("party_b")?,
            callback_url: r.url("callback_url")?,
            account_reference: r.string("account_reference")?.unwrap_or(defaults.account_reference),
            poll_interval: r.seconds("poll_interval", 1..=60, defaults.poll_interval)?,
            payment_timeout: r.seconds("timeout", 30..=900, defaults.payment_timeout)?,
            prompts_per_hour: r
                .parsed_in("prompts_per_hour", 1..=1000, "a whole number from 1 to 1000")?
                .unwrap_or(defaults.prompts_per_hour),
            prompts_at_once: r
                .parsed_in("prompts_at_once", 1..=100, "a whole number from 1 to 100")?
                .unwrap_or(defaults.prompts_at_once),
        };
        let entry = |key: &str| r.option(key).or_else(|| section.entries.first());
        if let Some(e) = r.option("account_reference") {
            let ok = !config.account_reference.is_empty()
                && config.account_reference.len() <= 12
                && config.account_reference.chars().all(|c| c.is_ascii_alphanumeric());
            if !ok {
                return Err(r.invalid(e, "must be 1 to 12 letters or digits (Daraja's limit)".into()));
            }
        }
        if config.enabled && config.mode == MpesaMode::Daraja {
            for (key, missing) in [
                ("consumer_key", config.consumer_key.is_empty()),
                ("consumer_secret", config.consumer_secret.is_empty()),
                ("passkey", config.passkey.is_empty()),
                ("shortcode", config.shortcode.is_empty()),
            ] {
                if missing {
                    let e = entry(key).expect("an enabled section has at least one entry");
                    return Err(ConfigError::Invalid {
                        path: path.to_owned(),
                        line: e.line,
                        key: format!("mpesa.{key}"),
                        message: "is required when mpesa is enabled (from the Daraja portal)".into(),
                    });
                }
            }
        }
        if config.enabled && config.mode == MpesaMode::Daraja && needs_missing_tls(&config.base_url) {
            let e = r.option("base_url").or_else(|| section.entries.first()).expect("an enabled section has entries");
            return Err(r.invalid(e, NO_TLS.into()));
        }
        Ok(config)
    }
}

impl SmsConfig {
    pub fn none() -> SmsConfig {
        SmsConfig { provider: SmsProvider::None, base_url: None, username: String::new(), api_key: Secret::default(), sender: None }
    }

    pub(super) fn from_section(path: &Path, section: Option<&uci::Section>) -> Result<SmsConfig, ConfigError> {
        let Some(section) = section else { return Ok(SmsConfig::none()) };
        let r = SectionReader { path, section };
        r.check_known(&["provider", "base_url", "username", "api_key", "sender"])?;
        let provider = r
            .choice(
                "provider",
                &[
                    ("none", SmsProvider::None),
                    ("africastalking", SmsProvider::AfricasTalking),
                    ("twilio", SmsProvider::Twilio),
                    ("webhook", SmsProvider::Webhook),
                ],
            )?
            .unwrap_or(SmsProvider::None);
        let config = SmsConfig {
            provider,
            base_url: r.url("base_url")?,
            username: r.string("username")?.unwrap_or_default(),
            api_key: r.secret("api_key")?,
            sender: r.string("sender")?,
        };
        let require = |key: &str, missing: bool, why: &str| -> Result<(), ConfigError> {
            match (missing, r.option("provider")) {
                (true, Some(e)) => Err(ConfigError::Invalid {
                    path: path.to_owned(),
                    line: e.line,
                    key: format!("sms.{key}"),
                    message: format!("is required for this provider ({why})"),
                }),
                _ => Ok(()),
            }
        };
        match provider {
            SmsProvider::AfricasTalking => {
                require("username", config.username.is_empty(), "your Africa's Talking username")?;
                require("api_key", config.api_key.is_empty(), "your Africa's Talking API key")?;
            }
            SmsProvider::Twilio => {
                require("username", config.username.is_empty(), "the Twilio account SID")?;
                require("api_key", config.api_key.is_empty(), "the Twilio auth token")?;
                require("sender", config.sender.is_none(), "the Twilio number to send from")?;
            }
            SmsProvider::Webhook => require("base_url", config.base_url.is_none(), "the URL to POST to")?,
            SmsProvider::None => {}
        }
        // Africa's Talking and Twilio default to their https APIs.
        let url = config.base_url.as_deref().unwrap_or("https://");
        if config.provider != SmsProvider::None && needs_missing_tls(url) {
            let e = r.option("base_url").or_else(|| r.option("provider")).expect("a provider was set");
            return Err(r.invalid(e, NO_TLS.into()));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;

    fn parse(extra: &str) -> Result<Config, ConfigError> {
        Config::parse(&format!("config hotspotd 'main'\n{extra}"), Path::new("/etc/config/hotspotd"))
    }

    #[test]
    fn sections_are_optional_and_off_by_default() {
        let c = parse("").unwrap();
        assert!(!c.mpesa.enabled);
        assert_eq!(c.sms.provider, SmsProvider::None);
    }

    #[test]
    fn reads_mpesa_and_sms() {
        let c = parse(
            "config mpesa 'mpesa'\n option enabled '1'\n option base_url 'http://127.0.0.1:9'\n \
             option consumer_key 'k'\n option consumer_secret 's3cret'\n option shortcode '174379'\n \
             option passkey 'pk'\n option transaction_type 'CustomerBuyGoodsOnline'\n option party_b '5551234'\n\
             config sms 'sms'\n option provider 'africastalking'\n option username 'sandbox'\n option api_key 'atkey'\n \
             option base_url 'http://127.0.0.1:9'\n",
        )
        .unwrap();
        assert!(c.mpesa.enabled);
        assert_eq!(c.mpesa.transaction_type, TransactionType::BuyGoods);
        assert_eq!(c.mpesa.party_b.as_deref(), Some("5551234"));
        assert_eq!(c.sms.provider, SmsProvider::AfricasTalking);
        assert_eq!((c.mpesa.prompts_per_hour, c.mpesa.prompts_at_once), (5, 1), "the defaults");
        let shown = format!("{:?} {:?}", c.mpesa, c.sms);
        for secret in ["s3cret", "atkey", "\"pk\""] {
            assert!(!shown.contains(secret), "a secret leaks into Debug output: {shown}");
        }
    }

    #[test]
    fn https_upstreams_need_a_build_with_tls() {
        let result = parse(
            "config mpesa 'mpesa'\n option enabled '1'\n option base_url 'https://api.safaricom.co.ke'\n \
             option consumer_key 'k'\n option consumer_secret 's'\n option passkey 'p'\n",
        );
        let sms = parse("config sms 'sms'\n option provider 'africastalking'\n option username 'u'\n option api_key 'k'\n");
        let plain = parse("config sms 'sms'\n option provider 'webhook'\n option base_url 'http://10.0.0.5/sms'\n");
        assert!(plain.is_ok(), "plain http works in every build");
        if cfg!(feature = "https") {
            assert!(result.is_ok() && sms.is_ok());
        } else {
            let message = crate::error_chain(&result.unwrap_err());
            assert!(message.contains("line 4: mpesa.base_url: needs https"), "{message}");
            let message = crate::error_chain(&sms.unwrap_err());
            assert!(message.contains("sms.provider: needs https"), "{message}");
        }
    }

    #[test]
    fn mistakes_are_named() {
        let cases = [
            ("config mpesa 'mpesa'\n option enabled '1'\n", "mpesa.consumer_key: is required when mpesa is enabled"),
            ("config mpesa 'mpesa'\n option transaction_type 'Paybill'\n", "line 3: mpesa.transaction_type: `Paybill` is not one of"),
            ("config mpesa 'mpesa'\n option account_reference 'My Hotspot Shop'\n", "mpesa.account_reference: must be 1 to 12"),
            ("config mpesa 'mpesa'\n option prompts_per_hour '0'\n", "mpesa.prompts_per_hour: `0` is out of range"),
            ("config sms 'sms'\n option provider 'sendgrid'\n", "sms.provider: `sendgrid` is not one of"),
            ("config sms 'sms'\n option provider 'twilio'\n option username 'AC1'\n option api_key 't'\n", "sms.sender: is required"),
            ("config sms 'sms'\n option apikey 'x'\n", "sms.apikey: unknown option"),
        ];
        for (text, needle) in cases {
            let message = crate::error_chain(&parse(text).unwrap_err());
            assert!(message.contains(needle), "{text:?} gave {message}");
        }
    }
}

//! The text of the SMS a payer receives, kept inside ONE segment: at most 160 characters,
//! all from the GSM-7 basic alphabet (one character that is not turns the whole message into
//! UCS-2, where a segment holds only 70, so it would be split or cost double). Pure.
//!
//! When everything does not fit, parts go in this order, first to last: the long labels
//! and greeting, the validity, then the portal URL (the payer needs it to log in again
//! later, so it stays longest). The username and password are never dropped or shortened:
//! they are generated (`credentials.rs`: letters and digits, a phone number), so they
//! always fit; only if they alone exceeded 159 characters would the text be cut.
//!
//! Free text (the validity) has look-alike punctuation and accented letters mapped (`–` →
//! `-`, `’` → `'`, `í` → `i`) and anything else outside the alphabet dropped; a portal URL
//! outside it is left out (a mangled URL is worse than none); a username or password
//! character outside it becomes `?` (never the case for generated credentials).

use crate::i18n::Lang;

/// Characters in one GSM-7 segment.
pub const SEGMENT_CHARS: usize = 160;

/// The GSM 03.38 basic character set (code points 0x00-0x7F except the 0x1B escape), in
/// table order. The extension table (`€ [ ] { } ^ ~ | \` and form feed) is excluded: each of
/// those costs two characters and some gateways mangle them.
const GSM7_BASIC: &str = concat!(
    "@£$¥èéùìòÇ\nØø\rÅå",
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ",
    " !\"#¤%&'()*+,-./",
    "0123456789:;<=>?",
    "¡ABCDEFGHIJKLMNO",
    "PQRSTUVWXYZÄÖÑÜ§",
    "¿abcdefghijklmno",
    "pqrstuvwxyzäöñüà",
);

/// `true` if every character of `s` is in the GSM-7 basic alphabet (so a message made of
/// them costs one character each and 160 fit one segment).
pub fn is_gsm7(s: &str) -> bool {
    s.chars().all(is_gsm7_char)
}

fn is_gsm7_char(c: char) -> bool {
    GSM7_BASIC.contains(c)
}

/// The message with the payer's login, guaranteed to fit one SMS segment (see the file
/// comment for what is dropped when it does not). `valid_for` is shown after `Valid:`
/// (`1 day`, `until 18:00`); empty `valid_for` or `portal_url` are left out. The labels are
/// `lang`'s (`i18n::PortalWords::sms_*`, plain ASCII in both languages).
pub fn credentials_message(lang: Lang, username: &str, password: &str, valid_for: &str, portal_url: &str) -> String {
    let w = &lang.words().portal;
    let user = credential(username);
    let pass = credential(password);
    let valid = free_text(valid_for);
    let url = portal_url.trim();
    let url = if !url.is_empty() && is_gsm7(url) && !url.contains(char::is_whitespace) { url } else { "" };

    let long = |valid: &str, url: &str| {
        lines(&[
            w.sms_heading,
            &format!("{}{user}", w.sms_username),
            &format!("{}{pass}", w.sms_password),
            &labelled(w.sms_valid, valid),
            &labelled(w.sms_login_at, url),
        ])
    };
    let short = |valid: &str, url: &str| {
        lines(&[&format!("{}{user}", w.sms_user_short), &format!("{}{pass}", w.sms_pass_short), &labelled(w.sms_valid, valid), url])
    };
    let candidates = [long(&valid, url), short(&valid, url), short("", url), short(&valid, ""), short("", ""), lines(&[&user, &pass])];
    let fitting = candidates.iter().find(|text| text.chars().count() <= SEGMENT_CHARS);
    match fitting {
        Some(text) => text.clone(),
        // Only when username and password alone are longer than a segment.
        None => candidates[candidates.len() - 1].chars().take(SEGMENT_CHARS).collect(),
    }
}

/// `label` + `value`, or nothing when `value` is empty.
fn labelled(label: &str, value: &str) -> String {
    if value.is_empty() {
        String::new()
    } else {
        format!("{label}{value}")
    }
}

/// The non-empty parts, one per line.
fn lines(parts: &[&str]) -> String {
    parts.iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join("\n")
}

/// A username or password as sent: trimmed, characters outside the alphabet shown as `?`.
fn credential(s: &str) -> String {
    s.trim().chars().map(|c| if is_gsm7_char(c) && c != '\n' && c != '\r' { c } else { '?' }).collect()
}

/// Free text on one line inside the alphabet: look-alikes and accented letters missing
/// from the table mapped, the rest dropped.
fn free_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
            '\u{2018}' | '\u{2019}' | '\u{201B}' | '`' | '\u{00B4}' => out.push('\''),
            '\u{201C}' | '\u{201D}' | '\u{201F}' => out.push('"'),
            '\u{2026}' => out.push_str("..."),
            'á' | 'â' | 'ã' | 'ā' => out.push('a'),
            'ç' => out.push('c'),
            'ê' | 'ë' | 'ē' => out.push('e'),
            'í' | 'î' | 'ï' | 'ī' => out.push('i'),
            'ó' | 'ô' | 'õ' | 'ō' => out.push('o'),
            'ú' | 'û' | 'ū' => out.push('u'),
            'Á' | 'À' | 'Â' | 'Ã' => out.push('A'),
            'È' | 'Ê' | 'Ë' => out.push('E'),
            'Í' | 'Ì' | 'Î' | 'Ï' => out.push('I'),
            'Ó' | 'Ò' | 'Ô' | 'Õ' => out.push('O'),
            'Ú' | 'Ù' | 'Û' => out.push('U'),
            '[' => out.push('('),
            ']' => out.push(')'),
            c if c.is_whitespace() => out.push(' '),
            c if is_gsm7_char(c) => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) {
        assert!(text.chars().count() <= SEGMENT_CHARS, "{} chars: {text:?}", text.chars().count());
        assert!(is_gsm7(text), "not GSM-7: {text:?}");
    }

    #[test]
    fn the_alphabet_is_the_127_basic_characters() {
        let mut chars: Vec<char> = GSM7_BASIC.chars().collect();
        assert_eq!(chars.len(), 127);
        chars.sort_unstable();
        chars.dedup();
        assert_eq!(chars.len(), 127, "duplicates in the table");
        assert!(is_gsm7("User: K7MX3QPA @ £5 é ñ ü Ä"));
        for extension in ["€", "[", "]", "{", "}", "^", "~", "|", "\\", "`", "\u{c}"] {
            assert!(!is_gsm7(extension), "{extension}");
        }
        assert!(!is_gsm7("ç")); // only upper-case Ç is in the table
        assert!(!is_gsm7("📶"));
    }

    #[test]
    fn a_typical_message_has_everything() {
        let text = credentials_message(Lang::En, "254712345678", "k7mx3q", "1 day", "http://10.77.0.1:2050/");
        assert_eq!(text, "Your Wi-Fi login\nUsername: 254712345678\nPassword: k7mx3q\nValid: 1 day\nLog in at http://10.77.0.1:2050/");
        check(&text);
        assert_eq!(credentials_message(Lang::En, "K7MX3QPA", "", "", ""), "Your Wi-Fi login\nUsername: K7MX3QPA\nPassword: ");
    }

    #[test]
    fn the_swahili_message_has_everything_in_one_segment() {
        let valid = (Lang::Sw.words().portal.duration)(86_400);
        let text = credentials_message(Lang::Sw, "254712345678", "k7mx3q", &valid, "http://10.77.0.1:2050/");
        assert_eq!(text, "Akaunti yako ya Wi-Fi\nJina: 254712345678\nNenosiri: k7mx3q\nMuda: siku 1\nIngia: http://10.77.0.1:2050/");
        check(&text);
        let long_url = format!("http://hotspot.example.com/{}", "p".repeat(100));
        let text = credentials_message(Lang::Sw, "254712345678", "k7mx3q", "siku 30", &long_url);
        check(&text);
        assert!(text.starts_with("Jina: 254712345678\nSiri: k7mx3q\n") && text.contains(&long_url), "{text}");
    }

    #[test]
    fn parts_are_dropped_in_order_never_the_credentials() {
        let long_url = format!("http://hotspot.example.com/{}", "p".repeat(100));
        let text = credentials_message(Lang::En, "254712345678", "k7mx3q", "30 days", &long_url);
        check(&text);
        assert!(text.contains(&long_url) && !text.contains("Valid"), "the URL outlives the validity: {text}");

        let huge_url = format!("http://hotspot.example.com/{}", "p".repeat(300));
        let text = credentials_message(Lang::En, "254712345678", "k7mx3q", "30 days", &huge_url);
        assert_eq!(text, "User: 254712345678\nPass: k7mx3q\nValid: 30 days");

        let text = credentials_message(Lang::En, "254712345678", "k7mx3q", &"until next week ".repeat(20), &huge_url);
        assert_eq!(text, "User: 254712345678\nPass: k7mx3q");
    }

    #[test]
    fn long_and_foreign_inputs_always_fit_one_segment() {
        let samples = ["", "a", "K7MX3QPA", "día – “unlimited”… 📶 [beta] ~ € ç", "x y\nz\t"];
        for user_len in [0, 8, 12, 40, 70, 100, 150, 159, 300] {
            for pass_len in [0, 6, 20, 80, 200] {
                let valids = samples.iter().map(|s| s.to_string()).chain(["7 days".repeat(40)]);
                for valid in valids {
                    let urls = ["", "http://10.77.0.1:2050/", "http://[fe80::1]/", "http://a b/"].map(str::to_owned);
                    for url in urls.into_iter().chain([format!("http://x/{}", "u".repeat(200))]) {
                        let user = "U".repeat(user_len);
                        let pass = "p".repeat(pass_len);
                        for lang in Lang::ALL {
                            let text = credentials_message(lang, &user, &pass, &valid, &url);
                            check(&text);
                            if user_len + pass_len < SEGMENT_CHARS {
                                assert!(text.contains(&user) && text.contains(&pass), "{user_len}/{pass_len}: {text:?}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn foreign_characters_are_mapped_or_dropped() {
        let text = credentials_message(Lang::En, "Zoë", "k7mx3q", "1 día – “unlimited”… 📶 é", "http://[fe80::1]/");
        assert_eq!(text, "Your Wi-Fi login\nUsername: Zo?\nPassword: k7mx3q\nValid: 1 dia - \"unlimited\"... é");
        check(&text);
    }

    #[test]
    fn generated_credentials_are_sent_unchanged() {
        for _ in 0..20 {
            let code = crate::credentials::new_voucher_code().unwrap();
            let pass = crate::credentials::new_password().unwrap();
            let text = credentials_message(Lang::En, &code, &pass, "1 hour", "http://10.77.0.1:2050/");
            check(&text);
            assert!(text.contains(&format!("Username: {code}\nPassword: {pass}")), "{text}");
        }
    }
}

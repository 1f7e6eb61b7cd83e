//! Every word a person reads, in English and Swahili: one table per language (`en.rs`,
//! `sw.rs`), each a `Words` value made of one section per area (the portal and its SMS,
//! the web admin's core, money and shop pages). The sections' fields are the keys, so a key
//! missing in either language does not compile; `tests` also fails on a Swahili entry left
//! in English. Which language a request gets is a pure rule here (`Lang::pick`).

/// Declares a section of words: `words! { pub struct PortalWords { title, heading } fns {
/// wait: fn(u64) -> String } }` gives the struct (text fields are `&'static str`) and
/// `entries()`, every text field by name, which the tests compare across languages.
macro_rules! words {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident ),* $(,)?
        }
        fns {
            $( $(#[$gmeta:meta])* $func:ident : $fty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[$fmeta])* pub $field: &'static str, )*
            $( $(#[$gmeta])* pub $func: $fty, )*
        }

        impl $name {
            /// Every text field, by name.
            #[allow(dead_code)]
            pub fn entries(&self) -> Vec<(&'static str, &'static str)> {
                vec![$( (stringify!($field), self.$field) ),*]
            }
        }
    };
}

mod admin_core;
mod admin_money;
mod admin_shop;
mod en;
mod portal;
mod sw;

pub use admin_core::AdminCoreWords;
pub use admin_money::AdminMoneyWords;
pub use admin_shop::AdminShopWords;
pub use portal::PortalWords;

/// A language we speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Sw,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Sw];

    /// The code used in URLs, cookies, settings and `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Sw => "sw",
        }
    }

    /// The language's own name, for the switch ("English", "Kiswahili").
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Sw => "Kiswahili",
        }
    }

    /// `en`, `sw`, `sw-KE`, `EN-gb`: the language of a code, if we speak it.
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else if primary.eq_ignore_ascii_case("sw") {
            Some(Lang::Sw)
        } else {
            None
        }
    }

    /// The language we speak that an `Accept-Language` header prefers most (ties: the
    /// header's order), if any. `q=0` means "not this one".
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(u16, Lang)> = None;
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_code) else { continue };
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .next()
                .map_or(1000, weight);
            if q > 0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }

    /// The language of one request: the person's choice (`chosen`), else the operator's
    /// default.
    pub fn pick(cookie: Option<&str>, accept_language: Option<&str>, default: Lang) -> Lang {
        Lang::chosen(cookie, accept_language).unwrap_or(default)
    }

    /// The language a person asked for, if any: the visible switch's choice (a `lang`
    /// cookie) first, then the browser's `Accept-Language`.
    pub fn chosen(cookie: Option<&str>, accept_language: Option<&str>) -> Option<Lang> {
        cookie.and_then(Lang::from_code).or_else(|| accept_language.and_then(Lang::from_accept_language))
    }

    /// All the words in this language.
    pub fn words(self) -> &'static Words {
        match self {
            Lang::En => &en::WORDS,
            Lang::Sw => &sw::WORDS,
        }
    }
}

/// One language's table.
pub struct Words {
    pub portal: PortalWords,
    pub admin: AdminCoreWords,
    pub money: AdminMoneyWords,
    pub shop: AdminShopWords,
}

/// A `q=` weight in thousandths (`0.8` is 800), read as its digits: std's float parser costs
/// 15 KB on mips. Above 1 counts as 1, decimals past the third are dropped, anything else
/// (`banana`, a sign) is 0, "not this one".
fn weight(q: &str) -> u16 {
    let q = q.trim();
    let (whole, decimals) = q.split_once('.').unwrap_or((q, ""));
    let digits = whole.bytes().chain(decimals.bytes());
    if (whole.is_empty() && decimals.is_empty()) || !digits.clone().all(|d| d.is_ascii_digit()) {
        return 0;
    }
    if whole.bytes().any(|d| d != b'0') {
        return 1000;
    }
    decimals.bytes().chain(std::iter::repeat(b'0')).take(3).fold(0, |n, d| n * 10 + u16::from(d - b'0'))
}

#[cfg(test)]
mod tests {
    #[test]
    fn weights_are_read_to_the_thousandth() {
        for (q, thousandths) in [("1", 1000), ("1.0", 1000), ("1.000", 1000), ("2", 1000), ("1.5", 1000), ("0", 0), ("0.0", 0), ("0.8", 800),
            (".5", 500), ("0.05", 50), ("0.001", 1), ("0.0009", 0), ("0.123456", 123), ("00.75", 750), ("1.", 1000), (" 0.9 ", 900),
            ("", 0), (".", 0), ("-0.5", 0), ("banana", 0), ("0.9x", 0), ("0..1", 0)]
        {
            assert_eq!(super::weight(q), thousandths, "q={q}");
        }
        // Each written value weighs what it says (through an f32, 0.251 and four others lost a
        // thousandth).
        for n in 0..=1000u16 {
            let text = format!("{}.{:03}", n / 1000, n % 1000);
            assert_eq!(super::weight(&text), n, "q={text}");
        }
    }

    use super::*;

    /// Words that are the same in both languages (names, units, codes).
    const SAME_IN_BOTH: &[&str] = &["M-Pesa", "MAC", "IP", "SMS", "OK", "CSV", "A4", "QR", "Email"];

    fn sections(w: &'static Words) -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
        vec![
            ("portal", w.portal.entries()),
            ("admin", w.admin.entries()),
            ("money", w.money.entries()),
            ("shop", w.shop.entries()),
        ]
    }

    #[test]
    fn every_key_has_words_in_both_languages_and_swahili_is_not_left_in_english() {
        let mut missing = Vec::new();
        for ((section, en), (_, sw)) in sections(Lang::En.words()).into_iter().zip(sections(Lang::Sw.words())) {
            for ((key, en), (_, sw)) in en.into_iter().zip(sw) {
                if en.trim().is_empty() {
                    missing.push(format!("{section}.{key}: no English"));
                }
                if sw.trim().is_empty() {
                    missing.push(format!("{section}.{key}: no Swahili"));
                } else if sw == en && !SAME_IN_BOTH.contains(&en) && en.chars().any(|c| c.is_alphabetic()) {
                    missing.push(format!("{section}.{key}: Swahili left in English ({en:?})"));
                }
            }
        }
        assert!(missing.is_empty(), "words missing:\n{}", missing.join("\n"));
    }

    #[test]
    fn accept_language_picks_the_preferred_language_we_speak() {
        assert_eq!(Lang::from_accept_language("sw-KE,sw;q=0.9,en;q=0.8"), Some(Lang::Sw));
        assert_eq!(Lang::from_accept_language("fr-FR,fr;q=0.9,en;q=0.5,sw;q=0.4"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("en;q=0.2, sw;q=0.7"), Some(Lang::Sw));
        assert_eq!(Lang::from_accept_language("sw;q=0, en"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("fr, de"), None);
        assert_eq!(Lang::from_accept_language(""), None);
        assert_eq!(Lang::from_accept_language("sw;q=banana"), None);
    }

    #[test]
    fn the_switch_beats_the_browser_which_beats_the_default() {
        assert_eq!(Lang::pick(Some("en"), Some("sw"), Lang::Sw), Lang::En);
        assert_eq!(Lang::pick(None, Some("sw"), Lang::En), Lang::Sw);
        assert_eq!(Lang::pick(Some("xx"), Some("fr"), Lang::Sw), Lang::Sw);
        assert_eq!(Lang::pick(None, None, Lang::En), Lang::En);
    }
}

//! The venue's branding: its name, colours, logo, support phone, terms of use and default
//! language, as the operator sets them on the web admin's Settings page. The splash page
//! and the printed vouchers read it; `Shared` hands the current value to both listeners so a
//! saved change shows at once.
//!
//! Pure: the rules for what a valid branding is (colours are `#rrggbb` and nothing else, so
//! they can be put into CSS; a logo is PNG, JPEG, GIF or WebP by its magic bytes, never SVG,
//! at most `MAX_LOGO_BYTES`). Storing it is `store::branding`'s job.

use std::sync::{Arc, RwLock};

use crate::i18n::Lang;

/// The largest logo accepted (bytes): it is sent with every splash page that shows it.
pub const MAX_LOGO_BYTES: usize = 32 * 1024;
/// The longest venue name (characters).
pub const MAX_VENUE_NAME_CHARS: usize = 64;
/// The longest support phone (characters).
pub const MAX_SUPPORT_PHONE_CHARS: usize = 24;
/// The longest terms of use (characters).
pub const MAX_TERMS_CHARS: usize = 4000;

/// How the venue presents itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branding {
    pub venue_name: String,
    /// `#rrggbb` (lower case), always valid.
    pub primary_colour: String,
    /// `#rrggbb` (lower case), always valid.
    pub accent_colour: String,
    /// Shown to customers who need help; may be empty.
    pub support_phone: String,
    /// Terms of use shown on the splash page (plain text); may be empty.
    pub terms: String,
    /// The language a visitor gets when neither the switch nor the browser picks one.
    pub default_language: Lang,
    pub logo: Option<Logo>,
}

impl Default for Branding {
    fn default() -> Branding {
        Branding {
            venue_name: "Wi-Fi hotspot".into(),
            primary_colour: "#0a7d3b".into(),
            accent_colour: "#1d2530".into(),
            support_phone: String::new(),
            terms: String::new(),
            default_language: Lang::En,
            logo: None,
        }
    }
}

/// An uploaded logo: its bytes and the content type their magic bytes say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    /// One of `image/png`, `image/jpeg`, `image/gif`, `image/webp`.
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Why a logo was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LogoError {
    #[error("the logo is empty")]
    Empty,
    #[error("the logo is larger than {MAX_LOGO_BYTES} bytes")]
    TooLarge,
    #[error("the logo is not a PNG, JPEG, GIF or WebP image")]
    NotAnImage,
}

impl Logo {
    /// The logo in `bytes`, if they are a PNG, JPEG, GIF or WebP image no larger than
    /// `MAX_LOGO_BYTES` (judged by magic bytes, whatever the upload claimed).
    pub fn sniff(bytes: Vec<u8>) -> Result<Logo, LogoError> {
        if bytes.is_empty() {
            return Err(LogoError::Empty);
        }
        if bytes.len() > MAX_LOGO_BYTES {
            return Err(LogoError::TooLarge);
        }
        let content_type = image_type(&bytes).ok_or(LogoError::NotAnImage)?;
        Ok(Logo { content_type, bytes })
    }
}

/// What `GET /logo` serves on both listeners (content type and bytes), if the venue has a
/// logo. Serve it with `X-Content-Type-Options: nosniff`: the type is the one its magic
/// bytes say.
pub fn logo_response(branding: &Branding) -> Option<(&'static str, Vec<u8>)> {
    branding.logo.as_ref().map(|logo| (logo.content_type, logo.bytes.clone()))
}

/// The content type of an image by its magic bytes: PNG, JPEG, GIF or WebP only.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// The colour `text` names as `#rrggbb` in lower case, if it is exactly `#` and six hex
/// digits (surrounding blanks aside). Nothing else is ever put into CSS.
pub fn colour(text: &str) -> Option<String> {
    let hex = text.trim().strip_prefix('#')?;
    (hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| format!("#{}", hex.to_ascii_lowercase()))
}

/// What is wrong with a branding the operator typed (the settings page says it in words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BrandingError {
    #[error("the venue name must be 1 to {MAX_VENUE_NAME_CHARS} characters")]
    VenueName,
    #[error("the primary colour must be written #rrggbb")]
    PrimaryColour,
    #[error("the accent colour must be written #rrggbb")]
    AccentColour,
    #[error("the support phone may hold only digits, spaces, + and - (at most {MAX_SUPPORT_PHONE_CHARS})")]
    SupportPhone,
    #[error("the terms of use may be at most {MAX_TERMS_CHARS} characters")]
    Terms,
    #[error("the default language must be en or sw")]
    Language,
}

/// The settings form's text fields, as typed.
#[derive(Debug, Clone, Default)]
pub struct BrandingInput<'a> {
    pub venue_name: &'a str,
    pub primary_colour: &'a str,
    pub accent_colour: &'a str,
    pub support_phone: &'a str,
    pub terms: &'a str,
    pub default_language: &'a str,
}

impl Branding {
    /// This branding with the typed fields applied (the logo kept), or the first problem.
    /// Names and phones are trimmed; terms keep their lines (CR LF becomes LF).
    pub fn with_input(&self, input: &BrandingInput) -> Result<Branding, BrandingError> {
        let venue_name = input.venue_name.trim();
        if venue_name.is_empty()
            || venue_name.chars().count() > MAX_VENUE_NAME_CHARS
            || venue_name.chars().any(char::is_control)
        {
            return Err(BrandingError::VenueName);
        }
        let primary_colour = colour(input.primary_colour).ok_or(BrandingError::PrimaryColour)?;
        let accent_colour = colour(input.accent_colour).ok_or(BrandingError::AccentColour)?;
        let support_phone = input.support_phone.trim();
        if support_phone.chars().count() > MAX_SUPPORT_PHONE_CHARS
            || !support_phone.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-'))
        {
            return Err(BrandingError::SupportPhone);
        }
        let terms = input.terms.trim().replace("\r\n", "\n");
        if terms.chars().count() > MAX_TERMS_CHARS {
            return Err(BrandingError::Terms);
        }
        let default_language = Lang::from_code(input.default_language).ok_or(BrandingError::Language)?;
        Ok(Branding {
            venue_name: venue_name.to_owned(),
            primary_colour,
            accent_colour,
            support_phone: support_phone.to_owned(),
            terms,
            default_language,
            logo: self.logo.clone(),
        })
    }
}

/// The current branding, shared by the portal and the web admin (cheap to clone). Readers
/// get an `Arc` of the value as it was; `set` swaps in a new one.
#[derive(Clone, Default)]
pub struct Shared(Arc<RwLock<Arc<Branding>>>);

impl Shared {
    pub fn new(branding: Branding) -> Shared {
        Shared(Arc::new(RwLock::new(Arc::new(branding))))
    }

    /// The branding now.
    pub fn get(&self) -> Arc<Branding> {
        // A writer cannot panic half-way (it only swaps an Arc): a poisoned lock still holds
        // a whole value.
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the branding (after it was saved to the store).
    pub fn set(&self, branding: Branding) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(branding);
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Shared").field(&self.get().venue_name).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>() -> BrandingInput<'a> {
        BrandingInput {
            venue_name: "  Mama Njeri Cafe ",
            primary_colour: "#AABBCC",
            accent_colour: " #001122",
            support_phone: "+254 712-345678",
            terms: "Be kind.\r\nNo torrents.",
            default_language: "sw",
        }
    }

    #[test]
    fn colours_are_exactly_hash_and_six_hex_digits() {
        assert_eq!(colour("#0A7d3B").as_deref(), Some("#0a7d3b"));
        assert_eq!(colour(" #ffffff ").as_deref(), Some("#ffffff"));
        for bad in ["", "#", "#fff", "0a7d3b", "#0a7d3bb", "#0a7d3g", "red", "#0a7d3b;}body{", "##0a7d3", "#０a7d3b"] {
            assert_eq!(colour(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn typed_fields_become_a_clean_branding_and_the_logo_is_kept() {
        let logo = Logo::sniff(b"GIF89a\x01\x00\x01\x00".to_vec()).unwrap();
        let before = Branding { logo: Some(logo.clone()), ..Branding::default() };
        let after = before.with_input(&input()).unwrap();
        assert_eq!(after.venue_name, "Mama Njeri Cafe");
        assert_eq!(after.primary_colour, "#aabbcc");
        assert_eq!(after.accent_colour, "#001122");
        assert_eq!(after.support_phone, "+254 712-345678");
        assert_eq!(after.terms, "Be kind.\nNo torrents.");
        assert_eq!(after.default_language, Lang::Sw);
        assert_eq!(after.logo, Some(logo));
    }

    #[test]
    fn each_bad_field_is_named() {
        let b = Branding::default();
        let long = "x".repeat(MAX_VENUE_NAME_CHARS + 1);
        let terms = "t".repeat(MAX_TERMS_CHARS + 1);
        let cases: Vec<(BrandingInput, BrandingError)> = vec![
            (BrandingInput { venue_name: "  ", ..input() }, BrandingError::VenueName),
            (BrandingInput { venue_name: &long, ..input() }, BrandingError::VenueName),
            (BrandingInput { venue_name: "a\u{7}b", ..input() }, BrandingError::VenueName),
            (BrandingInput { primary_colour: "red", ..input() }, BrandingError::PrimaryColour),
            (BrandingInput { accent_colour: "#12345", ..input() }, BrandingError::AccentColour),
            (BrandingInput { support_phone: "0712<b>", ..input() }, BrandingError::SupportPhone),
            (BrandingInput { terms: &terms, ..input() }, BrandingError::Terms),
            (BrandingInput { default_language: "fr", ..input() }, BrandingError::Language),
        ];
        for (typed, want) in cases {
            assert_eq!(b.with_input(&typed), Err(want), "{typed:?}");
        }
        assert!(b.with_input(&BrandingInput { support_phone: "", terms: "", ..input() }).is_ok());
    }

    #[test]
    fn logos_are_known_images_by_their_magic_bytes_never_svg() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        assert_eq!(Logo::sniff(png).unwrap().content_type, "image/png");
        assert_eq!(Logo::sniff(vec![0xff, 0xd8, 0xff, 0xe0, 0, 0x10]).unwrap().content_type, "image/jpeg");
        assert_eq!(Logo::sniff(b"GIF87a..".to_vec()).unwrap().content_type, "image/gif");
        assert_eq!(Logo::sniff(b"RIFF\x10\0\0\0WEBPVP8 ".to_vec()).unwrap().content_type, "image/webp");
        assert_eq!(Logo::sniff(b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec()), Err(LogoError::NotAnImage));
        assert_eq!(Logo::sniff(b"<?xml version='1.0'?><svg/>".to_vec()), Err(LogoError::NotAnImage));
        assert_eq!(Logo::sniff(b"RIFF\x10\0\0\0WAVE".to_vec()), Err(LogoError::NotAnImage));
        assert_eq!(Logo::sniff(Vec::new()), Err(LogoError::Empty));
        let mut big = b"GIF89a".to_vec();
        big.resize(MAX_LOGO_BYTES + 1, 0);
        assert_eq!(Logo::sniff(big), Err(LogoError::TooLarge));
    }

    #[test]
    fn shared_readers_see_a_set_at_once_and_keep_what_they_read() {
        let shared = Shared::default();
        let before = shared.get();
        assert_eq!(before.venue_name, "Wi-Fi hotspot");
        let other = shared.clone();
        other.set(Branding { venue_name: "Kibanda".into(), ..Branding::default() });
        assert_eq!(shared.get().venue_name, "Kibanda");
        assert_eq!(before.venue_name, "Wi-Fi hotspot");
    }
}

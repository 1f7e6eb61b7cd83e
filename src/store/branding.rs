//! The venue's branding in the `settings` table, one key per field (`venue_name`,
//! `primary_colour`, `accent_colour`, `support_phone`, `terms`, `default_language`, `logo`
//! as `<content-type>;<base64>`). A missing or unreadable value loads as the default, so a
//! bad row can never put raw text into CSS or serve a non-image as the logo.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rusqlite::Connection;

use super::{settings, StoreError};
use crate::branding::{self, Branding, Logo};
use crate::i18n::Lang;

pub const VENUE_NAME: &str = "venue_name";
pub const PRIMARY_COLOUR: &str = "primary_colour";
pub const ACCENT_COLOUR: &str = "accent_colour";
pub const SUPPORT_PHONE: &str = "support_phone";
pub const TERMS: &str = "terms";
pub const DEFAULT_LANGUAGE: &str = "default_language";
pub const LOGO: &str = "logo";

/// The branding as stored (defaults for what is missing or unreadable).
pub fn load(conn: &Connection) -> Result<Branding, StoreError> {
    let mut b = Branding::default();
    if let Some(v) = settings::get(conn, VENUE_NAME)?.filter(|v| !v.trim().is_empty()) {
        b.venue_name = v;
    }
    if let Some(c) = settings::get(conn, PRIMARY_COLOUR)?.and_then(|v| branding::colour(&v)) {
        b.primary_colour = c;
    }
    if let Some(c) = settings::get(conn, ACCENT_COLOUR)?.and_then(|v| branding::colour(&v)) {
        b.accent_colour = c;
    }
    if let Some(v) = settings::get(conn, SUPPORT_PHONE)? {
        b.support_phone = v;
    }
    if let Some(v) = settings::get(conn, TERMS)? {
        b.terms = v;
    }
    if let Some(lang) = settings::get(conn, DEFAULT_LANGUAGE)?.and_then(|v| Lang::from_code(&v)) {
        b.default_language = lang;
    }
    b.logo = settings::get(conn, LOGO)?.and_then(|v| decode_logo(&v));
    Ok(b)
}

/// Stores every field (all or none); no logo removes the stored one.
pub fn save(conn: &Connection, b: &Branding) -> Result<(), StoreError> {
    // A savepoint works both alone and inside a caller's transaction.
    conn.execute_batch("SAVEPOINT branding_save")?;
    let result = write(conn, b);
    if result.is_err() {
        let _ = conn.execute_batch("ROLLBACK TO branding_save");
    }
    conn.execute_batch("RELEASE branding_save")?;
    result
}

fn write(conn: &Connection, b: &Branding) -> Result<(), StoreError> {
    settings::set(conn, VENUE_NAME, &b.venue_name)?;
    settings::set(conn, PRIMARY_COLOUR, &b.primary_colour)?;
    settings::set(conn, ACCENT_COLOUR, &b.accent_colour)?;
    settings::set(conn, SUPPORT_PHONE, &b.support_phone)?;
    settings::set(conn, TERMS, &b.terms)?;
    settings::set(conn, DEFAULT_LANGUAGE, b.default_language.code())?;
    match &b.logo {
        Some(logo) => settings::set(conn, LOGO, &encode_logo(logo))?,
        None => {
            conn.execute("DELETE FROM settings WHERE key = ?1", [LOGO])?;
        }
    }
    Ok(())
}

fn encode_logo(logo: &Logo) -> String {
    format!("{};{}", logo.content_type, BASE64.encode(&logo.bytes))
}

/// The stored logo, sniffed again (the stored content type is not trusted).
fn decode_logo(value: &str) -> Option<Logo> {
    let (_, data) = value.split_once(';')?;
    Logo::sniff(BASE64.decode(data.trim()).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::migrations::memory;

    #[test]
    fn nothing_stored_loads_the_default() {
        assert_eq!(load(&memory()).unwrap(), Branding::default());
    }

    #[test]
    fn a_saved_branding_loads_back_whole_and_the_logo_can_be_removed() {
        let conn = memory();
        let logo = Logo::sniff(b"\x89PNG\r\n\x1a\nrest-of-png".to_vec()).unwrap();
        let b = Branding {
            venue_name: "Kibanda cha Juma".into(),
            primary_colour: "#112233".into(),
            accent_colour: "#445566".into(),
            support_phone: "0712 345678".into(),
            terms: "Line one\nLine two".into(),
            default_language: Lang::Sw,
            logo: Some(logo),
        };
        save(&conn, &b).unwrap();
        assert_eq!(load(&conn).unwrap(), b);
        let stored = settings::get(&conn, LOGO).unwrap().unwrap();
        assert!(stored.starts_with("image/png;iVBORw0KGg"), "{stored}");

        let without = Branding { logo: None, ..b };
        save(&conn, &without).unwrap();
        assert_eq!(load(&conn).unwrap(), without);
        assert_eq!(settings::get(&conn, LOGO).unwrap(), None);
    }

    #[test]
    fn unreadable_rows_load_as_defaults() {
        let conn = memory();
        settings::set(&conn, PRIMARY_COLOUR, "red;} body {display:none").unwrap();
        settings::set(&conn, DEFAULT_LANGUAGE, "fr").unwrap();
        settings::set(&conn, VENUE_NAME, " ").unwrap();
        // Claims PNG, holds SVG.
        settings::set(&conn, LOGO, &format!("image/png;{}", BASE64.encode("<svg/>"))).unwrap();
        settings::set(&conn, ACCENT_COLOUR, "#ABCDEF").unwrap();
        let b = load(&conn).unwrap();
        assert_eq!(b.primary_colour, "#0a7d3b");
        assert_eq!(b.accent_colour, "#abcdef");
        assert_eq!(b.default_language, Lang::En);
        assert_eq!(b.venue_name, "Wi-Fi hotspot");
        assert_eq!(b.logo, None);
    }

    #[test]
    fn save_inside_a_transaction_is_rolled_back_with_it() {
        let mut conn = memory();
        let tx = conn.transaction().unwrap();
        save(&tx, &Branding { venue_name: "Gone".into(), ..Branding::default() }).unwrap();
        drop(tx);
        assert_eq!(load(&conn).unwrap().venue_name, "Wi-Fi hotspot");
    }
}

//! The web admin's Settings (`/settings…`): the venue's name, colours, support phone, terms
//! of use and default language (`POST /settings`), the logo (`POST /settings/logo`, a
//! multipart upload read by `multipart.rs`, sniffed by `branding::Logo`; `POST
//! /settings/logo/remove`). Every save goes to the store, then into `branding::Shared`, so
//! the splash page and the printouts change at once. `GET /logo` (both listeners) answers
//! `branding::logo_response`.

use std::fmt::Write as _;

use hyper::Method;

use super::layout::{csrf_field, escape};
use super::{multipart, Ctx, Outcome};
use crate::branding::{Branding, BrandingError, BrandingInput, Logo, LogoError};
use crate::i18n::{AdminShopWords, Lang};

pub use crate::branding::logo_response;

pub async fn handle(ctx: &Ctx<'_>, method: &Method, path: &str) -> Outcome {
    match (method, path) {
        (&Method::GET, "/settings") => page(ctx),
        (&Method::POST, "/settings") => save(ctx).await,
        (&Method::POST, "/settings/logo") => upload(ctx).await,
        (&Method::POST, "/settings/logo/remove") => store(ctx, Branding { logo: None, ..(*ctx.web.branding.get()).clone() }).await,
        _ => Outcome::NotFound,
    }
}

/// The words for a branding the operator typed wrong.
pub fn branding_error(w: &AdminShopWords, e: BrandingError) -> &'static str {
    match e {
        BrandingError::VenueName => w.err_venue,
        BrandingError::PrimaryColour | BrandingError::AccentColour => w.err_colour,
        BrandingError::SupportPhone => w.err_phone,
        BrandingError::Terms => w.err_terms,
        BrandingError::Language => w.err_language,
    }
}

/// The words for a refused logo.
pub fn logo_error(w: &AdminShopWords, e: LogoError) -> &'static str {
    match e {
        LogoError::Empty => w.err_logo_empty,
        LogoError::TooLarge => w.err_logo_large,
        LogoError::NotAnImage => w.err_logo_type,
    }
}

async fn save(ctx: &Ctx<'_>) -> Outcome {
    let f = ctx.form;
    let field = |name| f.get(name).unwrap_or("");
    let input = BrandingInput {
        venue_name: field("venue_name"),
        primary_colour: field("primary_colour"),
        accent_colour: field("accent_colour"),
        support_phone: field("support_phone"),
        terms: field("terms"),
        default_language: field("default_language"),
    };
    match ctx.web.branding.get().with_input(&input) {
        Ok(branding) => store(ctx, branding).await,
        Err(e) => Outcome::Invalid(branding_error(&ctx.words.shop, e).into()),
    }
}

async fn upload(ctx: &Ctx<'_>) -> Outcome {
    let w = &ctx.words.shop;
    let bytes = match multipart::field(ctx.content_type, ctx.body, "logo") {
        Ok(Some(part)) => part.data.to_vec(),
        Ok(None) => return Outcome::Invalid(w.err_logo_empty.into()),
        Err(_) => return Outcome::Invalid(w.err_upload.into()),
    };
    match Logo::sniff(bytes) {
        Ok(logo) => store(ctx, Branding { logo: Some(logo), ..(*ctx.web.branding.get()).clone() }).await,
        Err(e) => Outcome::Invalid(logo_error(w, e).into()),
    }
}

/// Saves to the store, then shares it: the splash page and printouts use it from now on.
async fn store(ctx: &Ctx<'_>, branding: Branding) -> Outcome {
    match ctx.web.admin.branding_save(branding).await {
        Ok(saved) => {
            ctx.web.branding.set(saved);
            Outcome::Redirect("/settings".into())
        }
        Err(e) => {
            log::error!("web admin: cannot save the branding: {}", crate::error_chain(&e));
            Outcome::Invalid(ctx.words.shop.err_failed.into())
        }
    }
}

fn page(ctx: &Ctx<'_>) -> Outcome {
    let w = &ctx.words.shop;
    let b = ctx.web.branding.get();
    let mut body = format!(
        "<main id=\"page-settings\"><h1>{}</h1><div class=\"card\"><form id=\"settings\" method=\"post\" action=\"/settings\">{}",
        escape(w.settings_title),
        csrf_field(ctx)
    );
    let input = |body: &mut String, name: &str, label: &str, value: &str, kind: &str| {
        let _ = write!(body, "<label for=\"{name}\">{}</label><input id=\"{name}\" name=\"{name}\" value=\"{}\" {kind}>", escape(label), escape(value));
    };
    input(&mut body, "venue_name", w.venue_label, &b.venue_name, "maxlength=\"64\" required");
    input(&mut body, "primary_colour", w.primary_label, &b.primary_colour, "type=\"color\"");
    input(&mut body, "accent_colour", w.accent_label, &b.accent_colour, "type=\"color\"");
    input(&mut body, "support_phone", w.phone_label, &b.support_phone, "type=\"tel\" maxlength=\"24\"");
    let _ = write!(
        body,
        "<label for=\"terms\">{}</label><textarea id=\"terms\" name=\"terms\" rows=\"5\" maxlength=\"4000\">{}</textarea><label for=\"default_language\">{}</label><select id=\"default_language\" name=\"default_language\">",
        escape(w.terms_label),
        escape(&b.terms),
        escape(w.language_label)
    );
    for lang in Lang::ALL {
        let selected = if lang == b.default_language { " selected" } else { "" };
        let _ = write!(body, "<option value=\"{}\"{selected}>{}</option>", lang.code(), lang.name());
    }
    let _ = write!(body, "</select><p><button type=\"submit\">{}</button></p></form></div><div class=\"card\"><h2>{}</h2>", escape(w.save_button), escape(w.logo_heading));
    match &b.logo {
        Some(_) => {
            let _ = write!(
                body,
                "<p><img id=\"logo\" src=\"/logo\" alt=\"\" style=\"max-width:12rem;max-height:6rem\"></p><form id=\"logo-remove\" method=\"post\" action=\"/settings/logo/remove\">{}<button class=\"quiet\" type=\"submit\">{}</button></form>",
                csrf_field(ctx),
                escape(w.remove_logo)
            );
        }
        None => {
            let _ = write!(body, "<p class=\"muted\">{}</p>", escape(w.no_logo));
        }
    }
    let _ = write!(
        body,
        "<form id=\"logo-upload\" method=\"post\" action=\"/settings/logo\" enctype=\"multipart/form-data\">{}<label for=\"logo-file\">{}</label>\
         <input id=\"logo-file\" name=\"logo\" type=\"file\" accept=\"image/png,image/jpeg,image/gif,image/webp\" required><p><button type=\"submit\">{}</button></p></form></div></main>",
        csrf_field(ctx),
        escape(w.logo_hint),
        escape(w.upload_button)
    );
    Outcome::Page { title: w.settings_title.into(), body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_words_in_both_languages() {
        for lang in Lang::ALL {
            let w = &lang.words().shop;
            let all = [BrandingError::VenueName, BrandingError::PrimaryColour, BrandingError::AccentColour, BrandingError::SupportPhone, BrandingError::Terms, BrandingError::Language];
            assert!(all.iter().all(|&e| !branding_error(w, e).is_empty()));
            assert_eq!(logo_error(w, LogoError::NotAnImage), w.err_logo_type);
        }
    }

    #[test]
    fn the_logo_is_served_with_its_sniffed_type() {
        let logo = Logo::sniff(b"GIF89a\x01\x00".to_vec()).unwrap();
        let b = Branding { logo: Some(logo), ..Branding::default() };
        assert_eq!(logo_response(&b), Some(("image/gif", b"GIF89a\x01\x00".to_vec())));
        assert_eq!(logo_response(&Branding::default()), None);
    }
}

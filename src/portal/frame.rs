//! What every portal page has around its body: `<html lang>`, the stylesheet with the
//! venue's colours, the logo and heading, the language switch, and the support phone. The
//! colours go into CSS only as validated `#rrggbb` (`branding::colour`); everything else
//! shown is escaped. Pure.

use std::sync::Arc;

use super::http::{escape, url_encode};
use crate::branding::{self, Branding};
use crate::i18n::{Lang, PortalWords};

/// The shared stylesheet; the venue's colours are added after it (`branded_style`).
const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1d2530}\
main{max-width:28rem;margin:0 auto;padding:1rem}h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:1.5rem}\
section{background:#fff;border-radius:.75rem;padding:1rem;margin:.75rem 0;box-shadow:0 1px 3px #0002}\
label{display:block;margin:.5rem 0 .25rem}input{width:100%;box-sizing:border-box;font-size:1.1rem;padding:.6rem;\
border:1px solid #9aa5b1;border-radius:.5rem}button{width:100%;margin-top:.75rem;font-size:1.1rem;padding:.7rem;\
border:0;border-radius:.5rem;background:#0a7d3b;color:#fff}.pkg{display:flex;justify-content:space-between;\
padding:.5rem 0;border-bottom:1px solid #e4e7eb}.pkg:last-child{border:0}.price{font-weight:bold}\
.error{background:#fde8e8;color:#8a1c1c;padding:.75rem;border-radius:.5rem}\
.notice{background:#e3f4ea;color:#0b4d27;padding:.75rem;border-radius:.5rem}.muted{color:#52606d;font-size:.9rem}\
dl{display:grid;grid-template-columns:auto 1fr;gap:.4rem 1rem}dt{color:#52606d}dd{margin:0;font-weight:bold}\
.lang{text-align:right;font-size:.9rem}.lang a{margin-left:.75rem}.lang a[aria-current]{font-weight:bold;text-decoration:none}\
.logo{display:block;max-height:4rem;max-width:100%;margin:0 auto}header{text-align:center}\
details{white-space:pre-line}summary{cursor:pointer}.help{text-align:center}";

/// Who a page is for: its language, the venue, and where the language switch comes back to.
#[derive(Debug, Clone)]
pub struct Frame {
    pub lang: Lang,
    pub branding: Arc<Branding>,
    /// The local path (and query) the switch returns to: the page itself for a GET, the
    /// start page after a form post.
    pub back: String,
}

impl Frame {
    pub fn words(&self) -> &'static PortalWords {
        &self.lang.words().portal
    }

    /// The venue's name; the words for "Wi-Fi hotspot" while the operator has not named it.
    pub fn venue(&self) -> &str {
        if self.branding.venue_name == Branding::default().venue_name {
            self.words().title
        } else {
            &self.branding.venue_name
        }
    }
}

/// The venue's colours over the shared stylesheet: buttons in the primary colour, headings
/// in the accent colour. Only a valid `#rrggbb` gets in.
fn branded_style(b: &Branding) -> String {
    let mut css = String::new();
    if let Some(primary) = branding::colour(&b.primary_colour) {
        css.push_str(&format!("button{{background:{primary}}}a{{color:{primary}}}"));
    }
    if let Some(accent) = branding::colour(&b.accent_colour) {
        css.push_str(&format!("h1,h2{{color:{accent}}}"));
    }
    css
}

/// The language switch: a link per language back to the same page (`GET /lang`).
fn switch(frame: &Frame) -> String {
    let back = url_encode(&frame.back);
    let links: String = Lang::ALL
        .iter()
        .map(|lang| {
            let current = if *lang == frame.lang { " aria-current=\"true\"" } else { "" };
            format!(
                "<a class=\"lang-{code}\" href=\"/lang?set={code}&amp;back={back}\" hreflang=\"{code}\" lang=\"{code}\"{current}>{}</a>",
                lang.name(),
                code = lang.code()
            )
        })
        .collect();
    format!("<nav class=\"lang\" aria-label=\"{}\">{links}</nav>", frame.words().language)
}

/// "Need help? Call 0712 345 678" as a `tel:` link, when the venue gave a number.
fn help(frame: &Frame) -> String {
    let phone = frame.branding.support_phone.trim();
    let dial: String = phone.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
    if dial.is_empty() {
        return String::new();
    }
    format!(
        "<p class=\"help\" id=\"support\">{} <a href=\"tel:{}\">{}</a></p>",
        frame.words().need_help,
        escape(&dial),
        escape(phone)
    )
}

/// The venue's terms of use, collapsed (the splash page shows them).
pub fn terms(frame: &Frame) -> String {
    let terms = frame.branding.terms.trim();
    if terms.is_empty() {
        return String::new();
    }
    format!("<section><details id=\"terms\"><summary>{}</summary>{}</details></section>", frame.words().terms, escape(terms))
}

/// A whole page: `title` as the heading (after the logo), `body`, the switch and the help
/// line; `refresh_secs` makes it reload itself.
pub fn page(frame: &Frame, title: &str, body: &str, refresh_secs: Option<u32>) -> String {
    let refresh = refresh_secs.map(|s| format!("<meta http-equiv=\"refresh\" content=\"{s}\">")).unwrap_or_default();
    let logo = match frame.branding.logo {
        Some(_) => format!("<img class=\"logo\" src=\"/logo\" alt=\"{}\">", escape(frame.venue())),
        None => String::new(),
    };
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">{refresh}\
         <title>{title}</title><style>{STYLE}{brand}</style></head><body><main>{switch}\
         <header>{logo}<h1>{title}</h1></header>{body}{help}</main></body></html>",
        lang = frame.lang.code(),
        title = escape(title),
        brand = branded_style(&frame.branding),
        switch = switch(frame),
        help = help(frame),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(lang: Lang, branding: Branding) -> Frame {
        Frame { lang, branding: Arc::new(branding), back: "/login?voucher=AB 12&x=\"".into() }
    }

    #[test]
    fn a_page_names_its_language_and_links_both() {
        let page = page(&frame(Lang::Sw, Branding::default()), "Hotspot", "<p>x</p>", None);
        assert!(page.contains("<html lang=\"sw\">"));
        assert!(page.contains("class=\"lang-en\" href=\"/lang?set=en&amp;back=/login%3Fvoucher%3DAB%2012%26x%3D%22\""), "{page}");
        assert!(page.contains("class=\"lang-sw\""));
        assert!(page.contains(">Kiswahili</a>") && page.contains(">English</a>"));
        assert!(page.contains("aria-label=\"Lugha\""));
        assert!(!page.contains("tel:") && !page.contains("<img"), "nothing the venue did not set");
    }

    #[test]
    fn the_branding_shows_and_only_valid_colours_reach_the_css() {
        let b = Branding {
            venue_name: "Mama Mboga <Café>".into(),
            primary_colour: "#AA1100".into(),
            accent_colour: "red;}body{display:none".into(),
            support_phone: "0712 345 678".into(),
            terms: "No <b>streaming</b>.".into(),
            logo: Some(crate::branding::Logo { content_type: "image/png", bytes: vec![1] }),
            ..Branding::default()
        };
        let f = frame(Lang::En, b);
        let page = page(&f, f.venue(), "", None);
        assert!(page.contains("<h1>Mama Mboga &lt;Café&gt;</h1>"));
        assert!(page.contains("button{background:#aa1100}"));
        assert!(!page.contains("display:none"), "an invalid colour never reaches the CSS");
        assert!(page.contains("<img class=\"logo\" src=\"/logo\""));
        assert!(page.contains("Need help? Call <a href=\"tel:0712345678\">0712 345 678</a>"));
        assert!(terms(&f).contains("<details id=\"terms\"><summary>Terms of use</summary>No &lt;b&gt;streaming&lt;/b&gt;.</details>"));
    }

    #[test]
    fn an_unnamed_venue_is_called_a_hotspot_in_the_pages_language() {
        assert_eq!(frame(Lang::Sw, Branding::default()).venue(), "Hotspot ya Wi-Fi");
        assert_eq!(frame(Lang::En, Branding::default()).venue(), "Wi-Fi hotspot");
    }
}

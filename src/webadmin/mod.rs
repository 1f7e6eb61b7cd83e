//! The operator's web admin: a second HTTP listener of the daemon (`server.rs`), for the
//! operator's phone on the LAN, never for hotspot clients (`hotspot_side.rs` refuses them;
//! the nft table drops them too).
//!
//! This file owns the shapes every page shares — `WebAdmin` (the shared state), `Ctx` (what
//! a handler gets), `Outcome` (what it answers), `Form` and `query_param` — and `route`, which
//! hands a logged-in request to its section by path. Everything before that (who may ask,
//! the session cookie, the CSRF check, the audit row after a successful POST, security
//! headers) is `dispatch.rs`; the frame around pages is `layout.rs`. Section modules own
//! their pages and call `crate::admin::Admin`: no SQL and no nft in page code.

pub mod auth;
pub mod charts;
mod customers;
mod dashboard;
pub mod dispatch;
pub mod hotspot_side;
pub mod layout;
mod login;
pub mod multipart;
pub mod password;
mod packages;
mod payments;
pub mod print;
pub mod qr;
pub mod qr_code;
pub mod server;
pub mod settings;
mod system;
mod vouchers;

use std::sync::Mutex;
use std::time::Instant;

use hyper::Method;

use crate::admin::Admin;
use crate::config::Config;
use crate::http_client::share::{Share, ADMIN_HASHES};
use crate::i18n::{Lang, Words};
use crate::store::Store;

pub use server::serve;

/// What every admin request shares: the operations, the store (for the audit and the
/// password), the logged-in sessions and the login limits.
pub struct WebAdmin {
    /// The operator's operations (the same the CLI runs).
    pub admin: Admin,
    store: Store,
    /// The venue's branding, shared with the portal: the settings page saves it; the frame's
    /// header, the default language, the printouts and `/logo` read it.
    pub branding: crate::branding::Shared,
    /// The client-facing interface: requests from its subnets or neighbours are refused
    /// (`hotspot_side`); `lo` (the demo) refuses nothing.
    pub hotspot_interface: String,
    /// The venue's offset from UTC (`option utc_offset`), for times shown (`layout::local_time`).
    pub utc_offset_secs: i32,
    /// Logged-in sessions and the wrong-password limits (in memory: a restart logs out).
    pub(crate) auth: Mutex<auth::AuthState>,
    /// Password checks run here, off the runtime thread, one at a time.
    pub(crate) hashing: Share,
    /// The monotonic clock sessions and limits count on.
    started: Instant,
}

impl WebAdmin {
    pub fn new(admin: Admin, store: Store, branding: crate::branding::Shared, config: &Config) -> WebAdmin {
        WebAdmin {
            admin,
            store,
            branding,
            hotspot_interface: config.interface.clone(),
            utc_offset_secs: config.utc_offset_secs,
            auth: Mutex::new(auth::AuthState::new()),
            hashing: Share::new("admin password", ADMIN_HASHES),
            started: Instant::now(),
        }
    }

    /// The venue's name, for the frame's header.
    pub fn venue(&self) -> String {
        self.branding.get().venue_name.clone()
    }

    /// The language when neither the `lang` cookie nor the browser says: the operator's.
    pub fn default_lang(&self) -> Lang {
        self.branding.get().default_language
    }

    /// The database (audit rows, the admin password). Pages use `admin`, not this.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Seconds since the web admin started (monotonic: sessions and limits use it).
    pub fn monotonic_secs(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    pub(crate) fn auth(&self) -> std::sync::MutexGuard<'_, auth::AuthState> {
        self.auth.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What a section handler gets for one logged-in request.
pub struct Ctx<'a> {
    /// `.admin` (crate::admin::Admin), `.store()`, `.branding`.
    pub web: &'a WebAdmin,
    pub lang: Lang,
    /// `lang.words()`.
    pub words: &'static Words,
    /// The session's CSRF token, for forms (`layout::csrf_field`).
    pub csrf: &'a str,
    /// Who asks, for the audit: `admin@192.168.1.23`.
    pub who: &'a str,
    /// The raw query string (`""` if none).
    pub query: &'a str,
    /// The parsed `application/x-www-form-urlencoded` body (empty unless a POST sent one).
    pub form: &'a Form,
    /// The raw body (a multipart logo upload), at most `server::MAX_BODY_BYTES`.
    pub body: &'a [u8],
    /// The request's `Content-Type` (`""` if none).
    pub content_type: &'a str,
    /// The path asked for (for the language switch's way back).
    pub path: &'a str,
}

/// What a handler answers; `dispatch` turns it into a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 200, wrapped by `layout::page` (nav, CSS, language switch). `body` is the page's
    /// `<main id="page-NAME">…</main>`.
    Page { title: String, body: String },
    /// 200, a whole HTML document (print pages), no frame.
    Bare(String),
    /// 303 See Other to a local path (after every successful POST). A POST answered with a
    /// redirect is written to the audit.
    Redirect(String),
    /// 200, an attachment (CSV).
    Download { content_type: &'static str, filename: String, body: Vec<u8> },
    /// 400 with the message in the frame (shown in a `<p class="error">`).
    Invalid(String),
    NotFound,
}

/// A parsed `application/x-www-form-urlencoded` body (or query string): the fields in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    fields: Vec<(String, String)>,
}

/// Fields a form may carry (more are ignored): bounds the work on a hostile body.
const MAX_FORM_FIELDS: usize = 256;

impl Form {
    /// Parses `a=1&b=x+y&c=%41`. Malformed escapes stay as typed; a field without `=` has
    /// an empty value.
    pub fn parse(body: &[u8]) -> Form {
        let fields = body
            .split(|&b| b == b'&')
            .filter(|pair| !pair.is_empty())
            .take(MAX_FORM_FIELDS)
            .map(|pair| {
                let mut kv = pair.splitn(2, |&b| b == b'=');
                let key = url_decode(kv.next().unwrap_or_default());
                let value = url_decode(kv.next().unwrap_or_default());
                (key, value)
            })
            .collect();
        Form { fields }
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order (checkboxes, multi-selects).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every field in order.
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }
}

/// The value of `name` in a query string (`a=1&b=2`), decoded.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    Form::parse(query.as_bytes()).get(name).map(str::to_owned)
}

/// Percent-coding of query values, as the portal does it (`back=` of the language switch,
/// redirects).
pub use crate::portal::http::{url_decode, url_encode};

/// Hands a logged-in request to its section by path. (`/login`, `/logout`, `/lang` and
/// `/logo` are answered before this, in `dispatch`.)
pub async fn route(ctx: &Ctx<'_>, method: &Method, path: &str) -> Outcome {
    let section = path.trim_start_matches('/').split(['/', '.']).next().unwrap_or("");
    let page: Page<'_> = match section {
        "" => Box::pin(dashboard::handle(ctx, method, path)),
        "devices" | "customers" => Box::pin(customers::handle(ctx, method, path)),
        "payments" => Box::pin(payments::handle(ctx, method, path)),
        "vouchers" => Box::pin(vouchers::handle(ctx, method, path)),
        "packages" => Box::pin(packages::handle(ctx, method, path)),
        "settings" => Box::pin(settings::handle(ctx, method, path)),
        "system" => Box::pin(system::handle(ctx, method, path)),
        _ => return Outcome::NotFound,
    };
    page.await
}

/// A page being worked out. Boxed where a section picks one of several, so each is its own
/// small state machine instead of all being inlined into one (59 KB on mips, for the route).
pub type Page<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Outcome> + Send + 'a>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_in_order_with_repeats() {
        let form = Form::parse(b"csrf=ab12&name=Big+Hour&price=%32%30&x=%zz%4&flag&mac=02%3A00&mac=02%3a01&");
        assert_eq!(form.get("name"), Some("Big Hour"));
        assert_eq!(form.get("price"), Some("20"));
        assert_eq!(form.get("x"), Some("%zz%4"), "malformed escapes stay as typed");
        assert_eq!(form.get("flag"), Some(""));
        assert_eq!(form.all("mac").collect::<Vec<_>>(), ["02:00", "02:01"]);
        assert_eq!(form.get("missing"), None);
        assert_eq!(form.fields().len(), 7);
        assert_eq!(Form::parse(b""), Form::default());
        assert_eq!(url_decode(b"%+1"), "% 1", "a percent escape is two hex digits, not a signed number");
        assert_eq!(url_decode(b"%4"), "%4");
        assert_eq!(url_decode(b"a%41"), "aA");
    }

    #[test]
    fn a_hostile_form_is_bounded() {
        let body = "a=1&".repeat(10_000);
        assert_eq!(Form::parse(body.as_bytes()).fields().len(), MAX_FORM_FIELDS);
    }

    #[test]
    fn query_params_and_encoding_round_trip() {
        assert_eq!(query_param("set=sw&back=%2Fsystem%3Fx%3D1", "back").as_deref(), Some("/system?x=1"));
        assert_eq!(query_param("", "set"), None);
        assert_eq!(url_encode("/customers?q=07 12&x"), "/customers%3Fq%3D07%2012%26x");
        assert_eq!(url_decode(url_encode("/a b?c=d&e").as_bytes()), "/a b?c=d&e");
    }
}

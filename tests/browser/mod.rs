//! A real browser for integration tests: headless Chromium driven by `chromedriver` over W3C
//! WebDriver (JSON over plain HTTP/1.1 on a loopback port), optionally inside one of the
//! lab's network namespaces, and QR codes read back from its screenshots with `zbarimg`.
//!
//! Owns: starting and ending chromedriver (and so Chromium) for one test, the WebDriver
//! calls the tests use (navigate, find by CSS, text, attributes, typing, clicking, cookies,
//! page source, a script where nothing else tells), PNG screenshots kept as artefacts under
//! `target/browser-screenshots/<test>/<page>.png`, and QR decoding. It does not know the
//! pages: what to look for is the tests' business (the contract's hooks).
//!
//! Namespaces: chromedriver runs with `ip netns exec <ns>`, so Chromium opens its
//! connections from inside that namespace (a lab client, or the router for the operator's
//! admin). The test talks to chromedriver's loopback port in the same namespace: each
//! connection is opened by a short-lived thread that first enters the namespace with
//! `setns` (a network namespace is per thread on Linux; a socket keeps the namespace it was
//! created in), then hands the connected stream back.
//!
//! Chromium runs as the machine needs it: headless, no sandbox (root), no GPU, and with no
//! background networking of its own (the closed test network refuses it), in a new empty
//! profile directory removed at the end. Missing chromium/chromedriver/zbarimg is a failure
//! that says to run `scripts/test.sh` (which installs them), never a silent skip.
//!
//! `wire.rs` carries one request (HTTP framing, namespace threads); this file is the session.
//!
//! Everything is torn down in `Drop`: the session is deleted and chromedriver's process
//! group (chromedriver and the Chromium it started) is killed, also when the test panics.
//! Std only, plus serde_json, base64 and libc from hotspotd's own [dependencies].

#![allow(dead_code)]

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

mod wire;
#[allow(unused_imports)]
pub use wire::{in_netns, CallError};
use wire::free_port;

/// The W3C key under which an element reference travels.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "chromedriver";
/// How long chromedriver may take to answer `/status` after start.
const DRIVER_READY_TIMEOUT: Duration = Duration::from_secs(30);
/// What `wait_for` waits by default.
pub const WAIT: Duration = Duration::from_secs(10);

static PROFILE_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// How to start a browser.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    /// Network namespace to run in (`None`: the test's own).
    pub netns: Option<String>,
    /// Accept-Language the browser sends (e.g. `"sw-KE,sw"`), via the `--lang` flag and the
    /// `intl.accept_languages` preference. `None`: English.
    pub accept_language: Option<String>,
    /// Window size in CSS pixels.
    pub width: u32,
    pub height: u32,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        BrowserOptions { netns: None, accept_language: None, width: 1024, height: 800 }
    }
}

/// One Chromium session for one test; ended on drop.
pub struct Browser {
    driver: Child,
    netns: Option<String>,
    port: u16,
    session: String,
    profile: PathBuf,
    shots: PathBuf,
}

/// A found element (its WebDriver reference).
pub struct Element<'a> {
    browser: &'a Browser,
    pub id: String,
    /// The CSS selector it was found with (for messages).
    pub css: String,
}

/// Panics unless chromium, chromedriver and zbarimg are installed, naming the way to get them.
pub fn require_tools() {
    let mut missing = Vec::new();
    for (tool, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver"), ("zbarimg", "zbar-tools")] {
        let found = Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
        if !matches!(found, Ok(s) if s.success()) {
            missing.push(format!("{tool} (Debian package {package})"));
        }
    }
    assert!(
        missing.is_empty(),
        "the browser tests need {}: run scripts/test.sh as root, which installs them \
         (apt-get install chromium chromium-driver zbar-tools)",
        missing.join(", ")
    );
}

impl Browser {
    /// Start chromedriver and a Chromium session. `test` names the screenshot folder.
    pub fn start(test: &str, options: BrowserOptions) -> Browser {
        require_tools();
        let n = PROFILE_COUNTER.fetch_add(1, Ordering::SeqCst);
        let profile = std::env::temp_dir().join(format!("hotspotd-chromium-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&profile);
        fs::create_dir_all(profile.join("data")).unwrap_or_else(|e| panic!("create {}: {e}", profile.display()));
        let shots = screenshot_root().join(test);
        fs::create_dir_all(&shots).unwrap_or_else(|e| panic!("create {}: {e}", shots.display()));

        let port = free_port(options.netns.as_deref());
        let log = profile.join("chromedriver.log");
        let mut command = match &options.netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, CHROMEDRIVER]);
                c
            }
            None => Command::new(CHROMEDRIVER),
        };
        command
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group: Drop kills chromedriver and the Chromium it started.
            .process_group(0);
        let driver = command.spawn().unwrap_or_else(|e| panic!("start chromedriver: {e}"));
        let mut browser =
            Browser { driver, netns: options.netns.clone(), port, session: String::new(), profile, shots };
        browser.wait_driver_ready();

        let data_dir = browser.profile.join("data");
        let mut args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--hide-scrollbars".into(),
            format!("--window-size={},{}", options.width, options.height),
            format!("--user-data-dir={}", data_dir.display()),
        ];
        let mut prefs = json!({});
        if let Some(lang) = &options.accept_language {
            let primary = lang.split(',').next().unwrap_or(lang).split('-').next().unwrap_or(lang);
            args.push(format!("--lang={primary}"));
            prefs = json!({ "intl": { "accept_languages": lang } });
        }
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "pageLoadStrategy": "normal",
                "goog:chromeOptions": { "binary": CHROMIUM, "args": args, "prefs": prefs },
            }}
        });
        let reply = browser
            .call("POST", "/session", Some(&capabilities))
            .unwrap_or_else(|e| panic!("new WebDriver session: {e:?}\n{}", browser.driver_log_tail()));
        browser.session = reply["sessionId"].as_str().expect("sessionId in the new-session reply").to_string();
        browser
    }

    // ------------------------------------------------------------ navigation and page

    /// Open `url` and wait for the page to load.
    pub fn goto(&self, url: &str) {
        self.session_call("POST", "/url", json!({ "url": url }));
    }

    /// Open `url`; `Err` when no page came (refused, unreachable: `net::ERR_…`).
    pub fn try_goto(&self, url: &str) -> Result<(), CallError> {
        let body = json!({ "url": url });
        self.call("POST", &format!("/session/{}/url", self.session), Some(&body)).map(|_| ())
    }

    pub fn url(&self) -> String {
        self.session_call("GET", "/url", Value::Null).as_str().unwrap_or_default().to_string()
    }

    pub fn title(&self) -> String {
        self.session_call("GET", "/title", Value::Null).as_str().unwrap_or_default().to_string()
    }

    pub fn source(&self) -> String {
        self.session_call("GET", "/source", Value::Null).as_str().unwrap_or_default().to_string()
    }

    /// The HTTP status of the page now shown. WebDriver has no call for it: it is read from
    /// the page's Navigation Timing entry (`responseStatus`), the one script the tests need.
    pub fn status(&self) -> u16 {
        let js = "const e = performance.getEntriesByType('navigation')[0]; return e ? e.responseStatus : 0;";
        self.script(js, &[]).as_u64().unwrap_or(0) as u16
    }

    /// Run a synchronous script in the page; `args` may hold elements (`Element::arg`).
    pub fn script(&self, js: &str, args: &[Value]) -> Value {
        self.session_call("POST", "/execute/sync", json!({ "script": js, "args": args }))
    }

    /// The visible text of the whole page (`body`).
    pub fn page_text(&self) -> String {
        self.find("body").text()
    }

    /// Show pages as a phone of `width` × `height` CSS pixels does (mobile viewport, touch);
    /// headless Chromium's window cannot be narrower than 500 px.
    pub fn emulate_phone(&self, width: u32, height: u32) {
        let metrics = json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": true });
        self.cdp("Emulation.setDeviceMetricsOverride", metrics);
    }

    /// (content width, viewport width) of the page shown, in CSS pixels: content wider than
    /// the viewport scrolls sideways.
    pub fn widths(&self) -> (f64, f64) {
        let m = self.cdp("Page.getLayoutMetrics", json!({}));
        (m["cssContentSize"]["width"].as_f64().unwrap_or(0.0), m["cssLayoutViewport"]["clientWidth"].as_f64().unwrap_or(0.0))
    }

    // ------------------------------------------------------------ elements

    /// The first element matching `css`; panics (with the page's URL and text) if none.
    pub fn find(&self, css: &str) -> Element<'_> {
        self.try_find(css).unwrap_or_else(|| panic!("no element {css:?} on {}\n{}", self.url(), self.page_excerpt()))
    }

    pub fn try_find(&self, css: &str) -> Option<Element<'_>> {
        let body = json!({ "using": "css selector", "value": css });
        match self.call("POST", &format!("/session/{}/element", self.session), Some(&body)) {
            Ok(v) => Some(self.element(&v, css)),
            Err(e) if e.error == "no such element" => None,
            Err(e) => panic!("find {css:?}: {e:?}"),
        }
    }

    pub fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        let body = json!({ "using": "css selector", "value": css });
        let v = self.session_call("POST", "/elements", body);
        v.as_array().map(|list| list.iter().map(|e| self.element(e, css)).collect()).unwrap_or_default()
    }

    /// Poll until `css` matches (after a click that navigates), or panic after `WAIT`.
    pub fn wait_for(&self, css: &str) -> Element<'_> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(e) = self.try_find(css) {
                return e;
            }
            if Instant::now() > deadline {
                panic!("{css:?} did not appear within {WAIT:?} on {}\n{}", self.url(), self.page_excerpt());
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Type into the field `css` (after clearing it).
    pub fn fill(&self, css: &str, text: &str) {
        let e = self.find(css);
        e.clear();
        e.send_keys(text);
    }

    /// Press the submit button of the form `form_css` (as a user does) and wait until the
    /// page it leads to has loaded.
    pub fn submit(&self, form_css: &str) {
        let before = self.script("return performance.timeOrigin;", &[]);
        let form = self.find(form_css);
        let button = form
            .try_find("button[type=submit], input[type=submit], button:not([type])")
            .unwrap_or_else(|| panic!("form {form_css:?} has no submit button on {}", self.url()));
        button.click();
        self.wait_navigated(&before);
    }

    /// Wait until a new document has replaced the one whose `performance.timeOrigin` was
    /// `before`, and has loaded.
    pub fn wait_navigated(&self, before: &Value) {
        let deadline = Instant::now() + WAIT;
        loop {
            let now = self.try_script("return [performance.timeOrigin, document.readyState];");
            if let Some(v) = now {
                if &v[0] != before && v[1] == "complete" {
                    return;
                }
            }
            if Instant::now() > deadline {
                panic!("no new page loaded within {WAIT:?} (still on {})", self.url());
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    // ------------------------------------------------------------ cookies

    pub fn cookies(&self) -> Vec<Value> {
        self.session_call("GET", "/cookie", Value::Null).as_array().cloned().unwrap_or_default()
    }

    pub fn delete_cookies(&self) {
        self.session_call("DELETE", "/cookie", Value::Null);
    }

    // ------------------------------------------------------------ screenshots

    /// Where this browser's screenshots go.
    pub fn screenshot_dir(&self) -> &Path {
        &self.shots
    }

    /// The whole page (beyond the window) as `<dir>/<page>.png`; prints and returns the path.
    pub fn screenshot(&self, page: &str) -> PathBuf {
        let metrics = self.cdp("Page.getLayoutMetrics", json!({}));
        let size = &metrics["cssContentSize"];
        let width = size["width"].as_f64().unwrap_or(1024.0).ceil();
        let height = size["height"].as_f64().unwrap_or(800.0).ceil();
        let clip = json!({ "x": 0, "y": 0, "width": width, "height": height, "scale": 1 });
        self.capture(page, clip)
    }

    /// The part of the page under `element`, with `margin` CSS pixels around it, enlarged
    /// `scale` times (for QR codes: zbar wants a quiet zone and a few pixels per module).
    pub fn element_screenshot(&self, element: &Element<'_>, name: &str, margin: f64, scale: f64) -> PathBuf {
        let rect = element.rect();
        let clip = json!({
            "x": (rect.0 - margin).max(0.0), "y": (rect.1 - margin).max(0.0),
            "width": rect.2 + 2.0 * margin, "height": rect.3 + 2.0 * margin, "scale": scale,
        });
        self.capture(name, clip)
    }

    fn capture(&self, name: &str, clip: Value) -> PathBuf {
        let params = json!({ "format": "png", "captureBeyondViewport": true, "fromSurface": true, "clip": clip });
        let shot = self.cdp("Page.captureScreenshot", params);
        let data = shot["data"].as_str().unwrap_or_else(|| panic!("no screenshot data: {shot}"));
        let png = base64::engine::general_purpose::STANDARD.decode(data).expect("screenshot is base64");
        let path = self.shots.join(format!("{name}.png"));
        fs::write(&path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        println!("screenshot: {}", path.display());
        path
    }

    /// A Chrome DevTools Protocol command through chromedriver.
    pub fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.session_call("POST", "/goog/cdp/execute", json!({ "cmd": cmd, "params": params }))
    }

    // ------------------------------------------------------------ internals

    fn element(&self, v: &Value, css: &str) -> Element<'_> {
        let id = v[ELEMENT_KEY].as_str().unwrap_or_else(|| panic!("not an element reference: {v}"));
        Element { browser: self, id: id.to_string(), css: css.to_string() }
    }

    fn try_script(&self, js: &str) -> Option<Value> {
        let body = json!({ "script": js, "args": [] });
        self.call("POST", &format!("/session/{}/execute/sync", self.session), Some(&body)).ok()
    }

    /// The first 1,500 characters of the page's text (for failure messages).
    pub fn page_excerpt(&self) -> String {
        let text = self.try_script("return document.body ? document.body.innerText : '';").unwrap_or(Value::Null);
        let text = text.as_str().unwrap_or("");
        format!("--- page text ---\n{}", text.chars().take(1500).collect::<String>())
    }

    fn session_call(&self, method: &str, path: &str, body: Value) -> Value {
        let full = format!("/session/{}{path}", self.session);
        let body = if body.is_null() && method == "POST" { json!({}) } else { body };
        let body = (!body.is_null()).then_some(body);
        self.call(method, &full, body.as_ref()).unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e:?}"))
    }

    /// One WebDriver request; `Ok(value)` or the W3C error.
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, CallError> {
        wire::request(self.netns.as_deref(), self.port, method, path, body)
    }

    fn wait_driver_ready(&mut self) {
        let deadline = Instant::now() + DRIVER_READY_TIMEOUT;
        loop {
            let last = match self.call("GET", "/status", None) {
                Ok(v) if v["ready"] == Value::Bool(true) => return,
                Ok(v) => v.to_string(),
                Err(e) => format!("{e:?}"),
            };
            if let Ok(Some(status)) = self.driver.try_wait() {
                panic!("chromedriver exited at start ({status})\n{}", self.driver_log_tail());
            }
            if Instant::now() > deadline {
                panic!(
                    "chromedriver did not become ready within {DRIVER_READY_TIMEOUT:?} ({last})\n{}",
                    self.driver_log_tail()
                );
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    fn driver_log_tail(&self) -> String {
        let log = fs::read_to_string(self.profile.join("chromedriver.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        format!("--- chromedriver log (last 30 lines) ---\n{}", lines[lines.len().saturating_sub(30)..].join("\n"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.call("DELETE", &format!("/session/{}", self.session), None);
        }
        // chromedriver leads its own process group (`process_group(0)`): this ends it and
        // every Chromium process it started, and nothing else.
        let pgid = self.driver.id() as libc::pid_t;
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
        let _ = self.driver.wait();
        let _ = fs::remove_dir_all(&self.profile);
    }
}

impl<'a> Element<'a> {
    fn path(&self, tail: &str) -> String {
        format!("/element/{}{tail}", self.id)
    }

    /// For `Browser::script` arguments.
    pub fn arg(&self) -> Value {
        json!({ ELEMENT_KEY: self.id })
    }

    pub fn text(&self) -> String {
        self.browser.session_call("GET", &self.path("/text"), Value::Null).as_str().unwrap_or("").to_string()
    }

    /// The attribute as written in the HTML (`None` if absent).
    pub fn attr(&self, name: &str) -> Option<String> {
        self.browser.session_call("GET", &self.path(&format!("/attribute/{name}")), Value::Null).as_str().map(String::from)
    }

    /// The DOM property (e.g. `value` of an input as it is now).
    pub fn prop(&self, name: &str) -> Value {
        self.browser.session_call("GET", &self.path(&format!("/property/{name}")), Value::Null)
    }

    pub fn value(&self) -> String {
        self.prop("value").as_str().unwrap_or("").to_string()
    }

    pub fn send_keys(&self, text: &str) {
        self.browser.session_call("POST", &self.path("/value"), json!({ "text": text }));
    }

    pub fn clear(&self) {
        self.browser.session_call("POST", &self.path("/clear"), json!({}));
    }

    pub fn click(&self) {
        self.browser.session_call("POST", &self.path("/click"), json!({}));
    }

    /// Position and size in CSS pixels, from the document's top left: (x, y, width, height).
    pub fn rect(&self) -> (f64, f64, f64, f64) {
        let r = self.browser.session_call("GET", &self.path("/rect"), Value::Null);
        let f = |k: &str| r[k].as_f64().unwrap_or(0.0);
        (f("x"), f("y"), f("width"), f("height"))
    }

    pub fn try_find(&self, css: &str) -> Option<Element<'a>> {
        let body = json!({ "using": "css selector", "value": css });
        let path = format!("/session/{}{}", self.browser.session, self.path("/element"));
        match self.browser.call("POST", &path, Some(&body)) {
            Ok(v) => Some(self.browser.element(&v, css)),
            Err(e) if e.error == "no such element" => None,
            Err(e) => panic!("find {css:?} in {:?}: {e:?}", self.css),
        }
    }

    pub fn find(&self, css: &str) -> Element<'a> {
        self.try_find(css).unwrap_or_else(|| panic!("no {css:?} inside {:?}", self.css))
    }

    pub fn find_all(&self, css: &str) -> Vec<Element<'a>> {
        let body = json!({ "using": "css selector", "value": css });
        let v = self.browser.session_call("POST", &self.path("/elements"), body);
        v.as_array().map(|list| list.iter().map(|e| self.browser.element(e, css)).collect()).unwrap_or_default()
    }
}

// -------------------------------------------------------------------- free helpers

/// The texts of every QR code in the PNG at `path` (`zbarimg --raw -q`), in reading order.
pub fn decode_qr(path: &Path) -> Vec<String> {
    let out = Command::new("zbarimg")
        .args(["--raw", "-q", "-Sdisable", "-Sqrcode.enable"])
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("run zbarimg (run scripts/test.sh to install zbar-tools): {e}"));
    String::from_utf8_lossy(&out.stdout).lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
}

/// `target/browser-screenshots`, beside the test binary's `target/<profile>/deps`.
pub fn screenshot_root() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let target = exe
        .ancestors()
        .find(|p| p.file_name().map(|n| n == "target").unwrap_or(false))
        .map(Path::to_path_buf)
        .or_else(|| exe.ancestors().nth(3).map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target")));
    target.join("browser-screenshots")
}

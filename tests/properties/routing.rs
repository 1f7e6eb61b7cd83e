//! Routing (`portal::routes::Route::of`) on any method and path: HEAD is GET, whether a
//! path exists does not depend on the method, methods other than GET/HEAD/POST are never
//! served, and every route answered is one whose path it is.

use hotspotd::portal::routes::Route;
use hyper::Method;

/// The fixed routes: their exact path, the methods they answer, and the route.
fn fixed_routes() -> Vec<(&'static str, &'static [&'static str], Route)> {
    vec![
        ("/pay", &["POST"], Route::FormPay),
        ("/paybill", &["POST"], Route::FormPaybill),
        ("/forgot", &["POST"], Route::FormForgot),
        ("/api/payments/mpesa", &["POST"], Route::ApiPay),
        ("/api/hotspot/forgot-password", &["POST"], Route::ApiForgot),
        ("/", &["GET"], Route::Splash),
        ("/index.html", &["GET"], Route::Splash),
        ("/status", &["GET"], Route::Status),
        ("/login", &["POST"], Route::FormLogin),
        ("/login", &["GET"], Route::LoginLink),
        ("/logout", &["POST"], Route::FormLogout),
        ("/api/hotspot/login", &["POST"], Route::ApiLogin),
        ("/api/hotspot/logout", &["POST"], Route::ApiLogout),
        ("/api/hotspot/check-session", &["GET", "POST"], Route::ApiCheckSession),
        ("/api/packages", &["GET"], Route::ApiPackages),
        ("/api/captive", &["GET"], Route::ApiCaptive),
        ("/lang", &["GET"], Route::Lang),
        ("/logo", &["GET"], Route::Logo),
    ]
}

/// Whether `route`, answered for `method` (HEAD counts as GET), belongs to `path`.
fn route_fits(route: &Route, method: &str, path: &str) -> bool {
    // A view token is 32 lowercase hex digits (128 random bits).
    let token_after = |prefix: &str| {
        path.strip_prefix(prefix).filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    };
    match route {
        Route::PaymentPage(token) => method == "GET" && token_after("/pay/") == Some(token.as_str()),
        Route::ApiPayment(token) => method == "GET" && token_after("/api/payments/") == Some(token.as_str()),
        Route::MpesaCallback(token) => {
            method == "POST"
                && !token.is_empty()
                && !token.contains('/')
                && [format!("/api/payments/callback/{token}"), format!("/api/payments/mpesa/callback/{token}")].iter().any(|p| p == path)
        }
        Route::NotFound | Route::MethodNotAllowed => true,
        fixed => fixed_routes().iter().any(|(p, methods, r)| *p == path && methods.contains(&method) && r == fixed),
    }
}

/// Any method token and path.
pub fn check_route(method: &[u8], path: &str) {
    let Ok(method) = Method::from_bytes(method) else { return }; // hyper answers 400 first
    let route = Route::of(&method, path);
    assert_eq!(Route::of(&method, path), route, "routing is a function");
    let as_get = if method == Method::HEAD { "GET" } else { method.as_str() };
    assert!(route_fits(&route, as_get, path), "{method} {path:?} routed to {route:?}");
    if method == Method::HEAD {
        assert_eq!(route, Route::of(&Method::GET, path), "HEAD {path:?} is not routed as GET");
    }
    if method != Method::GET && method != Method::HEAD && method != Method::POST {
        assert!(matches!(route, Route::NotFound | Route::MethodNotAllowed), "{method} {path:?} served as {route:?}");
    }
    let exists = |m: &Method| Route::of(m, path) != Route::NotFound;
    assert_eq!(exists(&method), exists(&Method::GET), "{method} {path:?}: whether a path exists depends on the method");
    let routes = fixed_routes();
    if routes.iter().any(|(p, _, _)| *p == path) {
        let served = !matches!(route, Route::NotFound | Route::MethodNotAllowed);
        let answered = routes.iter().any(|(p, methods, _)| *p == path && methods.contains(&as_get));
        assert_eq!(served, answered, "{method} {path:?} gave {route:?}");
    }
}

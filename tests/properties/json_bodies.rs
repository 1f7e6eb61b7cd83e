//! The portal's request bodies: login (`/login` form, `/api/hotspot/login` JSON), payment
//! (`/pay`, `/api/payments/mpesa`) and forgotten password (`/forgot`,
//! `/api/hotspot/forgot-password`). Any body decodes without panic to something the routes'
//! rules allow; the same fields sent as a form or as JSON decode to the same request.

use hotspotd::portal::http::form_field;
use hotspotd::portal::routes::forgot::{phone_of_form, phone_of_json};
use hotspotd::portal::routes::login::{credential_of_form, credential_of_json};
use hotspotd::portal::routes::payments::PayRequest;
use hotspotd::sessions::Credential;
use serde_json::{json, Map, Value};

use super::form::encode;

/// A credential as comparable data: `("voucher", code, "")` or `("password", user, pass)`.
fn shown(credential: &Option<Credential>) -> Option<(&'static str, String, String)> {
    match credential.as_ref()? {
        Credential::Voucher(code) => Some(("voucher", code.clone(), String::new())),
        Credential::Password { username, password } => Some(("password", username.clone(), password.clone())),
        Credential::Paid { user_id } => panic!("a client's body decoded to a Paid credential (user {user_id})"),
    }
}

/// What a client's credential may never be: a blank voucher or a blank username.
fn check_credential(credential: &Option<Credential>, body: &[u8]) {
    if let Some((kind, name, _)) = shown(credential) {
        assert!(!name.trim().is_empty(), "{kind} login with a blank name from {:?}", String::from_utf8_lossy(body));
    }
}

/// Any body, to every decoder: no panic, only allowed credentials, and a payment request
/// that decodes re-encodes to itself.
pub fn check_any_body(body: &[u8]) {
    if let Ok(credential) = credential_of_json(body) {
        check_credential(&credential, body);
    }
    check_credential(&credential_of_form(body), body);
    if let Some(request) = PayRequest::of_json(body) {
        let again = serde_json::to_vec(&json!({ "package_id": request.package_id, "phone": request.phone })).unwrap();
        assert_eq!(PayRequest::of_json(&again).as_ref(), Some(&request), "{:?}", String::from_utf8_lossy(body));
    }
    let form = PayRequest::of_form(body);
    if form_field(body, "package_id").is_none() {
        assert_eq!(form.package_id, -1, "a missing package is unknown: {:?}", String::from_utf8_lossy(body));
    }
    let _ = phone_of_json(body);
    let _ = phone_of_form(body);
}

/// The documented rule: a non-blank voucher wins; otherwise a non-blank username with a
/// password (even an empty one); otherwise nothing to log in with.
fn expected_login(voucher: Option<&str>, username: Option<&str>, password: Option<&str>) -> Option<(&'static str, String, String)> {
    match (voucher.filter(|v| !v.trim().is_empty()), username.filter(|u| !u.trim().is_empty()), password) {
        (Some(code), _, _) => Some(("voucher", code.to_owned(), String::new())),
        (None, Some(user), Some(pass)) => Some(("password", user.to_owned(), pass.to_owned())),
        _ => None,
    }
}

/// The login fields (absent when `None`) as JSON and as a form encoded in `style`: both
/// decode to the credential the rule names.
pub fn check_login_fields(voucher: Option<&str>, username: Option<&str>, password: Option<&str>, style: &[u8]) {
    let fields = [("voucher", voucher), ("username", username), ("password", password)];
    let mut object = Map::new();
    let mut form = Vec::new();
    for (name, value) in fields {
        if let Some(value) = value {
            object.insert(name.into(), Value::String(value.into()));
            form.push(format!("{name}={}", encode(value, style)));
        }
    }
    let expected = expected_login(voucher, username, password);
    let body = serde_json::to_vec(&object).unwrap();
    let from_json = credential_of_json(&body).unwrap_or_else(|e| panic!("{object:?}: {e}"));
    assert_eq!(shown(&from_json), expected, "JSON {object:?}");
    let body = form.join("&");
    assert_eq!(shown(&credential_of_form(body.as_bytes())), expected, "form {body:?}");
}

/// `{"package_id": N, "phone": P}` and `package_id=N&phone=P` decode to the same request.
pub fn check_pay_fields(package_id: i64, phone: &str, style: &[u8]) {
    let expected = PayRequest { package_id, phone: phone.to_owned() };
    let body = serde_json::to_vec(&json!({ "phone": phone, "package_id": package_id })).unwrap();
    assert_eq!(PayRequest::of_json(&body).as_ref(), Some(&expected), "JSON {:?}", String::from_utf8_lossy(&body));
    let form = format!("package_id={}&phone={}", encode(&package_id.to_string(), style), encode(phone, style));
    assert_eq!(PayRequest::of_form(form.as_bytes()), expected, "form {form:?}");
    let broken = format!("package_id=x{package_id}&phone={}", encode(phone, style));
    assert_eq!(PayRequest::of_form(broken.as_bytes()).package_id, -1, "an unreadable package is unknown: {broken:?}");
}

/// `{"phone": P}` and `phone=P` decode to `P`.
pub fn check_forgot_fields(phone: &str, style: &[u8]) {
    let body = serde_json::to_vec(&json!({ "phone": phone })).unwrap();
    assert_eq!(phone_of_json(&body).as_deref(), Some(phone));
    let form = format!("phone={}", encode(phone, style));
    assert_eq!(phone_of_form(form.as_bytes()), phone, "form {form:?}");
}

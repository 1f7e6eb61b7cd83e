//! HTML form bodies (`application/x-www-form-urlencoded`): `portal::http::form_field`
//! against a strict reference decoder, and values encoded in any legal way decoding to
//! themselves.

use hotspotd::portal::http::form_field;

/// Reference decoding of one form component: `+` is a space, `%` followed by exactly two
/// hex digits is that byte, any other `%` is itself; the bytes are read as UTF-8 with
/// U+FFFD for what is not.
pub fn reference_decode(input: &[u8]) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < input.len() => match (hex(input[i + 1]), hex(input[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Any body: for every key in it, `form_field` gives the first pair's value under the
/// reference decoding; a name no key decodes to gives `None`.
pub fn check_form_body(body: &[u8]) {
    let pairs: Vec<(String, String)> = body
        .split(|&b| b == b'&')
        .map(|pair| match pair.iter().position(|&b| b == b'=') {
            Some(at) => (reference_decode(&pair[..at]), reference_decode(&pair[at + 1..])),
            None => (reference_decode(pair), String::new()),
        })
        .collect();
    for (key, _) in pairs.iter().take(32) {
        let expected = pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        assert_eq!(form_field(body, key), expected, "field {key:?} of body {:?}", String::from_utf8_lossy(body));
    }
    let absent = "\u{1}no such field";
    if !pairs.iter().any(|(k, _)| k == absent) {
        assert_eq!(form_field(body, absent), None, "body {:?}", String::from_utf8_lossy(body));
    }
}

/// Percent-encodes `text` the way `style` says, byte by byte (cycling through `style`):
/// 0 raw where that is legal, 1 `%XX` in upper case, 2 in lower case, 3 a space as `+`.
pub fn encode(text: &str, style: &[u8]) -> String {
    let mut out = String::new();
    for (i, b) in text.bytes().enumerate() {
        let choice = if style.is_empty() { 1 } else { style[i % style.len()] % 4 };
        let raw_is_legal = b.is_ascii_graphic() && !matches!(b, b'&' | b'=' | b'+' | b'%');
        match choice {
            0 if raw_is_legal => out.push(b as char),
            3 if b == b' ' => out.push('+'),
            2 => out.push_str(&format!("%{b:02x}")),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `name=value` encoded in any legal way, between other fields and before a second
/// `name=`, decodes to `value` (the first occurrence wins).
pub fn check_form_round_trip(name: &str, value: &str, style: &[u8]) {
    let body = format!("other=1&{}={}&{}=second", encode(name, style), encode(value, style), encode(name, style));
    let expected = if name == "other" { "1" } else { value };
    assert_eq!(form_field(body.as_bytes(), name).as_deref(), Some(expected), "body {body:?}");
}

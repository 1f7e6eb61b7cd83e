//! A small, bounded `multipart/form-data` reader (RFC 7578) for the logo upload: it finds
//! the parts of a body already read whole (the frame caps bodies at 64 KB), borrowing their
//! bytes. It reads at most `MAX_PARTS` parts with at most `MAX_HEADER_BYTES` of headers each,
//! and refuses anything malformed instead of guessing. Pure.

/// The most parts read from one body.
pub const MAX_PARTS: usize = 8;
/// The most header bytes in one part.
pub const MAX_HEADER_BYTES: usize = 1024;

/// One part of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    /// The `name` of its `Content-Disposition: form-data`.
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: &'a [u8],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    #[error("not multipart/form-data with a boundary")]
    NotMultipart,
    #[error("the body does not start with its boundary")]
    NoFirstBoundary,
    #[error("a part's headers are too long or not ended")]
    Headers,
    #[error("a part has no form-data name")]
    NoName,
    #[error("a part is not closed by a boundary")]
    Unterminated,
    #[error("more than {MAX_PARTS} parts")]
    TooManyParts,
}

/// The boundary of a `multipart/form-data; boundary=…` content type (1 to 70 characters,
/// quoted or not).
pub fn boundary(content_type: &str) -> Option<&str> {
    let mut params = content_type.split(';');
    if !params.next()?.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let value = params.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("boundary").then_some(v.trim())
    })?;
    let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
    (!value.is_empty() && value.len() <= 70 && value.bytes().all(|b| (b' '..=b'~').contains(&b))).then_some(value)
}

/// Every part of `body` (sent with `content_type`).
pub fn parse<'a>(content_type: &str, body: &'a [u8]) -> Result<Vec<Part<'a>>, MultipartError> {
    let boundary = boundary(content_type).ok_or(MultipartError::NotMultipart)?;
    let delimiter = format!("\r\n--{boundary}");
    let delimiter = delimiter.as_bytes();
    // The first boundary has no CR LF before it (unless a preamble comes first).
    let mut rest = if body.starts_with(&delimiter[2..]) {
        &body[delimiter.len() - 2..]
    } else {
        let at = find(body, delimiter).ok_or(MultipartError::NoFirstBoundary)?;
        &body[at + delimiter.len()..]
    };
    let mut parts = Vec::new();
    loop {
        // After a boundary: `--` ends the body, CR LF starts a part.
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest.strip_prefix(b"\r\n").ok_or(MultipartError::Unterminated)?;
        if parts.len() == MAX_PARTS {
            return Err(MultipartError::TooManyParts);
        }
        let head_end = find(&rest[..rest.len().min(MAX_HEADER_BYTES + 4)], b"\r\n\r\n").ok_or(MultipartError::Headers)?;
        let head = std::str::from_utf8(&rest[..head_end]).map_err(|_| MultipartError::Headers)?;
        let after_head = &rest[head_end + 4..];
        let data_end = find(after_head, delimiter).ok_or(MultipartError::Unterminated)?;
        let mut part = Part { name: String::new(), filename: None, content_type: None, data: &after_head[..data_end] };
        let mut named = false;
        for line in head.split("\r\n") {
            let (key, value) = line.split_once(':').ok_or(MultipartError::Headers)?;
            if key.trim().eq_ignore_ascii_case("content-disposition") {
                let mut params = split_params(value);
                if !params.next().is_some_and(|kind| kind.trim().eq_ignore_ascii_case("form-data")) {
                    return Err(MultipartError::NoName);
                }
                for param in params {
                    let Some((k, v)) = param.split_once('=') else { continue };
                    let v = unquote(v.trim());
                    match k.trim().to_ascii_lowercase().as_str() {
                        "name" => {
                            part.name = v;
                            named = true;
                        }
                        "filename" => part.filename = Some(v),
                        _ => {}
                    }
                }
            } else if key.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(value.trim().to_owned());
            }
        }
        if !named {
            return Err(MultipartError::NoName);
        }
        parts.push(part);
        rest = &after_head[data_end + delimiter.len()..];
    }
}

/// The part named `name`, if the body is well formed and has one.
pub fn field<'a>(content_type: &str, body: &'a [u8], name: &str) -> Result<Option<Part<'a>>, MultipartError> {
    Ok(parse(content_type, body)?.into_iter().find(|p| p.name == name))
}

/// `;`-separated parameters, not splitting inside double quotes.
fn split_params(value: &str) -> impl Iterator<Item = &str> {
    let mut quoted = false;
    let mut escaped = false;
    value.split(move |c: char| {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        }
        c == ';' && !quoted
    })
}

/// A parameter value without its quotes and backslash escapes.
fn unquote(v: &str) -> String {
    match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => {
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                out.push(if c == '\\' { chars.next().unwrap_or('\\') } else { c });
            }
            out
        }
        None => v.to_owned(),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CT: &str = "multipart/form-data; boundary=----WebKitFormBoundaryX3b";

    fn body(parts: &[(&str, &str)]) -> Vec<u8> {
        let mut b = Vec::new();
        for (head, data) in parts {
            b.extend_from_slice(format!("------WebKitFormBoundaryX3b\r\n{head}\r\n\r\n{data}\r\n").as_bytes());
        }
        b.extend_from_slice(b"------WebKitFormBoundaryX3b--\r\n");
        b
    }

    #[test]
    fn a_browser_upload_is_read_with_its_file_name_and_type() {
        let b = body(&[
            ("Content-Disposition: form-data; name=\"csrf\"", "tok"),
            ("Content-Disposition: form-data; name=\"logo\"; filename=\"my \\\"logo\\\"; x.png\"\r\nContent-Type: image/png", "\u{1}PNG\r\n--not-a-boundary\r\n"),
        ]);
        let parts = parse(CT, &b).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].name.as_str(), parts[0].data), ("csrf", &b"tok"[..]));
        let logo = field(CT, &b, "logo").unwrap().unwrap();
        assert_eq!(logo.filename.as_deref(), Some("my \"logo\"; x.png"));
        assert_eq!(logo.content_type.as_deref(), Some("image/png"));
        assert_eq!(logo.data, b"\x01PNG\r\n--not-a-boundary\r\n");
        assert_eq!(field(CT, &b, "other").unwrap(), None);
    }

    #[test]
    fn boundaries_are_read_quoted_or_not_and_bounded() {
        assert_eq!(boundary("multipart/form-data; boundary=abc"), Some("abc"));
        assert_eq!(boundary("Multipart/Form-Data;charset=utf-8; BOUNDARY=\"a b\""), Some("a b"));
        assert_eq!(boundary("application/x-www-form-urlencoded"), None);
        assert_eq!(boundary("multipart/form-data"), None);
        assert_eq!(boundary("multipart/form-data; boundary="), None);
        assert_eq!(boundary(&format!("multipart/form-data; boundary={}", "x".repeat(71))), None);
        assert_eq!(boundary("multipart/form-data; boundary=a\u{0}b"), None);
    }

    #[test]
    fn a_preamble_and_an_empty_file_are_fine() {
        let mut b = b"ignored preamble\r\n".to_vec();
        b.extend(body(&[("Content-Disposition: form-data; name=logo; filename=\"\"", "")]));
        let logo = field(CT, &b, "logo").unwrap().unwrap();
        assert_eq!((logo.data, logo.filename.as_deref()), (&b""[..], Some("")));
    }

    #[test]
    fn hostile_bodies_are_refused_not_guessed() {
        let whole = body(&[("Content-Disposition: form-data; name=\"logo\"", "data")]);
        // Every truncation of a good body is an error, never a panic or a shorter part.
        for cut in 0..whole.len() - 4 {
            assert!(parse(CT, &whole[..cut]).is_err(), "cut at {cut}");
        }
        let cases: Vec<(Vec<u8>, MultipartError)> = vec![
            (b"no boundary here".to_vec(), MultipartError::NoFirstBoundary),
            (body(&[("Content-Type: image/png", "x")]), MultipartError::NoName),
            (body(&[("Content-Disposition: attachment; name=\"logo\"", "x")]), MultipartError::NoName),
            (body(&[("Content-Disposition form-data", "x")]), MultipartError::Headers),
            (body(&[(&format!("Content-Disposition: form-data; name=\"a\"\r\nX: {}", "y".repeat(MAX_HEADER_BYTES)), "x")]), MultipartError::Headers),
            (body(&vec![("Content-Disposition: form-data; name=a", "x"); MAX_PARTS + 1]), MultipartError::TooManyParts),
            (b"------WebKitFormBoundaryX3bjunk".to_vec(), MultipartError::Unterminated),
            (b"------WebKitFormBoundaryX3b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nno end".to_vec(), MultipartError::Unterminated),
            (b"------WebKitFormBoundaryX3b\r\n\xff\xfe: x\r\n\r\nd\r\n------WebKitFormBoundaryX3b--".to_vec(), MultipartError::Headers),
        ];
        for (b, want) in cases {
            assert_eq!(parse(CT, &b), Err(want), "{:?}", String::from_utf8_lossy(&b));
        }
        assert_eq!(parse("text/plain", &whole), Err(MultipartError::NotMultipart));
        assert_eq!(parse(CT, &body(&vec![("Content-Disposition: form-data; name=a", "x"); MAX_PARTS])).unwrap().len(), MAX_PARTS);
    }
}

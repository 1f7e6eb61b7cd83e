//! The pieces of `tests/portal_mutations.rs` that need no daemon: a seeded PRNG, the
//! mutations applied to valid requests, whether a mutated request looks complete to an
//! HTTP/1.1 server (so the client knows whether to wait for an answer or close its side at
//! once), and the check of what came back.

/// xorshift64*: small, deterministic, good enough to pick mutations.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Bytes that mean something to HTTP, URLs, forms or JSON, or are not text at all.
const SPECIAL: &[&[u8]] = &[
    b"%", b"%zz", b"%ff", b"%00", b"%c3%28", b"%+1", b"+", b"&", b"=", b"\r", b"\n", b"\r\n", b"\r\n\r\n", b":", b" ", b"\t",
    b"\0", b"\xff", b"\xc3\x28", b"\xe2\x82", b"\"", b"\\", b"{", b"}", b"[", b"]", b"/../", b"//", b"?", b"#", b"\x7f",
    b"-1", b"99999999999999999999", b"1e999", b"null", b"\xef\xbb\xbf",
];

const METHODS: &[&[u8]] = &[
    b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"PATCH", b"OPTIONS", b"TRACE", b"CONNECT", b"get", b"PO ST", b"", b"G\xffT",
    b"XYZZYXYZZYXYZZY",
];

const VERSIONS: &[&[u8]] = &[b"HTTP/1.0", b"HTTP/2.0", b"HTTP/1.2", b"HTTP/0.9", b"HTTP/1.1\x00", b"HTTP/11", b"http/1.1", b"HTTP/1.1 x"];

const BAD_HEADERS: &[&[u8]] = &[
    b"Bad Header Line\r\n", b": no name\r\n", b"X\xff: y\r\n", b"X-A: \xff\xfe\r\n", b"X-A:\0\r\n", b"Host: example.com\r\n",
    b"Content-Length: 5\r\n", b"Content-Length: -1\r\n", b"Content-Length: 99999999999999999999\r\n", b"Content-Length: abc\r\n",
    b"Transfer-Encoding: chunked\r\n", b"Transfer-Encoding: gzip, chunked\r\n", b"Transfer-Encoding: identity\r\n",
    b"Expect: 200-ok\r\n", b"Connection: keep-alive\r\n", b"Connection: upgrade\r\nUpgrade: h2c\r\n", b" folded\r\n",
    b"Content-Type: application/json; charset=\xff\r\n",
];

const CHUNKED_BODIES: &[&[u8]] = &[
    b"zz\r\nabc\r\n0\r\n\r\n", b"5\r\nab\r\n0\r\n\r\n", b"ffffffffffffffffff\r\nx\r\n", b"-1\r\n\r\n", b"3;ext=\xff\r\nabc\r\n0\r\n\r\n",
    b"3\r\nabc\r\n0\r\nTrailer: x\r\n\r\n", b"0\r\n", b"1\r\n\xff\r\n0\r\n\r\n",
];

/// Where the head ends (the index after `\r\n\r\n`), if it does.
fn head_end(request: &[u8]) -> Option<usize> {
    request.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

fn line_spans(head: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = 0;
    while let Some(i) = head[start..].windows(2).position(|w| w == b"\r\n") {
        spans.push((start, start + i + 2));
        start += i + 2;
    }
    spans
}

fn replace(request: &mut Vec<u8>, range: std::ops::Range<usize>, with: &[u8]) {
    request.splice(range, with.iter().copied());
}

/// Applies one to three mutations to `seed`.
pub fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut r = seed.to_vec();
    for _ in 0..1 + rng.below(3) {
        mutate_once(rng, &mut r);
    }
    r
}

fn mutate_once(rng: &mut Rng, r: &mut Vec<u8>) {
    let len = r.len().max(1);
    let head = head_end(r).unwrap_or(r.len());
    let lines = line_spans(&r[..head]);
    match rng.below(14) {
        0 => {
            let at = rng.below(len).min(r.len().saturating_sub(1));
            if !r.is_empty() {
                r[at] ^= 1 << rng.below(8);
            }
        }
        1 => {
            let at = rng.below(len + 1).min(r.len());
            let special = *rng.pick(SPECIAL);
            replace(r, at..at, special);
        }
        2 => {
            let at = rng.below(len + 1).min(r.len());
            let random: Vec<u8> = (0..1 + rng.below(8)).map(|_| rng.next() as u8).collect();
            replace(r, at..at, &random);
        }
        3 => {
            let at = rng.below(len).min(r.len());
            let end = (at + 1 + rng.below(16)).min(r.len());
            replace(r, at..end, b"");
        }
        4 => r.truncate(rng.below(len)),
        5 if lines.len() > 1 => {
            let (start, end) = lines[1 + rng.below(lines.len() - 1)];
            let line = r[start..end].to_vec();
            replace(r, end..end, &line);
        }
        6 if !lines.is_empty() => {
            let pad = b"a".repeat(1 + rng.below(24_000));
            let at = lines[0].1;
            replace(r, at..at, &[b"X-Pad: ".as_slice(), &pad, b"\r\n"].concat());
        }
        7 if !lines.is_empty() => {
            let at = lines[rng.below(lines.len())].1;
            let header = *rng.pick(BAD_HEADERS);
            replace(r, at..at, header);
        }
        8 => {
            let end = r.iter().position(|&b| b == b' ').unwrap_or(0);
            let method = *rng.pick(METHODS);
            replace(r, 0..end, method);
        }
        9 if !lines.is_empty() => {
            let first = &r[..lines[0].1 - 2];
            let start = first.iter().rposition(|&b| b == b' ').map_or(0, |i| i + 1);
            let end = lines[0].1 - 2;
            let version = *rng.pick(VERSIONS);
            replace(r, start..end, version);
        }
        10 => {
            // Something odd in the path or query.
            let start = r.iter().position(|&b| b == b' ').map_or(0, |i| i + 1);
            let end = r[start..].iter().position(|&b| b == b' ').map_or(r.len(), |i| start + i);
            let at = start + rng.below(end.saturating_sub(start) + 1);
            let odds: [&[u8]; 8] = [b"%zz", b"%ff%fe", b"\xff\xfe", b"?x=%c3%28&y", b"/%2e%2e/", b"%00", b"?", b"#frag"];
            let odd = *rng.pick(&odds);
            let long = b"/x".repeat(rng.below(3) * 3000);
            replace(r, at..at, &[odd, long.as_slice()].concat());
        }
        11 => {
            // Content-Length that does not match the body.
            let body = r.len() - head;
            let value = match rng.below(5) {
                0 => body + 1 + rng.below(100),
                1 => body.saturating_sub(1 + rng.below(body.max(1))),
                2 => 0,
                3 => 9 * 1024,
                _ => body * 2 + 1,
            };
            set_content_length(r, head, &value.to_string());
        }
        12 => {
            // Chunked garbage instead of the body.
            let mut head_part = r[..head].to_vec();
            if head_part.ends_with(b"\r\n\r\n") {
                head_part.truncate(head_part.len() - 2);
                head_part.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
            }
            let chunks = *rng.pick(CHUNKED_BODIES);
            head_part.extend_from_slice(chunks);
            *r = head_part;
        }
        _ => {
            // The body replaced: random bytes, invalid UTF-8, deep or huge JSON.
            let body: Vec<u8> = match rng.below(4) {
                0 => (0..rng.below(64)).map(|_| rng.next() as u8).collect(),
                1 => b"{\"voucher\":\"\xff\xfe\",\"phone\":\"\xc3\x28\"}".to_vec(),
                2 => [b"[".repeat(600), b"]".repeat(600)].concat(),
                _ => format!("{{\"package_id\":{},\"phone\":\"{}\"}}", "9".repeat(40), "0".repeat(300)).into_bytes(),
            };
            let text = body.len().to_string();
            r.truncate(head);
            r.extend_from_slice(&body);
            set_content_length(r, head, &text);
        }
    }
}

/// Sets the Content-Length header (adding one if there is none) in the head ending at `head`.
fn set_content_length(r: &mut Vec<u8>, head: usize, value: &str) {
    let lines = line_spans(&r[..head.min(r.len())]);
    let existing = lines.iter().find(|(s, e)| r[*s..*e].to_ascii_lowercase().starts_with(b"content-length:"));
    let line = format!("Content-Length: {value}\r\n");
    match existing {
        Some(&(s, e)) => replace(r, s..e, line.as_bytes()),
        None if !lines.is_empty() => {
            let at = lines[0].1;
            replace(r, at..at, line.as_bytes());
        }
        None => {}
    }
}

/// Whether a server has all of `request` it needs to answer: the head is complete, and so
/// is the body its headers announce. (A request that is not, the server waits for: the
/// client closes its side at once to get the answer to an incomplete request.)
pub fn looks_complete(request: &[u8]) -> bool {
    let Some(head) = head_end(request) else { return false };
    let body = &request[head..];
    let headers: Vec<Vec<u8>> = line_spans(&request[..head]).iter().map(|&(s, e)| request[s..e].to_ascii_lowercase()).collect();
    if headers.iter().any(|h| h.starts_with(b"transfer-encoding:")) {
        return body.windows(5).any(|w| w == b"0\r\n\r\n");
    }
    let lengths: Vec<&Vec<u8>> = headers.iter().filter(|h| h.starts_with(b"content-length:")).collect();
    match lengths.as_slice() {
        [one] => {
            let value = String::from_utf8_lossy(&one[15..]).trim().to_owned();
            value.parse::<usize>().map_or(true, |n| body.len() >= n)
        }
        _ => true, // none: no body; several: refused at once
    }
}

/// One response read off the connection.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
}

/// Reads the responses in `bytes`: `Ok((responses, complete))`, where `complete` says the
/// last one is whole; `Err` when something is not a well-formed HTTP/1.x response.
/// `head_only`: the request was HEAD (no bodies follow); `http10`: an HTTP/1.0 request,
/// which hyper answers as HTTP/1.0.
pub fn read_responses(bytes: &[u8], head_only: bool, http10: bool) -> Result<(Vec<Response>, bool), String> {
    let mut responses = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let Some(end) = head_end(rest) else { return Ok((responses, false)) };
        let head = std::str::from_utf8(&rest[..end - 4]).map_err(|_| "a response head that is not UTF-8".to_owned())?;
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let mut words = status_line.splitn(3, ' ');
        let version = words.next().unwrap_or_default();
        if version != "HTTP/1.1" && !(http10 && version == "HTTP/1.0") {
            return Err(format!("status line {status_line:?}"));
        }
        let status: u16 = words
            .next()
            .filter(|s| s.len() == 3)
            .and_then(|s| s.parse().ok())
            .filter(|s| (100..600).contains(s))
            .ok_or_else(|| format!("status line {status_line:?}"))?;
        let mut length = None;
        for line in lines {
            let (name, value) = line.split_once(':').ok_or_else(|| format!("header line {line:?}"))?;
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return Err(format!("header name {name:?}"));
            }
            if name.eq_ignore_ascii_case("content-length") {
                if length.is_some() {
                    return Err("two Content-Length headers".into());
                }
                length = Some(value.trim().parse::<usize>().map_err(|_| format!("Content-Length {value:?}"))?);
            }
        }
        let has_body = !head_only && !(100..200).contains(&status) && status != 204 && status != 304;
        let body = if has_body { length.ok_or("a response without Content-Length")? } else { 0 };
        if rest.len() < end + body {
            return Ok((responses, false));
        }
        responses.push(Response { status });
        rest = &rest[end + body..];
    }
    Ok((responses, true))
}

/// Shows bytes for a failure message: text as it is, the rest escaped, cut at `max`.
pub fn shown(bytes: &[u8], max: usize) -> String {
    let text: String = bytes.iter().take(max).flat_map(|&b| std::ascii::escape_default(b)).map(char::from).collect();
    if bytes.len() > max {
        format!("{text}… ({} bytes)", bytes.len())
    } else {
        text
    }
}

//! HTTP/1.1 over one kept-alive TCP connection per simulated router (no client crate).

use super::*;

/// One HTTP/1.1 response as far as we need it.
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) signature: Option<String>,
    pub(crate) close: bool,
    pub(crate) body: Vec<u8>,
}

pub(crate) type Conn = BufReader<TcpStream>;

pub(crate) async fn connect(target: SocketAddr, source: Option<Ipv4Addr>) -> std::io::Result<Conn> {
    let stream = match source {
        Some(ip) => {
            let socket = TcpSocket::new_v4()?;
            socket.bind(SocketAddr::new(ip.into(), 0))?;
            socket.connect(target).await?
        }
        None => TcpStream::connect(target).await?,
    };
    stream.set_nodelay(true)?;
    Ok(BufReader::with_capacity(4096, stream))
}

/// Sends one request (head lines without the final blank line) and reads the answer.
pub(crate) async fn round_trip(conn: &mut Conn, head: &str, body: &[u8]) -> std::io::Result<Response> {
    let mut request = Vec::with_capacity(head.len() + body.len() + 64);
    request.extend_from_slice(head.as_bytes());
    request.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
    request.extend_from_slice(body);
    conn.get_mut().write_all(&request).await?;
    read_response(conn).await
}

pub(crate) fn bad(words: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, words.to_string())
}

pub(crate) async fn read_response(conn: &mut Conn) -> std::io::Result<Response> {
    let mut line = String::new();
    if conn.read_line(&mut line).await? == 0 {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed"));
    }
    let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| bad("no status line"))?;
    let (mut length, mut chunked, mut close, mut signature) = (None, false, false, None);
    loop {
        line.clear();
        if conn.read_line(&mut line).await? == 0 {
            return Err(bad("headers cut short"));
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else { return Err(bad("bad header")) };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
        match name.as_str() {
            "content-length" => length = Some(value.parse::<usize>().map_err(|_| bad("bad content-length"))?),
            "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
            "connection" => close = value.eq_ignore_ascii_case("close"),
            n if n == HEADER_SIGNATURE => signature = Some(value.to_string()),
            _ => {}
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            conn.read_line(&mut line).await?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16).map_err(|_| bad("bad chunk size"))?;
            let mut chunk = vec![0; size + 2];
            conn.read_exact(&mut chunk).await?;
            if size == 0 {
                break; // no trailers from hyper
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(n) = length {
        body.resize(n, 0);
        conn.read_exact(&mut body).await?;
    } else {
        conn.read_to_end(&mut body).await?;
        close = true;
    }
    Ok(Response { status, signature, close, body })
}

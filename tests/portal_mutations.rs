//! 10,000 mutated requests against the running portal: the real binary on loopback
//! (firewall `none`, M-Pesa in demo mode, SMS to a webhook that is not there, so every route
//! is live), fed valid requests for every route with bytes flipped, inserted, deleted and
//! truncated, headers duplicated, oversized and invalid, bad methods and versions, invalid
//! UTF-8 and percent escapes, Content-Length mismatches and chunked garbage.
//!
//! Every answer must be a closed connection or well-formed HTTP/1.1 responses (HTTP/1.0 to
//! an HTTP/1.0 request) whose status is below 500 or exactly 503 (the store is busy: the
//! portal says "try again", which is honest). Afterwards the daemon is still running, its
//! splash page answers 200 and a fresh voucher logs in, and its log shows no panic.
//!
//! The PRNG seed is printed; `HOTSPOTD_MUTATION_SEED=N` replays a run and
//! `HOTSPOTD_MUTATIONS=N` changes how many requests are sent. Requests come from 64 client
//! addresses (127.0.0.2…) so that the per-address connection cap and login and reset limits
//! leave most of them to reach the handlers. A request whose head or body is incomplete is
//! followed at once by the client closing its side (hyper then answers 400/408 or closes);
//! a complete one carries `Connection: close` unless a mutation removed it.

mod device;
mod mutations;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use device::Daemon;
use mutations::{looks_complete, mutate, read_responses, shown, Rng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

/// Requests in flight at once (two cores; the daemon answers in milliseconds).
const IN_FLIGHT: usize = 16;
const CLIENT_ADDRESSES: u8 = 64;
/// How long a complete request may take to be answered (generous: a shared machine).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the daemon may take to close a connection whose client closed its side.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The daemon (tests/device) with a package, vouchers (returned) and an account.
fn start() -> (Daemon, Vec<String>) {
    let daemon = Daemon::start(
        "mutations",
        "\toption header_timeout '2'\n\toption login_attempts '1000'\n\
         config mpesa 'mpesa'\n\toption enabled '1'\n\toption mode 'demo'\n\
         config sms 'sms'\n\toption provider 'webhook'\n\toption base_url 'http://127.0.0.1:9/sms'\n",
    );
    let package = daemon.cli(&["package", "add", "--name", "Hour", "--price", "10", "--duration", "3600"]).trim().to_owned();
    let vouchers: Vec<String> = daemon.cli(&["voucher", "create", "--package", &package, "--count", "3"]).split_whitespace().map(String::from).collect();
    daemon.cli(&["user", "add", "--package", &package, "--username", "amina", "--password", "pa55word", "--phone", "0712345678"]);
    (daemon, vouchers)
}

fn request(method: &str, path: &str, host: &str, headers: &str, body: &str) -> Vec<u8> {
    let length = if body.is_empty() && method != "POST" { String::new() } else { format!("Content-Length: {}\r\n", body.len()) };
    format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: mutations\r\n{headers}{length}Connection: close\r\n\r\n{body}").into_bytes()
}

/// One valid request for every route.
fn seeds(addr: SocketAddr, voucher: &str, payment: &str, token: &str, checkout: &str) -> Vec<Vec<u8>> {
    let host = addr.to_string();
    let form = "Content-Type: application/x-www-form-urlencoded\r\n";
    let json = "Content-Type: application/json\r\nAccept: application/json\r\n";
    let callback = format!(
        r#"{{"Body":{{"stkCallback":{{"MerchantRequestID":"29115-34620561-1","CheckoutRequestID":"{checkout}","ResultCode":0,"ResultDesc":"The service request is processed successfully.","CallbackMetadata":{{"Item":[{{"Name":"Amount","Value":10.00}},{{"Name":"MpesaReceiptNumber","Value":"NLJ7RT61SV"}},{{"Name":"Balance"}},{{"Name":"TransactionDate","Value":20191219102115}},{{"Name":"PhoneNumber","Value":254712345678}}]}}}}}}}}"#
    );
    let mut seeds = vec![
        request("GET", "/", &host, "Accept: text/html\r\n", ""),
        request("HEAD", "/index.html", &host, "", ""),
        request("GET", "/status", &host, "", ""),
        request("POST", "/login", &host, form, &format!("voucher={voucher}")),
        request("POST", "/login", &host, form, "username=amina&password=pa55word"),
        request("POST", "/logout", &host, form, ""),
        request("POST", "/api/hotspot/login", &host, json, &format!(r#"{{"voucher":"{voucher}"}}"#)),
        request("POST", "/api/hotspot/login", &host, json, r#"{"username":"amina","password":"pa55word"}"#),
        request("POST", "/api/hotspot/logout", &host, json, ""),
        request("POST", "/api/hotspot/check-session", &host, json, ""),
        request("GET", "/api/hotspot/check-session", &host, json, ""),
        request("GET", "/api/packages", &host, json, ""),
        request("GET", "/api/captive", &host, "Accept: application/captive+json\r\n", ""),
        request("POST", "/pay", &host, form, "package_id=1&phone=0712+345+678"),
        request("POST", "/api/payments/mpesa", &host, json, r#"{"package_id":1,"phone":"+254712345678"}"#),
        request("GET", &format!("/pay/{payment}"), &host, "", ""),
        request("GET", &format!("/api/payments/{payment}"), &host, json, ""),
        request("POST", "/forgot", &host, form, "phone=0712345678"),
        request("POST", "/api/hotspot/forgot-password", &host, json, r#"{"phone":"0712345678"}"#),
        request("POST", &format!("/api/payments/mpesa/callback/{token}"), &host, json, &callback),
        request("POST", &format!("/api/payments/callback/{token}"), &host, json, &callback),
        request("GET", "/generate_204", "connectivitycheck.gstatic.com", "", ""),
        request("GET", "/hotspot-detect.html?x=1", "captive.apple.com", "", ""),
    ];
    let chunked = b"POST /api/hotspot/login HTTP/1.1\r\nHost: HOST\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    let mut chunked = String::from_utf8_lossy(chunked).replace("HOST", &host).into_bytes();
    chunked.extend_from_slice(format!("a\r\n{{\"voucher\"\r\n{:x}\r\n:\"{voucher}\"}}\r\n0\r\n\r\n", voucher.len() + 4).as_bytes());
    seeds.push(chunked);
    seeds
}

/// What happened to one request.
#[derive(Debug)]
enum Outcome {
    Answered(Vec<u16>),
    Closed,
    Reset,
}

/// Sends `request` from `source` and reads what comes back.
async fn exchange(source: Ipv4Addr, addr: SocketAddr, request: &[u8]) -> Result<Outcome, String> {
    let socket = TcpSocket::new_v4().map_err(|e| e.to_string())?;
    socket.bind(SocketAddr::from((source, 0))).map_err(|e| e.to_string())?;
    let mut stream = socket.connect(addr).await.map_err(|e| format!("connect: {e}"))?;
    // Empty lines before the request line are skipped by the server (RFC 9112 §2.2).
    let start = request.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(request.len());
    let head_only = request[start..].starts_with(b"HEAD ");
    let http10 = request[start..].split(|&b| b == b'\n').next().is_some_and(|l| l.ends_with(b"HTTP/1.0\r"));
    let complete = looks_complete(request);
    if stream.write_all(request).await.is_err() {
        return Ok(Outcome::Reset); // the daemon refused the rest (a head too large)
    }
    let mut closed_our_side = false;
    if !complete {
        let _ = stream.shutdown().await;
        closed_our_side = true;
    }
    let mut answer = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let limit = if closed_our_side { CLOSE_TIMEOUT } else { ANSWER_TIMEOUT };
        match tokio::time::timeout(limit, stream.read(&mut buf)).await {
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
            Ok(Err(_)) => {
                // A reset: hyper closed with our unread bytes in its buffer. What arrived
                // before it must still be well-formed; a cut tail is the reset's doing.
                let (responses, _) = read_responses(&answer, head_only, http10)?;
                return Ok(if responses.is_empty() { Outcome::Reset } else { Outcome::Answered(statuses(&responses)) });
            }
            Err(_) if !closed_our_side => {
                // No (whole) answer yet to what looked complete: close our side and wait.
                let _ = stream.shutdown().await;
                closed_our_side = true;
                continue;
            }
            Err(_) => return Err(format!("no answer and the connection stayed open; got {:?}", shown(&answer, 200))),
        }
        let (responses, whole) = read_responses(&answer, head_only, http10)?;
        if whole && !responses.is_empty() {
            return Ok(Outcome::Answered(statuses(&responses)));
        }
    }
    match read_responses(&answer, head_only, http10)? {
        (responses, _) if responses.is_empty() && answer.is_empty() => Ok(Outcome::Closed),
        (responses, true) => Ok(Outcome::Answered(statuses(&responses))),
        (_, false) => Err(format!("the connection closed in the middle of a response: {:?}", shown(&answer, 300))),
    }
}

fn statuses(responses: &[mutations::Response]) -> Vec<u16> {
    responses.iter().map(|r| r.status).collect()
}

/// The seed: `HOTSPOTD_MUTATION_SEED`, or the clock.
fn seed() -> u64 {
    match std::env::var("HOTSPOTD_MUTATION_SEED") {
        Ok(text) => text.trim().parse().expect("HOTSPOTD_MUTATION_SEED is a number"),
        Err(_) => SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64,
    }
}

fn count() -> usize {
    std::env::var("HOTSPOTD_MUTATIONS").map_or(10_000, |text| text.trim().parse().expect("HOTSPOTD_MUTATIONS is a number"))
}

/// A plain request from a fresh address, answered in full: (status, body).
fn plain(addr: SocketAddr, source: Ipv4Addr, request: Vec<u8>) -> (u16, String) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let answer = runtime.block_on(async move {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::from((source, 0))).unwrap();
        let mut stream = socket.connect(addr).await.unwrap();
        stream.write_all(&request).await.unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(ANSWER_TIMEOUT, stream.read_to_end(&mut answer)).await.expect("an answer in time").unwrap();
        answer
    });
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text)
}

#[test]
fn ten_thousand_mutated_requests_get_clean_answers_and_the_daemon_keeps_serving() {
    let (mut daemon, vouchers) = start();
    let addr = daemon.addr;
    let host = addr.to_string();
    // A real pending payment, so that its page and Daraja's callback for it are live routes.
    let (status, body) = plain(addr, Ipv4Addr::new(127, 0, 0, 250), request("POST", "/api/payments/mpesa", &host, "", r#"{"package_id":1,"phone":"0712345678"}"#));
    assert_eq!(status, 201, "{body}");
    let db = rusqlite::Connection::open(daemon.dir.join("hotspotd.db")).unwrap();
    // Its page is reached by its view token (the id is never in a URL).
    let (payment, token, checkout): (String, String, String) = db
        .query_row("SELECT view_token, callback_token, checkout_request_id FROM payments ORDER BY id DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    drop(db);
    let seeds = seeds(addr, &vouchers[0], &payment, &token, &checkout);

    let seed = seed();
    let total = count();
    eprintln!("portal_mutations: {total} requests, seed {seed} (replay: HOTSPOTD_MUTATION_SEED={seed})");
    let mut rng = Rng::new(seed);
    let requests: Vec<(Ipv4Addr, Vec<u8>)> = (0..total)
        .map(|i| {
            let source = Ipv4Addr::new(127, 0, 0, 2 + (i % CLIENT_ADDRESSES as usize) as u8);
            let seed_request = &seeds[rng.below(seeds.len())];
            (source, mutate(&mut rng, seed_request))
        })
        .collect();

    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let outcomes = runtime.block_on(async {
        let permits = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
        let mut tasks = tokio::task::JoinSet::new();
        for (i, (source, request)) in requests.iter().cloned().enumerate() {
            let permit = permits.clone().acquire_owned().await.unwrap();
            tasks.spawn(async move {
                let outcome = exchange(source, addr, &request).await;
                drop(permit);
                (i, outcome)
            });
        }
        let mut outcomes = Vec::with_capacity(total);
        while let Some(done) = tasks.join_next().await {
            outcomes.push(done.expect("a request task"));
        }
        outcomes.sort_by_key(|(i, _)| *i);
        outcomes
    });
    let took = started.elapsed();

    let mut tally: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for (i, outcome) in &outcomes {
        let bad = match outcome {
            Ok(Outcome::Answered(statuses)) => {
                for s in statuses {
                    *tally.entry(s.to_string()).or_default() += 1;
                }
                statuses.iter().find(|&&s| s >= 500 && s != 503).map(|s| format!("status {s}"))
            }
            Ok(Outcome::Closed) => {
                *tally.entry("closed".into()).or_default() += 1;
                None
            }
            Ok(Outcome::Reset) => {
                *tally.entry("reset".into()).or_default() += 1;
                None
            }
            Err(e) => Some(e.clone()),
        };
        if let Some(why) = bad {
            failures.push(format!("request {i} from {}: {why}\n    sent: {}", requests[*i].0, shown(&requests[*i].1, 400)));
        }
    }
    eprintln!("portal_mutations: {} requests in {:.1} s; answers: {tally:?}", outcomes.len(), took.as_secs_f64());
    assert!(failures.is_empty(), "{} bad answers (seed {seed}); the first ones:\n{}", failures.len(), failures.iter().take(8).cloned().collect::<Vec<_>>().join("\n"));

    // The daemon is still there, no handler panicked (hyper would only have dropped that
    // connection), and it serves a newcomer: the splash page, and a voucher login.
    assert!(daemon.is_running(), "the daemon died during the run (seed {seed})");
    let log = std::fs::read_to_string(daemon.dir.join("daemon.log")).unwrap_or_default();
    assert!(!log.contains("panicked"), "a request made the daemon panic (seed {seed}):\n{log}");
    let fresh = Ipv4Addr::new(127, 0, 0, 251);
    let (status, page) = plain(addr, fresh, request("GET", "/", &host, "", ""));
    assert_eq!(status, 200, "splash page after the run: {page}");
    assert!(page.contains("voucher"), "{page}");
    let (status, answer) = plain(addr, fresh, request("POST", "/api/hotspot/login", &host, "", &format!(r#"{{"voucher":"{}"}}"#, vouchers[2])));
    assert_eq!(status, 200, "voucher login after the run: {answer}");
    assert!(answer.contains("\"ok\":true"), "{answer}");
    let clients = daemon.cli(&["clients"]);
    assert!(clients.contains("127.0.0.251"), "the CLI does not list the device that just logged in: {clients}");
}

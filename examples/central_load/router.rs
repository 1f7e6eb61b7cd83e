//! One simulated router (its sync loop: long-polls, batches, signed exchanges) and the operator
//! who posts commands.

use super::*;

/// One simulated router: its identity, its outbox, and what it has applied.
pub(crate) struct Router {
    pub(crate) id: i64,
    pub(crate) key: Vec<u8>,
    pub(crate) stream: String,
    pub(crate) counter: u64,
    pub(crate) next_seq: i64,
    /// Sent or not, not yet acknowledged: (seq, router time, event JSON).
    pub(crate) outbox: Vec<(i64, i64, String)>,
    pub(crate) applied: HashSet<i64>,
    pub(crate) next_payment: i64,
    pub(crate) next_account: i64,
    pub(crate) next_session: i64,
    /// (session, account, bytes up, bytes down, started at).
    pub(crate) sessions: Vec<(i64, i64, i64, i64, i64)>,
    pub(crate) rng: Rng,
    pub(crate) booted: i64,
}

pub(crate) fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

pub(crate) fn mac_of(router: i64, n: u64) -> String {
    format!("02:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", (router >> 16) & 255, (router >> 8) & 255, router & 255, (n >> 8) & 255, n & 255)
}

impl Router {
    pub(crate) fn new(id: i64, key: String) -> Router {
        let mut rng = Rng::seeded(id as u64);
        let stream: String = (0..12).map(|_| char::from_digit(rng.below(36) as u32, 36).unwrap()).collect();
        Router {
            id,
            key: key.into_bytes(),
            stream,
            counter: 0,
            next_seq: 1,
            outbox: Vec::new(),
            applied: HashSet::new(),
            next_payment: 1,
            next_account: 1,
            next_session: 1,
            sessions: Vec::new(),
            rng,
            booted: unix_now() - 86_400,
        }
    }

    pub(crate) fn record(&mut self, event: &Event) {
        let json = serde_json::to_string(event).expect("events serialise");
        self.outbox.push((self.next_seq, unix_now(), json));
        self.next_seq += 1;
    }

    /// A minute of a busy shop: 1–3 payments (one in five fails; the others open an account
    /// and a session), 0–2 sessions ending, and the usage checkpoint.
    pub(crate) fn make_batch(&mut self) {
        let now = unix_now();
        for _ in 0..1 + self.rng.below(3) {
            let payment_id = self.next_payment;
            self.next_payment += 1;
            let phone = format!("2547{:08}", self.rng.below(100_000_000));
            let (package_id, amount) = [(1, 20), (2, 50), (3, 100)][self.rng.below(3) as usize];
            self.record(&Event::PaymentStarted { payment_id, provider: "mpesa".into(), phone: phone.clone(), package_id, amount, currency: "KES".into() });
            if self.rng.below(5) == 0 {
                self.record(&Event::PaymentFailed { payment_id, status: PaymentStatus::Failed, failure: PaymentFailure::Cancelled });
                continue;
            }
            let receipt = format!("T{:09}", self.rng.below(1_000_000_000));
            self.record(&Event::PaymentConfirmed { payment_id, receipt: Some(receipt), amount, phone: phone.clone() });
            let account_id = self.next_account;
            self.next_account += 1;
            let username = format!("u{account_id}");
            self.record(&Event::AccountCreated { account_id, username: username.clone(), source: AccountSource::Payment, package_id, phone: Some(phone) });
            let session_id = self.next_session;
            self.next_session += 1;
            let n = session_id as u64;
            self.record(&Event::SessionStarted {
                session_id,
                account_id,
                username,
                mac: mac_of(self.id, n),
                ip: format!("10.1.{}.{}", (n >> 8) & 255, n & 255),
                enforcer: "local".into(),
                expires_at: now + 3600,
            });
            self.sessions.push((session_id, account_id, 0, 0, now));
        }
        let ending = (self.rng.below(3) as usize).min(self.sessions.len()).max(self.sessions.len().saturating_sub(20));
        for (session_id, account_id, up, down, started) in self.sessions.drain(..ending).collect::<Vec<_>>() {
            self.record(&Event::SessionEnded {
                session_id,
                account_id,
                method: EndMethod::Expiry,
                reason: EndReason::Expired,
                bytes_up: up,
                bytes_down: down,
                duration_secs: now - started,
            });
        }
        for s in &mut self.sessions {
            s.2 += self.rng.below(5_000_000) as i64;
            s.3 += self.rng.below(50_000_000) as i64;
        }
        let sessions = self.sessions.iter().map(|s| [s.0, s.2, s.3]).collect();
        self.record(&Event::Usage { at: now, sessions });
    }

    pub(crate) fn status(&self) -> RouterStatus {
        let now = unix_now();
        RouterStatus {
            version: "0.1.0-bench".into(),
            uptime_secs: now - self.booted,
            devices_online: self.sessions.len() as i64,
            clock_trusted: true,
            router_time: now,
            db_bytes: 2_000_000,
            backlog: self.outbox.len() as i64,
        }
    }
}

/// What one exchange achieved.
pub(crate) struct Exchanged {
    pub(crate) items: Vec<(i64, Order)>,
    pub(crate) acked: u64,
}

/// One signed exchange on `conn` (connecting first if needed), checked end to end.
pub(crate) async fn exchange(
    router: &mut Router,
    conn: &mut Option<Conn>,
    target: SocketAddr,
    source: Option<Ipv4Addr>,
    wait_secs: u32,
    figures: &Figures,
) -> Result<Exchanged, (Failure, String)> {
    let sending = router.outbox.len().min(MAX_BATCH_EVENTS);
    let events = router.outbox[..sending]
        .iter()
        .map(|(seq, at, json)| WireEvent { seq: *seq, at: *at, clock_trusted: true, event: RawValue::from_string(json.clone()).expect("valid JSON") })
        .collect();
    let request = ExchangeRequest { events, status: router.status(), wait_secs };
    let body = serde_json::to_vec(&request).expect("requests serialise");
    router.counter += 1;
    let head = RequestHead { method: "POST", path: EXCHANGE_PATH, router: router.id, stream: &router.stream, counter: router.counter };
    let signature = sign_request(&router.key, &head, &body);
    let lines = format!(
        "POST {EXCHANGE_PATH} HTTP/1.1\r\nhost: {target}\r\ncontent-type: application/json\r\n{HEADER_ROUTER}: {}\r\n{HEADER_STREAM}: {}\r\n{HEADER_COUNTER}: {}\r\n{HEADER_SIGNATURE}: {signature}\r\n",
        router.id, router.stream, router.counter
    );
    if conn.is_none() {
        let fresh = connect(target, source).await.map_err(|e| (Failure::Connect, format!("{target}: {e}")))?;
        figures.connected.fetch_add(1, Ordering::Relaxed);
        *conn = Some(fresh);
    }
    let limit = Duration::from_secs(u64::from(wait_secs) + 20);
    let answer = tokio::time::timeout(limit, round_trip(conn.as_mut().expect("connected"), &lines, &body)).await;
    let response = match answer {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            drop_conn(conn, figures);
            let kind = if e.kind() == std::io::ErrorKind::UnexpectedEof { Failure::Closed } else { Failure::Io };
            return Err((kind, e.to_string()));
        }
        Err(_) => {
            drop_conn(conn, figures);
            return Err((Failure::Timeout, format!("no answer within {}s", limit.as_secs())));
        }
    };
    if response.close {
        drop_conn(conn, figures);
    }
    let words = || String::from_utf8_lossy(&response.body).chars().take(200).collect::<String>();
    if response.status != 200 {
        return Err((Failure::Status, format!("{} {}", response.status, words())));
    }
    let signed = response.signature.as_deref().is_some_and(|sig| response_signed(&router.key, &head, 200, &response.body, sig));
    if !signed {
        return Err((Failure::Signature, format!("router {}: response signature missing or wrong", router.id)));
    }
    let parsed: ExchangeResponse = serde_json::from_slice(&response.body).map_err(|e| (Failure::Body, format!("{e}: {}", words())))?;
    let expected = (sending > 0).then(|| router.outbox[sending - 1].0).or_else(|| (router.next_seq > 1).then(|| router.next_seq - 1));
    let acked = match (parsed.acked_seq, expected) {
        (got, want) if got == want => {
            let upto = got.unwrap_or(0);
            let before = router.outbox.len();
            router.outbox.retain(|(seq, _, _)| *seq > upto);
            (before - router.outbox.len()) as u64
        }
        (got, want) => return Err((Failure::Ack, format!("router {}: acked_seq {got:?}, expected {want:?}", router.id))),
    };
    Ok(Exchanged { items: parsed.items.into_iter().map(|i| (i.id, i.body)).collect(), acked })
}

pub(crate) fn drop_conn(conn: &mut Option<Conn>, figures: &Figures) {
    if conn.take().is_some() {
        figures.connected.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A router's sync loop until the window ends.
pub(crate) async fn run_router(mut router: Router, target: SocketAddr, source: Option<Ipv4Addr>, timing: Timing, figures: Arc<Figures>) {
    let starts_after = timing.window_start - timing.start;
    tokio::time::sleep(starts_after.mul_f64(router.rng.unit())).await;
    let mut next_batch = timing.window_start + timing.interval.mul_f64(router.rng.unit());
    let mut conn: Option<Conn> = None;
    while Instant::now() < timing.window_end {
        let now = Instant::now();
        let wait_secs = if !router.outbox.is_empty() || now >= next_batch {
            if now >= next_batch {
                router.make_batch();
                next_batch += timing.interval;
                if next_batch <= now {
                    next_batch = now + timing.interval;
                }
            }
            0
        } else {
            let until = (next_batch - now).as_secs() as u32;
            if until == 0 {
                tokio::time::sleep_until((next_batch).into()).await;
                continue;
            }
            until.min(timing.wait_secs)
        };
        let started = Instant::now();
        let carried = wait_secs == 0;
        match exchange(&mut router, &mut conn, target, source, wait_secs, &figures).await {
            Ok(done) => {
                let finished = Instant::now();
                figures.exchanges.fetch_add(1, Ordering::Relaxed);
                figures.events_total.fetch_add(done.acked, Ordering::Relaxed);
                if timing.in_window(started) {
                    figures.events_acked.fetch_add(done.acked, Ordering::Relaxed);
                    if carried {
                        figures.sync_us.lock().unwrap().push((finished - started).as_micros() as u64);
                    }
                }
                for (id, order) in done.items {
                    if !router.applied.insert(id) {
                        continue;
                    }
                    figures.delivered.lock().unwrap().entry(id).or_insert((router.id, finished));
                    let (ok, detail) = match order {
                        Order::Kick { mac: Some(_), .. } => (true, String::new()),
                        other => (false, format!("bench: unexpected {other:?}")),
                    };
                    router.record(&Event::CommandResult { command_id: id, ok, detail });
                }
            }
            Err((kind, words)) => {
                figures.fail(kind, || words);
                // A closed keep-alive connection: a real router reconnects at once.
                if !matches!(kind, Failure::Closed) {
                    let pause = 500 + router.rng.below(1500);
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
            }
        }
    }
    drop_conn(&mut conn, &figures);
}

/// The operator: a kick for a random router every `1/rate` seconds inside the window.
pub(crate) async fn run_operator(routers: Arc<Vec<i64>>, centrals: Vec<SocketAddr>, token: String, rate: f64, timing: Timing, figures: Arc<Figures>) {
    if rate <= 0.0 {
        return;
    }
    tokio::time::sleep_until(timing.window_start.into()).await;
    let period = Duration::from_secs_f64(1.0 / rate);
    let mut rng = Rng::seeded(0xC0FFEE);
    let mut tick = tokio::time::interval(period);
    let mut n = 0u64;
    // Stop posting a few seconds before the end so that the last ones can arrive.
    while Instant::now() + Duration::from_secs(5) < timing.window_end {
        tick.tick().await;
        let router = routers[rng.below(routers.len() as u64) as usize];
        let target = centrals[(n % centrals.len() as u64) as usize];
        n += 1;
        let mac = mac_of(router, 60_000 + rng.below(5_000));
        let (token, figures) = (token.clone(), figures.clone());
        tokio::spawn(async move {
            let body = format!(r#"{{"kind":"kick","mac":"{mac}"}}"#);
            let head = format!(
                "POST /api/v1/routers/{router}/commands HTTP/1.1\r\nhost: {target}\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\nconnection: close\r\n"
            );
            let posted = Instant::now();
            let answer = async {
                let mut conn = connect(target, None).await?;
                round_trip(&mut conn, &head, body.as_bytes()).await
            };
            match tokio::time::timeout(Duration::from_secs(10), answer).await {
                Ok(Ok(r)) if r.status == 201 => {
                    let id = serde_json::from_slice::<serde_json::Value>(&r.body).ok().and_then(|v| v["id"].as_i64());
                    match id {
                        Some(id) => {
                            figures.posted.lock().unwrap().insert(id, (router, posted));
                        }
                        None => figures.fail(Failure::Command, || format!("201 without an id: {}", String::from_utf8_lossy(&r.body))),
                    }
                }
                Ok(Ok(r)) => figures.fail(Failure::Command, || format!("{} {}", r.status, String::from_utf8_lossy(&r.body))),
                Ok(Err(e)) => figures.fail(Failure::Command, || e.to_string()),
                Err(_) => figures.fail(Failure::Command, || "no answer within 10 s".into()),
            }
        });
    }
}

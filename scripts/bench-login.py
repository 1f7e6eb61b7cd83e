#!/usr/bin/env python3
"""Helper for scripts/bench-login.sh (standard library only). Each subcommand runs in the
namespace the shell script puts it in and prints its results; errors exit non-zero with a
one-line reason.

  seed DB BATCH [--mac MAC]           (root ns, daemon stopped) redeem every unused voucher of
                                      BATCH for a fake device, as a portal voucher login would
                                      (--mac: every device has this MAC, one real interface)
  start --bin B --config C --log L --pidfile P --expect N [--stop-old]
                                      (router ns) [SIGTERM the daemon in P and wait,] start
                                      hotspotd, time until the portal answers and the nft set
                                      `clients` is the new table's and holds N elements
  count-set                           (router ns) elements in set inet hotspotd clients
  rounds --codes FILE --rounds M      (client ns) login -> forwarded latency, M times
  login CODE / logout                 (client ns) one JSON API call
  watch --stop-file F --limit S       (client ns) poll the internet every few ms until F
                                      exists; report any failure and the longest gap
"""

import argparse
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

PORTAL = ("10.77.0.1", 2050)
INTERNET = ("198.51.100.2", 80)
# Fake pre-authorised devices: 10.77.1.1 upwards (the lab's real clients are 10.77.0.x),
# locally administered unicast MACs 02:42:00:xx:xx:xx.
FAKE_FIRST_OCTET3 = 1


def die(msg):
    sys.stderr.write("bench-login.py: %s\n" % msg)
    sys.exit(1)


def fake_device(i):
    ip = "10.77.%d.%d" % (FAKE_FIRST_OCTET3 + i // 250, 1 + i % 250)
    mac = "02:42:00:%02x:%02x:%02x" % ((i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF)
    return ip, mac


# ---------------------------------------------------------------- HTTP over plain sockets

def http_request(addr, method, path, body=b"", timeout=2.0, extra=""):
    """One request on a fresh connection; returns (status, headers_lower_text, body)."""
    sock = socket.create_connection(addr, timeout=timeout)
    try:
        head = (
            "%s %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n%s"
            "Content-Length: %d\r\n\r\n" % (method, path, addr[0], addr[1], extra, len(body))
        )
        sock.sendall(head.encode() + body)
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    finally:
        sock.close()
    raw = b"".join(chunks)
    header, _, rest = raw.partition(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise OSError("bad HTTP answer: %r" % raw[:80])
    return int(parts[1]), "\r\n".join(lines[1:]).lower(), rest


def internet_ok(timeout):
    """True if a new TCP connection + GET reached the real internet host (not the portal's
    redirect): lab-internet.py marks its answers with `X-Lab-Internet: 1`."""
    try:
        status, headers, _ = http_request(INTERNET, "GET", "/", timeout=timeout)
    except OSError:
        return False
    return status == 200 and "x-lab-internet: 1" in headers


def api(path, payload=None, timeout=5.0):
    body = json.dumps(payload).encode() if payload is not None else b""
    status, _, rest = http_request(
        PORTAL, "POST", path, body, timeout=timeout, extra="Content-Type: application/json\r\n"
    )
    try:
        answer = json.loads(rest.decode() or "{}")
    except ValueError:
        answer = {"raw": rest[:200].decode("latin-1")}
    return status, answer


# ---------------------------------------------------------------- seed (root namespace)

def cmd_seed(args):
    now = int(time.time())
    conn = sqlite3.connect(args.db, timeout=5)
    conn.execute("PRAGMA foreign_keys = ON")
    rows = conn.execute(
        "SELECT v.id, v.code, p.id, p.duration_secs, p.data_limit_bytes, p.down_kbps, p.up_kbps,"
        " p.max_devices FROM vouchers v JOIN packages p ON p.id = v.package_id"
        " WHERE v.batch = ? AND v.status = 'unused' ORDER BY v.id",
        (args.batch,),
    ).fetchall()
    if not rows:
        die("no unused vouchers in batch %s" % args.batch)
    if len(rows) > 250 * 250:
        die("too many devices for the fake address plan (max 62500)")
    with conn:  # one transaction, like the daemon's per-login transactions but batched
        for i, (vid, code, pid, duration, data_limit, down, up, devices) in enumerate(rows):
            ip, mac = fake_device(i)
            mac = args.mac or mac
            expires = now + duration
            # What records::login writes for a voucher's first redemption:
            # accounts::create_account, start_clock, catalog::mark_voucher_redeemed,
            # sessions::open_session (+ acct_session_id), then the auth_log row.
            cur = conn.execute(
                "INSERT INTO hotspot_users (username, password_hash, phone, package_id, source,"
                " duration_secs, data_limit_bytes, down_kbps, up_kbps, max_devices, created_at,"
                " updated_at) VALUES (?, NULL, NULL, ?, 'voucher', ?, ?, ?, ?, ?, ?, ?)",
                (code, pid, duration, data_limit, down, up, devices, now, now),
            )
            uid = cur.lastrowid
            conn.execute(
                "UPDATE hotspot_users SET subscription_starts_at = ?2, subscription_expires_at = ?3,"
                " updated_at = ?2 WHERE id = ?1",
                (uid, now, expires),
            )
            conn.execute(
                "UPDATE vouchers SET status = 'redeemed', user_id = ?2, redeemed_mac = ?3,"
                " redeemed_at = ?4 WHERE id = ?1",
                (vid, uid, mac, now),
            )
            cur = conn.execute(
                "INSERT INTO sessions (user_id, mac, ip, started_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                (uid, mac, ip, now, expires),
            )
            conn.execute(
                "UPDATE sessions SET acct_session_id = printf('%08X', id) WHERE id = ?",
                (cur.lastrowid,),
            )
            conn.execute(
                "INSERT INTO auth_log (at, mac, ip, method, identity, outcome, reason)"
                " VALUES (?, ?, ?, 'voucher', ?, 'accepted', NULL)",
                (now, mac, ip, code),
            )
    active = conn.execute("SELECT COUNT(*) FROM sessions WHERE status = 'active'").fetchone()[0]
    conn.close()
    print("seeded %d fake devices (%s .. %s); active sessions in the database: %d"
          % (len(rows), fake_device(0)[0], fake_device(len(rows) - 1)[0], active))


# ---------------------------------------------------------------- nft (router namespace)

def nft_json(*args):
    out = subprocess.run(
        ["nft", "-j"] + list(args), capture_output=True, text=True, timeout=10
    )
    if out.returncode != 0:
        return None
    return json.loads(out.stdout)


def table_handle():
    data = nft_json("list", "tables", "inet")
    if not data:
        return None
    for item in data.get("nftables", []):
        table = item.get("table")
        if table and table.get("name") == "hotspotd":
            return table.get("handle")
    return None


def set_count():
    data = nft_json("list", "set", "inet", "hotspotd", "clients")
    if not data:
        return None
    for item in data.get("nftables", []):
        nset = item.get("set")
        if nset is not None:
            return len(nset.get("elem", []))
    return None


def cmd_count_set(_args):
    count = set_count()
    if count is None:
        die("set inet hotspotd clients not found")
    print(count)


def portal_answers():
    try:
        status, _, _ = http_request(PORTAL, "GET", "/", timeout=0.5)
        return status > 0
    except OSError:
        return False


def alive(pid):
    """True while `pid` runs. A zombie counts as gone: the daemon has exited, and only its
    new parent (the machine's init, as lab.sh's shell is gone) has not reaped it yet."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def cmd_start(args):
    limit = args.limit
    old_handle = table_handle()
    stop_ms = None
    term_mono = None
    if args.stop_old:
        with open(args.pidfile) as f:
            pid = int(f.read().strip())
        t = time.perf_counter()
        term_mono = time.monotonic()
        os.kill(pid, signal.SIGTERM)
        while alive(pid):
            if time.perf_counter() - t > 15:
                die("hotspotd (pid %d) did not stop within 15 s of SIGTERM" % pid)
            time.sleep(0.002)
        stop_ms = (time.perf_counter() - t) * 1000
        if portal_answers():
            die("the portal still answers after the daemon exited")
    log = open(args.log, "ab")
    t0 = time.perf_counter()
    t0_mono = time.monotonic()
    proc = subprocess.Popen(
        [args.bin, "--config", args.config, "run"],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
    )
    with open(args.pidfile, "w") as f:
        f.write("%d\n" % proc.pid)

    result = {"portal_ms": None, "table_ms": None, "count": None, "polls": 0}

    def watch_table():
        # The daemon rebuilds the whole table in one batch (add; delete; table {...}), so a
        # new table handle means the table now in the kernel is the one built from SQLite.
        # Only the cheap `list tables` is polled; the elements are counted once it changed
        # (and again until they are all there, should they arrive later).
        seen = None
        while time.perf_counter() - t0 < limit:
            handle = table_handle()
            now = time.perf_counter()
            result["polls"] += 1
            if handle is not None and handle != old_handle:
                if seen is None:
                    seen = now
                count = set_count()
                if count is not None and count >= args.expect:
                    result["table_ms"] = (seen - t0) * 1000
                    result["count"] = count
                    return
                seen = None
            if proc.poll() is not None:
                return
            time.sleep(0.001)

    watcher = threading.Thread(target=watch_table, daemon=True)
    watcher.start()
    while time.perf_counter() - t0 < limit:
        if proc.poll() is not None:
            die("hotspotd exited with %s at start; see %s" % (proc.returncode, args.log))
        if portal_answers():
            result["portal_ms"] = (time.perf_counter() - t0) * 1000
            break
        time.sleep(0.002)
    watcher.join(max(0.0, limit - (time.perf_counter() - t0)))
    if result["portal_ms"] is None:
        die("the portal did not answer within %.0f s of start" % limit)
    if result["table_ms"] is None:
        die("the nft set did not reach %d elements in a new table within %.0f s (now %s)"
            % (args.expect, limit, set_count()))
    final = set_count()
    restored = max(result["portal_ms"], result["table_ms"])
    # CLOCK_MONOTONIC is the same in every network namespace: the watcher's probe times
    # can be placed in this window (SIGTERM -> restored).
    ready_mono = t0_mono + restored / 1000
    print(json.dumps({
        "pid": proc.pid,
        "stop_ms": stop_ms,
        "portal_ms": result["portal_ms"],
        "table_ms": result["table_ms"],
        "restored_ms": restored,
        "count_at_table": result["count"],
        "count_now": final,
        "table_handle_before": old_handle,
        "table_handle_after": table_handle(),
        "table_polls": result["polls"],
        "term_mono": term_mono,
        "start_mono": t0_mono,
        "ready_mono": ready_mono,
    }))


# ---------------------------------------------------------------- client namespace

def percentile(sorted_values, p):
    """Nearest-rank percentile."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * p // 100))  # ceil
    return sorted_values[int(rank) - 1]


def cmd_login(args):
    status, answer = api_or_die("login", "/api/hotspot/login", {"voucher": args.code})
    print(json.dumps({"status": status, "answer": answer}))
    if status != 200:
        sys.exit(1)


def cmd_logout(_args):
    status, answer = api_or_die("logout", "/api/hotspot/logout")
    print(json.dumps({"status": status, "answer": answer}))
    if status != 200:
        sys.exit(1)


def api_or_die(what, path, payload=None):
    try:
        return api(path, payload)
    except OSError as err:
        die("%s: %s %s" % (what, path, err or type(err).__name__))


def cmd_rounds(args):
    with open(args.codes) as f:
        codes = [line.strip() for line in f if line.strip()]
    if len(codes) < args.rounds:
        die("need %d vouchers, have %d" % (args.rounds, len(codes)))
    poll = args.poll_ms / 1000.0
    deadline_total = time.monotonic() + args.limit

    # Start from a known state: logged out and blocked.
    api_or_die("before the first round", "/api/hotspot/logout")
    if internet_ok(0.5):
        die("the client reaches the internet before any login; is it already authorised?")

    forwarded, responded, polls_needed, blocked_ms = [], [], [], []
    for i in range(args.rounds):
        if time.monotonic() > deadline_total:
            die("rounds did not finish within %d s (%d done)" % (args.limit, i))
        t0 = time.perf_counter()
        status, answer = api_or_die("round %d" % (i + 1), "/api/hotspot/login", {"voucher": codes[i]})
        t_resp = time.perf_counter()
        if status != 200 or not answer.get("ok"):
            die("round %d: login with %s answered %d %s" % (i + 1, codes[i], status, answer))
        polls = 0
        while True:
            polls += 1
            if internet_ok(0.25):
                break
            if time.perf_counter() - t0 > 5:
                die("round %d: traffic not forwarded 5 s after login" % (i + 1))
            time.sleep(poll)
        t_fwd = time.perf_counter()
        forwarded.append((t_fwd - t0) * 1000)
        responded.append((t_resp - t0) * 1000)
        polls_needed.append(polls)

        status, answer = api_or_die("round %d" % (i + 1), "/api/hotspot/logout")
        if status != 200 or not answer.get("was_online"):
            die("round %d: logout answered %d %s" % (i + 1, status, answer))
        t_out = time.perf_counter()
        while internet_ok(0.25):
            if time.perf_counter() - t_out > 2:
                die("round %d: still forwarded 2 s after logout" % (i + 1))
            time.sleep(poll)
        blocked_ms.append((time.perf_counter() - t_out) * 1000)

    print(json.dumps({
        "forwarded_ms": forwarded,
        "response_ms": responded,
        "polls": polls_needed,
        "blocked_after_logout_ms": blocked_ms,
    }))


def cmd_watch(args):
    """Poll the internet every few ms until the stop file appears; also keep one long
    download (/stream, 1 KiB every 20 ms) open and record its longest silence."""
    t_start = time.monotonic()
    stream = {"max_gap_ms": 0.0, "bytes": 0, "error": None, "ended": False}
    stop = threading.Event()

    def read_stream():
        try:
            sock = socket.create_connection(INTERNET, timeout=2)
            sock.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            last = time.monotonic()
            while not stop.is_set():
                data = sock.recv(65536)
                now = time.monotonic()
                if not data:
                    stream["ended"] = True
                    break
                if stream["bytes"] > 0:
                    stream["max_gap_ms"] = max(stream["max_gap_ms"], (now - last) * 1000)
                stream["bytes"] += len(data)
                last = now
            sock.close()
        except OSError as err:
            stream["error"] = str(err)

    reader = threading.Thread(target=read_stream, daemon=True)
    reader.start()
    ok = fail = 0
    failures = []
    ok_times = []
    while not os.path.exists(args.stop_file):
        if time.monotonic() - t_start > args.limit:
            stream["error"] = stream["error"] or "watch limit reached"
            break
        t = time.monotonic()
        if internet_ok(0.5):
            ok += 1
            ok_times.append(time.monotonic())
        else:
            fail += 1
            failures.append(round((t - t_start) * 1000, 1))
        time.sleep(args.poll_ms / 1000.0)
    stop.set()
    print(json.dumps({
        "probes_ok": ok,
        "probes_failed": fail,
        "failed_at_ms": failures[:20],
        "stream_bytes": stream["bytes"],
        "stream_max_gap_ms": round(stream["max_gap_ms"], 1),
        "stream_error": stream["error"],
        "stream_ended": stream["ended"],
        "watched_s": round(time.monotonic() - t_start, 2),
        "ok_mono": ok_times,
    }))


# ---------------------------------------------------------------- report (root namespace)

def cmd_report_rounds(args):
    with open(args.file) as f:
        data = json.load(f)
    fwd = sorted(data["forwarded_ms"])
    resp = sorted(data["response_ms"])
    blocked = sorted(data["blocked_after_logout_ms"])
    multi = sum(1 for p in data["polls"] if p > 1)

    def line(name, values):
        return "  %-34s p50 %7.2f  p90 %7.2f  p99 %7.2f  max %7.2f ms" % (
            name, percentile(values, 50), percentile(values, 90), percentile(values, 99), values[-1])

    print("  rounds: %d (each: POST /api/hotspot/login with a fresh voucher, poll, logout, check blocked)"
          % len(fwd))
    print(line("login sent -> internet GET ok", fwd))
    print(line("login sent -> login answer", resp))
    print(line("logout answer -> blocked again", blocked))
    print("  rounds where the first internet GET after the login answer failed: %d" % multi)
    p99 = percentile(fwd, 99)
    verdict = "PASS" if p99 <= args.budget else "FAIL"
    print("  budget: login click -> traffic forwarded <= %g ms p99 with %d clients authorised: "
          "p99 %.2f ms -> %s" % (args.budget, args.clients, p99, verdict))


def main():
    parser = argparse.ArgumentParser(description="helper for bench-login.sh")
    sub = parser.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("seed")
    p.add_argument("db")
    p.add_argument("batch")
    p.add_argument("--mac")
    p.set_defaults(func=cmd_seed)

    p = sub.add_parser("start")
    p.add_argument("--bin", required=True)
    p.add_argument("--config", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--pidfile", required=True)
    p.add_argument("--expect", type=int, required=True)
    p.add_argument("--stop-old", action="store_true")
    p.add_argument("--limit", type=float, default=30.0)
    p.set_defaults(func=cmd_start)

    p = sub.add_parser("count-set")
    p.set_defaults(func=cmd_count_set)

    p = sub.add_parser("rounds")
    p.add_argument("--codes", required=True)
    p.add_argument("--rounds", type=int, required=True)
    p.add_argument("--poll-ms", type=float, default=1.0)
    p.add_argument("--limit", type=int, default=600)
    p.set_defaults(func=cmd_rounds)

    p = sub.add_parser("login")
    p.add_argument("code")
    p.set_defaults(func=cmd_login)

    p = sub.add_parser("logout")
    p.set_defaults(func=cmd_logout)

    p = sub.add_parser("watch")
    p.add_argument("--stop-file", required=True)
    p.add_argument("--limit", type=float, default=60.0)
    p.add_argument("--poll-ms", type=float, default=5.0)
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("report-rounds")
    p.add_argument("file")
    p.add_argument("--budget", type=float, default=50.0)
    p.add_argument("--clients", type=int, required=True)
    p.set_defaults(func=cmd_report_rounds)

    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()

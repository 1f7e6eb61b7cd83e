#!/usr/bin/env bash
# RADIUS throughput, hotspotd against FreeRADIUS 3.2 + rlm_sql_sqlite, on this machine in one
# run (issue 11 §5): both hold the same N users user1..userN (password passI, as radload.py
# sends them), both are loaded by the same closed-loop generator (../shared/tools/radload.py,
# which verifies every reply), and one table shows Access-Request/s and Accounting-Request/s
# (Interim-Update) with p50 / p99 latency for each, and the ratios hotspotd / FreeRADIUS.
#
#   scripts/bench-radius.sh [--users N] [--auth-requests N] [--acct-requests N]
#                           [--concurrency C] [--procs K] [--only freeradius|hotspotd]
#                           [--no-stock] [--keep]
#
#   --users N           accounts on both servers (default 10000)
#   --auth-requests N   Access-Requests measured per server (default 20000)
#   --acct-requests N   Interim-Updates measured per server (default 20000)
#   --concurrency C     requests in flight (default 64), over --procs K generator processes
#                       (default: the number of cores)
#   --only WHICH        measure one side only (no ratios)
#   --no-stock          skip FreeRADIUS's stock configuration (it is run with a tenth of the
#                       requests: at ~200 requests/s the full count would take minutes)
#   --keep              keep the work directory (databases, logs, radload's raw lines)
#
# FreeRADIUS runs from scripts/freeradius-central.sh (a private config, rlm_sql_sqlite with the
# stock schema and queries) in several configurations; the best figure of each kind is the one
# compared, and the table says which configuration gave it:
#   stock      the shipped settings: thread pool 5..32, an sql connection per thread, a
#              radpostauth row per Access-Request, radius.db in rollback-journal mode
#   wal-tN     no radpostauth row, no group lookup (read_groups = no: the users have no
#              groups), radius.db in WAL mode with synchronous=NORMAL (hotspotd's own
#              durability: survives a crash of the process, not of the power), N threads and
#              N sql connections (fewer connections than threads make rlm_sql fail requests:
#              Access-Rejects and unanswered accounting)
# Each run is preceded by a warm-up (a tenth of the requests for auth; as many as measured
# for accounting, so that most users' radacct rows exist and the measured Interim-Updates are
# mostly UPDATEs, as in steady state).
#
# hotspotd: HOTSPOTD_BIN, else target/release/hotspotd when it is newer than the sources,
# else `cargo build --release --locked`. Its database is seeded as `hotspotd user add` does
# it (package, then accounts with the v1$SALT$HMAC-SHA256 password hash and their outbox
# rows), written directly with python3's sqlite3 for speed, after `hotspotd package add` has
# created the schema. Every account allows 10 devices for a year. NAS: 127.0.0.1, vendor
# mikrotik, no dynamic authorization.
#
# What radload sends (so both servers see the same thing): User-Name userI, User-Password
# passI, NAS-IP-Address 127.0.0.1, Calling-Station-Id 02-00-XX-XX-XX-XX (I as 4 big-endian
# bytes, upper-case hex), Message-Authenticator first; Interim-Update: Acct-Session-Id
# radload-%08x of I (one session per user, never a Start), random Acct-Session-Time and
# octet/packet counters (no gigawords, no Event-Timestamp, no Class).
#
# Environment: RADLOAD (default ../shared/tools/radload.py beside the repository), BENCH_DIR
# (work directory, default a new one under /tmp), BENCH_PORT_BASE (default 21800: ports
# BASE..BASE+3 for FreeRADIUS auth/acct and hotspotd auth/acct, BASE+4 the portal).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CENTRAL="$ROOT/scripts/freeradius-central.sh"
RADLOAD="${RADLOAD:-$ROOT/../shared/tools/radload.py}"
SECRET=bench-radius-secret
USERS=10000
AUTH_REQUESTS=20000
ACCT_REQUESTS=20000
CONCURRENCY=64
PROCS=$(nproc)
ONLY=
STOCK=1
KEEP=0
BASE=${BENCH_PORT_BASE:-21800}
FR_AUTH=$BASE FR_ACCT=$((BASE + 1)) HS_AUTH=$((BASE + 2)) HS_ACCT=$((BASE + 3)) HS_PORTAL=$((BASE + 4))

die() { echo "bench-radius: FAILED: $*" >&2; exit 1; }
say() { echo "bench-radius: $*" >&2; }
usage() { sed -n '8,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-0}"; }

while (($#)); do
  case "$1" in
    --users) USERS=$2; shift 2 ;;
    --auth-requests) AUTH_REQUESTS=$2; shift 2 ;;
    --acct-requests) ACCT_REQUESTS=$2; shift 2 ;;
    --concurrency) CONCURRENCY=$2; shift 2 ;;
    --procs) PROCS=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --no-stock) STOCK=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "bench-radius: unknown option $1" >&2; usage 2 ;;
  esac
done
case "$ONLY" in ""|freeradius|hotspotd) ;; *) usage 2 ;; esac
[[ -r "$RADLOAD" ]] || die "no load generator at $RADLOAD (set RADLOAD)"
command -v python3 >/dev/null || die "python3 is missing"

for port in "$FR_AUTH" "$FR_ACCT" "$HS_AUTH" "$HS_ACCT"; do
  python3 -c 'import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).bind(("127.0.0.1", int(sys.argv[1])))' "$port" 2>/dev/null \
    || die "127.0.0.1:$port/udp is taken (another run? set BENCH_PORT_BASE)"
done

WORK=${BENCH_DIR:-$(mktemp -d /tmp/bench-radius.XXXXXX)}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
RESULTS="$WORK/results.txt"
: >"$RESULTS"
HS_PID=
cleanup() {
  local rc=$?
  "$CENTRAL" stop "$WORK/freeradius" 2>/dev/null || true
  if [[ -n "$HS_PID" ]] && kill -0 "$HS_PID" 2>/dev/null; then
    kill "$HS_PID" 2>/dev/null || true
    wait "$HS_PID" 2>/dev/null || true
  fi
  if ((rc == 0 && KEEP == 0)); then
    rm -rf "$WORK"
  else
    say "work directory kept: $WORK"
  fi
}
trap cleanup EXIT

# radload LABEL KIND PORT REQUESTS: one measured run, its line appended to RESULTS
radload() {
  local label=$1 kind=$2 port=$3 requests=$4 line flag=()
  [[ "$kind" == acct ]] && flag=(--acct)
  line=$(python3 "$RADLOAD" 127.0.0.1 "$port" "$SECRET" "$USERS" "$requests" "$CONCURRENCY" --procs "$PROCS" "${flag[@]}") || true
  [[ -n "$line" ]] || die "radload printed nothing ($label $kind)"
  echo "$label $kind $line" >>"$RESULTS"
  say "$label $kind: $line"
}

warm() { # PORT REQUESTS [--acct]
  python3 "$RADLOAD" 127.0.0.1 "$1" "$SECRET" "$USERS" "$2" "$CONCURRENCY" --procs "$PROCS" "${@:3}" >/dev/null || true
}

# ---- FreeRADIUS ---------------------------------------------------------------------------
seed_freeradius() { # DB
  python3 - "$1" "$USERS" <<'EOF'
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
n = int(sys.argv[2])
conn.executemany("INSERT INTO radcheck (username, attribute, op, value) VALUES (?, 'Cleartext-Password', ':=', ?)",
                 ((f"user{i}", f"pass{i}") for i in range(1, n + 1)))
conn.executemany("INSERT INTO radreply (username, attribute, op, value) VALUES (?, 'Session-Timeout', ':=', '31536000')",
                 ((f"user{i}",) for i in range(1, n + 1)))
conn.commit()
EOF
}

freeradius_config() { # LABEL DIVISOR ENV…: start, seed, measure (requests / DIVISOR), stop
  local label=$1 div=$2 dir="$WORK/freeradius"
  shift 2
  "$CENTRAL" stop "$dir"
  rm -rf "$dir"
  env FR_ACCT_LOG=0 FR_REJECT_DELAY=1 "$@" "$CENTRAL" start "$dir" "$FR_AUTH" "$FR_ACCT" "$SECRET" 2>/dev/null \
    || { tail -n 20 "$dir/radius.log" >&2 || true; die "FreeRADIUS ($label) did not start"; }
  seed_freeradius "$dir/radius.db"
  warm "$FR_AUTH" $((AUTH_REQUESTS / 10 / div))
  radload "freeradius:$label" auth "$FR_AUTH" $((AUTH_REQUESTS / div))
  warm "$FR_ACCT" $((ACCT_REQUESTS / div)) --acct
  radload "freeradius:$label" acct "$FR_ACCT" $((ACCT_REQUESTS / div))
  "$CENTRAL" stop "$dir"
  mv "$dir" "$WORK/freeradius-$label"
}

if [[ "$ONLY" != hotspotd ]]; then
  command -v radclient >/dev/null || die "radclient is missing (apt-get install freeradius freeradius-utils)"
  tuned=(FR_POSTAUTH_SQL=0 FR_SQL_READ_GROUPS=no FR_SQL_WAL=1 "FR_SQL_OPEN_QUERY=PRAGMA synchronous=NORMAL" FR_MIN_SPARE=1)
  if ((STOCK)); then
    freeradius_config stock 10
  fi
  for threads in 4 16 32; do
    freeradius_config "wal-t$threads" 1 "${tuned[@]}" FR_START_SERVERS=$threads FR_MAX_SERVERS=$threads FR_MAX_SPARE=$threads
  done
fi

# ---- hotspotd -----------------------------------------------------------------------------
hotspotd_binary() {
  local bin=${HOTSPOTD_BIN:-$ROOT/target/release/hotspotd} newer
  if [[ -z "${HOTSPOTD_BIN:-}" ]]; then
    newer=$(find "$ROOT/src" "$ROOT/sqlite-schema" "$ROOT/Cargo.toml" "$ROOT/Cargo.lock" -newer "$bin" -print -quit 2>/dev/null || echo missing)
    if [[ ! -x "$bin" || -n "$newer" ]]; then
      say "building hotspotd (cargo build --release)"
      (cd "$ROOT" && cargo build --release --locked -q)
    fi
  fi
  [[ -x "$bin" ]] || die "no hotspotd binary at $bin"
  echo "$bin"
}

seed_hotspotd() { # BIN CONF DB
  local bin=$1 conf=$2 db=$3 package
  package=$("$bin" --config "$conf" --json package add --name bench --price 0 --duration 31536000 --devices 10) \
    || die "hotspotd package add failed"
  package=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$package")
  python3 - "$db" "$USERS" "$package" <<'EOF'
import hashlib, hmac, json, os, sqlite3, sys, time
db, n, package_id = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
conn = sqlite3.connect(db)
now = int(time.time())
duration, data, down, up, devices = conn.execute(
    "SELECT duration_secs, data_limit_bytes, down_kbps, up_kbps, max_devices FROM packages WHERE id = ?", (package_id,)).fetchone()
with conn:
    for i in range(1, n + 1):
        username, password = f"user{i}", f"pass{i}"
        salt = os.urandom(16)  # credentials::hash_password: v1$hex(salt)$hex(HMAC-SHA256(salt, password))
        digest = hmac.new(salt, password.encode(), hashlib.sha256).hexdigest()
        cur = conn.execute(
            "INSERT INTO hotspot_users (username, password_hash, phone, package_id, source, duration_secs,"
            " data_limit_bytes, down_kbps, up_kbps, max_devices, created_at, updated_at)"
            " VALUES (?, ?, NULL, ?, 'admin', ?, ?, ?, ?, ?, ?, ?)",
            (username, f"v1${salt.hex()}${digest}", package_id, duration, data, down, up, devices, now, now))
        account_id = cur.lastrowid
        payload = {"event": "account_created", "account_id": account_id, "username": username,
                   "source": "admin", "package_id": package_id, "phone": None}
        conn.execute("INSERT INTO sync_outbox (entity, entity_id, op, payload, created_at) VALUES ('account', ?, 'created', ?, ?)",
                     (account_id, json.dumps(payload, separators=(",", ":")), now))
conn.close()
EOF
}

if [[ "$ONLY" != freeradius ]]; then
  BIN=$(hotspotd_binary)
  HS="$WORK/hotspotd"
  mkdir -p "$HS"
  cat >"$HS/hotspotd.conf" <<EOF
config hotspotd 'main'
	option listen '127.0.0.1:$HS_PORTAL'
	option database '$HS/hotspotd.db'
	option firewall 'none'

config radius 'radius'
	option enabled '1'
	option listen '127.0.0.1'
	option auth_port '$HS_AUTH'
	option acct_port '$HS_ACCT'
	option interim_interval '300'

config nas
	option name 'bench'
	option address '127.0.0.1'
	option secret '$SECRET'
	option vendor 'mikrotik'
	option das_port '0'
EOF
  seed_hotspotd "$BIN" "$HS/hotspotd.conf" "$HS/hotspotd.db"
  (cd "$HS" && exec "$BIN" --config "$HS/hotspotd.conf" run </dev/null >"$HS/hotspotd.log" 2>&1) &
  HS_PID=$!
  for ((i = 0; ; i++)); do
    kill -0 "$HS_PID" 2>/dev/null || { tail -n 20 "$HS/hotspotd.log" >&2; die "hotspotd exited"; }
    # ready once user1 is answered (accept or reject) on the RADIUS port
    python3 "$RADLOAD" 127.0.0.1 "$HS_AUTH" "$SECRET" 1 1 1 --timeout 0.5 >/dev/null 2>&1 && break
    ((i < 40)) || { tail -n 20 "$HS/hotspotd.log" >&2; die "hotspotd does not answer RADIUS on 127.0.0.1:$HS_AUTH"; }
    sleep 0.25
  done
  warm "$HS_AUTH" $((AUTH_REQUESTS / 10))
  radload hotspotd auth "$HS_AUTH" "$AUTH_REQUESTS"
  # The same users again: their devices are online now, so each Access-Request is a NAS
  # asking about a device it already has (nothing to write), as FreeRADIUS's every request is.
  radload hotspotd:returning auth "$HS_AUTH" "$AUTH_REQUESTS"
  warm "$HS_ACCT" "$ACCT_REQUESTS" --acct
  radload hotspotd acct "$HS_ACCT" "$ACCT_REQUESTS"
  kill "$HS_PID"
  wait "$HS_PID" || true
  HS_PID=
fi

# ---- the table ----------------------------------------------------------------------------
echo
echo "RADIUS on $(nproc) cores, $USERS users, concurrency $CONCURRENCY over $PROCS generator processes;" \
  "$AUTH_REQUESTS Access-Requests and $ACCT_REQUESTS Interim-Updates per run (stock: a tenth)"
python3 - "$RESULTS" <<'EOF'
import sys
rows = {}  # label -> kind -> fields
for line in open(sys.argv[1]):
    label, kind, *kv = line.split()
    rows.setdefault(label, {})[kind] = dict(x.split("=", 1) for x in kv)

def cell(f, width):
    if not f:
        return f"{'-':>{width}} {'-':>7} {'-':>7} {'-':>6}"
    failed = int(f["timeout"]) + int(f["bad"]) + int(f.get("reject", 0))
    return f"{float(f['rps']):>{width}.0f} {float(f['p50_ms']):>7.2f} {float(f['p99_ms']):>7.2f} {failed:>6}"

print(f"{'':<20} {'Access-Request/s':>16} {'p50 ms':>7} {'p99 ms':>7} {'failed':>6} | {'Interim-Update/s':>16} {'p50 ms':>7} {'p99 ms':>7} {'failed':>6}")
for label, kinds in rows.items():
    print(f"{label:<20} {cell(kinds.get('auth'), 16)} | {cell(kinds.get('acct'), 16)}")

def best(kind):
    cands = [(float(k[kind]["rps"]), label) for label, k in rows.items()
             if label.startswith("freeradius:") and kind in k and int(k[kind]["timeout"]) + int(k[kind]["bad"]) + int(k[kind].get("reject", 0)) == 0]
    return max(cands) if cands else None

hs = rows.get("hotspotd", {})
returning = rows.get("hotspotd:returning", {})
for kind, name in (("auth", "Access-Request/s"), ("acct", "Interim-Update/s")):
    b = best(kind)
    if b:
        line = f"FreeRADIUS best {name}: {b[0]:.0f} ({b[1].split(':', 1)[1]})"
        if kind in hs:
            line += f"; hotspotd/FreeRADIUS = {float(hs[kind]['rps']) / b[0]:.2f}"
        if kind in returning:
            line += f" (devices already online: {float(returning[kind]['rps']) / b[0]:.2f})"
        print(line)
print("failed = timeouts + bad replies + Access-Rejects (every password is right); a FreeRADIUS run with failures is not its best")
print("hotspotd records a session, its audit row and its outbox event for each device's first Access-Accept;")
print("hotspotd:returning is the same users again (devices online: nothing to write); FreeRADIUS writes nothing on any")
EOF

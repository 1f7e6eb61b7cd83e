#!/usr/bin/env bash
# Measures two DESIGN.md budgets in the namespace lab (root; nft, iproute2, curl, python3):
#   1. login click -> client's traffic forwarded <= 50 ms p99, with N clients already authorised
#   2. daemon restart: all clients keep access; state restored from SQLite in <= 1 s
#
#   scripts/bench-login.sh [--clients N] [--rounds M] [--keep]
#
#   --clients N   fake devices authorised before measuring (default 2000)
#   --rounds M    logins measured (default 200)
#   --keep        keep the state directory (database, logs) after a successful run
#
# Environment: HOTSPOTD_BIN (binary to run; default: scripts/lab.sh builds with cargo),
# LAB_DIR (state directory, default /tmp/hotspotd-bench), BENCH_TIMEOUT (seconds for the
# whole run after the build, default 900).
#
# How: `scripts/lab.sh up --clients 1` builds the lab (router hs-router, client hs-client1,
# internet hs-internet). The daemon is stopped, N vouchers are redeemed directly in SQLite for
# fake devices (10.77.1.1 upwards, MACs 02:42:00:xx:xx:xx) exactly as a voucher login writes
# them, and the daemon is started again, restoring them into the nft set. Then, inside
# hs-client1 (one python process, no process spawn per poll): POST /api/hotspot/login with a
# fresh voucher, then a new TCP connection + GET to 198.51.100.2:80 every 1 ms until the real
# internet host answers (not the portal's redirect); that time is the figure. Log out and
# check the client is blocked again before the next round. Finally SIGTERM the daemon, start
# it again, and time until the portal answers and the kernel holds a new table with all
# N+1 elements, while hs-client1 keeps polling the internet and holds a download open.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HELPER="$ROOT/scripts/bench-login.py"
LAB="$ROOT/scripts/lab.sh"
export LAB_DIR="${LAB_DIR:-/tmp/hotspotd-bench}"
BENCH_TIMEOUT="${BENCH_TIMEOUT:-900}"
ROUTER=hs-router
CLIENT=hs-client1
LOGIN_BUDGET_MS=50
RESTART_BUDGET_MS=1000

CLIENTS=2000
ROUNDS=200
KEEP=0

die() { echo "bench-login: FAILED: $*" >&2; exit 1; }
say() { echo "bench-login: $*" >&2; }

usage() {
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    exit "${1:-0}"
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --clients) [[ $# -ge 2 ]] || usage 2; CLIENTS="$2"; shift 2 ;;
        --clients=*) CLIENTS="${1#*=}"; shift ;;
        --rounds) [[ $# -ge 2 ]] || usage 2; ROUNDS="$2"; shift 2 ;;
        --rounds=*) ROUNDS="${1#*=}"; shift ;;
        --keep) KEEP=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "bench-login: unknown option $1" >&2; usage 2 ;;
    esac
done
if ! [[ $CLIENTS =~ ^[0-9]+$ ]] || ((CLIENTS < 1 || CLIENTS > 60000)); then
    die "--clients must be 1..60000"
fi
if ! [[ $ROUNDS =~ ^[0-9]+$ ]] || ((ROUNDS < 1 || ROUNDS > 10000)); then
    die "--rounds must be 1..10000"
fi
[[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, nft)"
for tool in ip nft curl python3 timeout; do
    command -v "$tool" >/dev/null || die "missing tool: $tool"
done

# lab.sh up tears down any lab first: do not destroy someone else's.
if ip netns list | awk '{print $1}' | grep -qE '^hs-(router|internet|client[0-9]+)$'; then
    die "lab namespaces already exist (another lab or test running?); run scripts/lab.sh down first"
fi

WATCH_PID=""
OK=0
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $WATCH_PID ]]; then
        kill "$WATCH_PID" 2>/dev/null || true
        wait "$WATCH_PID" 2>/dev/null || true
    fi
    "$LAB" down >/dev/null 2>&1 || say "lab.sh down failed; check 'ip netns list'"
    if ((OK)) && ((KEEP == 0)); then
        # Only what lab.sh and this script wrote; LAB_DIR itself if that leaves it empty.
        rm -f "$LAB_DIR"/hotspotd.{conf,db,db-wal,db-shm,log,pid} "$LAB_DIR"/internet.{log,pid} \
            "$LAB_DIR"/{lab-up.log,login-codes.txt,rounds.json,watch.json,watch.stop}
        rmdir "$LAB_DIR" 2>/dev/null || true
    else
        say "state and logs kept in $LAB_DIR"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Run a step with a time limit; a hang becomes a clear failure.
bounded() {
    local secs="$1" what="$2"
    shift 2
    local rc=0
    timeout --kill-after=5 "$secs" "$@" || rc=$?
    if ((rc == 124 || rc == 137)); then
        die "$what did not finish within $secs s"
    elif ((rc != 0)); then
        die "$what failed (exit $rc)"
    fi
}

# Commands run in a namespace (arrays, so `timeout` can run them: it cannot run functions).
IN_ROUTER=(ip netns exec "$ROUTER")
IN_CLIENT=(ip netns exec "$CLIENT")

START_EPOCH=$SECONDS
check_deadline() {
    ((SECONDS - START_EPOCH <= BENCH_TIMEOUT)) || die "run exceeded BENCH_TIMEOUT=$BENCH_TIMEOUT s"
}

echo "== hotspotd login/restart benchmark"
echo "   $(date -u '+%Y-%m-%dT%H:%M:%SZ')  $(uname -srm)  $(nproc) CPU(s): $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg)  (1, 5, 15 min)"
echo "   note: on a shared machine (builds, other VMs) these figures are noisy; rerun when idle"
echo "   clients pre-authorised: $CLIENTS, login rounds: $ROUNDS"

# ---------------------------------------------------------------- lab
say "bringing the lab up (scripts/lab.sh up --clients 1); log in $LAB_DIR/lab-up.log"
mkdir -p "$LAB_DIR"
UP_LIMIT=120
BIN="${HOTSPOTD_BIN:-$ROOT/target/release/hotspotd}"
# Without HOTSPOTD_BIN lab.sh runs `cargo build --release` first: allow for a cold build.
[[ -n ${HOTSPOTD_BIN:-} ]] || UP_LIMIT=3600
rc=0
timeout --kill-after=5 "$UP_LIMIT" "$LAB" up --clients 1 >"$LAB_DIR/lab-up.log" 2>&1 || rc=$?
if ((rc != 0)); then
    tail -n 15 "$LAB_DIR/lab-up.log" >&2
    ((rc == 124 || rc == 137)) && die "scripts/lab.sh up did not finish within $UP_LIMIT s"
    die "scripts/lab.sh up failed (exit $rc); log in $LAB_DIR/lab-up.log"
fi
START_EPOCH=$SECONDS
echo "   binary: $BIN ($(stat -c %s "$BIN") bytes, built $(date -u -r "$BIN" '+%Y-%m-%d %H:%M:%SZ'))"
CONF="$LAB_DIR/hotspotd.conf"
PIDFILE="$LAB_DIR/hotspotd.pid"
DAEMON_LOG="$LAB_DIR/hotspotd.log"
[[ -f $CONF && -f $PIDFILE ]] || die "lab.sh up left no config or pid file in $LAB_DIR"
# Benchmark at the level a router runs at: the lab's `debug` logs every request.
sed -i "s/option log_level 'debug'/option log_level 'info'/" "$CONF"
HS=("${IN_ROUTER[@]}" "$BIN" --config "$CONF")

# ---------------------------------------------------------------- vouchers
PKG="$("${HS[@]}" package add --name 'Bench day' --price 10 --duration 86400 --devices 1)"
[[ $PKG =~ ^[0-9]+$ ]] || die "package add printed '$PKG'"
remaining=$CLIENTS
while ((remaining > 0)); do
    chunk=$((remaining > 10000 ? 10000 : remaining))
    bounded 120 "voucher create (pre-authorised)" "${HS[@]}" voucher create --package "$PKG" --count "$chunk" --batch bench-preauth >/dev/null
    remaining=$((remaining - chunk))
done
CODES="$LAB_DIR/login-codes.txt"
bounded 120 "voucher create (login rounds)" "${HS[@]}" voucher create --package "$PKG" --count "$((ROUNDS + 1))" --batch bench-login >"$CODES"
[[ $(wc -l <"$CODES") -eq $((ROUNDS + 1)) ]] || die "expected $((ROUNDS + 1)) login vouchers in $CODES"
RESTART_CODE="$(tail -n 1 "$CODES")"

# ---------------------------------------------------------------- pre-authorise N devices
stop_daemon() {
    local pid
    pid="$(cat "$PIDFILE")"
    kill -TERM "$pid" 2>/dev/null || die "daemon pid $pid not running"
    for _ in $(seq 150); do
        # Gone, or a zombie its new parent (init) has not reaped yet: either way, exited.
        [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) =~ ^[RSDTtWIP]$ ]] || return 0
        sleep 0.1
    done
    die "hotspotd (pid $pid) did not stop within 15 s of SIGTERM"
}
say "stopping the daemon and redeeming $CLIENTS vouchers for fake devices in SQLite"
stop_daemon
bounded 300 "seeding the database" python3 "$HELPER" seed "$LAB_DIR/hotspotd.db" bench-preauth
say "starting the daemon on the seeded database"
FIRST="$(bounded 60 "daemon start" "${IN_ROUTER[@]}" python3 "$HELPER" start --bin "$BIN" --config "$CONF" \
    --log "$DAEMON_LOG" --pidfile "$PIDFILE" --expect "$CLIENTS")"
COUNT="$(bounded 30 "nft set count" "${IN_ROUTER[@]}" python3 "$HELPER" count-set)"
[[ $COUNT -eq $CLIENTS ]] || die "nft set inet hotspotd clients holds $COUNT elements, expected $CLIENTS"
echo
echo "== setup"
echo "   nft -j list set inet hotspotd clients (hs-router): $COUNT elements (expected $CLIENTS)"
python3 - "$FIRST" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
print("   first start on the seeded database: portal answered after %.1f ms, new table with %d elements after %.1f ms"
      % (r["portal_ms"], r["count_at_table"], r["table_ms"]))
EOF
check_deadline

# ---------------------------------------------------------------- 1. login -> forwarded
say "measuring $ROUNDS logins from $CLIENT"
ROUNDS_JSON="$LAB_DIR/rounds.json"
left=$((BENCH_TIMEOUT - (SECONDS - START_EPOCH)))
bounded "$((left + 30))" "login rounds" "${IN_CLIENT[@]}" python3 "$HELPER" rounds --codes "$CODES" --rounds "$ROUNDS" \
    --limit "$left" >"$ROUNDS_JSON"
COUNT="$(bounded 30 "nft set count" "${IN_ROUTER[@]}" python3 "$HELPER" count-set)"
echo
echo "== 1. login click -> client's traffic forwarded ($CLIENTS clients authorised; nft set now $COUNT)"
python3 "$HELPER" report-rounds "$ROUNDS_JSON" --budget "$LOGIN_BUDGET_MS" --clients "$CLIENTS"
echo "   (timer starts before connecting to the portal; after the login answer a new TCP connection"
echo "    + GET to 198.51.100.2:80 is tried every 1 ms until the real host, not the portal, answers)"
check_deadline

# ---------------------------------------------------------------- 2. restart
say "logging $CLIENT in for the restart check"
bounded 10 "login of $CLIENT" "${IN_CLIENT[@]}" python3 "$HELPER" login "$RESTART_CODE" >/dev/null
EXPECT=$((CLIENTS + 1))
STOP_FILE="$LAB_DIR/watch.stop"
WATCH_JSON="$LAB_DIR/watch.json"
rm -f "$STOP_FILE"
timeout --kill-after=5 120 "${IN_CLIENT[@]}" python3 "$HELPER" watch --stop-file "$STOP_FILE" \
    --limit 100 --poll-ms 5 >"$WATCH_JSON" &
WATCH_PID=$!
sleep 1 # the watcher has its download open and a few good probes before the stop
say "restarting the daemon (SIGTERM, start) while $CLIENT polls the internet"
RESTART="$(bounded 60 "daemon restart" "${IN_ROUTER[@]}" python3 "$HELPER" start --bin "$BIN" --config "$CONF" \
    --log "$DAEMON_LOG" --pidfile "$PIDFILE" --expect "$EXPECT" --stop-old)"
sleep 1 # keep watching a little after the new table is in
touch "$STOP_FILE"
wait "$WATCH_PID" || die "the client's watcher failed (see $WATCH_JSON)"
WATCH_PID=""
COUNT="$(bounded 30 "nft set count" "${IN_ROUTER[@]}" python3 "$HELPER" count-set)"
ACTIVE="$("${HS[@]}" clients | tail -n +2 | wc -l)"
echo
echo "== 2. daemon restart with $EXPECT clients authorised ($CLIENTS fake + $CLIENT)"
python3 - "$RESTART" "$WATCH_JSON" "$COUNT" "$EXPECT" "$RESTART_BUDGET_MS" "$ACTIVE" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
with open(sys.argv[2]) as f:
    w = json.load(f)
count, expect, budget, active = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
print("   SIGTERM -> old daemon exited:              %8.1f ms" % r["stop_ms"])
print("   start -> portal answers:                   %8.1f ms" % r["portal_ms"])
print("   start -> new nft table holds all elements: %8.1f ms (%d elements; table handle %s -> %s)"
      % (r["table_ms"], r["count_at_table"], r["table_handle_before"], r["table_handle_after"]))
print("   nft set now: %d elements (expected %d); `hotspotd clients` lists %s" % (count, expect, active))
print("   hs-client1, new connection + GET every 5 ms from 1 s before SIGTERM to 1 s after the restart:"
      " %d ok, %d failed%s" % (w["probes_ok"], w["probes_failed"],
         (" (at ms %s)" % w["failed_at_ms"]) if w["probes_failed"] else ""))
down = [t for t in w["ok_mono"] if r["term_mono"] <= t <= r["ready_mono"]]
print("   of those, between SIGTERM and the restored state (%.1f ms): %d ok"
      % ((r["ready_mono"] - r["term_mono"]) * 1000, len(down)))
print("   its open download (1 KiB every 20 ms): %d bytes, longest silence %.1f ms"
      " (a dropped packet would show as >= 200 ms, TCP's minimum retransmit timeout)%s"
      % (w["stream_bytes"], w["stream_max_gap_ms"],
         ("; error: %s" % w["stream_error"]) if w["stream_error"] else ""))
kept = (w["probes_failed"] == 0 and w["probes_ok"] > 0 and not w["stream_error"]
        and w["stream_max_gap_ms"] < 200 and count == expect and int(active) == expect)
restored = r["restored_ms"]
verdict = "PASS" if kept and restored <= budget else "FAIL"
print("   budget: all clients keep access (%s); state restored from SQLite in <= %g ms: %.1f ms -> %s"
      % ("yes" if kept else "NO", budget, restored, verdict))
EOF
echo "   load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
OK=1

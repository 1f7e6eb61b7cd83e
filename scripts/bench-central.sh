#!/usr/bin/env bash
# The central server under a fleet, on this machine (issue 12 §4): N simulated routers
# (examples/central_load.rs) against one `hotspotd-central`, then against two processes
# sharing the database (routers split between them), each router holding its long-poll open
# and syncing a realistic batch every 60 s, plus an operator command to a random router every
# second. One table: events/s stored, sync p50/p99, command delivery p50/p99, errors, and the
# CPU and memory of the centrals, PostgreSQL and the load generator; then whether the goal
# (10,000 routers, sync p99 < 250 ms, command delivery p99 < 2 s) is met and which resource
# gives out first past it.
#
#   scripts/bench-central.sh [N] [SECONDS]
#
#   N         simulated routers (default 10000)
#   SECONDS   measured time per configuration (default 180: every router syncs three times),
#             after BENCH_RAMP seconds (default 30) in which the routers connect
#
# What is measured (by central_load, which checks every response's signature and that
# acked_seq is the highest sequence number sent):
#   events/s    events acknowledged by exchanges started in the measured time, per second
#   sync        latency of exchanges that carry events (wait_secs 0): batches and command results
#   command     POST /api/v1/routers/{id}/commands sent → that router's exchange hands it out
# CPU is the share of one core over the measured time (/proc/PID/stat); memory is the
# proportional set size (PSS, /proc/PID/smaps_rollup: PostgreSQL's shared buffers are counted
# once, not once per backend), the highest sampled; "fds" the most open descriptors of one
# central process. The load generator runs on the same cores as the server: its CPU is shown.
#
# PostgreSQL is a private cluster in the work directory with the durability an operator
# runs (fsync and synchronous_commit on, unlike scripts/postgres-private.sh's test cluster);
# BENCH_PG_FAST=1 measures with the test cluster's settings instead (fsync and
# synchronous_commit off). max_connections 200.
#
# Environment: CENTRAL_BIN and LOAD_BIN (use these binaries, build nothing), BENCH_DIR (work
# directory, default a new one under /tmp; kept on failure), BENCH_KEEP=1 (keep it anyway),
# BENCH_PORT_BASE (default 21900: PostgreSQL on BASE, the centrals on BASE+1 and BASE+2),
# BENCH_RAMP (default 30), BENCH_ONLY=one|two (one configuration only), BENCH_SOURCE_IPS
# (routers connect from this many loopback addresses, default 0: the kernel picks), and for
# quick trials BENCH_INTERVAL (seconds between a router's batches, default 60) and
# BENCH_COMMANDS (operator commands per second, default 1).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N=${1:-10000}
DURATION=${2:-180}
RAMP=${BENCH_RAMP:-30}
ONLY=${BENCH_ONLY:-}
SOURCE_IPS=${BENCH_SOURCE_IPS:-0}
INTERVAL=${BENCH_INTERVAL:-60}
COMMANDS=${BENCH_COMMANDS:-1}
BASE=${BENCH_PORT_BASE:-21900}
PG_PORT=$BASE C1_PORT=$((BASE + 1)) C2_PORT=$((BASE + 2))
GOAL_ROUTERS=10000 GOAL_SYNC_P99_MS=250 GOAL_COMMAND_P99_MS=2000

die() { echo "bench-central: FAILED: $*" >&2; exit 1; }
say() { echo "bench-central: $*" >&2; }

[[ "$N" =~ ^[0-9]+$ && "$N" -ge 1 ]] || die "N must be a number of routers (got $N)"
[[ "$DURATION" =~ ^[0-9]+$ && "$DURATION" -ge 10 ]] || die "SECONDS must be at least 10 (got $DURATION)"
case "$ONLY" in ""|one|two) ;; *) die "BENCH_ONLY is one or two" ;; esac
for tool in python3 runuser; do command -v "$tool" >/dev/null || die "$tool is missing"; done
PG_BIN=${PG_BIN:-$(printf "%s\n" /usr/lib/postgresql/*/bin | sort -V -r | head -n 1)}
[[ -x "$PG_BIN/initdb" && -x "$PG_BIN/psql" ]] || die "no PostgreSQL in /usr/lib/postgresql/*/bin (apt-get install postgresql, or set PG_BIN)"

# Every router is a connection at the load generator and at a central: raise the limit.
ulimit -n 1048576 2>/dev/null || ulimit -n 262144 2>/dev/null || ulimit -n "$(ulimit -Hn)"
NOFILE=$(ulimit -n)
((NOFILE > N + 1000)) || die "open files limited to $NOFILE (ulimit -n), $N routers need more"

for port in "$PG_PORT" "$C1_PORT" "$C2_PORT"; do
  python3 -c 'import socket,sys; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()' "$port" 2>/dev/null \
    || die "127.0.0.1:$port is taken (another run? set BENCH_PORT_BASE)"
done

# ---- binaries -----------------------------------------------------------------------------
CENTRAL=${CENTRAL_BIN:-$ROOT/target/release/hotspotd-central}
LOAD=${LOAD_BIN:-$ROOT/target/release/examples/central_load}
if [[ -z "${CENTRAL_BIN:-}${LOAD_BIN:-}" ]]; then
  say "building (cargo build --release --features central --bin hotspotd-central --example central_load)"
  (cd "$ROOT" && cargo build --release --locked -q --features central --bin hotspotd-central --example central_load) \
    || die "the build failed"
fi
[[ -x "$CENTRAL" ]] || die "no central at $CENTRAL"
[[ -x "$LOAD" ]] || die "no load generator at $LOAD"

# ---- work directory, clean-up -------------------------------------------------------------
WORK=${BENCH_DIR:-$(mktemp -d /tmp/bench-central.XXXXXX)}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
chmod 755 "$WORK"
PGDATA="$WORK/pg"
RESULTS="$WORK/results.txt"
: >"$RESULTS"
PIDS=()
cleanup() {
  local rc=$? pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ -f "$PGDATA/postmaster.pid" ]]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if ((rc == 0)) && [[ "${BENCH_KEEP:-0}" != 1 ]]; then
    rm -rf "$WORK"
  else
    say "work directory kept: $WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- PostgreSQL ---------------------------------------------------------------------------
if [[ "${BENCH_PG_FAST:-0}" == 1 ]]; then
  PG_DURABILITY="fsync off, synchronous_commit off"
  PG_SETTINGS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
else
  PG_DURABILITY="fsync on, synchronous_commit on"
  PG_SETTINGS=""
fi
mkdir -p "$PGDATA"
chown postgres: "$PGDATA"
chmod 700 "$PGDATA"
touch "$WORK/postgres.log"
chown postgres: "$WORK/postgres.log"
runuser -u postgres -- "$PG_BIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --no-locale >"$WORK/initdb.log" 2>&1 \
  || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
# shellcheck disable=SC2086  # PG_SETTINGS is a list of options
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$WORK/postgres.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PGDATA -c max_connections=200 $PG_SETTINGS" start >/dev/null \
  || { tail -n 20 "$WORK/postgres.log" >&2; die "PostgreSQL did not start"; }
psql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"; }
psql -d postgres -c "CREATE DATABASE hotspotd" || die "cannot create the database"
export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/hotspotd"
PG_MAIN=$(head -n 1 "$PGDATA/postmaster.pid")

# The operator (this also applies the central's migrations), then N routers in one INSERT
# with keys as `router add` makes them (64 hex characters, stored as printed).
TOKEN=$("$CENTRAL" operator add --name bench) || die "hotspotd-central operator add failed"
TOKEN=$(tail -n 1 <<<"$TOKEN" | awk '{ print $NF }')
say "registering $N routers"
psql -d hotspotd -c "INSERT INTO routers (name, key)
  SELECT 'bench-' || g, md5(random()::text) || md5(random()::text) FROM generate_series(1, $N) AS g" \
  || die "cannot insert the routers (has the routers table changed? see central-schema/)"
psql -d hotspotd -tA -F ' ' -c "SELECT id, key FROM routers WHERE name LIKE 'bench-%' ORDER BY id" >"$WORK/routers.txt"
(($(wc -l <"$WORK/routers.txt") == N)) || die "expected $N routers in $WORK/routers.txt"
stored_events() { psql -d hotspotd -tA -c "SELECT count(*) FROM router_events"; }
last_item() { psql -d hotspotd -tA -c "SELECT coalesce(max(id), 0) FROM router_items"; }
items_since() { # ID: the states of the items queued after ID, `done:175,delivered:2`
  psql -d hotspotd -tA -c "SELECT coalesce(string_agg(state || ':' || n, ',' ORDER BY state), 'none')
    FROM (SELECT state, count(*) AS n FROM router_items WHERE id > $1 GROUP BY state) AS s"
}

# ---- one configuration --------------------------------------------------------------------
start_central() { # PORT: starts one, its pid in CENTRAL_PID
  local port=$1 i
  RUST_LOG=${RUST_LOG:-warn} "$CENTRAL" run --listen "127.0.0.1:$port" </dev/null >>"$WORK/central-$port.log" 2>&1 &
  CENTRAL_PID=$!
  PIDS+=("$CENTRAL_PID")
  for ((i = 0; ; i++)); do
    kill -0 "$CENTRAL_PID" 2>/dev/null || { tail -n 20 "$WORK/central-$port.log" >&2; die "hotspotd-central on port $port exited"; }
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    ((i < 100)) || die "hotspotd-central does not listen on 127.0.0.1:$port"
    sleep 0.1
  done
}

# measure LABEL PORT…: the centrals on PORTs, the load, the samples; one line in RESULTS
measure() {
  local label=$1 port centrals=() targets=() before after first_item load_pid sampler_pid line sampled
  shift
  for port in "$@"; do
    start_central "$port"
    centrals+=("$CENTRAL_PID")
    targets+=(--central "127.0.0.1:$port")
  done
  before=$(stored_events)
  first_item=$(last_item)
  say "$label: $N routers, ${RAMP}s to connect, ${DURATION}s measured"
  "$LOAD" --routers "$WORK/routers.txt" "${targets[@]}" --token "$TOKEN" --seconds "$DURATION" --ramp "$RAMP" \
    --source-ips "$SOURCE_IPS" --interval "$INTERVAL" --commands-per-sec "$COMMANDS" >"$WORK/load-$label.out" 2> >(tee "$WORK/load-$label.log" >&2) &
  load_pid=$!
  PIDS+=("$load_pid")
  python3 - "$WORK/samples-$label.txt" "$RAMP" "$((RAMP + DURATION))" "$load_pid" "$PG_MAIN" "${centrals[@]}" >"$WORK/sampled-$label.txt" <<'EOF' &
# Samples CPU ticks, PSS, descriptors and processes of the centrals, PostgreSQL (the
# postmaster and its children) and the load generator every second until the load ends;
# prints the window's figures as key=value.
import os, sys, time
out, w0, w1, load, pg, centrals = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), [int(p) for p in sys.argv[6:]]
hz = os.sysconf("SC_CLK_TCK")

def stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[1]), int(fields[11]) + int(fields[12])  # ppid, utime + stime
    except OSError:
        return None

def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return sum(int(l.split()[1]) for l in f if l.startswith("Pss:"))
    except OSError:
        return 0

def fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0

def machine():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v), v[3] + v[4]

last_ticks = {}  # a process that has exited keeps its last CPU figure (the load ends at w1)

def group(pids):
    ticks = pss = fd = 0
    for p in pids:
        s = stat(p)
        if s:
            last_ticks[p] = s[1]; pss += pss_kb(p); fd = max(fd, fds(p))
        ticks += last_ticks.get(p, 0)
    return ticks, pss, fd

t0 = time.monotonic()
samples = []
with open(out, "w") as log:
    while True:
        alive = stat(load) is not None
        pg_pids = [pg] + [int(d) for d in os.listdir("/proc") if d.isdigit() and (stat(int(d)) or (0,))[0] == pg]
        t = time.monotonic() - t0
        row = (t, machine(), group(centrals), group(pg_pids), group([load]), len(pg_pids) - 1)
        samples.append(row)
        log.write(f"{row}\n")
        if not alive:
            break
        time.sleep(1)

def at(x):  # the first sample at or after x seconds (else the last)
    return next((s for s in samples if s[0] >= x), samples[-1])

a, b = at(w0), at(w1)
span = max(b[0] - a[0], 1e-9)
cpu = lambda i: 100.0 * (b[i][0] - a[i][0]) / hz / span
inside = [s for s in samples if w0 <= s[0] <= w1] or samples
busy = 100.0 * (1 - (b[1][1] - a[1][1]) / max(b[1][0] - a[1][0], 1))
print(f"cpu_central={cpu(2):.0f} cpu_pg={cpu(3):.0f} cpu_load={cpu(4):.0f} machine_busy={busy:.0f}"
      f" pss_central_mb={max(s[2][1] for s in inside) / 1024:.0f} pss_pg_mb={max(s[3][1] for s in inside) / 1024:.0f}"
      f" pss_load_mb={max(s[4][1] for s in inside) / 1024:.0f} fds_central={max(s[2][2] for s in inside)}"
      f" pg_backends={max(s[5] for s in inside)}")
EOF
  sampler_pid=$!
  PIDS+=("$sampler_pid")
  wait "$load_pid" || die "the load generator failed ($label; see $WORK/load-$label.log)"
  wait "$sampler_pid" || die "the sampler failed ($label)"
  sampled=$(cat "$WORK/sampled-$label.txt")
  line=$(tail -n 1 "$WORK/load-$label.out")
  [[ "$line" == routers=* ]] || die "the load generator printed no result ($label)"
  for pid in "${centrals[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  after=$(stored_events)
  echo "label=$label $line stored=$((after - before)) items=$(items_since "$first_item") $sampled" >>"$RESULTS"
  say "$label: $(tail -n 1 "$RESULTS")"
}

if [[ "$ONLY" != two ]]; then
  measure one "$C1_PORT"
fi
if [[ "$ONLY" != one ]]; then
  measure two "$C1_PORT" "$C2_PORT"
fi

# ---- the table and the verdict ------------------------------------------------------------
# The central's own caps, read from its source so the verdict stays true to it.
cap() { sed -n "s/^pub const $1: usize = \([0-9_]*\);.*/\1/p" "$ROOT/src/central/server.rs" 2>/dev/null | tr -d _; }
MAX_CONNECTIONS=$(cap MAX_CONNECTIONS)
MAX_WAITERS=$(cap MAX_WAITERS)
echo
echo "hotspotd-central, $N routers (batch every $INTERVAL s, long-poll 50 s), $COMMANDS command/s; $(nproc) cores;" \
  "PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }') ($PG_DURABILITY); ${DURATION}s measured after ${RAMP}s of connecting"
python3 - "$RESULTS" "$N" "$(nproc)" "$NOFILE" "${MAX_CONNECTIONS:-0}" "${MAX_WAITERS:-0}" \
  "$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)" "$GOAL_ROUTERS" "$GOAL_SYNC_P99_MS" "$GOAL_COMMAND_P99_MS" <<'EOF'
import sys
path, n, cores, nofile, max_conn, max_waiters, mem_kb, goal_n, goal_sync, goal_cmd = sys.argv[1], *map(int, sys.argv[2:8]), *map(float, sys.argv[8:11])
rows = [dict(kv.split("=", 1) for kv in line.split()) for line in open(path) if line.strip()]
f = lambda r, k: float(r[k])
i = lambda r, k: int(float(r[k]))

print(f"{'':<14}{'events/s':>9} {'sync p50':>8} {'p99 ms':>7} {'cmd p50':>8} {'p99 ms':>7} {'cmds':>9} {'errors':>6} | "
      f"{'CPU% central':>12} {'postgres':>8} {'load':>5} {'busy':>5} | {'MB central':>10} {'postgres':>8} {'fds':>6}")
for r in rows:
    cmds = f"{i(r, 'commands_delivered')}/{i(r, 'commands_posted')}"
    label = f"{r['label']} central{'s' if i(r, 'centrals') > 1 else ''}"
    print(f"{label:<14}{f(r, 'events_per_s'):>9.0f} {f(r, 'sync_p50_ms'):>8.1f} {f(r, 'sync_p99_ms'):>7.1f} "
          f"{f(r, 'command_p50_ms'):>8.0f} {f(r, 'command_p99_ms'):>7.0f} {cmds:>9} {i(r, 'errors'):>6} | "
          f"{i(r, 'cpu_central'):>12} {i(r, 'cpu_pg'):>8} {i(r, 'cpu_load'):>5} {i(r, 'machine_busy'):>5} | "
          f"{i(r, 'pss_central_mb'):>10} {i(r, 'pss_pg_mb'):>8} {i(r, 'fds_central'):>6}")
print("CPU: % of one core over the measured time (busy: the whole machine, 100 = every core);"
      " MB: proportional set size, highest sample; fds: most open descriptors of one central")

for r in rows:
    label, k = r["label"], i(r, "centrals")
    errors = {key[4:]: int(v) for key, v in r.items() if key.startswith("err_") and int(v)}
    print(f"\n{label} central{'s' if k > 1 else ''}:")
    if errors:
        print(f"  errors: {', '.join(f'{name} {count}' for name, count in errors.items())} (first of each kind in load-{label}.log)")
    if i(r, "stored") < i(r, "events_total"):
        print(f"  LOST: {i(r, 'events_total')} events acknowledged but only {i(r, 'stored')} new rows in router_events")
    else:
        print(f"  stored: {i(r, 'stored')} new rows in router_events for {i(r, 'events_total')} events acknowledged (the run's whole length)")
    misses = []
    if n < goal_n:
        misses.append(f"{n} routers, not {goal_n:.0f}")
    if not f(r, "sync_p99_ms") < goal_sync:
        misses.append(f"sync p99 {f(r, 'sync_p99_ms'):.0f} ms ≥ {goal_sync:.0f}")
    if not f(r, "command_p99_ms") < goal_cmd:
        misses.append(f"command delivery p99 {f(r, 'command_p99_ms'):.0f} ms ≥ {goal_cmd:.0f}")
    if i(r, "commands_delivered") < i(r, "commands_posted") or i(r, "commands_posted") == 0:
        misses.append(f"{i(r, 'commands_delivered')} of {i(r, 'commands_posted')} commands delivered")
    if i(r, "errors"):
        misses.append(f"{i(r, 'errors')} errors")
    print("  goal (10,000 routers, sync p99 < 250 ms, command p99 < 2 s, no errors): "
          + ("MET" if not misses else "NOT MET: " + "; ".join(misses)))
    # Where each resource runs out, linearly from this run (routers this set-up would hold).
    server_cpu = f(r, "cpu_central") + f(r, "cpu_pg")
    limits = []
    if server_cpu > 0:
        who = "central" if f(r, "cpu_central") >= f(r, "cpu_pg") else "PostgreSQL"
        # A saturated machine (other work on it included) has no CPU left: reached here.
        cpu_limit = n if i(r, "machine_busy") >= 90 else n * cores * 100 / server_cpu
        limits.append((cpu_limit, f"CPU, most of it {who}'s (central {f(r, 'cpu_central'):.0f}% + PostgreSQL {f(r, 'cpu_pg'):.0f}% of a core for {n} routers; {cores} cores)"))
    if i(r, "fds_central"):
        per_router = i(r, "fds_central") / (n / k)
        limits.append((nofile / per_router * k, f"file descriptors ({i(r, 'fds_central')} open in one central for {n // k} routers; ulimit -n {nofile})"))
    if max_conn:
        limits.append((max_conn * k, f"connections (MAX_CONNECTIONS {max_conn} per central)"))
    if max_waiters:
        limits.append((max_waiters * k, f"long-poll waiters (MAX_WAITERS {max_waiters} per central; past it exchanges answer at once)"))
    mem_mb = f(r, "pss_central_mb") + f(r, "pss_pg_mb")
    if mem_mb > 0:
        limits.append((n * (mem_kb / 1024 + mem_mb) / mem_mb, f"memory ({mem_mb:.0f} MB for {n} routers; {mem_kb // 1024} MB available)"))
    limits.sort()
    print(f"  commands at the central by state: {r['items'].replace(',', ', ').replace(':', ' ')}")
    print(f"  PostgreSQL connections in use: {i(r, 'pg_backends')} backends of max_connections 200 (a fixed pool per central, not per router)")
    if i(r, "machine_busy") >= 90:
        print(f"  the machine's CPU was saturated ({i(r, 'machine_busy')}% busy, load generator {i(r, 'cpu_load')}% of a core included)")
    print("  first to give out past this load (linear estimate, routers):")
    for routers, what in limits:
        print(f"    ~{routers:>9,.0f}  {what}")
EOF

#!/usr/bin/env bash
# Measures the cost of one usage poll (one `nft -j` listing of every session counter and
# account quota, parsed, plus the database check for ended sessions) with 10, 1,000 and
# 5,000 authorised devices — the figure that decides how often the daemon can poll.
#
#   sudo scripts/bench-poll.sh [--clients "10 1000 5000"] [--seconds 15]
#
# For each size: a fresh network namespace, a database seeded with N devices online the way
# a voucher login writes them (scripts/bench-login.py seed), the release daemon with real
# nft polling every second at debug log level. It prints the daemon's own timing of each
# poll (its "usage poll:" log line: kernel listing, and the whole poll), and the CPU time the
# daemon and its nft children used per poll (/proc/PID/stat utime+stime+cutime+cstime over
# the run, which also holds the daemon's once-a-second expiry check). Needs root, nft, ip,
# curl, python3. HOTSPOTD_BIN overrides the binary (default: cargo build --release).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SIZES="10 1000 5000" SECONDS_RUN=15
while (($#)); do
  case "$1" in
    --clients) SIZES=$2; shift 2 ;;
    --seconds) SECONDS_RUN=$2; shift 2 ;;
    *) echo "usage: scripts/bench-poll.sh [--clients \"10 1000 5000\"] [--seconds S]" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "bench-poll: run as root (network namespaces, nft)" >&2; exit 1; }
for tool in ip nft curl python3; do
  command -v "$tool" >/dev/null || { echo "bench-poll: missing $tool" >&2; exit 1; }
done

BIN=${HOTSPOTD_BIN:-}
if [[ -z "$BIN" ]]; then
  (cd "$ROOT" && cargo build --release --locked -q)
  BIN="$ROOT/target/release/hotspotd"
fi
NS="hspoll$$"
WORK=$(mktemp -d)
PID=
cleanup() {
  [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

TICKS=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat"; }

printf '%8s %8s %14s %14s %14s %10s %14s\n' clients polls "listing p50" "poll p50" "poll p90" "CPU/poll" "RSS"
for n in $SIZES; do
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  rm -rf "${WORK:?}"/*
  cat >"$WORK/hotspotd.config" <<CONFIG
config hotspotd 'main'
	option interface 'br-lan'
	option listen '127.0.0.1:2050'
	option database '$WORK/hotspotd.db'
	option firewall 'nft'
	option log_level 'debug'
	option usage_poll_interval '1'
CONFIG
  hs() { "$BIN" --config "$WORK/hotspotd.config" "$@"; }
  pkg=$(hs package add --name "Bench day" --price 10 --duration 86400 --data-mb 1000)
  hs voucher create --package "$pkg" --count "$n" --batch bench >/dev/null
  python3 "$ROOT/scripts/bench-login.py" seed "$WORK/hotspotd.db" bench >/dev/null
  ip netns exec "$NS" "$BIN" --config "$WORK/hotspotd.config" run 2>"$WORK/daemon.log" &
  PID=$!
  for _ in $(seq 1 100); do ip netns exec "$NS" curl -fs -o /dev/null http://127.0.0.1:2050/ && break; sleep 0.1; done
  sleep 2
  before=$(cpu_ticks "$PID") polls_before=$(grep -c 'usage poll:' "$WORK/daemon.log" || true)
  sleep "$SECONDS_RUN"
  after=$(cpu_ticks "$PID") polls_after=$(grep -c 'usage poll:' "$WORK/daemon.log" || true)
  rss=$(awk '$1 == "VmRSS:" {print $2}' "/proc/$PID/status")
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
  ip netns del "$NS"
  python3 - "$n" "$WORK/daemon.log" "$polls_before" "$polls_after" "$before" "$after" "$TICKS" "$rss" <<'PY'
import re, sys
n, log, p0, p1, c0, c1, ticks, rss = sys.argv[1:]
p0, p1, c0, c1, ticks = int(p0), int(p1), int(c0), int(c1), int(ticks)
lines = [l for l in open(log) if "usage poll:" in l][p0:p1]
listing = sorted(float(re.search(r"listing ([\d.]+) ms", l).group(1)) for l in lines)
total = sorted(float(re.search(r"total ([\d.]+) ms", l).group(1)) for l in lines)
counted = {int(re.search(r"usage poll: (\d+) devices", l).group(1)) for l in lines}
if not lines or counted != {int(n)}:
    sys.exit("bench-poll: the daemon did not poll %s sessions (saw %s); see %s" % (n, sorted(counted), log))
pct = lambda v, p: v[min(len(v) - 1, int(p * len(v)))]
cpu_ms = (c1 - c0) * 1000.0 / ticks / len(lines)
print("%8s %8d %11.1f ms %11.1f ms %11.1f ms %7.1f ms %11.1f MB"
      % (n, len(lines), pct(listing, .5), pct(total, .5), pct(total, .9), cpu_ms, int(rss) / 1024))
PY
done
echo "(default poll interval 3 s: CPU share = CPU/poll / 3000 ms; machine: $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"

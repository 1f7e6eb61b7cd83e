#!/usr/bin/env bash
# Measures the DESIGN.md flash budget: with 200 active clients moving traffic, the daemon
# writes <= 2 MB per hour to its database directory.
#
#   sudo scripts/bench-flash.sh [--clients 200] [--speedup 12] [--minutes 5]
#
# A router namespace runs the release daemon with real nft; one client namespace holds
# --clients addresses, each a device online on a capped package (seeded the way a voucher
# login writes it: scripts/bench-login.py seed), and each sends a UDP datagram of a random
# size to an "internet" namespace every second, so every device's counters change between
# any two checkpoints (the worst case for flash: a real phone is often idle, and an idle
# device writes nothing). Every periodic interval is divided by --speedup (usage checkpoint
# 60 s -> 5 s, expiry check and clean-up likewise), so --minutes of real time is
# --minutes x --speedup minutes of the daemon's life. The figure is the daemon's
# /proc/PID/io write_bytes over the run (SQLite's database, WAL and shared-memory writes;
# the log goes to tmpfs), scaled to one hour. Needs root, nft, ip, python3, curl.
# HOTSPOTD_BIN overrides the binary (default: cargo build --release).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLIENTS=200 SPEEDUP=12 MINUTES=5
while (($#)); do
  case "$1" in
    --clients) CLIENTS=$2; shift 2 ;;
    --speedup) SPEEDUP=$2; shift 2 ;;
    --minutes) MINUTES=$2; shift 2 ;;
    *) echo "usage: scripts/bench-flash.sh [--clients N] [--speedup S] [--minutes M]" >&2; exit 2 ;;
  esac
done
((CLIENTS >= 1 && CLIENTS <= 250)) || { echo "bench-flash: --clients must be 1..250" >&2; exit 2; }
((SPEEDUP >= 1 && SPEEDUP <= 12)) || { echo "bench-flash: --speedup must be 1..12 (checkpoints every 5 s at most)" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "bench-flash: run as root (network namespaces, nft)" >&2; exit 1; }
for tool in ip nft curl python3; do
  command -v "$tool" >/dev/null || { echo "bench-flash: missing $tool" >&2; exit 1; }
done

BIN=${HOTSPOTD_BIN:-}
if [[ -z "$BIN" ]]; then
  (cd "$ROOT" && cargo build --release --locked -q)
  BIN="$ROOT/target/release/hotspotd"
fi
R="hsflash$$r" C="hsflash$$c" I="hsflash$$i"
# The database on a real disk (write_bytes counts block-device writes), the log on tmpfs.
WORK=$(mktemp -d /var/tmp/hotspotd-flash.XXXXXX)
LOG=$(mktemp /dev/shm/hotspotd-flash-log.XXXXXX)
PID='' GEN=''
cleanup() {
  [[ -n "$GEN" ]] && kill "$GEN" 2>/dev/null
  [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  for ns in "$R" "$C" "$I"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$WORK" "$LOG"
}
trap cleanup EXIT

for ns in "$R" "$C" "$I"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n "$R" link add lan0 type veth peer name eth0 netns "$C"
ip -n "$R" link add wan0 type veth peer name eth0 netns "$I"
ip -n "$R" addr add 10.77.0.1/16 dev lan0
ip -n "$R" addr add 198.51.100.1/24 dev wan0
ip -n "$R" link set lan0 up
ip -n "$R" link set wan0 up
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
MAC=02:00:00:00:00:01
ip -n "$C" link set eth0 address "$MAC"
ip -n "$C" link set eth0 up
python3 - "$CLIENTS" > "$WORK/addrs" <<'PY'
import sys
for i in range(int(sys.argv[1])):
    print("10.77.%d.%d" % (1 + i // 250, 1 + i % 250))
PY
while read -r addr; do ip -n "$C" addr add "$addr/16" dev eth0; done <"$WORK/addrs"
ip -n "$C" route add default via 10.77.0.1
ip -n "$I" addr add 198.51.100.2/24 dev eth0
ip -n "$I" link set eth0 up
ip -n "$I" route add 10.77.0.0/16 via 198.51.100.1

secs() { local s=$(( $1 / SPEEDUP )); (( s < $2 )) && s=$2; echo "$s"; }
CHECKPOINT=$(secs 60 5)
cat >"$WORK/hotspotd.config" <<CONFIG
config hotspotd 'main'
	option interface 'lan0'
	option listen '10.77.0.1:2050'
	option database '$WORK/db/hotspotd.db'
	option firewall 'nft'
	option log_level 'warn'
	option usage_checkpoint_interval '$CHECKPOINT'
	option expiry_check_interval '${BENCH_EXPIRY:-$(secs 60 5)}'
	option cleanup_interval '$(secs 21600 60)'
CONFIG
hs() { "$BIN" --config "$WORK/hotspotd.config" "$@"; }
pkg=$(hs package add --name "Bench day" --price 50 --duration 86400 --data-mb 1000)
hs voucher create --package "$pkg" --count "$CLIENTS" --batch bench >/dev/null
python3 "$ROOT/scripts/bench-login.py" seed "$WORK/db/hotspotd.db" bench --mac "$MAC" >/dev/null

ip netns exec "$R" "$BIN" --config "$WORK/hotspotd.config" run 2>"$LOG" &
PID=$!
for _ in $(seq 1 100); do ip netns exec "$C" curl -fs -o /dev/null http://10.77.0.1:2050/ && break; sleep 0.1; done
online=$(hs clients | tail -n +2 | wc -l)
((online == CLIENTS)) || { echo "bench-flash: only $online of $CLIENTS devices online" >&2; cat "$LOG" >&2; exit 1; }

# Every device sends a datagram of 200..1400 bytes each second (the internet host answers
# with ICMP port unreachable, so both directions count).
ip netns exec "$C" python3 - "$WORK/addrs" <<'PY' &
import random, socket, sys, time
socks = []
for addr in open(sys.argv[1]).read().split():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 0))
    socks.append(s)
while True:
    for s in socks:
        try:
            s.sendto(b"x" * random.randint(200, 1400), ("198.51.100.2", 9))
        except OSError:
            pass
    time.sleep(1)
PY
GEN=$!

sleep $((2 * CHECKPOINT))   # warm up: the first checkpoints hold the start-up's writes
io() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$PID/io"; }
db() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$WORK/db/hotspotd.db" "$1"; }
rows() { db 'SELECT count(*) FROM data_usage_logs'; }
# What the database holds (in use, WAL included), not the files' size on disk.
size() { db 'SELECT (page_count - freelist_count) * page_size FROM pragma_page_count, pragma_freelist_count, pragma_page_size'; }
w0=$(io write_bytes) rows0=$(rows) size0=$(size) t0=$(date +%s)
sleep $((MINUTES * 60))
w1=$(io write_bytes) rows1=$(rows) size1=$(size) t1=$(date +%s)
kill -0 "$PID" || { echo "bench-flash: the daemon died" >&2; cat "$LOG" >&2; exit 1; }

python3 - "$CLIENTS" "$SPEEDUP" "$((t1 - t0))" "$w0" "$w1" "$rows0" "$rows1" "$size0" "$size1" "$CHECKPOINT" <<'PY'
import sys
clients, speedup, secs, w0, w1, r0, r1, s0, s1, ckpt = map(int, sys.argv[1:])
hours = secs * speedup / 3600
mb_h = (w1 - w0) / 1e6 / hours
print("bench-flash: %d devices online, all moving data; %d s real = %.2f h of the daemon's life (speedup %d, checkpoint every %d s)"
      % (clients, secs, hours, speedup, ckpt))
print("   checkpoints: %d, usage rows written: %d (%.0f per checkpoint)" % (secs // ckpt, r1 - r0, (r1 - r0) / max(1, secs // ckpt)))
print("   written to the database directory: %.2f MB -> %.2f MB per hour" % ((w1 - w0) / 1e6, mb_h))
print("   the database grew %.2f MB per hour (usage rows; folded into hourly rows after usage_detail_hours)" % ((s1 - s0) / 1e6 / hours))
print("   budget: <= 2 MB per hour with 200 active clients -> %s" % ("PASS" if mb_h <= 2.0 else "OVER"))
PY

#!/usr/bin/env bash
# Measures the DESIGN.md memory budget: resident memory with N authorised clients while the
# portal is under load (budget: ≤ 12 MB on the router).
#
#   scripts/bench-memory.sh [--clients 500] [--seconds 20] [--workers 32]
#
# Runs the release binary on loopback (firewall 'none': the nft table lives in the kernel, not
# in the daemon), seeds N authorised devices into its database the way a voucher login writes
# them (scripts/bench-login.py seed), then for --seconds keeps --workers clients busy with
# splash pages, check-session, packages and failed logins, plus 64 idle connections that never
# send their headers. Each load client uses its own loopback source address. Prints VmRSS idle, under load, and the peak (VmHWM). Figures are for this
# machine's architecture (x86_64: 64-bit pointers); a 32-bit router uses somewhat less.
# HOTSPOTD_BIN overrides the binary (default: cargo build --release).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLIENTS=500 SECONDS_LOAD=20 WORKERS=32
while (($#)); do
  case "$1" in
    --clients) CLIENTS=$2; shift 2 ;;
    --seconds) SECONDS_LOAD=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    *) echo "usage: scripts/bench-memory.sh [--clients N] [--seconds S] [--workers W]" >&2; exit 2 ;;
  esac
done

BIN=${HOTSPOTD_BIN:-}
if [[ -z "$BIN" ]]; then
  (cd "$ROOT" && cargo build --release --locked -q)
  BIN="$ROOT/target/release/hotspotd"
fi
WORK=$(mktemp -d)
PID=
cleanup() {
  [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/hotspotd.config" <<CONFIG
config hotspotd 'main'
	option interface 'lo'
	option listen '127.0.0.1:$PORT'
	option database '$WORK/hotspotd.db'
	option firewall 'none'
	option log_level 'warn'
	option login_attempts '1000'
	option max_connections '128'
CONFIG
hs() { "$BIN" --config "$WORK/hotspotd.config" "$@"; }
pkg=$(hs package add --name "Bench hour" --price 10 --duration 3600)
hs voucher create --package "$pkg" --count "$CLIENTS" --batch bench >/dev/null
python3 "$ROOT/scripts/bench-login.py" seed "$WORK/hotspotd.db" bench

"$BIN" --config "$WORK/hotspotd.config" run 2>"$WORK/daemon.log" &
PID=$!
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
rss() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$PID/status"; }

echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   clients authorised: $(hs clients | tail -n +2 | wc -l)"
idle=$(rss VmRSS)

python3 - "$PORT" "$SECONDS_LOAD" "$WORKERS" <<'PY'
import socket, sys, threading, time
port, seconds, workers = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
requests = [
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n",
    b"POST /api/hotspot/check-session HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    b"GET /api/packages HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n",
    b"POST /api/hotspot/login HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Length: 21\r\nConnection: close\r\n\r\n{\"voucher\":\"NOPE2345\"}"[:-1],
    b"GET /generate_204 HTTP/1.1\r\nHost: connectivitycheck.gstatic.com\r\nConnection: close\r\n\r\n",
]
done, errors = [0], [0]
lock = threading.Lock()
deadline = time.time() + seconds
def worker(n):
    i = n
    while time.time() < deadline:
        req = requests[i % len(requests)]
        req = req % port if b"%d" in req else req
        i += 1
        try:
            # Each worker is its own "phone" (the portal caps connections per address).
            with socket.create_connection(("127.0.0.1", port), timeout=5, source_address=("127.0.1.%d" % (n + 1), 0)) as s:
                s.sendall(req)
                while s.recv(65536):
                    pass
            with lock:
                done[0] += 1
        except OSError:
            with lock:
                errors[0] += 1
idle = []
for k in range(64):  # slow clients holding connections without finishing their headers
    s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=("127.0.2.%d" % (k % 8 + 1), 0))
    s.sendall(b"GET / HTTP/1.1\r\n")
    idle.append(s)
threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
for t in threads: t.start()
for t in threads: t.join()
print("   load: %d requests in %.0f s (%.0f/s), %d errors, %d slow connections opened"
      % (done[0], seconds, done[0] / seconds, errors[0], len(idle)))
PY

loaded=$(rss VmRSS)
peak=$(rss VmHWM)
printf '   VmRSS idle with %d clients:  %6.2f MB\n' "$CLIENTS" "$(echo "$idle / 1024" | bc -l)"
printf '   VmRSS after the load:        %6.2f MB\n' "$(echo "$loaded / 1024" | bc -l)"
printf '   peak (VmHWM):                %6.2f MB\n' "$(echo "$peak / 1024" | bc -l)"
if ((peak <= 12 * 1024)); then verdict=PASS; else verdict=OVER; fi
echo "   budget: peak resident memory <= 12 MB -> $verdict (x86_64 figure; noisy on shared machines)"

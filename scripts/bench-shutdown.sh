#!/usr/bin/env bash
# Measures how long SIGTERM takes to stop the daemon (budget 8 s: procd kills at 10 s).
#
#   sudo scripts/bench-shutdown.sh [--rounds 5]
#
# idle: the daemon on loopback (firewall none) with an idle keep-alive connection, signalled
#       a second after it answers; the time until it has exited.
# busy: tests/shutdown.rs's lab scenario (network namespaces, real nft): a device online whose
#       usage was read but not yet saved, Daraja (scripts/fake-daraja.py on the internet host)
#       accepting calls and never answering while payments are asked about and a payer's
#       prompt is under way, and the kernel's counter listing hung. The test prints the time
#       from SIGTERM to exit and checks that the usage reached the database.
# Both run against the release binary; HOTSPOTD_BIN=PATH measures another build (an older one
# to compare: a busy run it cannot stop within 10 s is reported as such). Needs root, ip, nft,
# curl, python3.
set -euo pipefail
# shellcheck source=scripts/bench-common.sh
source "$(dirname "$0")/bench-common.sh"
bench_setup bench-shutdown shutdown "$@"
WORK=$(mktemp -d)
PID=
cleanup() {
  [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

idle=()
for _ in $(seq 1 "$ROUNDS"); do
  port=$((20000 + RANDOM % 20000))
  rm -rf "${WORK:?}"/*
  cat >"$WORK/hotspotd.config" <<CONFIG
config hotspotd 'main'
	option interface 'lo'
	option listen '127.0.0.1:$port'
	option database '$WORK/hotspotd.db'
	option firewall 'none'
CONFIG
  "$BIN" --config "$WORK/hotspotd.config" run 2>"$WORK/daemon.log" &
  PID=$!
  for _ in $(seq 1 200); do curl -fs -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
  # An idle keep-alive connection, as a browser leaves behind.
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >&3
  sleep 1
  start=$(date +%s%N)
  kill -TERM "$PID"
  wait "$PID" || true
  end=$(date +%s%N)
  PID=
  exec 3>&-
  idle+=("$(( (end - start) / 1000000 ))")
done

busy=() failed=0
for _ in $(seq 1 "$ROUNDS"); do
  out=$(cd "$ROOT"; HOTSPOTD_BIN="$BIN" cargo test --locked -q --test shutdown sigterm_mid -- --nocapture 2>&1 || true)
  figure=$(sed -n 's/^busy daemon: stopped \([0-9]*\) ms after SIGTERM.*/\1/p' <<<"$out")
  if [[ -n "$figure" ]]; then busy+=("$figure"); else failed=$((failed + 1)); fi
  grep -q "test result: ok" <<<"$out" || echo "busy run failed: $(grep -m1 -E 'did not|took|no usage|holds|predates|no last' <<<"$out" || echo '?')" >&2
done

echo "SIGTERM → exited, min / median / max ($BIN; machine: $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
printf '  idle: %s\n' "$(numbers "${idle[@]}" | summary '%.0f ms')"
printf '  busy: %s\n' "$(numbers "${busy[@]+"${busy[@]}"}" | summary '%.0f ms')"
((failed == 0)) || echo "  busy: $failed runs did not stop within 10 s (killed)"

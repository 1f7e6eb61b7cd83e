#!/usr/bin/env bash
# Sourced by the benchmarks that run a lab test several times (bench-uplink.sh,
# bench-shutdown.sh): their common start and their figures.
#   bench_setup NAME TEST "$@"   parses --rounds N (sets ROUNDS, default 5), checks root and
#                                 the tools, builds the release binary (BIN; HOTSPOTD_BIN=PATH
#                                 measures another build) and the lab test TEST.
#   summary FORMAT                min / median / max of the numbers on stdin, or "-".
#   numbers VALUE…                the non-empty values, one per line.

# shellcheck disable=SC2034  # ROOT, ROUNDS and BIN are for the script that sources this
bench_setup() {
  local name=$1 test=$2 tool
  shift 2
  ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  ROUNDS=5
  while (($#)); do
    case "$1" in
      --rounds) ROUNDS=$2; shift 2 ;;
      *) echo "usage: scripts/$name.sh [--rounds N]" >&2; exit 2 ;;
    esac
  done
  [[ $(id -u) -eq 0 ]] || { echo "$name: run as root (network namespaces, nft)" >&2; exit 1; }
  for tool in ip nft curl python3; do
    command -v "$tool" >/dev/null || { echo "$name: missing $tool" >&2; exit 1; }
  done
  BIN=${HOTSPOTD_BIN:-}
  if [[ -z "$BIN" ]]; then
    (cd "$ROOT" && cargo build --release --locked -q)
    BIN="$ROOT/target/release/hotspotd"
  fi
  (cd "$ROOT" && cargo test --locked -q --test "$test" --no-run 2>/dev/null)
}

summary() {
  sort -g | awk -v fmt="$1" '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } printf fmt " / " fmt " / " fmt " (%d runs)\n", v[1], v[int((NR + 1) / 2)], v[NR], NR }'
}

numbers() { printf '%s\n' "$@" | grep . || true; }

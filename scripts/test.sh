#!/usr/bin/env bash
# The project's test entry point (the README's test command; CI runs it too).
# Runs every unit and integration test. Loopback tests need curl and python3 (the fake
# Daraja and SMS gateways); the network-namespace tests also need root, nft, ip and tc
# (iproute2), iperf3 (speed limits) and libfaketime (clock jumps: the `faketime` package).
# HOTSPOTD_SKIP_NETNS=1 skips only those (for a quick run without root).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in curl python3; do
  command -v "$tool" >/dev/null || { echo "scripts/test.sh: missing $tool (apt-get install -y curl python3)" >&2; exit 1; }
done
if [[ "${HOTSPOTD_SKIP_NETNS:-0}" != 1 ]]; then
  missing=()
  for tool in nft ip tc iperf3 faketime; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  if ((${#missing[@]})); then
    echo "scripts/test.sh: missing ${missing[*]}; on Debian: apt-get install -y nftables iproute2 curl python3 iperf3 faketime" >&2
    echo "(or set HOTSPOTD_SKIP_NETNS=1 to skip the network-namespace tests)" >&2
    exit 1
  fi
  if [[ $(id -u) != 0 ]]; then
    echo "scripts/test.sh: the network-namespace tests need root (or set HOTSPOTD_SKIP_NETNS=1)" >&2
    exit 1
  fi
fi

cargo build --locked --bins
cargo test --locked -- --test-threads="${HOTSPOTD_TEST_THREADS:-2}"

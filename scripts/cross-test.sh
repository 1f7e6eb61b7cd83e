#!/usr/bin/env bash
# Runs hotspotd's tests for a router architecture under qemu-user:
#   scripts/cross-test.sh TARGET
# 1. the unit tests and the SQLite transaction tests, built for TARGET and run by qemu
#    (the `runner` in .cargo/config.toml);
# 2. the release binary (dist/hotspotd-TARGET, from scripts/cross-build.sh; built if missing)
#    must start: `--version`, then `run --demo` must answer HTTP on 127.0.0.1:2050 and
#    accept one of its voucher codes.
# The network-namespace tests need the host kernel's nft and run natively (scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/cross-env.sh
source scripts/cross-env.sh

target=${1:?usage: scripts/cross-test.sh TARGET}
cross_check_target "$target"
cross_install_tools
cross_env

echo "== unit tests for $target under qemu" >&2
cargo-zigbuild test --locked --target "$target" -Zbuild-std --lib --test session_records

[[ -x "dist/hotspotd-$target" ]] || scripts/cross-build.sh "$target"
bin="$PWD/dist/hotspotd-$target"
qemu=$(qemu_of "$target")

echo "== $target binary starts under $qemu" >&2
"$qemu" "$bin" --version

work=$(mktemp -d)
demo_pid=
cleanup() {
  [[ -n "$demo_pid" ]] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
(cd "$work" && exec "$qemu" "$bin" run --demo >demo.out 2>demo.err) &
demo_pid=$!
for _ in $(seq 1 100); do
  curl -fs -o /dev/null http://127.0.0.1:2050/ && break
  sleep 0.1
done
status=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:2050/)
[[ "$status" == 200 ]] || { echo "the demo did not answer (HTTP $status)"; cat "$work/demo.err"; exit 1; }
code=$(awk '/1 hour/ {print $1; exit}' "$work/demo.out")
answer=$(curl -s -X POST -d "{\"voucher\":\"$code\"}" http://127.0.0.1:2050/api/hotspot/login)
[[ "$answer" == *'"ok":true'* ]] || { echo "voucher login failed: $answer"; exit 1; }
echo "== $target: demo answered HTTP and accepted voucher $code" >&2

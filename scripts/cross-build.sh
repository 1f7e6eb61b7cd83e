#!/usr/bin/env bash
# Builds the static release binaries for the routers, without Docker:
#   scripts/cross-build.sh [TARGET…]    (default: all four)
# Targets: mips-unknown-linux-musl (ath79), mipsel-unknown-linux-musl (ramips),
#          armv7-unknown-linux-musleabihf (ipq40xx), aarch64-unknown-linux-musl (filogic).
# Output: dist/hotspotd-TARGET (stripped). Installs its tools on first use (root).
# With Docker, `CROSS_CONFIG=cross.toml cross build --release --target …` works too.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/cross-env.sh
source scripts/cross-env.sh

targets=("$@")
((${#targets[@]})) || targets=("${CROSS_TARGETS[@]}")
for t in "${targets[@]}"; do cross_check_target "$t"; done

cross_install_tools
cross_env
mkdir -p dist
for t in "${targets[@]}"; do
  echo "== building $t" >&2
  # optimize_for_size: the smaller (slower) variants of std's algorithms; fine for a router.
  # panic=immediate-abort: a panic aborts at once, without formatting a message (0.2 MB of
  # panic machinery on mips); procd restarts the daemon either way, and every transaction is
  # atomic. The target's own rustflags (.cargo/config.toml) are kept: --config appends.
  cargo zigbuild --release --locked --target "$t" \
    -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size \
    --config "target.$t.rustflags=['-Zunstable-options','-Cpanic=immediate-abort']"
  cp "target/$t/release/hotspotd" "dist/hotspotd-$t"
  echo "dist/hotspotd-$t: $(stat -c %s "dist/hotspotd-$t") bytes" >&2
done

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
  # atomic. Nothing unwinds then, so no unwind tables (-Cforce-unwind-tables=no, and
  # -fno-unwind-tables for the C parts: SQLite, ring): 0.28 MB of .eh_frame on mips. Nothing
  # prints a panic's location either (-Zlocation-detail=none: the file names and lines are
  # not kept). The target's own rustflags (.cargo/config.toml) are kept: --config appends.
  cflags_var="CFLAGS_${t//-/_}"
  export "$cflags_var=${!cflags_var:-} -fno-asynchronous-unwind-tables -fno-unwind-tables"
  cargo zigbuild --release --locked --target "$t" \
    -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size \
    --config "target.$t.rustflags=['-Zunstable-options','-Cpanic=immediate-abort','-Cforce-unwind-tables=no','-Zlocation-detail=none']"
  # The linker's strip keeps sections nothing loads: on mips LLVM writes a procedure
  # descriptor (.pdr, 0.3 MB) for every function, which only old debuggers read.
  llvm-objcopy --remove-section=.pdr --remove-section=.mdebug.abi32 --remove-section=.comment \
    "target/$t/release/hotspotd" "dist/hotspotd-$t"
  echo "dist/hotspotd-$t: $(stat -c %s "dist/hotspotd-$t") bytes" >&2
done

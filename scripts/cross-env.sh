#!/usr/bin/env bash
# Sourced by the cross-build scripts: installs (once) and puts on PATH what building for
# the routers needs without Docker (see ../shared/specs/cross-build.md):
#   Debian's rustc/cargo 1.96 with the library source (-Zbuild-std: mips is tier 3),
#   zig + cargo-zigbuild (a soft-float musl C toolchain per target), qemu-user, and
#   llvm-objcopy (Debian's llvm) to drop the sections nothing loads from the binaries.
# Also maps Rust targets to OpenWrt package architectures.

CROSS_TARGETS=(mips-unknown-linux-musl mipsel-unknown-linux-musl armv7-unknown-linux-musleabihf aarch64-unknown-linux-musl)
ZIG_VENV=${ZIG_VENV:-/opt/zig}

cross_install_tools() {
  if [[ ! -x /usr/bin/cargo || ! -d /usr/lib/rustlib/src/rust/library ]] || ! command -v qemu-mips-static >/dev/null; then
    echo "cross-env: installing rustc-web, cargo-web, rust-web-src, qemu-user-static" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      rustc-web cargo-web rust-web-src qemu-user-static >/dev/null
  fi
  if ! command -v llvm-objcopy >/dev/null; then
    echo "cross-env: installing llvm (llvm-objcopy, to drop sections nothing loads)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends llvm >/dev/null
  fi
  if [[ ! -x "$ZIG_VENV/bin/cargo-zigbuild" ]]; then
    echo "cross-env: installing zig and cargo-zigbuild into $ZIG_VENV" >&2
    python3 -m venv "$ZIG_VENV"
    "$ZIG_VENV/bin/pip" install -q ziglang cargo-zigbuild
  fi
}

cross_env() {
  # Debian's cargo runs the first rustc on PATH: keep /usr/bin ahead of ~/.cargo/bin.
  export PATH="$ZIG_VENV/bin:/usr/bin:$PATH"
  export RUSTC=/usr/bin/rustc
  export RUSTC_BOOTSTRAP=1              # -Zbuild-std on Debian's stable compiler
  export XDG_CACHE_HOME="$PWD/target/.cache"
}

cross_check_target() {
  local t
  for t in "${CROSS_TARGETS[@]}"; do [[ "$1" == "$t" ]] && return 0; done
  echo "unknown target '$1'; one of: ${CROSS_TARGETS[*]}" >&2
  return 1
}

# OpenWrt package architecture of the routers a Rust target serves (override: IPK_ARCH).
openwrt_arch() {
  case "$1" in
    mips-unknown-linux-musl) echo mips_24kc ;;                     # ath79, most common hotspots
    mipsel-unknown-linux-musl) echo mipsel_24kc ;;                 # ramips mt7621/mt76x8
    armv7-unknown-linux-musleabihf) echo arm_cortex-a7_neon-vfpv4 ;; # ipq40xx
    aarch64-unknown-linux-musl) echo aarch64_cortex-a53 ;;         # filogic, mt7622
    *) echo "all" ;;
  esac
}

qemu_of() {
  case "$1" in
    mips-*) echo qemu-mips-static ;;
    mipsel-*) echo qemu-mipsel-static ;;
    armv7-*) echo qemu-arm-static ;;
    aarch64-*) echo qemu-aarch64-static ;;
  esac
}

#!/usr/bin/env bash
# Builds an installable OpenWrt package (.ipk, for opkg) from a cross-built binary, without
# the OpenWrt SDK:
#   scripts/package-ipk.sh TARGET        → dist/hotspotd_VERSION_ARCH.ipk
# The binary is dist/hotspotd-TARGET (scripts/cross-build.sh) unless HOTSPOTD_BIN is set;
# the OpenWrt architecture comes from TARGET unless IPK_ARCH is set; OUT_DIR moves the output.
# An ipk is a gzipped tar of ./debian-binary, ./data.tar.gz and ./control.tar.gz; the files
# installed are the same as openwrt/Makefile installs.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/cross-env.sh
source scripts/cross-env.sh

target=${1:?usage: scripts/package-ipk.sh TARGET}
bin=${HOTSPOTD_BIN:-dist/hotspotd-$target}
arch=${IPK_ARCH:-$(openwrt_arch "$target")}
out_dir=${OUT_DIR:-dist}
[[ -f "$bin" ]] || { echo "no binary at $bin: run scripts/cross-build.sh $target first" >&2; exit 1; }

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
release=$(sed -n 's/^PKG_RELEASE:=//p' openwrt/Makefile)
full_version="$version-$release"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data="$work/data" control="$work/control"
install -D -m 0755 "$bin" "$data/usr/sbin/hotspotd"
install -D -m 0600 openwrt/files/hotspotd.config "$data/etc/config/hotspotd"
install -D -m 0755 openwrt/files/hotspotd.init "$data/etc/init.d/hotspotd"
install -D -m 0755 openwrt/files/hotspotd.uci-defaults "$data/etc/uci-defaults/90-hotspotd"
install -D -m 0644 openwrt/files/hotspotd.ntp-hotplug "$data/etc/hotplug.d/ntp/90-hotspotd"
install -D -m 0644 openwrt/files/hotspotd.keep "$data/lib/upgrade/keep.d/hotspotd"

mkdir -p "$control"
installed_size=$(du -sb "$data" | cut -f1)
cat >"$control/control" <<CONTROL
Package: hotspotd
Version: $full_version
Depends: nftables-json, kmod-nft-core, kmod-nft-nat, kmod-nft-fib, kmod-sched-core, kmod-ifb, tc-tiny, ip-tiny, ca-bundle
Source: feeds/hotspotd/hotspotd
SourceName: hotspotd
License: MIT
Section: net
Architecture: $arch
Installed-Size: $installed_size
Maintainer: hotspotd developers
Description: Offline-first paid Wi-Fi hotspot: captive portal, vouchers, accounts in SQLite,
 enforcement with its own nftables table. Keeps working while the uplink is down.
CONTROL
echo /etc/config/hotspotd >"$control/conffiles"
# The same maintainer scripts OpenWrt's package build generates: run uci-defaults on a live
# system, enable the init script (it stays stopped until configured: see uci-defaults).
cat >"$control/postinst" <<'POSTINST'
#!/bin/sh
[ "${IPKG_NO_SCRIPT}" = "1" ] && exit 0
[ -s "${IPKG_INSTROOT}/lib/functions.sh" ] || exit 0
. "${IPKG_INSTROOT}/lib/functions.sh"
default_postinst "$0" "$@"
POSTINST
cat >"$control/prerm" <<'PRERM'
#!/bin/sh
[ -s "${IPKG_INSTROOT}/lib/functions.sh" ] || exit 0
. "${IPKG_INSTROOT}/lib/functions.sh"
default_prerm "$0" "$@"
PRERM
chmod 0755 "$control/postinst" "$control/prerm"
echo "2.0" >"$work/debian-binary"

# Reproducible archives: fixed owner, order and times.
tar_opts=(--format=gnu --owner=0 --group=0 --numeric-owner --sort=name --mtime=@0)
tar "${tar_opts[@]}" -C "$data" -cf - . | gzip -9n >"$work/data.tar.gz"
tar "${tar_opts[@]}" -C "$control" -cf - . | gzip -9n >"$work/control.tar.gz"
mkdir -p "$out_dir"
ipk="$out_dir/hotspotd_${full_version}_${arch}.ipk"
tar "${tar_opts[@]}" -C "$work" -cf - ./debian-binary ./data.tar.gz ./control.tar.gz | gzip -9n >"$ipk"
echo "$ipk"

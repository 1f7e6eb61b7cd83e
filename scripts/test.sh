#!/usr/bin/env bash
# The project's test entry point (the README's test command; CI runs it too).
# Runs every unit and integration test. On a fresh Debian machine it is all a newcomer
# types: run as root, it installs what the tests need (apt-get) before running them:
#   curl, python3        loopback tests (the fake Daraja and SMS gateways)
#   openssl              the HTTPS test (a private CA on loopback)
#   nftables, iproute2   the network-namespace lab (real nft, tc, ip)
#   iperf3, faketime     speed limits; clock jumps (libfaketime)
#   freeradius, freeradius-utils   the central RADIUS server (scripts/freeradius-central.sh:
#                        a private config, never the system service) and radclient; a
#                        FreeRADIUS service the package starts is stopped and disabled, as
#                        it would hold 127.0.0.1:1812/1813 where the demo answers
#   postgresql           the central server's tests (scripts/postgres-private.sh: a private
#                        cluster in a temp directory per test, never the system service)
#   chromium, chromium-driver, zbar-tools, fonts-liberation
#                        the browser tests (tests/web_admin.rs: headless Chromium over
#                        WebDriver; zbarimg reads the printed vouchers' QR codes back; a font
#                        so the screenshots kept in target/browser-screenshots show text)
# HOTSPOTD_SKIP_NETNS=1 skips only the namespace tests (for a quick run without root).
# HOTSPOTD_TEST_THREADS sets how many tests run at once (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."

# command the tests run → Debian package that has it
declare -A package_of=(
  [curl]=curl [python3]=python3 [openssl]=openssl
  [nft]=nftables [ip]=iproute2 [tc]=iproute2 [iperf3]=iperf3 [faketime]=faketime
  [freeradius]=freeradius [radclient]=freeradius-utils
  [chromium]=chromium [chromedriver]=chromium-driver [zbarimg]=zbar-tools
)
needed=(curl python3 openssl freeradius radclient)
if [[ "${HOTSPOTD_SKIP_NETNS:-0}" != 1 ]]; then
  needed+=(nft ip tc iperf3 faketime chromium chromedriver zbarimg)
fi

missing=()
for tool in "${needed[@]}"; do
  command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] || missing+=("${package_of[$tool]}")
done
# PostgreSQL's server binaries live outside PATH (/usr/lib/postgresql/VERSION/bin).
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
# Chromium's screenshots need one font (a recommendation of chromium, not installed with it
# below).
if [[ "${HOTSPOTD_SKIP_NETNS:-0}" != 1 ]]; then
  compgen -G "/usr/share/fonts/truetype/liberation*/*.ttf" >/dev/null || missing+=(fonts-liberation)
fi
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "scripts/test.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" ca-certificates >/dev/null
    if [[ " ${missing[*]} " == *" postgresql "* ]]; then
      # the package may start a system cluster on 5432: the tests start their own
      if [[ -d /run/systemd/system ]]; then
        systemctl disable --now postgresql.service >/dev/null 2>&1 || true
      else
        invoke-rc.d postgresql stop >/dev/null 2>&1 || true
      fi
    fi
    if [[ " ${missing[*]} " == *" freeradius "* ]]; then
      # the package enables and starts the system FreeRADIUS (on 1812/1813): the tests run
      # their own (scripts/freeradius-central.sh), and the demo needs those ports
      if [[ -d /run/systemd/system ]]; then
        systemctl disable --now freeradius.service >/dev/null 2>&1 || true
      else
        invoke-rc.d freeradius stop >/dev/null 2>&1 || true
        update-rc.d freeradius disable >/dev/null 2>&1 || true
      fi
    fi
  else
    echo "scripts/test.sh: missing packages: ${missing[*]}; as root on Debian this script installs them" >&2
    echo "(or set HOTSPOTD_SKIP_NETNS=1 to skip the network-namespace tests)" >&2
    exit 1
  fi
fi
if [[ "${HOTSPOTD_SKIP_NETNS:-0}" != 1 && $(id -u) != 0 ]]; then
  echo "scripts/test.sh: the network-namespace tests need root (or set HOTSPOTD_SKIP_NETNS=1)" >&2
  exit 1
fi

# `central`: the central server (hotspotd-central) and its tests, beside the router's.
cargo build --locked --features central --bins
# The README's first command is `cargo run --release -- run --demo`: `cargo run` must pick the
# daemon among the binaries (`default-run`). Checked here on the debug build just made.
cargo run --locked --quiet --features central -- --version
cargo test --locked --features central -- --test-threads="${HOTSPOTD_TEST_THREADS:-2}"

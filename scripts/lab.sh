#!/usr/bin/env bash
# hotspotd lab: a hotspot router, its Wi-Fi clients and "the internet", built from
# network namespaces on one Linux machine (root, nft, iproute2, curl, python3).
#
#   scripts/lab.sh up [--clients N]   (re)build the lab, start hotspotd in hs-router
#   scripts/lab.sh down               kill the daemon and the web server, delete the namespaces
#   scripts/lab.sh status             namespaces, daemon pid, nft table
#
# Topology (same as tests/lab/mod.rs builds for each integration test):
#
#   hs-client1 eth0 02:00:00:00:00:01 10.77.0.11/24 --+
#   hs-client2 eth0 02:00:00:00:00:02 10.77.0.12/24 --+-- lanN ports of br-lan 10.77.0.1/24
#   ...                                                     hs-router (ip_forward=1, hotspotd)
#                                                           wan0 198.51.100.1/24
#                                                             |
#   hs-internet eth0 198.51.100.2/24 (+ .10/32, walled-garden host), route 10.77.0.0/24 via .1
#               scripts/lab-internet.py: :80 web, :443 and :8080 write "tls?"
#
# Environment:
#   HOTSPOTD_BIN   use this binary instead of `cargo build --release`
#   LAB_DIR        state directory (config, database, logs, pids); default /tmp/hotspotd-lab
#
# Veth pairs are created directly inside the namespaces (`ip -n NS link add ... peer ...
# netns OTHER`), so no interface name ever exists in the root namespace.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAB_DIR="${LAB_DIR:-/tmp/hotspotd-lab}"
ROUTER=hs-router
INTERNET=hs-internet
CLIENT_PREFIX=hs-client
PORTAL_IP=10.77.0.1
PORTAL_PORT=2050
INTERNET_IP=198.51.100.2
GARDEN_IP=198.51.100.10

die() { echo "lab.sh: $*" >&2; exit 1; }
log() { echo "lab.sh: $*" >&2; }

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    exit "${1:-0}"
}

need_tools() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, nft)"
    local tool
    for tool in ip nft curl python3; do
        command -v "$tool" >/dev/null || die "missing tool: $tool"
    done
}

client_mac() { printf '02:00:00:00:00:%02x' "$1"; }
client_ip() { echo "10.77.0.$((10 + $1))"; }

# Lab namespaces: the router, the internet host and every hs-clientN.
lab_namespaces() {
    ip netns list | awk '{print $1}' | grep -E "^(${ROUTER}|${INTERNET}|${CLIENT_PREFIX}[0-9]+)\$" || true
}

kill_pidfile() {
    local file="$1" pid
    [[ -f $file ]] || return 0
    pid="$(cat "$file")"
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$file"
}

cmd_down() {
    need_tools
    kill_pidfile "$LAB_DIR/hotspotd.pid"
    kill_pidfile "$LAB_DIR/internet.pid"
    local ns pid
    for ns in $(lab_namespaces); do
        # Anything still running inside a lab namespace was started by the lab (or by
        # someone acting as a lab client): end it, or the namespace outlives `ip netns del`.
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null || true
        done
        ip netns del "$ns"
    done
    log "down"
}

build_topology() {
    local clients="$1" i ns
    ip netns add "$ROUTER"
    ip netns add "$INTERNET"
    for ns in "$ROUTER" "$INTERNET"; do
        ip -n "$ns" link set lo up
    done

    ip -n "$ROUTER" link add br-lan type bridge
    ip -n "$ROUTER" addr add "$PORTAL_IP/24" dev br-lan
    ip -n "$ROUTER" link set br-lan up
    ip netns exec "$ROUTER" sysctl -qw net.ipv4.ip_forward=1

    for i in $(seq 1 "$clients"); do
        ns="$CLIENT_PREFIX$i"
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        ip -n "$ROUTER" link add "lan$i" type veth peer name eth0 netns "$ns"
        ip -n "$ROUTER" link set "lan$i" master br-lan
        ip -n "$ROUTER" link set "lan$i" up
        ip -n "$ns" link set eth0 address "$(client_mac "$i")"
        ip -n "$ns" addr add "$(client_ip "$i")/24" dev eth0
        ip -n "$ns" link set eth0 up
        ip -n "$ns" route add default via "$PORTAL_IP"
    done

    ip -n "$ROUTER" link add wan0 type veth peer name eth0 netns "$INTERNET"
    ip -n "$ROUTER" addr add 198.51.100.1/24 dev wan0
    ip -n "$ROUTER" link set wan0 up
    ip -n "$INTERNET" addr add "$INTERNET_IP/24" dev eth0
    ip -n "$INTERNET" addr add "$GARDEN_IP/32" dev eth0
    ip -n "$INTERNET" link set eth0 up
    ip -n "$INTERNET" route add 10.77.0.0/24 via 198.51.100.1
}

wait_http() {
    local ns="$1" url="$2" what="$3"
    for _ in $(seq 100); do
        if ip netns exec "$ns" curl -s -o /dev/null --max-time 1 "$url"; then
            return 0
        fi
        sleep 0.1
    done
    die "$what did not answer at $url"
}

start_internet() {
    setsid ip netns exec "$INTERNET" python3 -u "$ROOT/scripts/lab-internet.py" \
        >"$LAB_DIR/internet.log" 2>&1 </dev/null &
    echo $! >"$LAB_DIR/internet.pid"
    wait_http "$ROUTER" "http://$INTERNET_IP/" "the internet web server"
}

write_config() {
    cat >"$LAB_DIR/hotspotd.conf" <<EOF
config hotspotd 'main'
	option interface 'br-lan'
	option listen '$PORTAL_IP:$PORTAL_PORT'
	option database '$LAB_DIR/hotspotd.db'
	option firewall 'nft'
	option login_attempts '5'
	option log_level 'debug'
	list walled_garden '$GARDEN_IP/32'
EOF
}

find_binary() {
    if [[ -n ${HOTSPOTD_BIN:-} ]]; then
        [[ -x $HOTSPOTD_BIN ]] || die "HOTSPOTD_BIN=$HOTSPOTD_BIN is not an executable"
        BIN="$HOTSPOTD_BIN"
        return
    fi
    command -v cargo >/dev/null || die "cargo not found; build hotspotd yourself and set HOTSPOTD_BIN"
    log "building hotspotd (cargo build --release)"
    (cd "$ROOT" && cargo build --release --bin hotspotd >&2)
    BIN="$ROOT/target/release/hotspotd"
}

hs() {
    ip netns exec "$ROUTER" "$BIN" --config "$LAB_DIR/hotspotd.conf" "$@"
}

start_daemon() {
    setsid ip netns exec "$ROUTER" "$BIN" --config "$LAB_DIR/hotspotd.conf" run \
        >>"$LAB_DIR/hotspotd.log" 2>&1 </dev/null &
    echo $! >"$LAB_DIR/hotspotd.pid"
    local pid
    pid="$(cat "$LAB_DIR/hotspotd.pid")"
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || { tail -n 30 "$LAB_DIR/hotspotd.log" >&2; die "hotspotd exited"; }
        if ip netns exec "$ROUTER" curl -s -o /dev/null --max-time 1 "http://$PORTAL_IP:$PORTAL_PORT/"; then
            return 0
        fi
        sleep 0.1
    done
    tail -n 30 "$LAB_DIR/hotspotd.log" >&2
    die "hotspotd did not answer on $PORTAL_IP:$PORTAL_PORT"
}

cmd_up() {
    local clients=2
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --clients) [[ $# -ge 2 ]] || usage 2; clients="$2"; shift 2 ;;
            --clients=*) clients="${1#*=}"; shift ;;
            -h|--help) usage 0 ;;
            *) echo "lab.sh: unknown option $1" >&2; usage 2 ;;
        esac
    done
    if ! [[ $clients =~ ^[0-9]+$ ]] || ((clients < 1 || clients > 200)); then
        die "--clients must be 1..200"
    fi
    need_tools
    find_binary
    cmd_down
    mkdir -p "$LAB_DIR"
    rm -f "$LAB_DIR"/hotspotd.db* "$LAB_DIR"/*.log
    build_topology "$clients"
    start_internet
    write_config
    start_daemon

    local package codes bundle bundle_codes
    package="$(hs package add --name 'Lab hour' --price 10 --duration 3600 --devices 2)"
    codes="$(hs voucher create --package "$package" --count 3)"
    bundle="$(hs package add --name 'Lab 5 MB, 1 Mbit/s' --price 20 --duration 3600 --data-mb 5 --down-kbps 1000 --up-kbps 512)"
    bundle_codes="$(hs voucher create --package "$bundle" --count 2)"

    cat <<EOF

hotspotd lab is up ($clients client(s)); state in $LAB_DIR
  daemon:   pid $(cat "$LAB_DIR/hotspotd.pid"), log $LAB_DIR/hotspotd.log
  config:   $LAB_DIR/hotspotd.conf
  portal:   http://$PORTAL_IP:$PORTAL_PORT/
  package:  $package (1 hour, 2 devices); vouchers:
    ${codes//$'\n'/$'\n'    }
  package:  $bundle (1 hour, 5 MB cap, 1 Mbit/s down, 512 kbit/s up); vouchers:
    ${bundle_codes//$'\n'/$'\n'    }

Act as a client:
  ip netns exec hs-client1 curl -v http://$INTERNET_IP/                 # 302 to the portal before login
  ip netns exec hs-client1 curl -v --resolve connectivitycheck.gstatic.com:80:$INTERNET_IP \\
      http://connectivitycheck.gstatic.com/generate_204
  ip netns exec hs-client1 curl -v -d voucher=$(head -n1 <<<"$codes") http://$PORTAL_IP:$PORTAL_PORT/login
  ip netns exec hs-client1 curl -s -X POST http://$PORTAL_IP:$PORTAL_PORT/api/hotspot/check-session
  ip netns exec hs-client1 $ROOT/scripts/lab-probe.py tcp $INTERNET_IP 443   # refused before login
  ip netns exec hs-client1 $ROOT/scripts/lab-probe.py ping $INTERNET_IP
  ip netns exec hs-client2 curl -s -d voucher=$(head -n1 <<<"$bundle_codes") http://$PORTAL_IP:$PORTAL_PORT/login >/dev/null
  ip netns exec hs-client2 curl -o /dev/null http://$INTERNET_IP/bytes/20000000   # ~1 Mbit/s, stops at 5 MB
Operate the router:
  ip netns exec $ROUTER $BIN --config $LAB_DIR/hotspotd.conf clients
  ip netns exec $ROUTER nft list table inet hotspotd
Tear down:
  $0 down
EOF
}

cmd_status() {
    need_tools
    echo "namespaces: $(lab_namespaces | tr '\n' ' ')"
    if [[ -f $LAB_DIR/hotspotd.pid ]] && kill -0 "$(cat "$LAB_DIR/hotspotd.pid")" 2>/dev/null; then
        echo "hotspotd: running, pid $(cat "$LAB_DIR/hotspotd.pid")"
    else
        echo "hotspotd: not running"
    fi
    if ip netns list | grep -q "^$ROUTER\b"; then
        ip netns exec "$ROUTER" nft list table inet hotspotd 2>&1 || true
    fi
}

case "${1:-}" in
    up) shift; cmd_up "$@" ;;
    down) shift; cmd_down ;;
    status) shift; cmd_status ;;
    -h|--help|help) usage 0 ;;
    *) usage 2 ;;
esac

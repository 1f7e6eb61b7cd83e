#!/usr/bin/env bash
# Measures how well two ways of enforcing per-client speed limits (a package's download and
# upload rate) hold on a Linux router, to choose one for hotspotd:
#
#   htb       tc HTB, one class per client and direction (rate = ceil = package rate).
#             Download: HTB on br-lan egress. Upload: br-lan ingress redirected (mirred) to
#             an ifb device with HTB on it. Classes are picked by u32 filters in a 256-bucket
#             hash table keyed on the last octet of the client address (dst for download, src
#             for upload); small TCP packets (ACKs) of all clients share a prio-0 class.
#   htb-prio  like htb, but download classes are picked by nft `meta priority set` (a map
#             address -> classid in the forward hook) instead of u32 (download rows only:
#             upload passes ifb before netfilter, so it needs u32 anyway).
#   nft       nftables policing in the forward hook: `limit name ip daddr|saddr map @...` with
#             one `limit rate over N bytes/second burst B bytes` object per client and
#             direction; packets over the limit are dropped.
#
#   sudo scripts/bench-speed.sh [--seconds N]     (N: measured seconds per iperf3 run, default 10)
#
# Needs root, iproute2 (ip, tc, ss), nft, iperf3 and python3; takes about 3 minutes. Builds its
# own lab from network namespaces hsb-* (deleted on exit): hsb-router has br-lan 10.77.0.1/24
# (txqueuelen 0, as on OpenWrt) with veth ports to hsb-c1 (10.77.0.11) and hsb-c2 (10.77.0.12),
# and wan0 to hsb-inet (198.51.100.2), where `iperf3 -s` listens on 5201 and 5202. Cases: one
# client (1 Mbit/s down, 512 kbit/s up) each way; two clients at once (1M/512k and 4M/1M);
# one client downloading and uploading at once (iperf3 --bidir). Each run is
# `iperf3 -c -O 2 -t N -J` (download: -R) while the same client pings the internet host every
# 0.2 s. Per client and direction it prints the package rate, the receiver's goodput, their
# ratio, the sender's TCP retransmits (count and % of segments sent) and the median ping RTT.
# HTB counts Ethernet frames and nft IP packets, so TCP goodput is ~4 % (htb) / ~3 % (nft)
# below the package rate even when the limit is exact.
#
# HTB leaf qdisc: fq_codel when the kernel has it, else a bfifo of FIFO_MS of the rate but at
# least FIFO_MIN bytes (forwarded GSO/GRO packets can be 64 KB; a smaller byte limit drops them
# whole). Knobs (environment, for experiments): FIFO_MS=100 FIFO_MIN=24224 HTB_BURST_MS=10
# NFT_BURST_MS=100 ACK_KBIT=5000 (rate of the shared ACK class, 0 = none) MECHS="htb htb-prio nft".
set -euo pipefail

SECS=10
while (($#)); do
    case "$1" in
        --seconds) [[ $# -ge 2 ]] || { echo "usage: $0 [--seconds N]" >&2; exit 2; }; SECS=$2; shift 2 ;;
        *) echo "usage: $0 [--seconds N]" >&2; exit 2 ;;
    esac
done
if ! [[ $SECS =~ ^[0-9]+$ ]] || ((SECS < 3)); then
    echo "bench-speed.sh: --seconds must be >= 3" >&2
    exit 2
fi
[[ $(id -u) -eq 0 ]] || { echo "bench-speed.sh: must run as root" >&2; exit 1; }
for tool in ip tc nft iperf3 python3; do
    command -v "$tool" >/dev/null || { echo "bench-speed.sh: missing tool: $tool" >&2; exit 1; }
done

FIFO_MS=${FIFO_MS:-100} FIFO_MIN=${FIFO_MIN:-24224}
HTB_BURST_MS=${HTB_BURST_MS:-10} NFT_BURST_MS=${NFT_BURST_MS:-100} ACK_KBIT=${ACK_KBIT:-5000}
R=hsb-router INET=hsb-inet INET_IP=198.51.100.2 LAN=br-lan IFB=ifb-lan
CLIENT_NS=(hsb-c1 hsb-c2) CLIENT_IP=(10.77.0.11 10.77.0.12)

lab_down() {
    local ns pid
    for ns in "$R" "$INET" "${CLIENT_NS[@]}"; do
        ip netns list | grep -q "^$ns\b" || continue
        for pid in $(ip netns pids "$ns"); do kill -KILL "$pid" 2>/dev/null || true; done
        ip netns del "$ns"
    done
}
lab_down   # leftovers of an interrupted run
WORK=$(mktemp -d)
trap 'lab_down; rm -rf "$WORK"' EXIT

rt() { ip netns exec "$R" "$@"; }

# --- lab -----------------------------------------------------------------------------------
lab_up() {
    local i ns
    for ns in "$R" "$INET" "${CLIENT_NS[@]}"; do
        ip netns add "$ns"
        ip -n "$ns" link set lo up
    done
    ip -n "$R" link add "$LAN" txqueuelen 0 type bridge   # as on OpenWrt: no default queue
    ip -n "$R" addr add 10.77.0.1/24 dev "$LAN"
    ip -n "$R" link set "$LAN" up
    rt sysctl -qw net.ipv4.ip_forward=1
    for i in "${!CLIENT_NS[@]}"; do
        ns=${CLIENT_NS[$i]}
        ip -n "$R" link add "lan$i" type veth peer name eth0 netns "$ns"
        ip -n "$R" link set "lan$i" master "$LAN" up
        ip -n "$ns" addr add "${CLIENT_IP[$i]}/24" dev eth0
        ip -n "$ns" link set eth0 up
        ip -n "$ns" route add default via 10.77.0.1
    done
    ip -n "$R" link add wan0 type veth peer name eth0 netns "$INET"
    ip -n "$R" addr add 198.51.100.1/24 dev wan0
    ip -n "$R" link set wan0 up
    ip -n "$INET" addr add "$INET_IP/24" dev eth0
    ip -n "$INET" link set eth0 up
    ip -n "$INET" route add 10.77.0.0/24 via 198.51.100.1
    for port in 5201 5202; do
        (ip netns exec "$INET" iperf3 -s -p "$port" >/dev/null 2>&1 &)   # killed with the namespace
    done
    for _ in $(seq 50); do
        [[ $(ip netns exec "$INET" ss -Hltn 'sport >= 5201 and sport <= 5202' | wc -l) -eq 2 ]] && return 0
        sleep 0.1
    done
    echo "bench-speed.sh: iperf3 servers did not start" >&2
    exit 1
}

# --- tc HTB --------------------------------------------------------------------------------
# Per client a.b.c.d, idx = its offset in the client subnet NET (at most a /17, so idx < 0x8000):
# class 1:<idx> (hex) rate = ceil = package rate, its leaf qdisc <idx>: (idx 1, the router, is
# never a client: 1: is the root), and u32 filter 100:<d>:<(idx >> 8) + 1>, i.e. hash table
# 100:, bucket = last octet, node = which /24 of the subnet. 1:8000 is the ACK class.
NET=10.77.0.0/24
handles() {
    local o n
    IFS=. read -r -a o <<<"$1"
    IFS=./ read -r -a n <<<"$NET"
    local idx=$(((o[1] - n[1]) * 65536 + (o[2] - n[2]) * 256 + o[3] - n[3]))
    MINOR=$(printf %x "$idx")
    BUCKET=$(printf %x "${o[3]}")
    NODE=$(printf %x $(((idx >> 8) + 1)))
}

leaf_qdisc() {   # rate_kbit -> leaf qdisc spec
    local rate=$1 bytes=$(($1 * FIFO_MS / 8)) target
    if [[ $HAVE_FQ_CODEL == yes ]]; then
        # Not measured here (this kernel has no fq_codel): codel's target raised to the time
        # of 1.5 full frames on slow classes (5 ms is less than one frame below ~2.4 Mbit/s).
        target=$((18168000 / rate))
        ((target >= 5000)) || target=5000
        echo "fq_codel limit 1000 flows 64 memory_limit 1048576 target ${target}us" \
            "interval $((95000 + target))us"
    else
        echo "bfifo limit $((bytes > FIFO_MIN ? bytes : FIFO_MIN))"
    fi
}

# htb_root DEV dst|src u32|prio: HTB root (unclassified traffic takes the direct queue,
# unshaped), the shared ACK class 1:8000 (prio 0, ahead of the clients' prio 1 classes) for
# small TCP packets (IP length < 128: pure ACKs), so that one direction's data does not delay
# the other direction's ACKs behind it, and for u32: the hash table 100: (256 buckets) that the
# root filter 800::800 hashes into by the last octet of the client address (dst at offset 16
# for download, src at offset 12 for upload).
htb_root() {
    local dev=$1 dir=$2 classify=$3 off=16
    [[ $dir == src ]] && off=12
    rt tc qdisc replace dev "$dev" root handle 1: htb direct_qlen 1000
    if ((ACK_KBIT > 0)); then
        rt tc class replace dev "$dev" parent 1: classid 1:8000 htb prio 0 rate "${ACK_KBIT}kbit" \
            ceil "${ACK_KBIT}kbit" burst 3028 cburst 3028 quantum 1514
        # shellcheck disable=SC2046   # the leaf spec is several words on purpose
        rt tc qdisc replace dev "$dev" parent 1:8000 handle 8000: $(leaf_qdisc "$ACK_KBIT")
        if [[ $classify == u32 ]]; then
            rt tc filter add dev "$dev" parent 1: prio 1 protocol ip handle 800::10 u32 ht 800:: \
                match ip protocol 6 0xff match u16 0 0xff80 at 2 flowid 1:8000
        fi
    fi
    [[ $classify == u32 ]] || return 0
    rt tc filter add dev "$dev" parent 1: prio 1 protocol ip handle 100: u32 divisor 256
    rt tc filter add dev "$dev" parent 1: prio 1 protocol ip handle 800::800 u32 ht 800:: \
        match ip "$dir" "$NET" hashkey mask 0x000000ff at "$off" link 100:
}

# htb_client DEV dst|src IP RATE_KBIT [u32|none]: add or update one client's class (idempotent).
htb_client() {
    local dev=$1 dir=$2 ip=$3 rate=$4 classify=${5:-u32}
    local burst=$((rate * HTB_BURST_MS / 8))
    ((burst >= 3028)) || burst=3028
    handles "$ip"
    rt tc class replace dev "$dev" parent 1: classid "1:$MINOR" htb prio 1 rate "${rate}kbit" \
        ceil "${rate}kbit" burst "$burst" cburst "$burst" quantum 1514
    # shellcheck disable=SC2046   # the leaf spec is several words on purpose
    rt tc qdisc replace dev "$dev" parent "1:$MINOR" handle "$MINOR:" $(leaf_qdisc "$rate")
    [[ $classify == u32 ]] || return 0
    rt tc filter replace dev "$dev" parent 1: prio 1 protocol ip handle "100:$BUCKET:$NODE" u32 \
        ht "100:$BUCKET:" match ip "$dir" "$ip/32" flowid "1:$MINOR"
}

htb_client_del() {   # DEV IP: remove one client's filter and class (idempotent)
    handles "$2"
    rt tc filter del dev "$1" parent 1: prio 1 protocol ip handle "100:$BUCKET:$NODE" u32 2>/dev/null || true
    rt tc class del dev "$1" classid "1:$MINOR" 2>/dev/null || true
}

htb_up() {   # u32|prio: download on br-lan (classes picked by u32 or nft), upload via ifb
    ip -n "$R" link add "$IFB" type ifb
    ip -n "$R" link set "$IFB" up   # mirred drops what it redirects to a down ifb
    rt tc qdisc add dev "$LAN" handle ffff: ingress
    rt tc filter add dev "$LAN" parent ffff: prio 1 protocol ip u32 match u32 0 0 \
        action mirred egress redirect dev "$IFB"
    htb_root "$IFB" src u32
    htb_root "$LAN" dst "$1"
    [[ $1 == prio ]] || return 0
    local ack=""
    ((ACK_KBIT > 0)) && ack="meta l4proto tcp ip length < 128 meta priority set 1:8000"
    rt nft -f - <<EOF
table inet hsbench {
    map prio_down { type ipv4_addr : classid; }
    chain forward {
        type filter hook forward priority 0; policy accept;
        meta priority set ip daddr map @prio_down
        $ack
    }
}
EOF
}

htb_set() {   # u32|prio IP DOWN_KBIT UP_KBIT
    local classify=$1 ip=$2
    if [[ $classify == u32 ]]; then
        htb_client "$LAN" dst "$ip" "$3"
    else
        htb_client "$LAN" dst "$ip" "$3" none
        handles "$ip"
        rt nft add element inet hsbench prio_down "{ $ip : 1:$MINOR }"
    fi
    htb_client "$IFB" src "$ip" "$4"
}

# --- nftables policing ---------------------------------------------------------------------
nft_up() {
    rt nft -f - <<'EOF'
table inet hsbench {
    map down { type ipv4_addr : limit; }
    map up { type ipv4_addr : limit; }
    chain forward {
        type filter hook forward priority 0; policy accept;
        limit name ip daddr map @down drop
        limit name ip saddr map @up drop
    }
}
EOF
}

nft_set() {   # IP DOWN_KBIT UP_KBIT
    local ip=$1 name=c${1//./_} dir rate
    for dir in down up; do
        rate=$2
        [[ $dir == up ]] && rate=$3
        rt nft -f - <<EOF
add limit inet hsbench ${name}_$dir { rate over $((rate * 125)) bytes/second burst $((rate * NFT_BURST_MS / 8)) bytes; }
add element inet hsbench $dir { $ip : "${name}_$dir" }
EOF
    done
}

shaping_down() {
    rt nft delete table inet hsbench 2>/dev/null || true
    rt tc qdisc del dev "$LAN" root 2>/dev/null || true
    rt tc qdisc del dev "$LAN" ingress 2>/dev/null || true
    ip -n "$R" link del "$IFB" 2>/dev/null || true
}

# --- measuring -----------------------------------------------------------------------------
cat >"$WORK/ping.py" <<'EOF'
# ping.py HOST DELAY DURATION: ICMP echo every 0.2 s from DELAY for DURATION seconds (raw
# socket, no iputils needed); prints the median RTT in ms and the replies/requests count.
import os, select, socket, statistics, struct, sys, time
host, delay, duration = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s >> 16) + (s & 0xFFFF); s += s >> 16
    return ~s & 0xFFFF
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident, sent, rtts = os.getpid() & 0xFFFF, {}, []
time.sleep(delay)
end, seq, nxt = time.monotonic() + duration, 0, time.monotonic()
while time.monotonic() < end + 1:
    now = time.monotonic()
    if now >= nxt and now < end:
        seq += 1; body = b"hsb-rtt-probe-16"
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        sock.sendto(struct.pack("!BBHHH", 8, 0, csum(hdr + body), ident, seq) + body, (host, 0))
        sent[seq] = now; nxt += 0.2
    if select.select([sock], [], [], max(0.0, min(nxt, end + 1) - time.monotonic()))[0]:
        pkt = sock.recv(2048); ihl = (pkt[0] & 15) * 4
        typ, _, _, rid, rseq = struct.unpack("!BBHHH", pkt[ihl:ihl + 8])
        if typ == 0 and rid == ident and rseq in sent:
            rtts.append((time.monotonic() - sent.pop(rseq)) * 1000)
print("%.1f %d/%d" % (statistics.median(rtts) if rtts else -1, len(rtts), seq))
EOF

# measure LABEL CASE DIR SPEC...: run one iperf3 per SPEC (client_index:rate_kbit, for bidir
# client_index:down_kbit/up_kbit) at once, all in direction DIR (down, up or bidir: both at
# once over one client's two connections) and print one table row per client and direction.
measure() {
    local label=$1 case=$2 dir=$3 spec i rate rflag=() pids=()
    shift 3
    [[ $dir == down ]] && rflag=(-R)
    [[ $dir == bidir ]] && rflag=(--bidir)
    for spec in "$@"; do
        i=${spec%%:*}
        ip netns exec "${CLIENT_NS[$i]}" iperf3 -c "$INET_IP" -p $((5201 + i)) -O 2 -t "$SECS" \
            "${rflag[@]}" -J >"$WORK/iperf$i.json" 2>&1 &
        pids+=($!)
        ip netns exec "${CLIENT_NS[$i]}" python3 "$WORK/ping.py" "$INET_IP" 3 $((SECS - 1)) \
            >"$WORK/ping$i.txt" 2>&1 &
        pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || true; done
    for spec in "$@"; do
        i=${spec%%:*} rate=${spec#*:}
        python3 - "$WORK/iperf$i.json" "$WORK/ping$i.txt" "$label" "$case" "c$((i + 1))" "$dir" "$rate" <<'EOF'
import json, sys
path, ping, label, case, client, direction, rate = sys.argv[1:]
rtt, replies = (open(ping).read().split() + ["?", "?"])[:2]
rows = [(direction, "", rate)]   # sum_sent/sum_received: the test's direction
if direction == "bidir":         # client -> server is upload, *_bidir_reverse the download
    rows = [("down", "_bidir_reverse", rate.split("/")[0]), ("up", "", rate.split("/")[1])]
for direction, suffix, rate in rows:
    rate = int(rate)
    try:
        res = json.load(open(path))
        end, mss = res["end"], res["start"].get("tcp_mss_default") or 1448
        sent = end["sum_sent" + suffix]
        bps, retr = end["sum_received" + suffix]["bits_per_second"], sent.get("retransmits", -1)
        loss = 100.0 * retr / max(1, sent["bytes"] / mss)
    except (ValueError, KeyError) as err:
        bps, retr, loss = 0.0, -1, -1
        print("iperf3 failed (%s): %s" % (err, open(path).read()[-300:].strip()), file=sys.stderr)
    print("%-9s %-10s %-6s %-4s %7d %9.0f %6.2f %7d %6.1f %7s %8s" % (label, case, client,
          direction, rate, bps / 1000, bps / 1000 / rate, retr, loss, rtt, replies))
EOF
    done
}

header() {
    printf '%-9s %-10s %-6s %-4s %7s %9s %6s %7s %6s %7s %8s\n' mechanism case client dir \
        rate measured ratio retrans "retr" "rtt ms" pings \
        "" "" "" "" kbit/s kbit/s "" "" "%" p50 ok/sent
}

# --- run -----------------------------------------------------------------------------------
lab_up
HAVE_FQ_CODEL=no
if rt tc qdisc add dev lo root handle 1: fq_codel 2>/dev/null; then
    HAVE_FQ_CODEL=yes
    rt tc qdisc del dev lo root
fi
echo "kernel $(uname -r); HTB leaf: $(leaf_qdisc 1000) (at 1 Mbit/s); ${SECS}s per run"

# Idempotency of the per-client tc commands: add twice (second time with a new rate), then
# delete twice; count what exists for client 10.77.0.11 (class 1:b) after each.
c1_state() {
    local c f l
    c=$(rt tc class show dev "$LAN" | grep -c 'class htb 1:b ' || true)
    f=$(rt tc filter show dev "$LAN" | grep -c 'flowid 1:b ' || true)
    l=$(rt tc qdisc show dev "$LAN" | grep -c 'qdisc [a-z_]* b: parent 1:b ' || true)
    echo "$c class, $f filter, $l leaf"
}
htb_up u32
htb_client "$LAN" dst 10.77.0.11 1000
htb_client "$LAN" dst 10.77.0.11 2000
added="$(c1_state) ($(rt tc class show dev "$LAN" classid 1:b | grep -o 'rate [^ ]*'))"
htb_client_del "$LAN" 10.77.0.11
htb_client_del "$LAN" 10.77.0.11
echo "idempotency: after 2 adds: $added; after 2 deletes: $(c1_state)"
shaping_down
echo "idle rtt: $(ip netns exec "${CLIENT_NS[0]}" python3 "$WORK/ping.py" "$INET_IP" 0 2 | cut -d' ' -f1) ms"
echo

header
for mech in ${MECHS:-htb htb-prio nft}; do
    shaping_down
    case $mech in
        htb) htb_up u32; setter=(htb_set u32) ;;
        htb-prio) htb_up prio; setter=(htb_set prio) ;;
        nft) nft_up; setter=(nft_set) ;;
        *) echo "bench-speed.sh: unknown mechanism $mech in MECHS" >&2; exit 2 ;;
    esac
    "${setter[@]}" "${CLIENT_IP[0]}" 1000 512
    measure "$mech" "1 client" down 0:1000
    [[ $mech == htb-prio ]] || measure "$mech" "1 client" up 0:512
    "${setter[@]}" "${CLIENT_IP[1]}" 4000 1000
    measure "$mech" "2 clients" down 0:1000 1:4000
    [[ $mech == htb-prio ]] || measure "$mech" "2 clients" up 0:512 1:1000
    [[ $mech == htb-prio ]] || measure "$mech" "bidir" bidir 0:1000/512
done
shaping_down

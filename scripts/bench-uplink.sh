#!/usr/bin/env bash
# Measures logins and cut-offs while the uplink is dead (design: a dead or slow uplink must
# not touch them; login → forwarded ≤ 50 ms p99, expiry ≤ 2 s late).
#
#   sudo scripts/bench-uplink.sh [--rounds 5]
#
# Each round is tests/uplink_dead.rs's lab scenario (network namespaces, real nft): Daraja and
# the SMS gateway on the internet host behind ports whose packets are dropped, 12 payments
# waiting for their results, 4 SMS waiting to be sent, 4 payers pressing "pay" again and
# again; then a voucher login (click → the device reaches the internet host) and a 15 s
# package (when the kernel cuts it, when the daemon records it, against click + 15 s).
# It runs against the release binary; HOTSPOTD_BIN=PATH measures another build (an older
# one to compare). Needs root, ip, nft, curl, python3.
set -euo pipefail
# shellcheck source=scripts/bench-common.sh
source "$(dirname "$0")/bench-common.sh"
bench_setup bench-uplink uplink_dead "$@"

online=() cut=() recorded=() payers=()
for _ in $(seq 1 "$ROUNDS"); do
  out=$(cd "$ROOT"; HOTSPOTD_BIN="$BIN" cargo test --locked -q --test uplink_dead -- --nocapture 2>&1 || true)
  online+=("$(sed -n 's/^dead uplink: login answered in [0-9]* ms, device online \([0-9]*\) ms.*/\1/p' <<<"$out")")
  cut+=("$(sed -n 's/^dead uplink: short package cut \([-+0-9.]*\) s.*/\1/p' <<<"$out")")
  recorded+=("$(sed -n 's/^dead uplink: short package cut .*recorded ended \([-+0-9.]*\) s.*/\1/p' <<<"$out")")
  payers+=("$(sed -n 's/^dead uplink: \(.* answers to payers.*\)/\1/p' <<<"$out")")
  grep -q "test result: ok" <<<"$out" || echo "round failed: $(grep -m1 -E 'delayed|late|waited|never|must' <<<"$out" || echo '?')" >&2
done

echo "dead uplink, min / median / max ($BIN; machine: $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
echo "  voucher click → online:     $(numbers "${online[@]}" | summary '%.0f ms')"
echo "  15 s package cut by kernel: $(numbers "${cut[@]}" | summary '%+.2f s') from click + 15 s"
echo "  its end recorded:           $(numbers "${recorded[@]}" | summary '%+.2f s') from click + 15 s"
echo "  payers (last round):        ${payers[-1]:--}"

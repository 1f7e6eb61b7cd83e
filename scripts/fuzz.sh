#!/usr/bin/env bash
# Fuzzes every parser of outside input: runs each cargo-fuzz target in fuzz/ for SECONDS
# (default 30) on the nightly toolchain, one after the other, and prints per target the
# inputs executed and whether it found anything. Exits non-zero if any target crashed
# (a panic, a failed property, a timeout or a memory blow-up); the input that did it is
# in fuzz/artifacts/TARGET/ (replay: cargo +nightly fuzz run TARGET FILE).
#
#   scripts/fuzz.sh [SECONDS]
#
# Needs a nightly toolchain (rustup toolchain install nightly); installs cargo-fuzz if it
# is missing. The corpus grows in fuzz/corpus/TARGET/ (git-ignored), starting from the
# committed seeds in fuzz/seeds/TARGET/. Debug assertions are on: an integer overflow is
# a crash too. The properties checked are in tests/properties/ (the same as
# tests/parser_properties.rs checks on stable).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-30}
if [[ ! "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS]  (seconds per target, default 30)" >&2
  exit 2
fi
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "scripts/fuzz.sh: needs the nightly toolchain: rustup toolchain install nightly" >&2
  exit 1
fi
if ! command -v cargo-fuzz >/dev/null; then
  echo "== installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi

echo "== building the fuzz targets (nightly, sanitizer, debug assertions)" >&2
cargo +nightly fuzz build --debug-assertions >&2

mapfile -t targets < <(cargo +nightly fuzz list)
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
crashed=()
printf '%-16s %14s  %s\n' target executions result
for target in "${targets[@]}"; do
  corpus=fuzz/corpus/$target
  mkdir -p "$corpus" "fuzz/artifacts/$target"
  dirs=("$corpus")
  [[ -d fuzz/seeds/$target ]] && dirs+=("fuzz/seeds/$target")
  log=$logs/$target.log
  status=0
  cargo +nightly fuzz run --debug-assertions "$target" "${dirs[@]}" -- \
    -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1 || status=$?
  executions=$(awk '/stat::number_of_executed_units:/ {print $2}' "$log" | tail -n 1)
  if ((status == 0)); then
    result="nothing found"
  else
    crashed+=("$target")
    artifact=$(grep -o 'fuzz/artifacts/[^ ]*' "$log" | tail -n 1 || true)
    result="FOUND: ${artifact:-see the log below}"
  fi
  printf '%-16s %14s  %s\n' "$target" "${executions:-?}" "$result"
  if ((status != 0)); then
    { grep -A 2 'panicked at' "$log" | head -n 3; grep -E 'ERROR: libFuzzer|SUMMARY' "$log" | head -n 2; } | cut -c 1-400 | sed 's/^/    /' || true
  fi
done

if ((${#crashed[@]})); then
  echo "scripts/fuzz.sh: ${#crashed[@]} target(s) found a crash: ${crashed[*]}" >&2
  exit 1
fi
echo "scripts/fuzz.sh: ${#targets[@]} targets, $seconds s each, nothing found" >&2

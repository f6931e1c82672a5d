#!/usr/bin/env bash
# Cold and incremental debug build times of examples/things (Peregrine) and bench/peers/axum-things (the same
# API on axum 0.8), interleaved round by round:   bench/scripts/build-times.sh [ROUNDS]   (default 3)
# Cold: a fresh target directory (crates already downloaded). Incremental: the app's own source touched, then
# rebuilt. Prints each run and the medians. Run it on a quiet machine: it measures wall-clock seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo fetch -q
(cd bench && cargo fetch -q)
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
build_things() { CARGO_TARGET_DIR=$work/things cargo build -q -p things; }
build_axum() { (cd bench && CARGO_TARGET_DIR=$work/axum cargo build -q -p axum-things); }
declare -A runs
for r in $(seq "$rounds"); do
  rm -rf "$work/things" "$work/axum"
  runs[things_cold]+="$(secs build_things) "
  runs[axum_cold]+="$(secs build_axum) "
  touch examples/things/src/lib.rs
  runs[things_incremental]+="$(secs build_things) "
  touch bench/peers/axum-things/src/main.rs
  runs[axum_incremental]+="$(secs build_axum) "
done
median() { printf '%s\n' $1 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '| build | runs (s) | median (s) |\n|---|---|---|\n'
for k in things_cold axum_cold things_incremental axum_incremental; do
  printf '| %s | %s | %s |\n' "$k" "${runs[$k]}" "$(median "${runs[$k]}")"
done

#!/usr/bin/env bash
# Instructions per router lookup, Peregrine's router beside matchit, on the tables of 100 and 1,000
# templates (crates/peregrine/benches/support/route_tables.rs), paths with randomised ids:
#   bench/scripts/router-callgrind.sh [SIZES] [WHICH]     (defaults: "100 1000", "all two-field")
# WHICH: `all` draws routes at random, `two-field` looks up /users/{id:int}/members/{login} only, `route:K`
# the table's route K alone (peers/inproc/src/router.rs says which K is which). Runs `inproc router` under
# callgrind with N1 and N2 lookups (default 20,000 and 120,000) and prints
# (instructions(N2) - instructions(N1)) / (N2 - N1): table building and start-up cancel out. Builds
# `inproc` when it is missing; reads it from $CARGO_TARGET_DIR (default bench/target).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=${1:-100 1000}
which=${2:-all two-field}
n1=${N1:-20000} n2=${N2:-120000}
bin=${CARGO_TARGET_DIR:-target}/release/inproc
[ -x "$bin" ] || cargo build --release -q -p inproc
[ -x "$bin" ] || { echo "no $bin: build it with (cd bench && cargo build --release -p inproc)" >&2; exit 1; }
count() { # router size which n -> instructions
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" router "$@" 2>&1 >/dev/null \
    | awk '/Collected :/ {print $NF}'
}
printf '| table | lookups | peregrine | matchit | ratio |\n|---|---|---:|---:|---:|\n'
for size in $sizes; do
  for w in $which; do
    per() { local a b; a=$(count "$1" "$size" "$w" "$n1"); b=$(count "$1" "$size" "$w" "$n2"); echo $(( (b - a) / (n2 - n1) )); }
    ours=$(per peregrine) theirs=$(per matchit)
    printf '| %s | %s | %s | %s | %s |\n' "$size" "$w" "$ours" "$theirs" "$(awk -v a="$ours" -v b="$theirs" 'BEGIN {printf "%.2f", a / b}')"
  done
done

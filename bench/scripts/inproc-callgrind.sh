#!/usr/bin/env bash
# In-process instructions per request for each framework's in-memory service (no socket, no server):
#   bench/scripts/inproc-callgrind.sh [FRAMEWORKS] [ENDPOINTS]     (defaults: "peregrine axum actix", "plaintext json")
# Runs bench/target/release/inproc under callgrind with N1 and N2 requests (default 2,000 and 12,000) and
# prints (instructions(N2) - instructions(N1)) / (N2 - N1), so process start-up and app set-up cancel out.
# callgrind counts instructions, not time: the figure repeats on a noisy machine. Needs valgrind; builds
# `inproc` when it is missing and reads it from $CARGO_TARGET_DIR (default bench/target).
set -euo pipefail
cd "$(dirname "$0")/.."
frameworks=${1:-peregrine axum actix}
endpoints=${2:-plaintext json}
n1=${N1:-2000} n2=${N2:-12000}
bin=${CARGO_TARGET_DIR:-target}/release/inproc
[ -x "$bin" ] || cargo build --release -q -p inproc
[ -x "$bin" ] || { echo "no $bin: build it with (cd bench && cargo build --release -p inproc)" >&2; exit 1; }
count() { # framework endpoint n -> instructions
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" "$3" 2>&1 >/dev/null \
    | awk '/Collected :/ {print $NF}'
}
printf '| endpoint | framework | instructions/request |\n|---|---|---|\n'
for endpoint in $endpoints; do
  for framework in $frameworks; do
    a=$(count "$framework" "$endpoint" "$n1")
    b=$(count "$framework" "$endpoint" "$n2")
    printf '| %s | %s | %s |\n' "$endpoint" "$framework" "$(( (b - a) / (n2 - n1) ))"
  done
done

#!/usr/bin/env bash
# Peregrine and raw hyper on CPU 0 at the same time, each under its own `wrk -t1` on CPU 1, for the same
# seconds: both servers share every slow or fast moment of the machine, so their ratio does not swing with
# it the way the ratio of two runs taken one after the other does. The kernel gives each server half of the
# core; the requests each serves in that half are its efficiency at saturation.
#
#   bench/scripts/corun.sh [PATH] [CONNECTIONS]      (defaults: /json 500, per server)
#
# One line per round: requests each served, their ratio, and CPU µs per request (user+system, user) of each,
# read from /proc. CONTROL=1 runs raw hyper against itself instead (the method's own bias: expect ~1.00).
# SECOND="env VAR=... COMMAND" replaces raw hyper with another server listening on 127.0.0.1:8001 (say,
# Peregrine with a setting changed), still reported as "hyper".
# Both share the core's caches too, so a larger working set costs more here than alone. Environment: ROUNDS
# (5), DURATION (5s). Needs wrk and the peers built (`cd bench && cargo build --release -p peregrine-peer
# -p hyper-raw`).
set -euo pipefail
cd "$(dirname "$0")/../.."
path=${1:-/json} conns=${2:-500}
bin=bench/target/release
first=(env PEREGRINE_ADDR=127.0.0.1:8011 PEREGRINE_WORKERS=1 "$bin/peregrine-peer") first_name=peregrine
[ -n "${CONTROL:-}" ] && first=(env HYPER_ADDR=127.0.0.1:8011 "$bin/hyper-raw") first_name=hyper-b
second=(env HYPER_ADDR=127.0.0.1:8001 "$bin/hyper-raw")
[ -n "${SECOND:-}" ] && read -r -a second <<<"$SECOND"
out=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$out"' EXIT
ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }
echo "# corun $path -c$conns per server, $(date -u +%F), $(uname -r)"
for round in $(seq "${ROUNDS:-5}"); do
  taskset -c 0 "${first[@]}" >/dev/null 2>&1 &
  a=$!
  taskset -c 0 "${second[@]}" >/dev/null 2>&1 &
  b=$!
  pids=("$a" "$b")
  for port in 8011 8001; do
    for _ in $(seq 50); do curl -fs -o /dev/null "http://127.0.0.1:$port$path" && break; sleep 0.1; done
  done
  # Warm-up, both at once.
  taskset -c 1 wrk -t1 -c"$conns" -d1s "http://127.0.0.1:8011$path" >/dev/null &
  w=$!
  taskset -c 1 wrk -t1 -c"$conns" -d1s "http://127.0.0.1:8001$path" >/dev/null
  wait "$w"
  read -r au0 as0 <<<"$(ticks "$a")"
  read -r bu0 bs0 <<<"$(ticks "$b")"
  taskset -c 1 wrk -t1 -c"$conns" -d"${DURATION:-5s}" "http://127.0.0.1:8011$path" >"$out/a" &
  w=$!
  taskset -c 1 wrk -t1 -c"$conns" -d"${DURATION:-5s}" "http://127.0.0.1:8001$path" >"$out/b"
  wait "$w"
  read -r au1 as1 <<<"$(ticks "$a")"
  read -r bu1 bs1 <<<"$(ticks "$b")"
  kill "$a" "$b"
  wait "$a" "$b" 2>/dev/null || true
  ar=$(awk '/requests in/ {print $1}' "$out/a")
  br=$(awk '/requests in/ {print $1}' "$out/b")
  awk -v n="$round" -v an="$first_name" -v ar="$ar" -v br="$br" -v t="$(getconf CLK_TCK)" \
      -v au=$((au1 - au0)) -v as=$((as1 - as0)) -v bu=$((bu1 - bu0)) -v bs=$((bs1 - bs0)) \
      'BEGIN { printf "round=%d %s=%d hyper=%d ratio=%.3f cpu_us/req %s=%.2f (user %.2f) hyper=%.2f (user %.2f)\n",
               n, an, ar, br, ar / br, an, (au + as) / t * 1e6 / ar, au / t * 1e6 / ar,
               (bu + bs) / t * 1e6 / br, bu / t * 1e6 / br }'
done

#!/usr/bin/env bash
# A soak below saturation: the users API on SQLite (its default) gets the CRUD mix (bench/scripts/crud.lua:
# 75 % reads, 20 % creates, 5 % deletes) from `wrk -c10`, each connection pausing CRUD_DELAY_MS (default 2)
# before each request, for MINUTES (default 20); first 10 s unpaced measure the saturated rate to compare.
# RSS, open descriptors and threads are sampled every 30 s; prints the samples and the drift from the
# first minute to the end (goal: under 5 %).
set -euo pipefail
cd "$(dirname "$0")/../.."
minutes=${MINUTES:-20}
cargo build --release -q -p users
dir=$(mktemp -d)
env DATABASE_URL="sqlite://$dir/soak.db?mode=rwc" PEREGRINE_ADDR=127.0.0.1:8005 RUST_LOG=warn \
  taskset -c 0 target/release/users >/tmp/soak-server.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -fs -o /dev/null http://127.0.0.1:8005/health && break; sleep 0.1; done
echo "saturated: $(taskset -c 1 wrk -t1 -c10 -d10s -s bench/scripts/crud.lua http://127.0.0.1:8005 -- 20 | grep Requests/sec)"
CRUD_DELAY_MS=${CRUD_DELAY_MS:-2} taskset -c 1 wrk -t1 -c10 -d"${minutes}m" -s bench/scripts/crud.lua \
  http://127.0.0.1:8005 -- 20 >/tmp/soak-wrk.txt 2>&1 &
wrk_pid=$!
sample() {
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  fds=$(ls "/proc/$pid/fd" | wc -l)
  threads=$(awk '/Threads/ {print $2}' "/proc/$pid/status")
  echo "$(date +%T) rss_kib=$rss fds=$fds threads=$threads"
}
: >/tmp/soak-samples.txt
while kill -0 $wrk_pid 2>/dev/null; do sample >>/tmp/soak-samples.txt; sleep 30; done
cat /tmp/soak-samples.txt
grep -E "requests in|Requests/sec|Non-2xx|Socket errors|statuses" /tmp/soak-wrk.txt
awk 'NR == 3 {split($2, a, "="); r0 = a[2]; split($3, b, "="); f0 = b[2]}
     {split($2, a, "="); r = a[2]; split($3, b, "="); f = b[2]}
     END {printf "drift from minute 1 to the end: RSS %+.1f %%, fds %+.1f %%\n", 100 * (r - r0) / r0, 100 * (f - f0) / f0}' \
  /tmp/soak-samples.txt

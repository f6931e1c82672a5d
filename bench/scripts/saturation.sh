#!/usr/bin/env bash
# Saturation: GET /wait/50 (a 50 ms await) on Peregrine with PEREGRINE_MAX_CONCURRENT_REQUESTS=256, driven by
# `wrk -c2000` (CPU 1) for DURATION, server on CPU 0. While it runs, a probe on CPU 1 sends PROBES sequential
# requests with curl and records each status and time, so the 503s' latency can be read separately.
# Prints wrk's latency summary, the status counts and socket errors (status.lua), and the probe's p50/p99 by
# status.
set -euo pipefail
cd "$(dirname "$0")/../.."
ulimit -n "$(ulimit -Hn)"
duration=${DURATION:-20s} probes=${PROBES:-400}
env PEREGRINE_ADDR=127.0.0.1:8000 PEREGRINE_MAX_CONCURRENT_REQUESTS=256 \
  taskset -c 0 bench/target/release/peregrine-peer >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs -o /dev/null http://127.0.0.1:8000/plaintext && break; sleep 0.1; done
url=http://127.0.0.1:8000/wait/50
taskset -c 1 wrk -t1 -c2000 -d5s "$url" >/dev/null
taskset -c 1 wrk -t1 -c2000 -d"$duration" --latency -s bench/scripts/status.lua "$url" > /tmp/saturation-wrk.txt &
wrk_pid=$!
sleep 3
for _ in $(seq "$probes"); do
  taskset -c 1 curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "$url"
done > /tmp/saturation-probe.txt
wait $wrk_pid
sed -n '/Latency Distribution/,/Requests\/sec/p' /tmp/saturation-wrk.txt
grep -E 'statuses|socket errors|Non-2xx' /tmp/saturation-wrk.txt
for code in 200 503; do
  grep "^$code " /tmp/saturation-probe.txt | awk '{print $2 * 1000}' | sort -n | awk -v c="$code" '
    { v[NR] = $1 }
    END {
      if (!NR) exit
      i50 = int(NR * 0.5) + 1; i99 = int(NR * 0.99) + 1; if (i99 > NR) i99 = NR
      printf "probe %s: n=%d p50=%.2fms p99=%.2fms max=%.2fms\n", c, NR, v[i50], v[i99], v[NR]
    }'
done
grep -vE '^(200|503) ' /tmp/saturation-probe.txt | sort | uniq -c | sed 's/^/probe other: /' || true

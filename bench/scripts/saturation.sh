#!/usr/bin/env bash
# Saturation: GET /wait/50 (a 50 ms await) on Peregrine with PEREGRINE_MAX_CONCURRENT_REQUESTS=256, driven by
# `wrk -c2000` (CPU 1) for DURATION, server on CPU 0. While it runs, two probes on CPU 1 each send PROBES
# sequential requests (one every 5 ms) and record each status and time, so the 503s' latency can be read on
# its own: first over one keep-alive connection, then each on a new connection (connect and accept
# included). The probes run at real-time priority (`chrt -f 50`): wrk keeps CPU 1 busy, and without it a
# probe's time would mostly be its wait for that CPU, not the server's answer.
# Prints wrk's latency summary (closed loop: 2,000 connections that ask again at once, so by Little's law
# their latency is mostly queueing), the status counts and socket errors (status.lua), and each probe's
# p50/p99/max by status. SERVER picks the binary (default: the bench build of peregrine-peer).
set -euo pipefail
cd "$(dirname "$0")/../.."
ulimit -n "$(ulimit -Hn)"
duration=${DURATION:-20s} probes=${PROBES:-600}
server=${SERVER:-bench/target/release/peregrine-peer}
env PEREGRINE_ADDR=127.0.0.1:8000 PEREGRINE_MAX_CONCURRENT_REQUESTS=256 taskset -c 0 "$server" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs -o /dev/null http://127.0.0.1:8000/plaintext && break; sleep 0.1; done
url=http://127.0.0.1:8000/wait/50
taskset -c 1 wrk -t1 -c2000 -d5s "$url" >/dev/null
taskset -c 1 wrk -t1 -c2000 -d"$duration" --latency -s bench/scripts/status.lua "$url" > /tmp/saturation-wrk.txt &
wrk_pid=$!
sleep 2
for mode in keepalive fresh; do
  chrt -f 50 taskset -c 1 python3 bench/scripts/probe.py "$url" "$probes" 0.005 "$mode" > "/tmp/saturation-probe-$mode.txt"
done
wait $wrk_pid
sed -n '/Latency Distribution/,/Requests\/sec/p' /tmp/saturation-wrk.txt
grep -E 'statuses|socket errors' /tmp/saturation-wrk.txt
for mode in keepalive fresh; do
  for code in 200 503; do
    grep "^$code " "/tmp/saturation-probe-$mode.txt" | awk '{print $2 * 1000}' | sort -n | awk -v c="$code" -v m="$mode" '
      { v[NR] = $1 }
      END {
        if (!NR) exit
        i50 = int(NR * 0.5) + 1; i99 = int(NR * 0.99) + 1; if (i99 > NR) i99 = NR
        printf "probe %s %s: n=%d p50=%.2fms p99=%.2fms max=%.2fms\n", m, c, NR, v[i50], v[i99], v[NR]
      }'
  done
  grep -vE '^(200|503) ' "/tmp/saturation-probe-$mode.txt" | sort | uniq -c | sed "s/^/probe $mode other: /" || true
done

#!/usr/bin/env bash
# Slow request bodies (issue 16, kind 3): CONNS connections (default 2,000) each send a POST head announcing
# a 100 kB body, then a byte every 5 s, reconnecting when closed; meanwhile a normal client (`wrk -c50`,
# /json) is measured. Each of ROUNDS rounds (default 3) measures the client alone (baseline) and during the
# attack (after 15 s of it, so the attack's connections are all open and its first ones have been timed
# out); prints success (2xx of all requests, errors counted as failures) and p99 for both, and the ratio.
# The server (peregrine-peer, defaults: max_concurrent_requests 1,024, body_read_timeout 10 s,
# min_body_rate 1 KiB/s) runs on CPU 0, wrk and the attacker on CPU 1.
set -euo pipefail
cd "$(dirname "$0")/../.."
ulimit -n "$(ulimit -Hn)"
conns=${CONNS:-2000} rounds=${ROUNDS:-3} duration=${DURATION:-15}
env PEREGRINE_ADDR=127.0.0.1:8000 PEREGRINE_MAX_CONNECTIONS=25000 taskset -c 0 bench/target/release/peregrine-peer \
  >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs -o /dev/null http://127.0.0.1:8000/plaintext && break; sleep 0.1; done

# Prints "requests non2xx errors p99_ms" for one wrk run.
measure() {
  taskset -c 1 wrk -t1 -c50 -d"${duration}s" --latency http://127.0.0.1:8000/json | awk '
    /requests in/ {req=$1}
    /Non-2xx/ {non=$NF}
    /Socket errors/ {gsub(",", ""); err=$4+$6+$8+$10}
    /^ +99%/ {v=$2; if (v ~ /us$/) {sub("us","",v); v/=1000} else if (v ~ /ms$/) {sub("ms","",v)} else if (v ~ /s$/) {sub("s","",v); v*=1000}; p99=v}
    END {printf "%d %d %d %.2f\n", req, non+0, err+0, p99}'
}

printf "%-6s %-9s %10s %9s %9s %10s\n" round phase requests success p99_ms p99_ratio
for round in $(seq "$rounds"); do
  read -r req non err base_p99 < <(measure)
  awk -v r="$round" -v q="$req" -v n="$non" -v e="$err" -v p="$base_p99" \
    'BEGIN {printf "%-6s %-9s %10d %8.3f%% %9.2f %10s\n", r, "baseline", q, 100*(q-n)/(q+e), p, "1.00"}'
  taskset -c 1 python3 bench/faults/slow_body_attack.py 127.0.0.1 8000 "$conns" 5 > /tmp/slow-bodies.attack &
  attack=$!
  sleep 15
  read -r req non err p99 < <(measure)
  kill -TERM $attack; wait $attack || true
  awk -v r="$round" -v q="$req" -v n="$non" -v e="$err" -v p="$p99" -v b="$base_p99" \
    'BEGIN {printf "%-6s %-9s %10d %8.3f%% %9.2f %10.2f\n", r, "attack", q, 100*(q-n)/(q+e), p, p/b}'
  sed 's/^/       /' /tmp/slow-bodies.attack
  sleep 2
done

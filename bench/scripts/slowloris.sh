#!/usr/bin/env bash
# slowloris against Peregrine: slowhttptest (Debian's package) holds CONNS connections that send a header
# line every 10 s, while `wrk -c50` measures /json; both on CPU 1, the server on CPU 0 with its defaults
# (header-read timeout 10 s). Prints wrk's figures during the attack and slowhttptest's last status lines.
set -euo pipefail
cd "$(dirname "$0")/../.."
ulimit -n "$(ulimit -Hn)"
conns=${CONNS:-4000}
env PEREGRINE_ADDR=127.0.0.1:8000 taskset -c 0 bench/target/release/peregrine-peer >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs -o /dev/null http://127.0.0.1:8000/plaintext && break; sleep 0.1; done
taskset -c 1 slowhttptest -H -c "$conns" -i 10 -r 1000 -l 40 -t GET -u http://127.0.0.1:8000/plaintext \
  -o /tmp/slowloris >/tmp/slowloris.log 2>&1 &
attack=$!
sleep 10
echo "during the attack (10 s in, $conns slow connections opened at 1000/s):"
taskset -c 1 wrk -t1 -c50 -d20s --latency http://127.0.0.1:8000/json | grep -E 'Requests/sec|99%|Socket errors|Non-2xx'
wait $attack || true
grep -E 'pending connections|connected|closed|error|service available' /tmp/slowloris.log | tail -6

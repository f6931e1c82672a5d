#!/usr/bin/env bash
# Out of file descriptors: peregrine-peer runs under `prlimit --nofile=256` while bench/scripts/idle_conns.py
# opens 600 keep-alive connections and holds them 10 s; the server must neither crash nor spin (its CPU time
# during the hold is printed: a spinning accept loop would use a whole core), and must serve again once the
# connections are gone.
set -euo pipefail
cd "$(dirname "$0")/../.."
env PEREGRINE_ADDR=127.0.0.1:8004 prlimit --nofile=256 taskset -c 0 bench/target/release/peregrine-peer \
  >/tmp/emfile-server.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs -o /dev/null http://127.0.0.1:8004/plaintext && break; sleep 0.1; done
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
taskset -c 1 python3 bench/scripts/idle_conns.py 127.0.0.1 8004 600 10 >/tmp/emfile-clients.log 2>&1 &
clients=$!
sleep 3
before=$(ticks)
sleep 5
after=$(ticks)
during=$(curl -s -o /dev/null -m 2 -w "%{http_code}" http://127.0.0.1:8004/plaintext || true)
wait $clients || true
sleep 1
again=$(curl -s -o /dev/null -m 2 -w "%{http_code}" http://127.0.0.1:8004/plaintext || true)
hz=$(getconf CLK_TCK)
echo "server CPU during 5 s at the descriptor limit: $(echo "scale=2; ($after - $before) / $hz" | bc) s"
echo "a new request at the limit: ${during:-none}; after the connections closed: $again"
echo "server alive: $(kill -0 $pid 2>/dev/null && echo yes || echo no)"
tail -3 /tmp/emfile-clients.log

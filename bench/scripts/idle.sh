#!/usr/bin/env bash
# 10,000 idle keep-alive connections held open while /json runs under `wrk -c100`, for one server:
#   bench/scripts/idle.sh peregrine|axum|hyper|actix
# Prints the server's RSS before and with the idle connections (and KiB per connection), wrk's figures, and
# how many idle connections the server closed. Peregrine runs with PEREGRINE_HEADER_READ_TIMEOUT_MS=120000
# here, because its default 10 s also closes idle keep-alive connections, which is not what this measures.
set -euo pipefail
cd "$(dirname "$0")/../.."
ulimit -n "$(ulimit -Hn)"
n=${IDLE:-10000}
bin=bench/target/release
case $1 in
  peregrine) port=8000; cmd=(env PEREGRINE_ADDR=127.0.0.1:8000 PEREGRINE_HEADER_READ_TIMEOUT_MS=120000 $bin/peregrine-peer) ;;
  hyper) port=8001; cmd=(env HYPER_ADDR=127.0.0.1:8001 $bin/hyper-raw) ;;
  axum) port=8003; cmd=(env AXUM_ADDR=127.0.0.1:8003 $bin/axum-peer) ;;
  actix) port=8004; cmd=(env ACTIX_ADDR=127.0.0.1:8004 $bin/actix-peer) ;;
esac
taskset -c 0 "${cmd[@]}" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs -o /dev/null "http://127.0.0.1:$port/plaintext" && break; sleep 0.1; done
# The env wrapper exec's the server, so $pid is the server.
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
taskset -c 1 wrk -t1 -c100 -d3s "http://127.0.0.1:$port/json" >/dev/null
before=$(rss)
coproc IDLE { taskset -c 1 python3 bench/scripts/idle_conns.py 127.0.0.1 "$port" "$n" 20; }
read -r line <&"${IDLE[0]}"
with=$(rss)
echo "$1: $line; RSS before ${before} KiB, with idle ${with} KiB, $(( (with - before) * 1024 / n )) bytes per idle connection"
taskset -c 1 wrk -t1 -c100 -d10s --latency "http://127.0.0.1:$port/json" | grep -E 'Requests/sec|99%|Socket errors|Non-2xx'
read -r line <&"${IDLE[0]}"
echo "$1: $line"

#!/usr/bin/env bash
# TechEmpower-style /plaintext and /json at -c100 and -c500, then pipelined /plaintext (16 per write), for
# Peregrine, raw hyper, axum and actix-web, each through wrk-pinned.sh (server on CPU 0, wrk on CPU 1).
# Needs wrk and `(cd bench && cargo build --release)`. PEERS and CONNS narrow the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=bench/target/release
peers=${PEERS:-peregrine hyper axum actix}
conns=${CONNS:-100 500}

command_for() {
  case $1 in
    peregrine) echo "env PEREGRINE_ADDR=127.0.0.1:8000 $bin/peregrine-peer" ;;
    hyper) echo "env HYPER_ADDR=127.0.0.1:8001 $bin/hyper-raw" ;;
    axum) echo "env AXUM_ADDR=127.0.0.1:8003 $bin/axum-peer" ;;
    actix) echo "env ACTIX_ADDR=127.0.0.1:8004 $bin/actix-peer" ;;
  esac
}
port_for() {
  case $1 in peregrine) echo 8000 ;; hyper) echo 8001 ;; axum) echo 8003 ;; actix) echo 8004 ;; esac
}

for endpoint in plaintext json; do
  for c in $conns; do
    for p in $peers; do
      # shellcheck disable=SC2046
      bench/scripts/wrk-pinned.sh "$p-$endpoint" "http://127.0.0.1:$(port_for "$p")/$endpoint" "$c" -- $(command_for "$p")
    done
  done
done
for p in $peers; do
  # shellcheck disable=SC2046
  WRK_ARGS="-s bench/scripts/pipeline.lua -- 16" \
    bench/scripts/wrk-pinned.sh "$p-plaintext-pipelined16" "http://127.0.0.1:$(port_for "$p")/plaintext" 256 -- $(command_for "$p")
done

#!/usr/bin/env bash
# Peregrine's default work-stealing runtime against its per-core mode (PEREGRINE_PER_CORE=1: one
# current-thread runtime per core, SO_REUSEPORT listeners), /plaintext at -c100, pinned (server CPU 0, wrk
# CPU 1) and unpinned (both free on both cores).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=bench/target/release/peregrine-peer
url=http://127.0.0.1:8000/plaintext
for mode in 0 1; do
  name=$([ $mode = 1 ] && echo per_core || echo work_stealing)
  bench/scripts/wrk-pinned.sh "$name-pinned" "$url" 100 -- env PEREGRINE_PER_CORE=$mode PEREGRINE_ADDR=127.0.0.1:8000 $bin
  SERVER_CPUS=0,1 WRK_CPUS=0,1 \
    bench/scripts/wrk-pinned.sh "$name-unpinned" "$url" 100 -- env PEREGRINE_PER_CORE=$mode PEREGRINE_ADDR=127.0.0.1:8000 $bin
done

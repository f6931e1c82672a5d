#!/usr/bin/env bash
# Peregrine's default I/O batch (PEREGRINE_IO_EVENTS_PER_TICK=61: busy connections served in turn) against
# tokio's default (1024), beside raw hyper, in interleaved rounds so that the machine's drift hits all three
# alike: one wrk-pinned.sh run of each per round (server CPU 0, wrk CPU 1).
#
#   bench/scripts/io-events.sh [PATH] [CONNECTIONS]      (defaults: /plaintext 500)
#
# Peregrine runs with PEREGRINE_WORKERS=1 (the single-threaded scheduler, as bench/run starts it) unless the
# environment sets PEREGRINE_WORKERS. Environment: ROUNDS (5), DURATION (5s), WARMUP (2s). Needs wrk and the
# peers built (`cd bench && cargo build --release -p peregrine-peer -p hyper-raw`).
set -euo pipefail
cd "$(dirname "$0")/../.."
path=${1:-/plaintext} conns=${2:-500}
bin=bench/target/release
export DURATION=${DURATION:-5s} WARMUP=${WARMUP:-2s} REPEATS=1
for round in $(seq "${ROUNDS:-5}"); do
  for events in 61 1024; do
    bench/scripts/wrk-pinned.sh "peregrine-io$events" "http://127.0.0.1:8000$path" "$conns" -- \
      env PEREGRINE_WORKERS=${PEREGRINE_WORKERS:-1} PEREGRINE_IO_EVENTS_PER_TICK=$events PEREGRINE_ADDR=127.0.0.1:8000 $bin/peregrine-peer
  done
  bench/scripts/wrk-pinned.sh hyper "http://127.0.0.1:8001$path" "$conns" -- \
    env HYPER_ADDR=127.0.0.1:8001 $bin/hyper-raw
done

#!/usr/bin/env bash
# Memory under many bodies (issue 16, kind 4): N (default 1,000) concurrent chunked uploads of 2 MiB to
# examples/things' `POST /1/things` (a route that lowers its body limit to 64 KiB, so each upload ends in
# 413), while the server's RSS is sampled; prints the statuses, peak RSS during the load and RSS after.
# The server runs on CPU 0 with its defaults (max_body_size 1 MiB, max_body_memory 64 MiB), the uploads on
# CPU 1. Extra PEREGRINE_* settings pass through the environment; PAUSE=S makes each upload stop for S
# seconds after 960 KiB, so all of them hold nearly a megabyte at once.
set -euo pipefail
cd "$(dirname "$0")/../.."
ulimit -n "$(ulimit -Hn)"
n=${N:-1000} size=${SIZE:-2097152}
cargo build --release -q -p things
env PEREGRINE_ADDR=127.0.0.1:8002 taskset -c 0 target/release/things >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:8002/things && break; sleep 0.1; done
taskset -c 1 python3 bench/faults/upload_memory.py "$pid" 127.0.0.1 8002 /1/things "$n" "$size" "X-Auth-Token: t"

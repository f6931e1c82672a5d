#!/usr/bin/env bash
# SIGTERM under load: Peregrine serves GET /wait/1000 (1 s handlers) to `wrk -c100`; after AFTER seconds the
# server gets SIGTERM. A request that was in flight and failed shows up as a read error or a timeout in
# wrk's socket errors; connect errors are new connections refused once the listener has closed, which is
# the point of draining. Prints the status counts, the socket errors and the server's exit status.
set -euo pipefail
cd "$(dirname "$0")/../.."
after=${AFTER:-4.5}
env PEREGRINE_ADDR=127.0.0.1:8000 taskset -c 0 bench/target/release/peregrine-peer >/dev/null 2>&1 &
pid=$!
for _ in $(seq 50); do curl -fs -o /dev/null http://127.0.0.1:8000/plaintext && break; sleep 0.1; done
taskset -c 1 wrk -t1 -c100 -d10s --timeout 5s -s bench/scripts/status.lua http://127.0.0.1:8000/wait/1000 \
  > /tmp/drain-wrk.txt &
wrk_pid=$!
sleep "$after"
kill -TERM $pid
set +e
wait $pid
status=$?
set -e
wait $wrk_pid
grep -E 'requests in|statuses|socket errors' /tmp/drain-wrk.txt
echo "server exit status: $status"

#!/usr/bin/env bash
# Measures one server under ApacheBench (`ab -k`, as the Django-to-Falcon article did): server pinned to CPU 0,
# ab to CPU 1, a warm-up, then REPEATS runs. Prints lines in wrk-pinned.sh's format, so summarize.py reads
# them: requests/s, p50 and p99 (ab's whole milliseconds), failures, server CPU per request.
#
#   bench/scripts/ab-pinned.sh NAME URL CONNECTIONS -- COMMAND [ARGS...]
#
# Environment: DURATION (default 10s; whole seconds), WARMUP (5s), REPEATS (3), SERVER_CPUS (0), AB_CPUS (1).
# ab is one process on one core: above some tens of thousands of requests/s it is the limit, not the server.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
name=$1 url=$2 conns=$3
shift 3
[ "$1" = "--" ] && shift
duration=${DURATION:-10s} warmup=${WARMUP:-5s} repeats=${REPEATS:-3}
server_cpus=${SERVER_CPUS:-0} ab_cpus=${AB_CPUS:-1}

start_server "$server_cpus" "$url" "$@"
# -t before -n: -t alone stops at 50,000 requests.
taskset -c "$ab_cpus" ab -q -k -c "$conns" -t "${warmup%s}" -n 100000000 "$url" >/dev/null 2>&1 || true
for run in $(seq "$repeats"); do
  read -r u0 s0 < <(server_cpu)
  out=$(taskset -c "$ab_cpus" ab -q -k -c "$conns" -t "${duration%s}" -n 100000000 "$url" 2>&1)
  read -r u1 s1 < <(server_cpu)
  requests=$(echo "$out" | awk '/^Complete requests:/ {print $3}')
  rps=$(echo "$out" | awk '/^Requests per second:/ {print $4}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2 "ms"}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2 "ms"}')
  failed=$(echo "$out" | awk '/^Failed requests:/ {print $3}')
  non2xx=$(echo "$out" | awk '/^Non-2xx responses:/ {print $3}')
  errors=
  [ "${failed:-0}" != 0 ] && errors+="failed: $failed; "
  [ -n "${non2xx:-}" ] && errors+="non-2xx: $non2xx; "
  run_line "$name" "$conns" "$run" "$rps" "$p50" "$p99" "$requests" $((u1 - u0)) $((s1 - s0)) "${errors:-0}"
done

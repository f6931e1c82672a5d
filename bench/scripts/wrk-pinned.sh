#!/usr/bin/env bash
# Measures one server under wrk: server pinned to CPU 0, wrk to CPU 1, keep-alive, a warm-up, then REPEATS
# runs. Prints one line per run: requests/s, p50 and p99 latency, errors, and the server's user and system CPU time
# per request (from /proc/<pid>/stat, summed over the server and its child processes, so a pre-fork server
# such as gunicorn counts its workers).
#
#   bench/scripts/wrk-pinned.sh NAME URL CONNECTIONS -- COMMAND [ARGS...]
#
# Environment: DURATION (default 10s), WARMUP (5s), REPEATS (3), WRK_ARGS (extra wrk arguments, such as
# `-s bench/scripts/pipeline.lua -- 16` for pipelining), SERVER_CPUS (0) and WRK_CPUS (1) for taskset.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
name=$1 url=$2 conns=$3
shift 3
[ "$1" = "--" ] && shift
duration=${DURATION:-10s} warmup=${WARMUP:-5s} repeats=${REPEATS:-3}
read -r -a extra <<< "${WRK_ARGS:-}"
server_cpus=${SERVER_CPUS:-0} wrk_cpus=${WRK_CPUS:-1}

start_server "$server_cpus" "$url" "$@"
taskset -c "$wrk_cpus" wrk -t1 -c"$conns" -d"$warmup" "$url" "${extra[@]}" >/dev/null
for run in $(seq "$repeats"); do
  read -r u0 s0 < <(server_cpu)
  out=$(taskset -c "$wrk_cpus" wrk -t1 -c"$conns" -d"$duration" --latency "$url" "${extra[@]}")
  read -r u1 s1 < <(server_cpu)
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {sub(/^ +/, ""); printf "%s; ", $0}')
  # With a script that prints "statuses: 200=N 503=M ..." (status.lua, crud.lua), 503s (load shed by design)
  # are reported apart from the other non-2xx/3xx answers, which are errors.
  statuses=$(echo "$out" | awk '/^statuses:/')
  if [ -n "$statuses" ]; then
    errors=$(echo "$out" | awk '/Socket errors/ {sub(/^ +/, ""); printf "%s; ", $0}')
    errors+=$(echo "$statuses" | awk '{for (i = 2; i <= NF; i++) {split($i, kv, "="); code = kv[1] + 0;
        if (code == 503) shed += kv[2]; else if (code >= 400) bad += kv[2]}}
      END {if (bad) printf "non-2xx/3xx other than 503: %d; ", bad; if (shed) printf "503 (shed): %d; ", shed}')
  fi
  run_line "$name" "$conns" "$run" "$rps" "$p50" "$p99" "$requests" $((u1 - u0)) $((s1 - s0)) "${errors:-0}"
done

#!/usr/bin/env bash
# Instructions per request for a whole server process, counted by callgrind (stable on a noisy machine):
#   bench/scripts/callgrind.sh NAME URL -- COMMAND [ARGS...]
# Starts COMMAND under valgrind (children traced, so `env VAR=... server` works), warms up with wrk, zeroes
# the counters, drives SECONDS (default 6) of `wrk -t1 -c10`, dumps, and divides the instructions counted
# since the zeroing by the requests wrk reports (CONNS connections, default 10). Needs valgrind and wrk. WRK_ARGS adds wrk arguments (such as
# `-s bench/scripts/pipeline.lua -- 16` for pipelining; they go last, after the URL).
set -euo pipefail
name=$1 url=$2
shift 2
[ "$1" = "--" ] && shift
read -r -a extra <<< "${WRK_ARGS:-}"
out=$(mktemp -d)
valgrind --tool=callgrind ${CALLGRIND_ARGS:-} --trace-children=yes --callgrind-out-file="$out/cg.%p" "$@" >/dev/null 2>&1 &
vg=$!
trap 'kill $vg 2>/dev/null || true; [ -n "${KEEP:-}" ] && cp "$out"/cg.*.1 "$KEEP"; rm -rf "$out"' EXIT
for _ in $(seq 150); do curl -fs -o /dev/null "$url" && break; sleep 0.2; done
taskset -c 1 wrk -t1 -c"${CONNS:-10}" -d2s "$url" "${extra[@]}" >/dev/null
pid=$(basename "$(ls "$out"/cg.* | tail -1)" | sed 's/^cg\.//; s/\..*//')
callgrind_control -z "$pid" >/dev/null
report=$(taskset -c 1 wrk -t1 -c"${CONNS:-10}" -d"${SECONDS_RUN:-6}s" "$url" "${extra[@]}")
callgrind_control -d "$pid" >/dev/null
sleep 1
requests=$(echo "$report" | awk '/requests in/ {print $1}')
total=$(callgrind_annotate "$out/cg.$pid.1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
echo "$name requests=$requests instructions=$total per_request=$((total / requests))"

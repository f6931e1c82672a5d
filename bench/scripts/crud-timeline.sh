#!/usr/bin/env bash
# The CRUD article's test as it ran it: the users API on PostgreSQL, 500 clients, MINUTES (default 10) of the
# CRUD mix (bench/scripts/crud.lua: 75 % reads, 20 % creates, 5 % deletes), measured in consecutive 10-second
# wrk windows so that the tail can be followed over time. Server on CPU 0, wrk on CPU 1, a fresh table of 20
# users. Beside each window it samples PostgreSQL (checkpoints, the table's size and dead rows, autovacuum
# runs) and the server's RSS.
#
#   bench/scripts/crud-timeline.sh [OUT_PREFIX]     (default bench/results/<date>-crud-timeline)
#
# Writes OUT_PREFIX.tsv (one row per window), OUT_PREFIX.md (the table, and the p99 of the last minute over
# the second) and OUT_PREFIX.svg (p50 and p99 over time). Environment: MINUTES, CONNS (500), WINDOW (10s),
# PEER_CMD (the server command, default the users example), BENCH_PG.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.."
minutes=${MINUTES:-10} conns=${CONNS:-500} window=${WINDOW:-10}
date=$(date +%F)
prefix=${1:-bench/results/$date-crud-timeline}
pg=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
db="$pg/bench"
ulimit -n "$(ulimit -Hn)"

psql -q "$pg/postgres" -tc "SELECT 1 FROM pg_database WHERE datname = 'bench'" | grep -q 1 \
  || psql -q "$pg/postgres" -c "CREATE DATABASE bench" >/dev/null
psql -q "$db" -c "DROP TABLE IF EXISTS orguser" >/dev/null
cargo build --release -q -p users
DATABASE_URL=$db target/release/users --seed 20 >/dev/null
psql -q "$db" -c "SELECT pg_stat_reset()" >/dev/null

cmd=${PEER_CMD:-env RUST_LOG=warn DATABASE_URL=$db PEREGRINE_ADDR=127.0.0.1:8000 target/release/users}
# shellcheck disable=SC2086
taskset -c 0 $cmd >/tmp/crud-timeline-server.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs -o /dev/null http://127.0.0.1:8000/users/1 && break; sleep 0.1; done

pg_sample() {
  psql -qAt -F' ' "$db" -c "SELECT (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter),
    (SELECT n_live_tup FROM pg_stat_user_tables WHERE relname = 'orguser'),
    (SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'orguser'),
    (SELECT autovacuum_count FROM pg_stat_user_tables WHERE relname = 'orguser'),
    pg_total_relation_size('orguser') / 1048576"
}

windows=$((minutes * 60 / window))
printf 'second\treq_s\tp50_ms\tp99_ms\tmax_ms\terrors\tshed_503\tcheckpoints\tlive_rows\tdead_rows\tautovacuums\ttable_mib\trss_mib\n' >"$prefix.tsv"
for i in $(seq "$windows"); do
  out=$(taskset -c 1 wrk -t1 -c"$conns" -d"${window}s" --latency -s bench/scripts/crud.lua http://127.0.0.1:8000 -- 20)
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(ms "$(echo "$out" | awk '$1 == "50%" {print $2}')")
  p99=$(ms "$(echo "$out" | awk '$1 == "99%" {print $2}')")
  max=$(ms "$(echo "$out" | awk '/Latency/ && !/Distribution/ {print $4}')")
  statuses=$(echo "$out" | awk '/^statuses:/')
  shed=$(echo "$statuses" | awk '{for (i = 2; i <= NF; i++) {split($i, kv, "="); if (kv[1] == 503) n += kv[2]}} END {print n + 0}')
  errors=$(echo "$out" | awk '/^statuses:/ {for (i = 2; i <= NF; i++) {split($i, kv, "="); c = kv[1] + 0;
      if (c >= 500 && c != 503) n += kv[2]}} /Socket errors/ {for (i = 3; i <= NF; i++) {v = $i; gsub(/[^0-9]/, "", v); n += v}}
      END {print n + 0}')
  rss=$(awk '/VmRSS/ {printf "%d", $2 / 1024}' "/proc/$(pgrep -P $pid || echo $pid)/status" 2>/dev/null || echo 0)
  read -r checkpoints live dead autovacuums mib <<<"$(pg_sample)"
  printf '%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' $((i * window)) "$rps" "$p50" "$p99" "$max" \
    "$errors" "$shed" "$checkpoints" "$live" "$dead" "$autovacuums" "$mib" "$rss" >>"$prefix.tsv"
  tail -1 "$prefix.tsv"
done

{
  echo "# The CRUD mix for $minutes minutes, $date"
  echo
  echo "The users API on PostgreSQL $(psql -qAt "$db" -c 'SHOW server_version' | cut -d' ' -f1), $conns connections, \`wrk -t1 --latency -s bench/scripts/crud.lua\` in consecutive ${window}-second windows; server on CPU 0, wrk on CPU 1. Command: \`bench/scripts/crud-timeline.sh\`."
  echo
  awk -F'\t' -v w="$window" 'NR > 1 {
      m = int(($1 - 1) / 60) + 1; p99[m] = p99[m] " " $4; n[m]++; req[m] += $2; err += $6; shed += $7 }
    END {
      for (k = 1; k in n; k++) { split(substr(p99[k], 2), a, " "); asort(a); med[k] = a[int((n[k] + 1) / 2)]; last = k }
      printf "| minute | req/s (mean) | p99 ms (median of its windows) |\n|---|---:|---:|\n"
      for (k = 1; k <= last; k++) printf "| %d | %.0f | %.2f |\n", k, req[k] / n[k], med[k]
      if (last >= 2 && med[2] > 0)
        printf "\np99 of the last minute over the second: %.2f (%.2f / %.2f ms).", med[last] / med[2], med[last], med[2]
      printf " Errors (5xx other than 503, socket errors): %d; 503: %d.\n", err, shed }' "$prefix.tsv"
  echo
  echo "Every window: \`$(basename "$prefix").tsv\` (rows and dead rows of \`orguser\`, checkpoints and autovacuum runs since the start, the server's RSS)."
} >"$prefix.md"
cat "$prefix.md"
gnuplot -e "tsv='$prefix.tsv'; out='$prefix.svg'; title='CRUD mix, $conns connections, PostgreSQL: latency per ${window}-s window ($date)'" \
  bench/scripts/timeline.gp

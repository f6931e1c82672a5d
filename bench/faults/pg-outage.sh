#!/usr/bin/env bash
# PostgreSQL stopped for OUTAGE seconds (default 10) under load: `wrk -c50` reads GET /users/ while
# bench/faults/writer.py writes with 4 threads and logs each outcome. Prints, second by second, the
# readers' and writers' statuses; how long after the stop the first 503 came; whether the API recovered
# without a restart; and whether every acknowledged write is in the table (bench/faults/verify_writes.py).
source "$(dirname "$0")/common.sh"
outage=${OUTAGE:-10}
build_users
fresh_db
start_users
trap 'kill $users_pid 2>/dev/null || true; pg_start' EXIT
stop_file=$(mktemp -u) log=/tmp/pg-outage-writes.log
taskset -c 1 python3 bench/faults/writer.py 127.0.0.1 "$port" 4 outage "$stop_file" "$log" &
writer=$!
# One probe a second: the status of GET /users/ and the time it took.
probe() {
  for s in $(seq "$1"); do
    out=$(curl -s -o /dev/null -m 5 -w "%{http_code} %{time_total}" "http://127.0.0.1:$port/users/" || true)
    printf "%s %s\n" "$(date +%s.%N | cut -c1-14)" "$out"
    sleep 1
  done
}
taskset -c 1 wrk -t1 -c50 -d$((outage + 20))s -s bench/scripts/status.lua "http://127.0.0.1:$port/users/" \
  >/tmp/pg-outage-wrk.txt 2>&1 &
wrk_pid=$!
probe $((outage + 20)) >/tmp/pg-outage-probe.txt &
probe_pid=$!
sleep 5
stopped=$(date +%s.%N)
pg_stop
echo "PostgreSQL stopped"
# The first 503 a fresh request gets after the stop.
first503=""
for _ in $(seq 100); do
  code=$(curl -s -o /dev/null -m 5 -w "%{http_code}" "http://127.0.0.1:$port/users/" || true)
  if [ "$code" = 503 ]; then first503=$(date +%s.%N); break; fi
  sleep 0.05
done
sleep $((outage - 1))
pg_start
started=$(date +%s.%N)
echo "PostgreSQL started again after $(echo "$started - $stopped" | bc | cut -c1-5) s"
recovered=""
for _ in $(seq 300); do
  code=$(curl -s -o /dev/null -m 5 -w "%{http_code}" "http://127.0.0.1:$port/users/" || true)
  if [ "$code" = 200 ]; then recovered=$(date +%s.%N); break; fi
  sleep 0.05
done
wait $probe_pid $wrk_pid
touch "$stop_file"; wait $writer
echo "first 503 $(echo "$first503 - $stopped" | bc | cut -c1-5) s after the stop"
echo "first 200 $(echo "$recovered - $started" | bc | cut -c1-5) s after PostgreSQL was back (same process: pid $users_pid alive: $(kill -0 $users_pid && echo yes))"
grep -E "requests in|statuses|socket errors" /tmp/pg-outage-wrk.txt
echo "probe (time, status, seconds):"; sed 's/^/  /' /tmp/pg-outage-probe.txt | tr '\n' ';' | sed 's/;  /; /g'; echo
python3 bench/faults/verify_writes.py "$log" "$db" outage

#!/usr/bin/env bash
# kill -9 cycles under a write load: the users API on PostgreSQL is killed with SIGKILL CYCLES times
# (default 5), every 3-6 s, and restarted at once, while bench/faults/writer.py writes with 4 threads and
# logs each outcome. Then every acknowledged write must be in the table, no row may exist that no client
# attempted, and the writes whose answer was lost in a kill are reported apart (committed or not).
source "$(dirname "$0")/common.sh"
cycles=${CYCLES:-5}
build_users
fresh_db
start_users
trap 'kill -9 $users_pid 2>/dev/null || true' EXIT
stop_file=$(mktemp -u) log=/tmp/kill9-writes.log
taskset -c 1 python3 bench/faults/writer.py 127.0.0.1 "$port" 4 kill9 "$stop_file" "$log" &
writer=$!
for cycle in $(seq "$cycles"); do
  sleep "$(python3 -c 'import random; print(round(random.uniform(3, 6), 2))')"
  kill -9 "$users_pid"; wait "$users_pid" 2>/dev/null || true
  start_users
  echo "cycle $cycle: killed and restarted ($(grep -c . "$log") attempts logged so far)"
done
sleep 2
touch "$stop_file"; wait $writer
python3 bench/faults/verify_writes.py "$log" "$db" kill9

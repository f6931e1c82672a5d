#!/usr/bin/env bash
# A ramp driven by a client that is not the bottleneck: wrk (one thread on CPU 1, far above any server here
# on one core) in consecutive 3-second windows with more connections each time: 10 to 100 by 10, hold 100
# for 15 s, 150 to 500 by 50, hold 500 for 15 s (the articles' Locust shape: users = connections, no think
# time). For each window it writes requests/s, failures/s (non-2xx and socket errors), p99, and the CPU the
# server used (% of one core, from /proc/PID/stat), and how busy the server's core (CPU 0) and the client's
# core (CPU 1) were (from /proc/stat; PostgreSQL's processes run on both). A server's core near 100 % busy is
# the limit (the server, and the database processes that share its core); wrk alone stays far below its own.
#
#   bench/scripts/ramp-wrk.sh URL SERVER_PID OUT.tsv
set -euo pipefail
. "$(dirname "$0")/lib.sh"
url=$1 pid=$2 out=$3
ticks=$(getconf CLK_TCK)
window=3
stages=()
for c in $(seq 10 10 100); do stages+=("$c"); done
for _ in 1 2 3 4 5; do stages+=(100); done
for c in $(seq 150 50 500); do stages+=("$c"); done
for _ in 1 2 3 4 5; do stages+=(500); done

server_ticks() {
  local stats=() p
  for p in $(tree "$pid"); do stats+=("/proc/$p/stat"); done
  cat "${stats[@]}" 2>/dev/null | awk '{t += $14 + $15} END {print t + 0}'
}
cores() { # total and idle jiffies of CPU 0 and CPU 1
  awk '$1 == "cpu0" || $1 == "cpu1" {idle = $5 + $6; total = 0; for (i = 2; i <= NF; i++) total += $i; printf "%d %d ", total, idle} END {print ""}' /proc/stat
}
busy() { awk -v dt=$(($3 - $1)) -v di=$(($4 - $2)) 'BEGIN {printf "%.0f", dt ? 100 * (dt - di) / dt : 0}'; }

printf 'second\tusers\treq_s\tfailures_s\tp99_ms\tserver_cpu_pct\tserver_core_busy_pct\tclient_core_busy_pct\n' >"$out"
second=0
for c in "${stages[@]}"; do
  s0=$(server_ticks); read -r a0 b0 c0 d0 < <(cores)
  report=$(taskset -c 1 wrk -t1 -c"$c" -d"${window}s" --latency -s "$(dirname "$0")/status.lua" "$url" 2>&1 || true)
  s1=$(server_ticks); read -r a1 b1 c1 d1 < <(cores)
  second=$((second + window))
  rps=$(echo "$report" | awk '/Requests\/sec/ {print $2}')
  p99=$(ms "$(echo "$report" | awk '$1 == "99%" {print $2}')")
  failures=$(echo "$report" | awk -v w="$window" '
      /^statuses:/ {for (i = 2; i <= NF; i++) {split($i, kv, "="); if (kv[1] + 0 >= 400) n += kv[2]}}
      /^socket errors:/ {for (i = 3; i <= NF; i++) {split($i, kv, "="); n += kv[2]}}
      END {printf "%.1f", n / w}')
  server=$(awk -v d=$((s1 - s0)) -v t="$ticks" -v w="$window" 'BEGIN {printf "%.0f", 100 * d / t / w}')
  core0=$(busy "$a0" "$b0" "$a1" "$b1")
  core1=$(busy "$c0" "$d0" "$c1" "$d1")
  printf '%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n' "$second" "$c" "${rps:-0}" "$failures" "$p99" "$server" "$core0" "$core1" >>"$out"
done

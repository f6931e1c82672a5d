# Shell helpers shared by the measuring scripts; source it: . "$(dirname "$0")/lib.sh"

# A process and all its descendants, one PID per line (a pre-fork server such as gunicorn counts its workers).
tree() { local p; for p in "$@"; do echo "$p"; tree $(pgrep -P "$p" || true); done; }

# wrk's latency (850.00us, 1.20ms, 2.01s) in milliseconds, two decimals.
ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}

# Starts COMMAND pinned to CPUS, kills it when the script exits, and waits until URL answers anything (a
# POST-only URL answers GET with 405): start_server CPUS URL COMMAND [ARGS...]. Sets server_pid.
start_server() {
  local cpus=$1 url=$2
  shift 2
  taskset -c "$cpus" "$@" >/dev/null 2>&1 &
  server_pid=$!
  trap 'kill $server_pid 2>/dev/null || true; wait $server_pid 2>/dev/null || true' EXIT
  for _ in $(seq 50); do curl -s -o /dev/null "$url" && break; sleep 0.1; done
}

# The user and system CPU ticks of the server started by start_server and of its child processes.
server_cpu() {
  local stats=() p
  for p in $(tree "$server_pid"); do stats+=("/proc/$p/stat"); done
  cat "${stats[@]}" 2>/dev/null | awk '{u += $14; s += $15} END {print u, s}'
}

# One result line, the format summarize.py reads:
#   run_line NAME CONNS RUN RPS P50 P99 REQUESTS USER_TICKS SYS_TICKS ERRORS
run_line() {
  awk -v n="$1" -v c="$2" -v r="$3" -v rps="$4" -v p50="$5" -v p99="$6" -v req="$7" -v du="$8" -v ds="$9" \
      -v t="$(getconf CLK_TCK)" -v e="${10:-0}" \
      'BEGIN { printf "%s c=%s run=%s req/s=%s p50=%s p99=%s user_us/req=%.2f sys_us/req=%.2f errors=%s\n",
               n, c, r, rps, p50, p99, du / t * 1e6 / req, ds / t * 1e6 / req, e }'
}

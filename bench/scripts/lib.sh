# Shell helpers shared by the measuring scripts; source it: . "$(dirname "$0")/lib.sh"

# A process and all its descendants, one PID per line (a pre-fork server such as gunicorn counts its workers).
tree() { local p; for p in "$@"; do echo "$p"; tree $(pgrep -P "$p" || true); done; }

# wrk's latency (850.00us, 1.20ms, 2.01s) in milliseconds, two decimals.
ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}

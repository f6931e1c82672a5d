# Shared by the fault scripts: a release build of examples/users, a scratch PostgreSQL database, and
# starting the users API on it. Source it from bench/faults/*.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
ulimit -n "$(ulimit -Hn)"
cluster=$(ls /etc/postgresql | head -1)
db=${FAULTS_DB:-peregrine_faults}
port=${PORT:-8003}

build_users() {
  cargo build --release -q -p users
}

pg_running() {
  pg_isready -h 127.0.0.1 -q
}

pg_start() {
  pg_ctlcluster --skip-systemctl-redirect "$cluster" main start 2>/dev/null || true
  for _ in $(seq 100); do pg_running && return; sleep 0.1; done
  echo "PostgreSQL did not start" >&2
  return 1
}

pg_stop() {
  pg_ctlcluster --skip-systemctl-redirect "$cluster" main stop -m fast
}

fresh_db() {
  pg_start
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
}

# Starts the users API on the scratch database (CPU 0); sets $users_pid.
start_users() {
  env DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" PEREGRINE_ADDR="127.0.0.1:$port" RUST_LOG=warn \
    USERS_ACQUIRE_TIMEOUT_MS="${USERS_ACQUIRE_TIMEOUT_MS:-1000}" taskset -c 0 target/release/users \
    >>/tmp/faults-users.log 2>&1 &
  users_pid=$!
  for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/health" && return; sleep 0.1; done
  echo "the users API did not start" >&2
  return 1
}

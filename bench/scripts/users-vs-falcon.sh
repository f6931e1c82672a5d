#!/usr/bin/env bash
# GET /users/ on PostgreSQL: Peregrine (examples/users) next to Python Falcon 4 under gunicorn, 1 sync worker.
# Needs: wrk, a database "bench" seeded with 20 users (run target/release/users once against it), bench/.venv
# (python3 -m venv bench/.venv && bench/.venv/bin/pip install -r bench/requirements.txt).
set -euo pipefail
cd "$(dirname "$0")/../.."
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bench}
for c in 100 500; do
bench/scripts/wrk-pinned.sh peregrine-users http://127.0.0.1:8000/users/ $c -- env RUST_LOG=warn PEREGRINE_ADDR=127.0.0.1:8000 target/release/users
bench/scripts/wrk-pinned.sh falcon-gunicorn-1w http://127.0.0.1:8002/users/ $c -- bench/.venv/bin/gunicorn --chdir bench/peers/falcon -w 1 -b 127.0.0.1:8002 app:app
done

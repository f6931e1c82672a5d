#!/usr/bin/env bash
# Coverage-guided fuzzing of the request parsers (crates/peregrine/fuzz: uri_template, router_lookup,
# query_string, cookies, header_getters, json_media) with cargo-fuzz on stable Rust (`--sanitizer none`: no nightly
# here; Rust's own checks and the targets' assertions are the oracle). Each target runs SECS seconds
# (default 120; 10 minutes for the five), starting from and adding to the committed corpus, which is then
# minimised (`cargo fuzz cmin`). Prints each target's runs, coverage and corpus size, and lists any crash
# (fuzz/artifacts/<target>/), which `cargo fuzz run <target> <file>` replays.
# CI runs it with SECS=20 (installing cargo-fuzz when missing).
set -euo pipefail
cd "$(dirname "$0")/../../crates/peregrine/fuzz"
secs=${SECS:-120}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
cargo fuzz build --sanitizer none -O 2>&1 | tail -1
status=0
for target in $(cargo fuzz list); do
  log=$(mktemp)
  if ! cargo fuzz run --sanitizer none -O "$target" -- -max_total_time="$secs" -print_final_stats=1 >"$log" 2>&1; then
    status=1
    echo "$target: FAILED"; grep -E "panicked|SUMMARY|Test unit written" "$log" | head -5
  fi
  cargo fuzz cmin --sanitizer none -O "$target" >/dev/null 2>&1 || true
  runs=$(grep -oE "stat::number_of_executed_units: *[0-9]+" "$log" | grep -oE "[0-9]+$" || echo "?")
  cov=$(grep -oE "cov: [0-9]+" "$log" | tail -1 || echo "cov: ?")
  echo "$target: $runs runs in ${secs}s, $cov, corpus $(ls "corpus/$target" | wc -l) inputs"
  rm -f "$log"
done
if [ -d artifacts ] && find artifacts -type f | grep -q .; then
  echo "crashes:"; find artifacts -type f; status=1
fi
exit $status

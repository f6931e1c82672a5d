#!/usr/bin/env bash
# A large multipart upload through the real server, saved to disk, with the server's peak memory:
#   bench/scripts/upload.sh [SIZE_MIB]          (default 1024: a 1 GiB file)
# The server (bench/target/release/upload-peer, pinned to CPU 0) streams each part to disk with
# Part::save_to; curl (CPU 1) posts the file as `-F file=@…`. Reports the time, the throughput, the
# server's RSS before and its peak (VmHWM) after, and checks that the saved file is byte-for-byte the
# one sent. Needs twice the file size free in $TMPDIR (default /tmp): with less, it uses a smaller file
# and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
tmp=${TMPDIR:-/tmp}
free_mib=$(( $(df --output=avail -k "$tmp" | tail -1) / 1024 ))
if (( free_mib < 2 * size_mib + 512 )); then
  new=$(( (free_mib - 512) / 2 ))
  echo "only ${free_mib} MiB free in $tmp: uploading ${new} MiB instead of ${size_mib} MiB" >&2
  size_mib=$new
fi
[ -x target/release/upload-peer ] || cargo build --release -q -p upload-peer
work=$(mktemp -d "$tmp/peregrine-upload.XXXXXX")
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir "$work/saved"
head -c "$(( size_mib * 1024 * 1024 ))" /dev/urandom > "$work/file.bin"
port=8091
UPLOAD_DIR="$work/saved" PEREGRINE_ADDR=127.0.0.1:$port RUST_LOG=warn taskset -c 0 target/release/upload-peer &
pid=$!
for _ in $(seq 100); do curl -fs -o /dev/null -X OPTIONS "http://127.0.0.1:$port/upload" && break; sleep 0.1; done
kib() { awk "/^$1:/ {print \$2}" "/proc/$pid/status"; }
rss_before=$(kib VmRSS)
start=$(date +%s.%N)
answer=$(taskset -c 1 curl -fsS -F "file=@$work/file.bin;type=application/octet-stream" "http://127.0.0.1:$port/upload")
end=$(date +%s.%N)
peak=$(kib VmHWM)
seconds=$(echo "$end - $start" | bc -l)
cmp -s "$work/file.bin" "$work/saved/1" && same=yes || same=NO
printf '| file | time | throughput | server RSS before | server peak RSS | saved file identical | answer |\n'
printf '|---|---:|---:|---:|---:|---|---|\n'
printf '| %d MiB | %.1f s | %.0f MiB/s | %.1f MiB | %.1f MiB | %s | `%s` |\n' "$size_mib" "$seconds" \
  "$(echo "$size_mib / $seconds" | bc -l)" "$(echo "$rss_before / 1024" | bc -l)" "$(echo "$peak / 1024" | bc -l)" \
  "$same" "$answer"

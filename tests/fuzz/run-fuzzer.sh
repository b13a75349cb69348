#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time from the seed corpus in the repository.
#   run-fuzzer.sh FUZZER SEED_DIR SECONDS
# New inputs it finds go to a temporary folder (never into the repository). A crash, a leak,
# a sanitizer report or a slow input fails the run, and the input that did it is kept in
# $KIOSK_FUZZ_ARTIFACTS (default /tmp) and printed as base64 so CI logs hold it.
set -uo pipefail
fuzzer=$1 seeds=$2 seconds=$3
[ -x "$fuzzer" ] || { echo "FAIL: $fuzzer was not built"; exit 1; }
[ -n "$(ls -A "$seeds" 2>/dev/null)" ] || { echo "FAIL: the seed corpus $seeds is empty"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
artifacts=${KIOSK_FUZZ_ARTIFACTS:-/tmp}/$(basename "$fuzzer")-
# A small quarantine, and freed memory handed back to the system: without them ASan's own
# caches of the page-sized buffers the image decoders free grow the process past the RSS limit
# over thousands of inputs (the "out-of-memory" input was then the empty one). A single
# allocation over 1 GB still fails the run (-malloc_limit_mb).
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:quarantine_size_mb=32:allocator_release_to_os_interval_ms=500
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 -malloc_limit_mb=1024 -max_len=262144 -print_final_stats=1 \
  -artifact_prefix="$artifacts" "$work" "$seeds" >"$work.log" 2>&1
rc=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work.log")
if [ $rc -ne 0 ]; then
  tail -60 "$work.log"
  for f in "$artifacts"*; do [ -f "$f" ] && { echo "input $f (base64):"; base64 -w0 "$f"; echo; }; done
  rm -f "$work.log"
  echo "FAIL: $(basename "$fuzzer") found a problem (exit $rc)"
  exit 1
fi
rm -f "$work.log"
# A run that did nothing proves nothing.
[ "${runs:-0}" -gt 0 ] || { echo "FAIL: $(basename "$fuzzer") ran no input"; exit 1; }
echo "$(basename "$fuzzer"): $runs inputs in ${seconds} s, no crash, leak or sanitizer report"

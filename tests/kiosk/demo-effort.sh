#!/bin/sh
# kioskctl demo --scenario S (issue 17): the session runs to its receipt and the summary ends with
# the effort it took: touches, keys, confirmations and minutes at a stated pace.
# Usage: demo-effort.sh BUILD_DIR SCENARIO
set -u
build=$1
scenario=$2
out=$(mktemp -d "${TMPDIR:-/tmp}/kiosk-demo-effort-XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT
# Without a display: the same screens, headless (no screenshots).
env -u DISPLAY -u WAYLAND_DISPLAY "$build/bin/kioskctl" demo --out "$out/demo" --scenario "$scenario" >"$out/log" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then
  echo "FAIL: kioskctl demo --scenario $scenario exited $rc"; cat "$out/log"; exit 1
fi
summary="$out/demo/summary.txt"
grep -q "committed as" "$summary" || { echo "FAIL: nothing was committed"; cat "$summary"; exit 1; }
tail -n 4 "$summary" > "$out/effort"
for pattern in '^touches: [1-9][0-9]*$' '^keys: [0-9][0-9]*$' '^confirmations: [0-9][0-9]*$' \
               '^minutes: [0-9][0-9]*\.[0-9] (at .* s a touch and .* s a key)$'; do
  grep -q "$pattern" "$out/effort" || { echo "FAIL: the summary does not end with $pattern"; cat "$out/effort"; exit 1; }
done
# Keys are touches too: never more keys than touches.
touches=$(sed -n 's/^touches: //p' "$out/effort")
keys=$(sed -n 's/^keys: //p' "$out/effort")
[ "$keys" -le "$touches" ] || { echo "FAIL: $keys keys but $touches touches"; exit 1; }
cat "$out/effort"

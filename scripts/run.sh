#!/usr/bin/env bash
# README command 1: install what is missing, build, and run the kiosk.
# With a display: the kiosk in a window. Without one: the scripted demo under Xvfb,
# writing what it did (screenshots, summary) to the folder it names.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
# The same options as scripts/test.sh, so running one after the other builds the tree once.
cmake -S . -B build -DKIOSK_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
# The demo's own options (--broker URL, ...) or --demo choose the scripted demo on a display too;
# the kiosk itself takes only --config (delivery is its own service).
demo=0
case "${1:-}" in
  --demo) demo=1; shift ;;
  --broker | --broker=*) demo=1 ;;
esac
have_display=0
[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && have_display=1
if [ $have_display -eq 1 ] && [ $demo -eq 0 ]; then
  exec build/bin/kiosk --windowed "$@"
fi
out_dir=${KIOSK_DEMO_OUT:-$PWD/demo-output}
if [ $have_display -eq 1 ]; then
  echo "Running the scripted demo on this display. Output: $out_dir"
  exec build/bin/kioskctl demo --out "$out_dir" "$@"
fi
echo "No display found: running the scripted demo under Xvfb. Output: $out_dir"
exec xvfb-run -a -s "-screen 0 1920x1080x24" build/bin/kioskctl demo --out "$out_dir" "$@"

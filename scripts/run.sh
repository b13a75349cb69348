#!/usr/bin/env bash
# README command 1: install what is missing, build, and run the kiosk.
# With a display: the kiosk in a window. Without one: the scripted demo under Xvfb,
# writing what it did (screenshots, summary) to the folder it names.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x build/bin/kiosk ]; then
  exec build/bin/kiosk --windowed "$@"
fi
out_dir=${KIOSK_DEMO_OUT:-$PWD/demo-output}
echo "No display found: running the scripted demo under Xvfb. Output: $out_dir"
exec xvfb-run -a -s "-screen 0 1920x1080x24" build/bin/kioskctl demo --out "$out_dir" "$@"

